//! Reading `application/x-www-form-urlencoded` query strings, through the
//! `form_urlencoded` crate: `+` is a space, invalid escapes stay as they are and
//! invalid UTF-8 is replaced, so reading never fails.

/// The decoded value of the first parameter called `name`.
pub(crate) fn get(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The whole query as Node's `querystring.parse` reads it: each name with its
/// decoded value, or the list of its values when it is repeated.
pub(crate) fn to_json_map(query: &str) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let mut map = serde_json::Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = Value::String(value.into_owned());
        match map.get_mut(name.as_ref()) {
            None => {
                map.insert(name.into_owned(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_plus() {
        let query = "a=a%20b+c%2B&b=100%&c=%zz%e2%82%ac&d=%+1&e=%ff";
        assert_eq!(get(query, "a").as_deref(), Some("a b c+"));
        assert_eq!(get(query, "b").as_deref(), Some("100%"));
        assert_eq!(get(query, "c").as_deref(), Some("%zz€"));
        assert_eq!(get(query, "d").as_deref(), Some("% 1"));
        assert_eq!(get(query, "e").as_deref(), Some("\u{fffd}"));
    }

    #[test]
    fn finds_parameters() {
        let query = "EIO=4&transport=polling&t=N8hyd6w&flag";
        assert_eq!(get(query, "EIO").as_deref(), Some("4"));
        assert_eq!(get(query, "flag").as_deref(), Some(""));
        assert_eq!(get(query, "sid"), None);
    }

    #[test]
    fn repeated_names_become_lists() {
        let map = to_json_map("a=1&&b=2&a=3&a=4&t%20k=v+w");
        assert_eq!(
            serde_json::Value::Object(map).to_string(),
            r#"{"a":["1","3","4"],"b":"2","t k":"v w"}"#
        );
    }
}
