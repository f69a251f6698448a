//! The MessagePack form of Socket.IO packets, wire-compatible with
//! `socket.io-msgpack-parser` 3 (notepack.io): one binary Engine.IO message per
//! packet, a map with `type` (0–4), `nsp`, `data` and `id` when there is one;
//! binary values stay inline as `bin` (no BINARY_EVENT, no attachments).
//!
//! Above this module the server handles one packet form: incoming MessagePack is
//! rewritten into the text form (binary values as placeholders plus
//! attachments), which the [`Decoder`](super::Decoder) then checks as any other
//! packet, and an outgoing [`Encoded`] is rewritten into MessagePack once per
//! packet (a broadcast is rewritten once, whatever the number of recipients).
//!
//! notepack's conventions are kept both ways: `undefined` (fixext 1, type 0) is
//! an absent map value and `null` in an array; a `Date` (fixext 8, type 0) is
//! read as its ISO 8601 text, as `JSON.stringify` gives it; an `ArrayBuffer`
//! (ext 8/16/32, type 0) is read as binary. Written values use the smallest
//! integer form, `float64` for other numbers, `bin` for bytes, and never `nil`
//! for an absent `id` or CONNECT `data`. The MessagePack walker is written here on
//! `rmp`'s marker decoding: which ext form carried a value (fixext 1 for
//! `undefined` against ext 8 for a one-byte buffer) is lost by the value-level
//! readers, and it is what tells notepack's types apart.

use bytes::Bytes;
use rmp::Marker;
use serde_json::Value as Json;

use self::item::Item;
use super::encode::Encoded;
use super::packet::PacketKind;
use crate::frame::Text;

/// A MessagePack packet that does not decode, or an encoded packet that does not
/// convert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MsgpackError {
    /// The bytes end before the value does, or bytes follow it.
    #[error("truncated or trailing MessagePack data")]
    Truncated,
    /// A marker that no value starts with (`0xc1`).
    #[error("reserved MessagePack marker")]
    Reserved,
    /// A string that is not UTF-8.
    #[error("a MessagePack string is not UTF-8")]
    InvalidUtf8,
    /// A map key that is not a string.
    #[error("a MessagePack map key is not a string")]
    NonStringKey,
    /// An ext type notepack does not write.
    #[error("unsupported MessagePack ext type {0}")]
    UnsupportedExt(i8),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("MessagePack value nested too deep")]
    TooDeep,
    /// The packet is not a map with the fields the parser requires, of the types
    /// it requires.
    #[error("invalid packet: {0}")]
    InvalidPacket(&'static str),
    /// An outgoing packet's text form does not parse (a bug, not a client error).
    #[error("the encoded packet is not valid: {0}")]
    InvalidEncoded(&'static str),
}

/// The deepest nesting read or written: each level costs a stack frame.
pub const MAX_DEPTH: usize = 128;

/// A packet read from MessagePack, in the text form the decoder takes: the text
/// message (without the Engine.IO digit) and the attachments its placeholders name.
#[derive(Debug, Clone, PartialEq)]
pub struct TextPacket {
    /// `<type>[<n>-][<nsp>,][<id>][<json>]`.
    pub text: Text,
    /// The binary values, in placeholder order.
    pub attachments: Vec<Bytes>,
}

/// Rewrites a MessagePack packet as its text form, checking it as
/// `socket.io-msgpack-parser` does: `type` an integer 0–4, `nsp` a string, `id`
/// absent or an integer, `data` absent or an object for CONNECT, absent for
/// DISCONNECT, an array for EVENT and ACK, a string or an object for
/// CONNECT_ERROR.
///
/// # Errors
///
/// As [`MsgpackError`] says.
pub fn to_text_packet(bytes: &[u8]) -> Result<TextPacket, MsgpackError> {
    match text::to_text_packet(bytes) {
        Ok(packet) => Ok(packet),
        Err(text::Fallback::Invalid(error)) => Err(error),
        // A map that repeats a key keeps its first position and its last value,
        // as in JavaScript: the tree reader does that.
        Err(text::Fallback::DuplicateKey) => to_text_packet_by_tree(bytes),
    }
}

/// [`to_text_packet`] through a `serde_json::Value` tree.
fn to_text_packet_by_tree(bytes: &[u8]) -> Result<TextPacket, MsgpackError> {
    let mut reader = Reader::new(bytes);
    let (head, data) = reader.packet_fields()?;
    if !reader.rest.is_empty() {
        return Err(MsgpackError::Truncated);
    }
    let data = data.map(|data| (Shape::of(&data), data.to_string()));
    let data = data.as_ref().map(|(shape, text)| (*shape, text.as_str()));
    text_form(head, data, reader.attachments)
}

/// The JSON type of a packet's `data`, which its packet type constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Object,
    Array,
    String,
    Other,
}

impl Shape {
    /// The shape of a JSON value.
    fn of(value: &Json) -> Shape {
        match value {
            Json::Object(_) => Shape::Object,
            Json::Array(_) => Shape::Array,
            Json::String(_) => Shape::String,
            _ => Shape::Other,
        }
    }
}

/// The fields of a packet map besides `data`.
#[derive(Default)]
struct Head {
    kind: Option<u64>,
    nsp: Option<String>,
    id: Option<u64>,
}

impl Head {
    /// Takes field `key` when it is `type`, `nsp` or `id`, checking its type;
    /// other fields are ignored.
    fn set(&mut self, key: &str, value: Json) -> Result<(), MsgpackError> {
        match key {
            "type" => {
                self.kind = Some(
                    value
                        .as_u64()
                        .ok_or(MsgpackError::InvalidPacket("type must be an integer 0-4"))?,
                );
            }
            "nsp" => match value {
                Json::String(nsp) => self.nsp = Some(nsp),
                _ => return Err(MsgpackError::InvalidPacket("nsp must be a string")),
            },
            "id" => {
                self.id = Some(
                    value
                        .as_u64()
                        .ok_or(MsgpackError::InvalidPacket("id must be an integer"))?,
                );
            }
            _ => {}
        }
        Ok(())
    }
}

/// Checks a packet's fields and writes its text form; `data` is the JSON text
/// of the `data` field, with its type.
fn text_form(
    head: Head,
    data: Option<(Shape, &str)>,
    attachments: Vec<Bytes>,
) -> Result<TextPacket, MsgpackError> {
    let kind = match head.kind {
        Some(0) => PacketKind::Connect,
        Some(1) => PacketKind::Disconnect,
        Some(2) => PacketKind::Event,
        Some(3) => PacketKind::Ack,
        Some(4) => PacketKind::ConnectError,
        _ => return Err(MsgpackError::InvalidPacket("type must be an integer 0-4")),
    };
    let nsp = head
        .nsp
        .ok_or(MsgpackError::InvalidPacket("nsp must be a string"))?;
    let data_ok = matches!(
        (kind, data.map(|(shape, _)| shape)),
        (PacketKind::Connect, None | Some(Shape::Object))
            | (PacketKind::Disconnect, None)
            | (PacketKind::Event | PacketKind::Ack, Some(Shape::Array))
            | (
                PacketKind::ConnectError,
                Some(Shape::String | Shape::Object)
            )
    );
    if !data_ok {
        return Err(MsgpackError::InvalidPacket(
            "data has the wrong type for the packet type",
        ));
    }
    let binary = !attachments.is_empty();
    let data_len = data.map_or(0, |(_, text)| text.len());
    let mut text = String::with_capacity(24 + nsp.len() + data_len);
    text.push(char::from(kind.digit(binary)));
    if binary {
        text.push_str(itoa::Buffer::new().format(attachments.len()));
        text.push('-');
    }
    if nsp != "/" {
        text.push_str(&nsp);
        text.push(',');
    }
    if let Some(id) = head.id {
        text.push_str(itoa::Buffer::new().format(id));
    }
    if let Some((_, data)) = data {
        text.push_str(data);
    }
    Ok(TextPacket {
        text: Text::from(text),
        attachments,
    })
}

/// Rewrites an encoded packet (text form, Engine.IO digit first) as one
/// MessagePack message.
///
/// # Errors
///
/// [`MsgpackError::InvalidEncoded`] when `encoded` is not a packet this crate's
/// encoders write.
pub fn from_encoded(encoded: &Encoded) -> Result<Bytes, MsgpackError> {
    let text = encoded.text().as_str();
    let bad = MsgpackError::InvalidEncoded;
    let mut rest = text.strip_prefix('4').ok_or(bad("no message digit"))?;
    let digit = rest.bytes().next().ok_or(bad("empty"))?;
    rest = &rest[1..];
    let kind = match digit {
        b'0' => 0u8,
        b'1' => 1,
        b'2' | b'5' => 2,
        b'3' | b'6' => 3,
        b'4' => 4,
        _ => return Err(bad("unknown type")),
    };
    if matches!(digit, b'5' | b'6') {
        let dash = rest.find('-').ok_or(bad("attachment count"))?;
        rest = &rest[dash + 1..];
    }
    let mut nsp = "/";
    if rest.starts_with('/') {
        let comma = rest.find(',').unwrap_or(rest.len());
        nsp = &rest[..comma];
        rest = rest.get(comma + 1..).unwrap_or("");
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = (digits > 0)
        .then(|| rest[..digits].parse::<u64>())
        .transpose()
        .map_err(|_| bad("ack id"))?;
    rest = &rest[digits..];

    let mut out = Vec::with_capacity(text.len() + 16);
    let fields = 2 + u32::from(!rest.is_empty()) + u32::from(id.is_some());
    write(rmp::encode::write_map_len(&mut out, fields).map(drop));
    write(rmp::encode::write_str(&mut out, "type"));
    write(rmp::encode::write_pfix(&mut out, kind));
    if !rest.is_empty() {
        write(rmp::encode::write_str(&mut out, "data"));
        let data_start = out.len();
        match transcode::write_json_text(&mut out, rest, encoded.attachments()) {
            Ok(()) => {}
            Err(text::Fallback::Invalid(error)) => return Err(error),
            // An object that repeats a key is written once, as the tree keeps it.
            Err(text::Fallback::DuplicateKey) => {
                let data: Json = serde_json::from_str(rest).map_err(|_| bad("payload"))?;
                out.truncate(data_start);
                write_json(&mut out, &data, encoded.attachments(), 0)?;
            }
        }
    }
    if let Some(id) = id {
        write(rmp::encode::write_str(&mut out, "id"));
        write(rmp::encode::write_uint(&mut out, id).map(drop));
    }
    write(rmp::encode::write_str(&mut out, "nsp"));
    write(rmp::encode::write_str(&mut out, nsp));
    Ok(Bytes::from(out))
}

/// Writing to a `Vec` cannot fail.
fn write<E: std::fmt::Debug>(result: Result<(), E>) {
    if let Err(error) = result {
        unreachable!("writing to a Vec failed: {error:?}");
    }
}

/// Writes `value` as MessagePack; placeholders become the attachment they name.
fn write_json(
    out: &mut Vec<u8>,
    value: &Json,
    attachments: &[Bytes],
    depth: usize,
) -> Result<(), MsgpackError> {
    if depth > MAX_DEPTH {
        return Err(MsgpackError::TooDeep);
    }
    match value {
        Json::Null => write(rmp::encode::write_nil(out).map_err(drop)),
        Json::Bool(flag) => write(rmp::encode::write_bool(out, *flag).map_err(drop)),
        Json::Number(number) => {
            if let Some(unsigned) = number.as_u64() {
                write(rmp::encode::write_uint(out, unsigned).map(drop));
            } else if let Some(signed) = number.as_i64() {
                write(rmp::encode::write_sint(out, signed).map(drop));
            } else {
                write(rmp::encode::write_f64(
                    out,
                    number.as_f64().unwrap_or(f64::NAN),
                ));
            }
        }
        Json::String(text) => write(rmp::encode::write_str(out, text)),
        Json::Array(items) => {
            write(rmp::encode::write_array_len(out, len_u32(items.len())?).map(drop));
            for item in items {
                write_json(out, item, attachments, depth + 1)?;
            }
        }
        Json::Object(map) => {
            if let Some(bytes) = placeholder(map).and_then(|num| attachments.get(num)) {
                write(rmp::encode::write_bin(out, bytes));
                return Ok(());
            }
            write(rmp::encode::write_map_len(out, len_u32(map.len())?).map(drop));
            for (key, item) in map {
                write(rmp::encode::write_str(out, key));
                write_json(out, item, attachments, depth + 1)?;
            }
        }
    }
    Ok(())
}

fn len_u32(len: usize) -> Result<u32, MsgpackError> {
    u32::try_from(len).map_err(|_| MsgpackError::InvalidEncoded("too long"))
}

/// The attachment index a `{"_placeholder":true,"num":N}` object names.
fn placeholder(map: &serde_json::Map<String, Json>) -> Option<usize> {
    if map.len() != 2 || map.get("_placeholder") != Some(&Json::Bool(true)) {
        return None;
    }
    usize::try_from(map.get("num")?.as_u64()?).ok()
}

/// Reads MessagePack from a byte slice.
struct Reader<'a> {
    rest: &'a [u8],
    /// The binary values read so far, in placeholder order.
    attachments: Vec<Bytes>,
}

/// What one MessagePack value read as: JSON, or notepack's `undefined`.
enum Read {
    Value(Json),
    Undefined,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader {
            rest: bytes,
            attachments: Vec::new(),
        }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], MsgpackError> {
        let rest: &'a [u8] = self.rest;
        if rest.len() < len {
            return Err(MsgpackError::Truncated);
        }
        let (head, tail) = rest.split_at(len);
        self.rest = tail;
        Ok(head)
    }

    fn uint(&mut self, bytes: usize) -> Result<u64, MsgpackError> {
        Ok(self
            .take(bytes)?
            .iter()
            .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte)))
    }

    fn marker(&mut self) -> Result<Marker, MsgpackError> {
        Ok(Marker::from_u8(self.take(1)?[0]))
    }

    /// The number of fields of a packet's top-level map.
    fn packet_len(&mut self) -> Result<usize, MsgpackError> {
        match self.marker()? {
            Marker::FixMap(len) => Ok(usize::from(len)),
            Marker::Map16 => self.len(2),
            Marker::Map32 => self.len(4),
            _ => Err(MsgpackError::InvalidPacket("a packet is a map")),
        }
    }

    /// The length of a map key, which must be a string.
    fn key_len(&mut self) -> Result<usize, MsgpackError> {
        match self.marker()? {
            Marker::FixStr(len) => Ok(usize::from(len)),
            Marker::Str8 => self.len(1),
            Marker::Str16 => self.len(2),
            Marker::Str32 => self.len(4),
            _ => Err(MsgpackError::NonStringKey),
        }
    }

    /// The top-level map of a packet: its head fields and its `data`.
    fn packet_fields(&mut self) -> Result<(Head, Option<Json>), MsgpackError> {
        let len = self.packet_len()?;
        let mut head = Head::default();
        let mut data = None;
        for _ in 0..len {
            let key = self.string_key()?;
            let Read::Value(value) = self.value(1)? else {
                continue;
            };
            match key.as_str() {
                "data" => data = Some(value),
                key => head.set(key, value)?,
            }
        }
        Ok((head, data))
    }

    fn string_key(&mut self) -> Result<String, MsgpackError> {
        let len = self.key_len()?;
        self.string(len)
    }

    fn string(&mut self, len: usize) -> Result<String, MsgpackError> {
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| MsgpackError::InvalidUtf8)
    }

    /// Takes the next `len` bytes as an attachment; returns its number.
    fn attach(&mut self, len: usize) -> Result<usize, MsgpackError> {
        let bytes = Bytes::copy_from_slice(self.take(len)?);
        self.attachments.push(bytes);
        Ok(self.attachments.len() - 1)
    }

    fn binary(&mut self, len: usize) -> Result<Read, MsgpackError> {
        let num = self.attach(len)?;
        Ok(Read::Value(
            serde_json::json!({ "_placeholder": true, "num": num }),
        ))
    }

    fn value(&mut self, depth: usize) -> Result<Read, MsgpackError> {
        if depth > MAX_DEPTH {
            return Err(MsgpackError::TooDeep);
        }
        let value = match self.item()? {
            Item::Null => Json::Null,
            Item::Bool(value) => Json::Bool(value),
            Item::Unsigned(value) => Json::from(value),
            Item::Signed(value) => Json::from(value),
            Item::Float(value) => float(value),
            Item::Str(len) => Json::String(self.string(len)?),
            Item::Bin(len) => return self.binary(len),
            Item::Array(len) => self.array(len, depth)?,
            Item::Map(len) => self.map(len, depth)?,
            Item::FixExt(len) => return self.fixed_ext(len),
            Item::Ext(len) => return self.sized_ext(len),
        };
        Ok(Read::Value(value))
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Json, MsgpackError> {
        // Each element takes at least one byte: a length beyond what is left is a
        // lie, and must not size an allocation.
        let mut items = Vec::with_capacity(len.min(self.rest.len()));
        for _ in 0..len {
            items.push(match self.value(depth + 1)? {
                Read::Value(value) => value,
                Read::Undefined => Json::Null,
            });
        }
        Ok(Json::Array(items))
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Json, MsgpackError> {
        let mut map = serde_json::Map::new();
        for _ in 0..len {
            let key = self.string_key()?;
            if let Read::Value(value) = self.value(depth + 1)? {
                map.insert(key, value);
            }
        }
        Ok(Json::Object(map))
    }

    /// notepack's fixext type 0: `undefined` (1 byte) or a `Date` (8 bytes).
    fn fixed_ext(&mut self, len: usize) -> Result<Read, MsgpackError> {
        let kind = self.take(1)?[0] as i8;
        let data = self.take(len)?;
        match (kind, len) {
            (0, 1) => Ok(Read::Undefined),
            (0, 8) => {
                let high = u64::from(u32::from_be_bytes([data[0], data[1], data[2], data[3]]));
                let low = u64::from(u32::from_be_bytes([data[4], data[5], data[6], data[7]]));
                let millis = (high << 32 | low) as i64;
                Ok(Read::Value(
                    super::iso_date::iso_date(millis).map_or(Json::Null, Json::String),
                ))
            }
            (kind, _) => Err(MsgpackError::UnsupportedExt(kind)),
        }
    }

    /// notepack's ext type 0 with a length: an `ArrayBuffer`, read as binary.
    fn sized_ext(&mut self, len: usize) -> Result<Read, MsgpackError> {
        let kind = self.take(1)?[0] as i8;
        if kind != 0 {
            return Err(MsgpackError::UnsupportedExt(kind));
        }
        self.binary(len)
    }
}

/// A float as JSON: `null` when it is not finite, as `JSON.stringify` writes it.
fn float(value: f64) -> Json {
    serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number)
}

mod item;
#[cfg(test)]
mod tests;
mod text;
mod transcode;
