//! Decoded Socket.IO packets and their arguments.

use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::de::value::UnitDeserializer;
use serde::ser::{Error as _, SerializeTuple};
use serde::{Deserialize, Serialize, Serializer};

use super::decode::ParseError;
use super::encode::write_json;
use super::payload;
use super::ser::Attachments;
use super::value::{Value, ValueSeed};
use super::value_de::{ValueError, from_value};
use super::value_ser::RawJson;
use crate::frame::Text;

/// The kind of a Socket.IO packet.
///
/// BINARY_EVENT (5) and BINARY_ACK (6) are [`PacketKind::Event`] and
/// [`PacketKind::Ack`] that carry attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// `0`: join a namespace (client), or accept the join (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2` (or `5` with attachments): an event with its arguments.
    Event,
    /// `3` (or `6` with attachments): the answer to an event that asked for one.
    Ack,
    /// `4`: a refused namespace join.
    ConnectError,
}

impl PacketKind {
    /// The wire type digit; `binary` selects BINARY_EVENT/BINARY_ACK for events and acks.
    pub const fn digit(self, binary: bool) -> u8 {
        match (self, binary) {
            (PacketKind::Connect, _) => b'0',
            (PacketKind::Disconnect, _) => b'1',
            (PacketKind::Event, false) => b'2',
            (PacketKind::Ack, false) => b'3',
            (PacketKind::ConnectError, _) => b'4',
            (PacketKind::Event, true) => b'5',
            (PacketKind::Ack, true) => b'6',
        }
    }

    /// The protocol's name for this kind, such as `EVENT`.
    pub const fn name(self) -> &'static str {
        match self {
            PacketKind::Connect => "CONNECT",
            PacketKind::Disconnect => "DISCONNECT",
            PacketKind::Event => "EVENT",
            PacketKind::Ack => "ACK",
            PacketKind::ConnectError => "CONNECT_ERROR",
        }
    }
}

impl fmt::Display for PacketKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// A decoded incoming packet.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// The namespace, `/` when the packet names none.
    pub nsp: Text,
    /// The ack id: an event that asks for an answer, or the event an ack answers.
    pub id: Option<u64>,
    /// What the packet carries.
    pub body: Body,
}

impl Packet {
    /// The kind of this packet.
    pub fn kind(&self) -> PacketKind {
        self.body.kind()
    }
}

/// The content of a [`Packet`], by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Join a namespace: the raw JSON object text of the auth payload, if any.
    Connect(Option<Text>),
    /// Leave the namespace.
    Disconnect,
    /// An event: its name (numeric names become their decimal text) and arguments.
    Event {
        /// The event name.
        name: Text,
        /// The arguments after the name.
        args: Args,
    },
    /// The answer to an event.
    Ack(Args),
    /// A refused join: the raw JSON text, a string or an object.
    ConnectError(Text),
}

impl Body {
    /// The packet kind this body belongs to.
    pub fn kind(&self) -> PacketKind {
        match self {
            Body::Connect(_) => PacketKind::Connect,
            Body::Disconnect => PacketKind::Disconnect,
            Body::Event { .. } => PacketKind::Event,
            Body::Ack(_) => PacketKind::Ack,
            Body::ConnectError(_) => PacketKind::ConnectError,
        }
    }
}

/// An argument could not be read as the type asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArgError {
    /// There is no argument at `index`, and the type asked for needs one.
    #[error("argument {index} is missing (the packet has {count})")]
    Missing {
        /// The position asked for.
        index: usize,
        /// How many arguments the packet has.
        count: usize,
    },
    /// The JSON of the argument does not fit the type.
    #[error("argument {index} is invalid: {source}")]
    Json {
        /// The position of the argument.
        index: usize,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// The argument, attachments resolved, does not fit the type.
    #[error("argument {index} is invalid: {source}")]
    Value {
        /// The position of the argument.
        index: usize,
        /// What did not fit.
        #[source]
        source: ValueError,
    },
}

/// The arguments of an incoming event or ack.
///
/// Holds the JSON payload text, where each argument lies in it (found by the one
/// validating pass of the decoder) and the binary attachments. Arguments are parsed
/// only when asked for, straight into the requested type. Cloning shares the text
/// and attachment buffers.
#[derive(Clone, Default)]
pub struct Args {
    payload: Text,
    ranges: payload::Ranges,
    attachments: Vec<Bytes>,
}

impl Args {
    /// Arguments from the text of a JSON array and the attachments its placeholders
    /// name; fails as the decoder would on a malformed array, or on a placeholder
    /// that names no attachment when there are attachments.
    pub fn from_json_array(json: Text, attachments: Vec<Bytes>) -> Result<Args, ParseError> {
        let ranges = payload::array_ranges(&json)?;
        if !attachments.is_empty() {
            payload::check_placeholders(&json, attachments.len())?;
        }
        Ok(Args {
            payload: json,
            ranges,
            attachments,
        })
    }

    /// Arguments at `ranges` of an already validated `payload`.
    pub(crate) fn from_ranges(payload: Text, ranges: payload::Ranges) -> Args {
        Args {
            payload,
            ranges,
            attachments: Vec::new(),
        }
    }

    /// Gives the arguments the attachments their placeholders name.
    pub(crate) fn set_attachments(&mut self, attachments: Vec<Bytes>) {
        self.attachments = attachments;
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The JSON text of argument `index` (placeholders left as they are).
    pub fn raw(&self, index: usize) -> Option<&str> {
        let range = self.ranges.get(index)?;
        self.payload.as_str().get(range.clone())
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// The JSON text of the arguments and where each one lies in it, when the
    /// serde path writes every argument as that text: there are no attachments,
    /// so no placeholder to resolve.
    pub(crate) fn plain_text(&self) -> Option<(&str, &[Range<usize>])> {
        self.attachments
            .is_empty()
            .then(|| (self.payload.as_str(), &self.ranges[..]))
    }

    /// Deserializes argument `index` into `T`.
    ///
    /// Without attachments the JSON text is read directly, with no intermediate tree.
    /// With attachments the argument goes through [`Value`], so that each placeholder
    /// `{"_placeholder":true,"num":N}` becomes attachment N (received by a
    /// `bytes::Bytes`, `serde_bytes` or `Vec<u8>` field). A missing argument reads as
    /// JavaScript's `undefined`: an `Option` gets `None`, other types an
    /// [`ArgError::Missing`].
    pub fn decode<T: DeserializeOwned>(&self, index: usize) -> Result<T, ArgError> {
        let Some(raw) = self.raw(index) else {
            let absent = UnitDeserializer::<serde::de::value::Error>::new();
            return T::deserialize(absent).map_err(|_| ArgError::Missing {
                index,
                count: self.len(),
            });
        };
        if self.may_hold_placeholder(raw) {
            let value = self.value_at(index, raw)?;
            from_value(value).map_err(|source| ArgError::Value { index, source })
        } else {
            serde_json::from_str(raw).map_err(|source| ArgError::Json { index, source })
        }
    }

    /// All arguments as untyped values, placeholders resolved.
    pub fn to_values(&self) -> Result<Vec<Value>, ArgError> {
        (0..self.len()).map(|index| self.value(index)).collect()
    }

    /// Argument `index` as an untyped value, placeholders resolved.
    pub fn value(&self, index: usize) -> Result<Value, ArgError> {
        match self.raw(index) {
            Some(raw) => self.value_at(index, raw),
            None => Err(ArgError::Missing {
                index,
                count: self.len(),
            }),
        }
    }

    fn may_hold_placeholder(&self, raw: &str) -> bool {
        !self.attachments.is_empty() && (raw.contains("_placeholder") || raw.contains("\\u"))
    }

    fn value_at(&self, index: usize, raw: &str) -> Result<Value, ArgError> {
        let seed = ValueSeed {
            attachments: Some(&self.attachments),
        };
        let mut deserializer = serde_json::Deserializer::from_str(raw);
        serde::de::DeserializeSeed::deserialize(seed, &mut deserializer)
            .and_then(|value| deserializer.end().map(|()| value))
            .map_err(|source| ArgError::Json { index, source })
    }
}

impl Serialize for Args {
    /// The arguments as a tuple, binary arguments as bytes: passing incoming
    /// arguments to an encoder (or to an emit, where a tuple spreads into several
    /// arguments) forwards them unchanged.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_tuple(self.len())?;
        for index in 0..self.len() {
            let raw = self.raw(index).unwrap_or("null");
            if self.may_hold_placeholder(raw) {
                let value = self.value(index).map_err(S::Error::custom)?;
                seq.serialize_element(&value)?;
            } else {
                // The decoder (or `from_json_array`) validated each argument.
                seq.serialize_element(&RawJson(raw))?;
            }
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Args {
    /// Arguments from any sequence (such as a JSON array); byte strings in it become
    /// attachments. This also lets `Args` stand where a decoded type is expected, as
    /// in `emit_with_ack::<Args, _>` to receive every argument of an ack.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let values = Vec::<Value>::deserialize(deserializer)?;
        let attachments = Attachments::default();
        let mut buffer = Vec::new();
        write_json(&mut buffer, &values, &attachments).map_err(D::Error::custom)?;
        // SAFETY: `write_json` writes UTF-8 only (see `Encoded::from_buffer`).
        #[allow(unsafe_code)]
        let text = unsafe { Text::from_utf8_unchecked(Bytes::from(buffer)) };
        Args::from_json_array(text, attachments.into_inner()).map_err(D::Error::custom)
    }
}

impl PartialEq for Args {
    fn eq(&self, other: &Args) -> bool {
        self.len() == other.len()
            && (0..self.len()).all(|index| self.raw(index) == other.raw(index))
            && self.attachments == other.attachments
    }
}

impl fmt::Debug for Args {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = formatter.debug_list();
        for index in 0..self.len() {
            list.entry(&format_args!("{}", self.raw(index).unwrap_or("?")));
        }
        list.finish()?;
        if !self.attachments.is_empty() {
            write!(formatter, " + {} attachments", self.attachments.len())?;
        }
        Ok(())
    }
}
