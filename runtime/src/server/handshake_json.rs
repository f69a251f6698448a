//! A socket's handshake as Node.js socket.io's `socket.handshake` shows it, in
//! JSON: built as a value ([`handshake_json`]), or written straight to JSON text
//! ([`handshake_raw`]) for an answer to another node's fetch.

use std::borrow::Cow;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::socket::SocketInner;
use crate::engine::Handshake;

/// The socket's handshake as Node's `socket.handshake` serializes.
pub(super) fn handshake_json(socket: &SocketInner) -> Value {
    let handshake = socket.conn.handshake();
    let mut fields = Map::with_capacity(9);
    fields.insert("headers".to_owned(), Value::Object(headers_json(handshake)));
    fields.insert("time".to_owned(), Value::String(handshake.time()));
    let address = handshake.address().map(|address| address.to_string());
    fields.insert(
        "address".to_owned(),
        address.map_or(Value::Null, Value::String),
    );
    fields.insert("xdomain".to_owned(), Value::Bool(handshake.xdomain()));
    fields.insert("secure".to_owned(), Value::Bool(handshake.secure()));
    fields.insert("issued".to_owned(), Value::from(handshake.issued_ms()));
    fields.insert("url".to_owned(), Value::String(handshake.url()));
    fields.insert("query".to_owned(), Value::Object(handshake.query_map()));
    fields.insert("auth".to_owned(), auth_json(socket));
    Value::Object(fields)
}

/// The request headers as Node shows them: one string per name, repeated
/// headers joined with `, `; values that are not visible ASCII are left out.
fn headers_json(handshake: &Handshake) -> Map<String, Value> {
    let headers = &handshake.headers;
    let mut json = Map::with_capacity(headers.keys_len());
    for name in headers.keys() {
        let mut values = headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok());
        let Some(first) = values.next() else {
            json.insert(name.as_str().to_owned(), Value::String(String::new()));
            continue;
        };
        let mut joined = first.to_owned();
        for value in values {
            joined.push_str(", ");
            joined.push_str(value);
        }
        json.insert(name.as_str().to_owned(), Value::String(joined));
    }
    json
}

/// The CONNECT packet's auth payload as JSON; `{}` when there was none.
fn auth_json(socket: &SocketInner) -> Value {
    match socket.auth.as_ref().map(|auth| auth.as_str()) {
        None | Some("{}") => Value::Object(Map::new()),
        Some(auth) => serde_json::from_str(auth).unwrap_or_else(|_| Value::Object(Map::new())),
    }
}

/// The socket's handshake written straight to JSON text, as [`handshake_json`]
/// shows it.
pub(super) fn handshake_raw(socket: &SocketInner) -> Box<RawValue> {
    serde_json::value::to_raw_value(&HandshakeView(socket)).unwrap_or_else(|error| {
        tracing::debug!(%error, "a handshake did not serialize");
        serde_json::value::to_raw_value(&Map::new()).unwrap_or_default()
    })
}

/// Serializes the handshake of a socket field by field, in the order of
/// [`handshake_json`]. JSON only: `auth` is embedded as the raw JSON it came as.
struct HandshakeView<'a>(&'a SocketInner);

impl Serialize for HandshakeView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let socket = self.0;
        let handshake = socket.conn.handshake();
        let mut fields = serializer.serialize_map(Some(9))?;
        fields.serialize_entry("headers", &HeadersView(handshake))?;
        fields.serialize_entry("time", &handshake.time())?;
        let address = handshake.address().map(|address| address.to_string());
        fields.serialize_entry("address", &address)?;
        fields.serialize_entry("xdomain", &handshake.xdomain())?;
        fields.serialize_entry("secure", &handshake.secure())?;
        fields.serialize_entry("issued", &handshake.issued_ms())?;
        fields.serialize_entry("url", &handshake.uri.to_string())?;
        fields.serialize_entry("query", &QueryView(handshake.uri.query().unwrap_or("")))?;
        let auth = socket
            .auth
            .as_ref()
            .and_then(|auth| serde_json::from_str::<&RawValue>(auth.as_str()).ok());
        match auth {
            Some(auth) => fields.serialize_entry("auth", auth)?,
            None => fields.serialize_entry("auth", &Map::new())?,
        }
        fields.end()
    }
}

/// The headers as [`headers_json`] shows them.
struct HeadersView<'a>(&'a Handshake);

impl Serialize for HeadersView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let headers = &self.0.headers;
        let mut json = serializer.serialize_map(Some(headers.keys_len()))?;
        for name in headers.keys() {
            let mut values = headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok());
            let first = values.next().unwrap_or("");
            match values.next() {
                None => json.serialize_entry(name.as_str(), first)?,
                Some(second) => {
                    let mut joined = format!("{first}, {second}");
                    for value in values {
                        joined.push_str(", ");
                        joined.push_str(value);
                    }
                    json.serialize_entry(name.as_str(), &joined)?;
                }
            }
        }
        json.end()
    }
}

/// The query as Node shows it: each name with its percent-decoded value, or the
/// list of its values when it is repeated, names in the order they first come.
struct QueryView<'a>(&'a str);

impl Serialize for QueryView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut grouped: Vec<(Cow<'_, str>, Vec<Cow<'_, str>>)> = Vec::new();
        for (name, value) in form_urlencoded::parse(self.0.as_bytes()) {
            match grouped.iter_mut().find(|(seen, _)| *seen == name) {
                Some((_, values)) => values.push(value),
                None => grouped.push((name, vec![value])),
            }
        }
        let mut query = serializer.serialize_map(Some(grouped.len()))?;
        for (name, values) in &grouped {
            match &values[..] {
                [one] => query.serialize_entry(name, one)?,
                many => query.serialize_entry(name, &ValuesView(many))?,
            }
        }
        query.end()
    }
}

/// The values of a repeated query parameter, as a list.
struct ValuesView<'a>(&'a [Cow<'a, str>]);

impl Serialize for ValuesView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(Some(self.0.len()))?;
        for value in self.0 {
            list.serialize_element(value)?;
        }
        list.end()
    }
}
