//! Reading schemas: following references, splitting off `null`, listing
//! alternatives and the types and values a schema accepts.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::schema::{ANNOTATIONS, ref_name};

/// Follows `$ref`s this many times at most (a definition that is only a
/// reference to itself would loop otherwise).
const MAX_HOPS: usize = 32;

/// A resolved schema: references followed, single `allOf`s unwrapped,
/// annotations removed. `None` stands for "any value" (`true`, `{}`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resolved {
    Any,
    Nothing,
    Schema(Map<String, Value>),
}

/// Follows references and single `allOf`s, drops annotations. Returns the
/// first definition followed, for cycle detection.
pub(super) fn resolve(schema: &Value, defs: &Map<String, Value>) -> (Resolved, Option<String>) {
    let mut current = schema.clone();
    let mut name = None;
    for _ in 0..MAX_HOPS {
        let mut map = match current {
            Value::Bool(true) => return (Resolved::Any, name),
            Value::Bool(false) => return (Resolved::Nothing, name),
            Value::Object(map) => map,
            _ => return (Resolved::Any, name),
        };
        for key in ANNOTATIONS {
            map.remove(*key);
        }
        if let Some(Value::String(reference)) = map.get("$ref") {
            let target = ref_name(reference)
                .and_then(|target| defs.get(target).map(|def| (target.to_owned(), def.clone())));
            let Some((target, def)) = target else {
                return (Resolved::Schema(map), name);
            };
            map.remove("$ref");
            name.get_or_insert(target);
            current = merge(def, map);
            continue;
        }
        if let Some(Value::Array(all)) = map.get("allOf")
            && all.len() == 1
        {
            let inner = all[0].clone();
            map.remove("allOf");
            if map.is_empty() {
                current = inner;
                continue;
            }
            if let Value::Object(inner_map) = &inner
                && inner_map.keys().all(|key| !map.contains_key(key))
            {
                current = merge(inner, map);
                continue;
            }
            map.insert("allOf".into(), Value::Array(vec![inner]));
        }
        if map.is_empty() {
            return (Resolved::Any, name);
        }
        return (Resolved::Schema(map), name);
    }
    (Resolved::Any, name)
}

/// `base`'s keywords with `extra`'s added (and winning).
fn merge(base: Value, extra: Map<String, Value>) -> Value {
    match base {
        Value::Object(mut map) => {
            map.extend(extra);
            Value::Object(map)
        }
        other if extra.is_empty() => other,
        // `false` or `true` with siblings: the siblings cannot widen `false`.
        Value::Bool(false) => Value::Bool(false),
        _ => Value::Object(extra),
    }
}

/// Whether the schema accepts `null`, and what it accepts besides (`None`
/// when only `null`).
pub(super) fn split_null(
    mut map: Map<String, Value>,
    defs: &Map<String, Value>,
) -> (bool, Option<Resolved>) {
    let mut null = false;
    match map.get_mut("type") {
        Some(Value::String(name)) if name == "null" => return (true, None),
        Some(Value::Array(names)) => {
            let before = names.len();
            names.retain(|name| name != "null");
            if names.len() != before {
                null = true;
                match names.len() {
                    0 => return (true, None),
                    1 => {
                        let single = names[0].clone();
                        map.insert("type".into(), single);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        let before = values.len();
        values.retain(|value| !value.is_null());
        if values.len() != before {
            null = true;
            if values.is_empty() {
                return (true, None);
            }
        }
    }
    if map.get("const") == Some(&Value::Null) {
        return (true, None);
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(alternatives)) = map.get(key) else {
            continue;
        };
        let is_null = |alt: &Value| matches!(resolve(alt, defs).0, Resolved::Schema(ref m) if m.get("type") == Some(&Value::String("null".into())) && m.len() == 1);
        if !alternatives.iter().any(is_null) {
            continue;
        }
        null = true;
        let rest: Vec<Value> = alternatives
            .iter()
            .filter(|alt| !is_null(alt))
            .cloned()
            .collect();
        map.remove(key);
        match rest.len() {
            0 => {
                if map.is_empty() {
                    return (true, None);
                }
            }
            1 if map.is_empty() => {
                let (resolved, _) = resolve(&rest[0], defs);
                return match resolved {
                    Resolved::Schema(inner) => {
                        let (inner_null, inner_rest) = split_null(inner, defs);
                        (null || inner_null, inner_rest)
                    }
                    other => (true, Some(other)),
                };
            }
            _ => {
                map.insert(key.into(), Value::Array(rest));
            }
        }
    }
    (null, Some(Resolved::Schema(map)))
}

pub(super) fn has_alternatives(map: &Map<String, Value>) -> bool {
    map.contains_key("oneOf") || map.contains_key("anyOf")
}

/// The alternatives of a schema (itself when it has none), each with its key
/// when it is a tagged variant: its constant, its tag property's constant, or
/// the one property of an externally tagged variant. Unit variants listed in
/// one `enum` are split into one alternative each.
pub(super) fn alternatives(
    map: &Map<String, Value>,
    defs: &Map<String, Value>,
) -> Vec<(Option<String>, Value)> {
    let list: Vec<Value> = match map.get("oneOf").or_else(|| map.get("anyOf")) {
        Some(Value::Array(list)) => list.clone(),
        _ => vec![Value::Object(map.clone())],
    };
    let mut out = Vec::new();
    for alt in list {
        let (resolved, _) = resolve(&alt, defs);
        let Resolved::Schema(alt_map) = &resolved else {
            out.push((None, alt));
            continue;
        };
        if let Some(Value::Array(values)) = alt_map.get("enum")
            && alt_map.keys().all(|key| key == "enum" || key == "type")
        {
            for value in values {
                let mut single = Map::new();
                single.insert("const".into(), value.clone());
                out.push((Some(value.to_string()), Value::Object(single)));
            }
            continue;
        }
        out.push((variant_key(alt_map, defs), alt));
    }
    out
}

fn variant_key(map: &Map<String, Value>, defs: &Map<String, Value>) -> Option<String> {
    if let Some(value) = map.get("const") {
        return Some(value.to_string());
    }
    let required: BTreeSet<&str> = map
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = map.get("properties") {
        for (name, schema) in properties {
            if let (Resolved::Schema(property), _) = resolve(schema, defs)
                && let Some(tag) = property.get("const")
                && required.contains(name.as_str())
            {
                return Some(format!("{name}={tag}"));
            }
        }
        if properties.len() == 1
            && required.len() == 1
            && map.get("additionalProperties") == Some(&Value::Bool(false))
        {
            return properties.keys().next().cloned();
        }
    }
    if let Some(Value::Array(parts)) = map.get("allOf") {
        for part in parts {
            if let (Resolved::Schema(part), _) = resolve(part, defs)
                && let Some(key) = variant_key(&part, defs)
            {
                return Some(key);
            }
        }
    }
    None
}

/// The values of an `enum` or `const`.
pub(super) fn values(map: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(value) = map.get("const") {
        return Some(vec![value.clone()]);
    }
    map.get("enum").and_then(Value::as_array).cloned()
}

/// The `type`s a schema declares, or implies by its keywords.
pub(super) fn types(map: &Map<String, Value>) -> Option<BTreeSet<String>> {
    match map.get("type") {
        Some(Value::String(name)) => return Some(BTreeSet::from([name.clone()])),
        Some(Value::Array(names)) => {
            return Some(
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            );
        }
        _ => {}
    }
    if [
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
    ]
    .iter()
    .any(|key| map.contains_key(*key))
    {
        return Some(BTreeSet::from(["object".to_owned()]));
    }
    if ["items", "minItems", "maxItems"]
        .iter()
        .any(|key| map.contains_key(*key))
    {
        return Some(BTreeSet::from(["array".to_owned()]));
    }
    None
}

/// Whether a schema of `types` accepts values of JSON type `t`.
pub(super) fn accepts(types: &BTreeSet<String>, t: &str) -> bool {
    types.contains(t) || (t == "integer" && types.contains("number"))
}

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(super) fn join(types: &BTreeSet<String>) -> String {
    types.iter().cloned().collect::<Vec<_>>().join("|")
}

pub(super) fn describe(map: &Map<String, Value>) -> String {
    if let Some(values) = values(map) {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("|");
    }
    if let Some(types) = types(map) {
        return join(&types);
    }
    if has_alternatives(map) {
        return "alternatives".into();
    }
    "schema".into()
}

pub(super) fn describe_resolved(resolved: &Resolved) -> String {
    match resolved {
        Resolved::Any => "any value".into(),
        Resolved::Nothing => "no value".into(),
        Resolved::Schema(map) => describe(map),
    }
}

pub(super) fn describe_value(schema: &Value) -> String {
    match schema {
        Value::Object(map) => match map.get("$ref").and_then(Value::as_str).and_then(ref_name) {
            Some(name) => name.to_owned(),
            None => describe(map),
        },
        Value::Bool(true) => "any value".into(),
        _ => "no value".into(),
    }
}
