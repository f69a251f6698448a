//! Reading `application/x-www-form-urlencoded` query strings, through the
//! `form_urlencoded` crate: `+` is a space, invalid escapes stay as they are and
//! invalid UTF-8 is replaced, so reading never fails; and the engine's routing
//! parameters, read without copies from the queries clients send.

use std::borrow::Cow;

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
    let grouped = grouped(query);
    let mut map = serde_json::Map::with_capacity(grouped.len());
    for (name, mut values) in grouped {
        let value = if values.len() == 1 {
            Value::String(values.swap_remove(0).into_owned())
        } else {
            Value::Array(
                values
                    .into_iter()
                    .map(|value| Value::String(value.into_owned()))
                    .collect(),
            )
        };
        map.insert(name.into_owned(), value);
    }
    map
}

/// The decoded parameters of `query`, each name once, in the order names first
/// come, with its values in order.
pub(crate) fn grouped(query: &str) -> Vec<(Cow<'_, str>, Vec<Cow<'_, str>>)> {
    let mut grouped: Vec<(Cow<'_, str>, Vec<Cow<'_, str>>)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match grouped.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, values)) => values.push(value),
            None => grouped.push((name, vec![value])),
        }
    }
    grouped
}

/// The three parameters the engine routes a request on.
pub(super) struct Query<'a> {
    /// `EIO`, the protocol version.
    pub(super) eio: Option<Cow<'a, str>>,
    /// `transport`: `polling` or `websocket`.
    pub(super) transport: Option<Cow<'a, str>>,
    /// `sid`, the session of a request that is not a handshake.
    pub(super) sid: Option<Cow<'a, str>>,
}

impl<'a> Query<'a> {
    /// Reads the three parameters the engine routes on; values are only copied
    /// when they hold escapes. A query without escapes (`%` or `+`), as every
    /// client sends, is split where it stands, without decoding, in one pass.
    pub(super) fn parse(raw: &'a str) -> Query<'a> {
        let mut query = Query::empty();
        let (mut start, mut equals) = (0, None);
        for (at, &byte) in raw.as_bytes().iter().enumerate() {
            match byte {
                b'&' => {
                    query.offer_pair(raw, start, equals, at);
                    (start, equals) = (at + 1, None);
                }
                b'=' if equals.is_none() => equals = Some(at),
                b'%' | b'+' => return Query::parse_escaped(raw),
                _ => {}
            }
        }
        query.offer_pair(raw, start, equals, raw.len());
        query
    }

    fn empty() -> Query<'a> {
        Query {
            eio: None,
            transport: None,
            sid: None,
        }
    }

    /// Reads the parameters of a query with escapes, decoding names and values.
    fn parse_escaped(raw: &'a str) -> Query<'a> {
        let mut query = Query::empty();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            query.offer(&name, value);
        }
        query
    }

    /// Offers the pair `raw[start..end]`, whose first `=` (if any) is at `equals`.
    /// The bounds sit on ASCII bytes, so the slices always exist.
    fn offer_pair(&mut self, raw: &'a str, start: usize, equals: Option<usize>, end: usize) {
        let (name_end, value_start) = equals.map_or((end, end), |at| (at, at + 1));
        let name = raw.get(start..name_end).unwrap_or("");
        let value = raw.get(value_start..end).unwrap_or("");
        self.offer(name, Cow::Borrowed(value));
    }

    /// Keeps `value` when `name` is a routing parameter not seen yet.
    fn offer(&mut self, name: &str, value: Cow<'a, str>) {
        let slot = match name {
            "EIO" => &mut self.eio,
            "transport" => &mut self.transport,
            "sid" => &mut self.sid,
            _ => return,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
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

    /// The routing parameters as a full `application/x-www-form-urlencoded` parse
    /// finds them (the first of each name).
    fn decoded(raw: &str) -> [Option<String>; 3] {
        let mut found: [Option<String>; 3] = Default::default();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            let slot = match name.as_ref() {
                "EIO" => &mut found[0],
                "transport" => &mut found[1],
                "sid" => &mut found[2],
                _ => continue,
            };
            slot.get_or_insert_with(|| value.into_owned());
        }
        found
    }

    #[test]
    fn reads_the_routing_parameters_as_a_form_decoder_does() {
        let queries = [
            "",
            "EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA",
            "EIO=4&transport=polling&t=P1a2b3c&sid=abc",
            "&&EIO=4&&transport=websocket&",
            "EIO&transport=&sid",
            "EIO=4&EIO=3&sid=first&sid=second",
            "EIO=4&transport=poll%69ng&sid=a%2Bb",
            "EIO=4&transport=polling&sid=a+b",
            "E%49O=4&%74ransport=polling",
            "sid=%zz&transport=polling",
            "eio=4&Transport=polling&SID=x",
            "sid=a=b&EIO==4",
            "EIO=4&sid=x%",
            "=&=4&EIO&EIO=4",
            "transport=polling&",
            "&",
            "sid=\u{e9}t\u{e9}&EIO=4&transport=caf\u{e9}",
            "EIO=4&transport=polling&sid=abc&EIO=3&t=x+y",
        ];
        for raw in queries {
            let query = Query::parse(raw);
            let parsed =
                [query.eio, query.transport, query.sid].map(|value| value.map(String::from));
            assert_eq!(parsed, decoded(raw), "{raw}");
        }
    }
}
