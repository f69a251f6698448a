//! Socket.IO v5 packets: a sans-IO codec with binary attachments.
//!
//! A packet travels in an Engine.IO message as
//! `<type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]`, followed by one binary
//! message per attachment. Types are 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK,
//! 4 CONNECT_ERROR, 5 BINARY_EVENT and 6 BINARY_ACK; here BINARY_EVENT and BINARY_ACK
//! are an [`Body::Event`] or [`Body::Ack`] whose [`Args`] have attachments.
//!
//! - Incoming: a [`Decoder`] per connection turns text and binary messages into
//!   [`Packet`]s. The payload is validated in one pass that records where each
//!   argument lies; arguments are deserialized only when asked for, straight from
//!   their JSON text ([`Args::decode`]).
//! - Outgoing: [`encode_event`], [`encode_ack`] and friends serialize straight into
//!   the frame buffer, as compact JSON identical to `JSON.stringify` (insertion
//!   order, JavaScript number text, non-finite numbers as `null`). Byte strings
//!   anywhere in the arguments become `{"_placeholder":true,"num":N}` plus an
//!   attachment. The [`Encoded`] result is shared by every recipient of a broadcast;
//!   [`with_ack_id`] re-frames it per socket when each must answer.
//! - Untyped: [`Value`] is JSON plus binary, with [`to_value`] and [`from_value`].
//!
//! ```
//! use tether::protocol::{Body, Decoder, encode_event};
//!
//! let encoded = encode_event("/chat", "say", &("hello", 42), Some(7)).unwrap();
//! assert_eq!(encoded.text(), r#"42/chat,7["say","hello",42]"#);
//!
//! let mut decoder = Decoder::default();
//! let packet = decoder.decode_text(encoded.text().get(1..encoded.text().len()).unwrap())
//!     .unwrap()
//!     .unwrap();
//! let Body::Event { name, args } = packet.body else { unreachable!() };
//! assert_eq!(name, "say");
//! assert_eq!(args.decode::<String>(0).unwrap(), "hello");
//! assert_eq!(args.decode::<u32>(1).unwrap(), 42);
//! ```
//!
//! # Decoder rules
//!
//! The decoder follows `socket.io-parser` 4.2.7 and fails with a [`ParseError`] on:
//! a type outside 0–6; an attachment count that is not `<digits>-` on types 5/6, or
//! above the limit ([`DEFAULT_MAX_ATTACHMENTS`]); an ack id that overflows 64 bits; a
//! payload of the wrong shape (CONNECT: an object or nothing; DISCONNECT: nothing;
//! CONNECT_ERROR: a string or an object; EVENT: a non-empty array starting with a
//! number or a string other than those in [`RESERVED_EVENTS`]; ACK: an array);
//! malformed JSON; a placeholder naming no attachment; a text packet while
//! attachments are pending; a binary message with no packet waiting for one.
//!
//! Where the reference parser is lenient, tether is stricter:
//!
//! - An empty packet is rejected (the reference reads it as a CONNECT to `/`).
//! - EVENT and ACK require their array payload, and CONNECT_ERROR its payload
//!   (the reference accepts `2/admin`, `3` or `4` with no data).
//! - The payload must start right after the header: `2 ["x"]` is rejected (the
//!   reference takes the space as ack id `0`).
//! - The attachment count needs at least one digit (the reference reads `5-` as 0).
//! - A placeholder's `num` must be an integer index (the reference takes any number
//!   in range, and a fraction resolves to `undefined`); in a BINARY_EVENT or
//!   BINARY_ACK every placeholder must name an attachment, also when the packet
//!   announces none (the reference then leaves them unresolved).
//! - Ack ids must fit in a `u64` (the reference loses precision above 2^53).
//! - Numbers beyond the range of a double (`1e400`) are invalid JSON (`JSON.parse`
//!   reads them as `Infinity`, which `JSON.stringify` never writes).

/// Serializer methods that refuse what they are given, returning `Err($error)`;
/// `$this` names the serializer (`self`) for the error expressions.
macro_rules! refuse {
    ($this:ident => $(
        $method:ident $(<$generic:ident>)? ($($arg:ty),*) -> $ok:ty = $error:expr;
    )*) => {$(
        fn $method $(<$generic: ?Sized + Serialize>)? ($this, $(_: $arg),*) -> Result<$ok, Self::Error> {
            Err($error)
        }
    )*};
}

/// Serializer methods for wrappers JSON does not show (`Some`, newtype structs):
/// each serializes the wrapped value in its place.
macro_rules! serialize_wrapped {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $method<T: ?Sized + Serialize>(
            self,
            $(_: $arg,)*
            value: &T,
        ) -> Result<Self::Ok, Self::Error> {
            value.serialize(self)
        }
    )*};
}

mod convert;
mod decode;
mod emit_args;
mod encode;
#[cfg(any(feature = "msgpack", feature = "redis", feature = "postgres"))]
pub(crate) mod iso_date;
mod key_ser;
#[cfg(feature = "msgpack")]
pub mod msgpack;
mod number;
mod packet;
mod parser;
mod payload;
mod raw_args;
mod ser;
mod spread;
mod value;
mod value_de;
mod value_ser;

#[cfg(test)]
mod tests;

pub(crate) use decode::decode_event;
pub use decode::{DEFAULT_MAX_ATTACHMENTS, Decoder, ParseError};
pub(crate) use emit_args::EmitArgs;
pub(crate) use encode::encode_legacy_error;
pub use encode::{
    EncodeError, Encoded, encode_ack, encode_connect, encode_connect_error, encode_disconnect,
    encode_event, try_encode_connect, with_ack_id, with_offset,
};
pub use packet::{ArgError, Args, Body, Packet, PacketKind};
pub use parser::Parser;
pub use payload::RESERVED_EVENTS;
pub use value::{Map, Value};
pub use value_de::{ValueError, from_value};
pub use value_ser::to_value;
