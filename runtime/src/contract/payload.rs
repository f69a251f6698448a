//! The types that travel: [`Payload`] (what arguments and acknowledgements must be),
//! [`Arg`] (what an emitter method accepts), [`AckResult`] (the wire shape of a
//! fallible acknowledgement) and [`InvalidArguments`] (the answer to undecodable
//! arguments).

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

/// What an event argument or acknowledgement must be: serializable, deserializable
/// and described by a JSON Schema, so both sides and the code generators agree.
///
/// Implemented for every type with those traits; `bytes::Bytes` fields travel as
/// binary attachments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel as an event argument or acknowledgement",
    label = "not a tether payload",
    note = "event arguments and acknowledgements must implement `serde::Serialize`, `serde::Deserialize` (owned) and `schemars::JsonSchema`",
    note = "for your own types add `#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]`"
)]
pub trait Payload: Serialize + DeserializeOwned + JsonSchema + Send + 'static {}

#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned + JsonSchema + Send + 'static> Payload for T {}

/// A value an emitter method accepts where the contract declares `T`: `T` itself, a
/// reference to it, or a borrowed form that serializes the same way (`&str` for
/// `String`, `&[U]` for `Vec<U>`).
///
/// # Examples
///
/// ```
/// # #[tether::events] pub trait Server { fn presence(room: String, users: Vec<String>); }
/// # fn demo(socket: tether::contract::TypedSocket<Server>) -> Result<(), tether::server::EmitError> {
/// let users = vec!["ada".to_string()];
/// socket.presence("lobby", &users)?;
/// socket.presence(String::from("lobby"), users)?;
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent where the contract declares `{T}`",
    label = "expected `{T}`, a reference to it, or a borrowed form of it",
    note = "an emitter argument takes the declared type, a reference to it, `&str` for `String`, or `&[U]` for `Vec<U>`"
)]
pub trait Arg<T>: Serialize {}

impl<T: Serialize> Arg<T> for T {}

impl<T: Serialize> Arg<T> for &T {}

impl Arg<String> for &str {}

impl Arg<String> for Cow<'_, str> {}

impl<T: Serialize> Arg<Vec<T>> for &[T] {}

/// The acknowledgement of an event declared to return `Result<T, E>`, as it travels:
/// `{"ok":true,"data":T}` or `{"ok":false,"error":E}` (`data` is `null` for `()`).
///
/// A handler returns the plain `Result`; the runtime wraps it. An emitter method
/// of such an event resolves to an `AckResult`; [`AckResult::into_result`] turns it
/// back into a `Result`.
///
/// ```
/// use tether::contract::AckResult;
///
/// let ok: AckResult<u32, String> = Ok(7).into();
/// assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"ok":true,"data":7}"#);
/// let err: AckResult<u32, String> = serde_json::from_str(r#"{"ok":false,"error":"full"}"#).unwrap();
/// assert_eq!(err.into_result(), Err("full".to_string()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckResult<T, E> {
    /// The event succeeded with this value.
    Ok(T),
    /// The event failed with this error.
    Err(E),
}

impl<T, E> AckResult<T, E> {
    /// The `Result` it stands for.
    pub fn into_result(self) -> Result<T, E> {
        match self {
            AckResult::Ok(value) => Ok(value),
            AckResult::Err(error) => Err(error),
        }
    }
}

impl<T, E> From<Result<T, E>> for AckResult<T, E> {
    fn from(result: Result<T, E>) -> Self {
        match result {
            Ok(value) => AckResult::Ok(value),
            Err(error) => AckResult::Err(error),
        }
    }
}

impl<T: Serialize, E: Serialize> Serialize for AckResult<T, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut envelope = serializer.serialize_struct("AckResult", 2)?;
        match self {
            AckResult::Ok(value) => {
                envelope.serialize_field("ok", &true)?;
                envelope.serialize_field("data", value)?;
            }
            AckResult::Err(error) => {
                envelope.serialize_field("ok", &false)?;
                envelope.serialize_field("error", error)?;
            }
        }
        envelope.end()
    }
}

impl<'de, T: Deserialize<'de>, E: Deserialize<'de>> Deserialize<'de> for AckResult<T, E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor(PhantomData))
    }
}

struct EnvelopeVisitor<T, E>(PhantomData<fn() -> (T, E)>);

impl<'de, T: Deserialize<'de>, E: Deserialize<'de>> Visitor<'de> for EnvelopeVisitor<T, E> {
    type Value = AckResult<T, E>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(r#"an object {"ok":true,"data":…} or {"ok":false,"error":…}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut ok = None;
        let mut data = None;
        let mut error = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "ok" => ok = Some(map.next_value::<bool>()?),
                "data" => data = Some(map.next_value::<T>()?),
                "error" => error = Some(map.next_value::<E>()?),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        let absent = || de::value::UnitDeserializer::<A::Error>::new();
        match ok {
            Some(true) => match data {
                Some(data) => Ok(AckResult::Ok(data)),
                None => T::deserialize(absent()).map(AckResult::Ok),
            },
            Some(false) => match error {
                Some(error) => Ok(AckResult::Err(error)),
                None => E::deserialize(absent()).map(AckResult::Err),
            },
            None => Err(de::Error::missing_field("ok")),
        }
    }
}

impl<T: JsonSchema, E: JsonSchema> JsonSchema for AckResult<T, E> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("AckResult_{}_{}", T::schema_name(), E::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("tether::AckResult<{}, {}>", T::schema_id(), E::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let data = generator.subschema_for::<T>();
        let error = generator.subschema_for::<E>();
        json_schema!({
            "oneOf": [
                {
                    "type": "object",
                    "properties": { "ok": { "const": true }, "data": data },
                    "required": ["ok", "data"]
                },
                {
                    "type": "object",
                    "properties": { "ok": { "const": false }, "error": error },
                    "required": ["ok", "error"]
                }
            ]
        })
    }
}

/// The acknowledgement a client receives when the arguments it sent do not decode
/// into the event's declared types; the handler is not called and the connection
/// stays open.
///
/// It travels as the acknowledgement's one argument:
///
/// ```json
/// {"error":"invalid_arguments","event":"say","message":"argument `text` (1): invalid type: integer `3`, expected a string"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InvalidArguments {
    /// Always `"invalid_arguments"`.
    pub error: Cow<'static, str>,
    /// The event name, as received.
    pub event: String,
    /// What did not decode, for people.
    pub message: String,
}

impl InvalidArguments {
    /// The value of [`InvalidArguments::error`].
    pub const CODE: &'static str = "invalid_arguments";

    /// The answer for `event`, with a human-readable `message`.
    pub fn new(event: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidArguments {
            error: Cow::Borrowed(Self::CODE),
            event: event.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_results_round_trip_through_their_envelope() {
        let unit: AckResult<(), String> = AckResult::Ok(());
        assert_eq!(
            serde_json::to_string(&unit).unwrap(),
            r#"{"ok":true,"data":null}"#
        );
        let back: AckResult<(), String> = serde_json::from_str(r#"{"ok":true}"#).unwrap();
        assert_eq!(back, AckResult::Ok(()));
        let err: AckResult<(), String> =
            serde_json::from_str(r#"{"error":"no","ok":false}"#).unwrap();
        assert_eq!(err.into_result(), Err("no".to_string()));
        assert!(serde_json::from_str::<AckResult<u8, String>>(r#"{"data":1}"#).is_err());
        assert!(serde_json::from_str::<AckResult<u8, String>>(r#"{"ok":true}"#).is_err());
    }

    #[test]
    fn ack_result_schema_is_a_one_of_on_ok() {
        let schema = schemars::schema_for!(AckResult<u8, String>);
        let variants = schema.get("oneOf").and_then(|v| v.as_array()).unwrap();
        assert_eq!(variants.len(), 2);
        assert_eq!(variants[0]["properties"]["ok"]["const"], true);
        assert_eq!(variants[1]["required"][1], "error");
    }

    #[test]
    fn invalid_arguments_has_its_documented_shape() {
        let answer = InvalidArguments::new("say", "bad");
        assert_eq!(
            serde_json::to_string(&answer).unwrap(),
            r#"{"error":"invalid_arguments","event":"say","message":"bad"}"#
        );
    }
}
