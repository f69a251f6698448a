//! [`Value`]: an untyped event argument, JSON plus binary.

use std::fmt;

use bytes::Bytes;
use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// The fields of a [`Value::Object`], in insertion order (as JavaScript keeps them).
pub type Map = IndexMap<String, Value>;

/// An untyped argument: anything JSON can hold, plus binary data.
///
/// Binary values travel as Socket.IO attachments: serializing a `Value` calls
/// `serialize_bytes` for [`Value::Binary`], which the packet encoder turns into a
/// placeholder and an attachment. Numbers that are not finite become
/// [`Value::Null`], as `JSON.stringify` writes them.
///
/// # Which value type where
///
/// tether's public API follows one rule for untyped data:
///
/// - **Event arguments and acknowledgements** may carry binary attachments, so
///   their untyped form is this `Value` (`Event::args`, `Args::value`,
///   `to_value` / `from_value`, an `AckFuture<Value>`).
/// - **Payloads that are JSON documents** are [`serde_json::Value`]: those the
///   Socket.IO protocol keeps JSON-only (the CONNECT packet's `auth`, as in
///   `Socket::auth_value` and `Server::of_dynamic`; `connect_error`'s `data`; an
///   event rejection's `data`; the handshake and its `query`), and what nodes of
///   a cluster exchange as JSON in the adapters' wire formats (socket
///   descriptions, cluster data, server-side event answers). They cannot hold
///   binary, and `serde_json::Value` is what the `json!` macro and serde code
///   already speak. `serde_json` is a public dependency for these and for
///   [`Value::Number`], deliberately.
/// - **Everywhere, a typed accessor comes first**: `Socket::auth::<T>()`,
///   `Args::decode::<T>(i)`, `Event::arg::<T>(i)`, `AckFuture<T>`,
///   `RemoteSocket::data_as::<T>()`, contracts' typed arguments. The untyped
///   forms are for code that does not know the shape.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null` (also what JavaScript's `undefined` becomes in an array).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A finite number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// Binary data: an attachment on the wire, an `ArrayBuffer`/`Buffer` in JavaScript.
    Binary(Bytes),
    /// An array.
    Array(Vec<Value>),
    /// An object, fields in insertion order.
    Object(Map),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// The number as `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(number) => number.as_u64(),
            _ => None,
        }
    }

    /// The number as `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(number) => number.as_i64(),
            _ => None,
        }
    }

    /// The number as `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(number) => number.as_f64(),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The binary data, if this is binary.
    pub fn as_binary(&self) -> Option<&Bytes> {
        match self {
            Value::Binary(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The fields, if this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The field `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// A float as a value: a number when finite, otherwise `null`.
    pub fn from_f64(value: f64) -> Value {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(value) => serializer.serialize_bool(*value),
            Value::Number(number) => number.serialize(serializer),
            Value::String(text) => serializer.serialize_str(text),
            Value::Binary(bytes) => serializer.serialize_bytes(bytes),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    out.serialize_entry(key, value)?;
                }
                out.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        ValueSeed { attachments: None }.deserialize(deserializer)
    }
}

/// Reads a [`Value`]; with `attachments`, placeholder objects become the binary
/// attachment they name.
#[derive(Clone, Copy)]
pub(crate) struct ValueSeed<'a> {
    pub(crate) attachments: Option<&'a [Bytes]>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value or binary data")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_i128<E>(self, value: i128) -> Result<Value, E> {
        Ok(match i64::try_from(value) {
            Ok(small) => Value::Number(small.into()),
            Err(_) => Value::from_f64(value as f64),
        })
    }

    fn visit_u128<E>(self, value: u128) -> Result<Value, E> {
        Ok(match u64::try_from(value) {
            Ok(small) => Value::Number(small.into()),
            Err(_) => Value::from_f64(value as f64),
        })
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from_f64(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_bytes<E>(self, value: &[u8]) -> Result<Value, E> {
        Ok(Value::Binary(Bytes::copy_from_slice(value)))
    }

    fn visit_byte_buf<E>(self, value: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Binary(Bytes::from(value)))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(0).min(64));
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(self)?;
            map.insert(key, value);
        }
        match self.attachments {
            Some(attachments) => resolve_placeholder(map, attachments),
            None => Ok(Value::Object(map)),
        }
    }
}

/// Replaces a placeholder object (`"_placeholder": true`) by the attachment its
/// `num` names; other objects stay as they are.
fn resolve_placeholder<E: de::Error>(map: Map, attachments: &[Bytes]) -> Result<Value, E> {
    if map.get("_placeholder") != Some(&Value::Bool(true)) {
        return Ok(Value::Object(map));
    }
    let num = map.get("num").and_then(Value::as_u64);
    num.and_then(|num| attachments.get(usize::try_from(num).ok()?))
        .map(|bytes| Value::Binary(bytes.clone()))
        .ok_or_else(|| {
            E::custom(format_args!(
                "placeholder {:?} does not name one of the {} attachments",
                map.get("num"),
                attachments.len()
            ))
        })
}

impl fmt::Display for Value {
    /// Compact JSON, binary shown as a placeholder.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = super::encode::to_json_text(self).map_err(|_| fmt::Error)?;
        formatter.write_str(&text)
    }
}
