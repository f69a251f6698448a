//! A socket's handshake as Node.js socket.io's `socket.handshake` shows it, in
//! JSON: as a value ([`handshake_json`]), or written straight to JSON text
//! ([`handshake_raw`]) for an answer to another node's fetch; both from one
//! serializer.

use std::borrow::Cow;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::socket::SocketInner;
use crate::engine::Handshake;

/// The socket's handshake as Node's `socket.handshake` serializes.
pub(super) fn handshake_json(socket: &SocketInner) -> Value {
    serde_json::to_value(HandshakeView(socket)).unwrap_or_else(|error| {
        tracing::debug!(%error, "a handshake did not serialize");
        Value::Object(Map::new())
    })
}

/// The socket's handshake written straight to JSON text, as [`handshake_json`]
/// shows it.
pub(super) fn handshake_raw(socket: &SocketInner) -> Box<RawValue> {
    serde_json::value::to_raw_value(&HandshakeView(socket)).unwrap_or_else(|error| {
        tracing::debug!(%error, "a handshake did not serialize");
        serde_json::value::to_raw_value(&Map::new()).unwrap_or_default()
    })
}

/// Serializes the handshake of a socket field by field: `headers` (repeated
/// ones joined with `, `; values that are not visible ASCII left out), `time`,
/// `address`, `xdomain`, `secure`, `issued`, `url`, `query` (repeated names as
/// lists) and `auth` (`{}` when there was none). For serde_json only: `auth` is
/// embedded as the raw JSON it came as.
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

/// The headers, one string per name.
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
/// list of its values when it is repeated.
struct QueryView<'a>(&'a str);

impl Serialize for QueryView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let grouped = crate::engine::query_grouped(self.0);
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
