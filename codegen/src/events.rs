//! What the JSON Schema and AsyncAPI outputs say about one event: its arguments
//! as one array schema, each item titled with the argument's name.

use serde_json::{Map, Value, json};

use crate::model::{Arg, Event};

/// `schema` titled `name`: in place when it is an untitled object without a
/// `$ref` (whose siblings draft-07 ignores), wrapped in an `allOf` otherwise.
pub(crate) fn titled(name: &str, schema: &Value) -> Value {
    match schema {
        Value::Object(map) if !map.contains_key("$ref") && !map.contains_key("title") => {
            let mut titled = Map::new();
            titled.insert("title".into(), name.into());
            titled.extend(map.clone());
            Value::Object(titled)
        }
        other => json!({ "title": name, "allOf": [other] }),
    }
}

/// How many arguments a sender must send: all of them, except that a client may
/// leave out trailing `Option` arguments (they decode as `None`).
pub(crate) fn required_args(event: &Event, client_sends: bool) -> usize {
    if client_sends {
        event.args.len()
            - event
                .args
                .iter()
                .rev()
                .take_while(|arg| arg.optional)
                .count()
    } else {
        event.args.len()
    }
}

/// The arguments of `event` as a draft-07 tuple.
pub(crate) fn args_tuple(event: &Event, client_sends: bool) -> Value {
    let items: Vec<Value> = event
        .args
        .iter()
        .map(|Arg { name, schema, .. }| titled(name, schema))
        .collect();
    let mut tuple = Map::new();
    tuple.insert("type".into(), "array".into());
    if !items.is_empty() {
        tuple.insert("items".into(), Value::Array(items));
    }
    tuple.insert("minItems".into(), required_args(event, client_sends).into());
    tuple.insert("maxItems".into(), event.args.len().into());
    Value::Object(tuple)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_go_beside_plain_schemas_and_around_references() {
        assert_eq!(
            titled("room", &json!({ "type": "string" })),
            json!({ "title": "room", "type": "string" })
        );
        assert_eq!(
            titled("msg", &json!({ "$ref": "#/definitions/Message" })),
            json!({ "title": "msg", "allOf": [{ "$ref": "#/definitions/Message" }] })
        );
        assert_eq!(
            titled("any", &json!(true)),
            json!({ "title": "any", "allOf": [true] })
        );
    }
}
