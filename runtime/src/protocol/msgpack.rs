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
    let mut reader = Reader { rest: bytes };
    let fields = reader.packet_fields()?;
    if !reader.rest.is_empty() {
        return Err(MsgpackError::Truncated);
    }
    let data = fields.data.as_ref().map(|data| {
        let shape = match data {
            Json::Object(_) => Shape::Object,
            Json::Array(_) => Shape::Array,
            Json::String(_) => Shape::String,
            _ => Shape::Other,
        };
        (shape, data.to_string())
    });
    let head = Head {
        kind: fields.kind,
        nsp: fields.nsp,
        id: fields.id,
    };
    let data = data.as_ref().map(|(shape, text)| (*shape, text.as_str()));
    text_form(head, data, fields.attachments)
}

/// The JSON type of a packet's `data`, which its packet type constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Object,
    Array,
    String,
    Other,
}

/// The fields of a packet map besides `data`.
struct Head {
    kind: Option<u64>,
    nsp: Option<String>,
    id: Option<u64>,
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

/// The fields of a packet map.
struct Fields {
    kind: Option<u64>,
    nsp: Option<String>,
    id: Option<u64>,
    data: Option<Json>,
    attachments: Vec<Bytes>,
}

/// Reads MessagePack from a byte slice.
struct Reader<'a> {
    rest: &'a [u8],
}

/// What one MessagePack value read as: JSON, or notepack's `undefined`.
enum Read {
    Value(Json),
    Undefined,
}

impl<'a> Reader<'a> {
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

    /// The top-level map of a packet.
    fn packet_fields(&mut self) -> Result<Fields, MsgpackError> {
        let len = match self.marker()? {
            Marker::FixMap(len) => usize::from(len),
            Marker::Map16 => self.uint(2)? as usize,
            Marker::Map32 => self.uint(4)? as usize,
            _ => return Err(MsgpackError::InvalidPacket("a packet is a map")),
        };
        let mut fields = Fields {
            kind: None,
            nsp: None,
            id: None,
            data: None,
            attachments: Vec::new(),
        };
        for _ in 0..len {
            let key = self.string_key()?;
            let value = self.value(&mut fields.attachments, 1)?;
            let Read::Value(value) = value else { continue };
            match key.as_str() {
                "type" => {
                    fields.kind = Some(
                        value
                            .as_u64()
                            .ok_or(MsgpackError::InvalidPacket("type must be an integer 0-4"))?,
                    );
                }
                "nsp" => match value {
                    Json::String(nsp) => fields.nsp = Some(nsp),
                    _ => return Err(MsgpackError::InvalidPacket("nsp must be a string")),
                },
                "id" => {
                    fields.id = Some(
                        value
                            .as_u64()
                            .ok_or(MsgpackError::InvalidPacket("id must be an integer"))?,
                    );
                }
                "data" => fields.data = Some(value),
                _ => {}
            }
        }
        Ok(fields)
    }

    fn string_key(&mut self) -> Result<String, MsgpackError> {
        let len = match self.marker()? {
            Marker::FixStr(len) => usize::from(len),
            Marker::Str8 => self.uint(1)? as usize,
            Marker::Str16 => self.uint(2)? as usize,
            Marker::Str32 => self.uint(4)? as usize,
            _ => return Err(MsgpackError::NonStringKey),
        };
        self.string(len)
    }

    fn string(&mut self, len: usize) -> Result<String, MsgpackError> {
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| MsgpackError::InvalidUtf8)
    }

    fn binary(&mut self, len: usize, attachments: &mut Vec<Bytes>) -> Result<Read, MsgpackError> {
        let bytes = Bytes::copy_from_slice(self.take(len)?);
        let num = attachments.len();
        attachments.push(bytes);
        Ok(Read::Value(
            serde_json::json!({ "_placeholder": true, "num": num }),
        ))
    }

    fn value(&mut self, attachments: &mut Vec<Bytes>, depth: usize) -> Result<Read, MsgpackError> {
        if depth > MAX_DEPTH {
            return Err(MsgpackError::TooDeep);
        }
        let value = match self.marker()? {
            Marker::Null => Json::Null,
            Marker::True => Json::Bool(true),
            Marker::False => Json::Bool(false),
            Marker::FixPos(n) => Json::from(n),
            Marker::FixNeg(n) => Json::from(n),
            Marker::U8 => Json::from(self.uint(1)?),
            Marker::U16 => Json::from(self.uint(2)?),
            Marker::U32 => Json::from(self.uint(4)?),
            Marker::U64 => Json::from(self.uint(8)?),
            Marker::I8 => Json::from(self.uint(1)? as u8 as i8),
            Marker::I16 => Json::from(self.uint(2)? as u16 as i16),
            Marker::I32 => Json::from(self.uint(4)? as u32 as i32),
            Marker::I64 => Json::from(self.uint(8)? as i64),
            Marker::F32 => float(f64::from(f32::from_bits(self.uint(4)? as u32))),
            Marker::F64 => float(f64::from_bits(self.uint(8)?)),
            Marker::FixStr(len) => Json::String(self.string(usize::from(len))?),
            Marker::Str8 => {
                let len = self.uint(1)? as usize;
                Json::String(self.string(len)?)
            }
            Marker::Str16 => {
                let len = self.uint(2)? as usize;
                Json::String(self.string(len)?)
            }
            Marker::Str32 => {
                let len = self.uint(4)? as usize;
                Json::String(self.string(len)?)
            }
            Marker::Bin8 => {
                let len = self.uint(1)? as usize;
                return self.binary(len, attachments);
            }
            Marker::Bin16 => {
                let len = self.uint(2)? as usize;
                return self.binary(len, attachments);
            }
            Marker::Bin32 => {
                let len = self.uint(4)? as usize;
                return self.binary(len, attachments);
            }
            Marker::FixArray(len) => self.array(usize::from(len), attachments, depth)?,
            Marker::Array16 => {
                let len = self.uint(2)? as usize;
                self.array(len, attachments, depth)?
            }
            Marker::Array32 => {
                let len = self.uint(4)? as usize;
                self.array(len, attachments, depth)?
            }
            Marker::FixMap(len) => self.map(usize::from(len), attachments, depth)?,
            Marker::Map16 => {
                let len = self.uint(2)? as usize;
                self.map(len, attachments, depth)?
            }
            Marker::Map32 => {
                let len = self.uint(4)? as usize;
                self.map(len, attachments, depth)?
            }
            Marker::FixExt1 => return self.fixed_ext(1),
            Marker::FixExt2 => return self.fixed_ext(2),
            Marker::FixExt4 => return self.fixed_ext(4),
            Marker::FixExt8 => return self.fixed_ext(8),
            Marker::FixExt16 => return self.fixed_ext(16),
            Marker::Ext8 => {
                let len = self.uint(1)? as usize;
                return self.sized_ext(len, attachments);
            }
            Marker::Ext16 => {
                let len = self.uint(2)? as usize;
                return self.sized_ext(len, attachments);
            }
            Marker::Ext32 => {
                let len = self.uint(4)? as usize;
                return self.sized_ext(len, attachments);
            }
            Marker::Reserved => return Err(MsgpackError::Reserved),
        };
        Ok(Read::Value(value))
    }

    fn array(
        &mut self,
        len: usize,
        attachments: &mut Vec<Bytes>,
        depth: usize,
    ) -> Result<Json, MsgpackError> {
        // Each element takes at least one byte: a length beyond what is left is a
        // lie, and must not size an allocation.
        let mut items = Vec::with_capacity(len.min(self.rest.len()));
        for _ in 0..len {
            items.push(match self.value(attachments, depth + 1)? {
                Read::Value(value) => value,
                Read::Undefined => Json::Null,
            });
        }
        Ok(Json::Array(items))
    }

    fn map(
        &mut self,
        len: usize,
        attachments: &mut Vec<Bytes>,
        depth: usize,
    ) -> Result<Json, MsgpackError> {
        let mut map = serde_json::Map::new();
        for _ in 0..len {
            let key = self.string_key()?;
            if let Read::Value(value) = self.value(attachments, depth + 1)? {
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
    fn sized_ext(
        &mut self,
        len: usize,
        attachments: &mut Vec<Bytes>,
    ) -> Result<Read, MsgpackError> {
        let kind = self.take(1)?[0] as i8;
        if kind != 0 {
            return Err(MsgpackError::UnsupportedExt(kind));
        }
        self.binary(len, attachments)
    }
}

/// A float as JSON: `null` when it is not finite, as `JSON.stringify` writes it.
fn float(value: f64) -> Json {
    serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number)
}

#[cfg(test)]
mod tests;
mod text;
mod transcode;
