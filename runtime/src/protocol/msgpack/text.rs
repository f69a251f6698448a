//! Reading a MessagePack packet into its text form in one pass: the `data` field
//! is written as JSON text while it is read, without a `serde_json::Value` tree.
//!
//! The text is the one the tree reader gives (`Value::to_string` of the tree),
//! byte for byte, with one exception it leaves to that reader: a map that repeats
//! a key, which the tree keeps at its first position with its last value, as
//! JavaScript does.

use std::io::Write;

use bytes::Bytes;
use rmp::Marker;

use super::{Head, MAX_DEPTH, MsgpackError, Read, Reader, Shape, TextPacket, text_form};

/// Why the one-pass reader gave up.
pub(super) enum Fallback {
    /// The packet is invalid: the tree reader would fail the same way.
    Invalid(MsgpackError),
    /// A map repeats a key: the tree reader must rewrite the packet.
    DuplicateKey,
}

impl From<MsgpackError> for Fallback {
    fn from(error: MsgpackError) -> Fallback {
        Fallback::Invalid(error)
    }
}

/// Maps with more keys than this check them for repeats by sorting a copy
/// rather than comparing every pair.
const PAIRWISE_KEYS: usize = 16;

/// [`super::to_text_packet`] in one pass, or why it cannot be.
pub(super) fn to_text_packet(bytes: &[u8]) -> Result<TextPacket, Fallback> {
    let mut reader = Reader { rest: bytes };
    let len = match reader.marker()? {
        Marker::FixMap(len) => usize::from(len),
        Marker::Map16 => reader.uint(2)? as usize,
        Marker::Map32 => reader.uint(4)? as usize,
        _ => return Err(MsgpackError::InvalidPacket("a packet is a map").into()),
    };
    let mut head = Head {
        kind: None,
        nsp: None,
        id: None,
    };
    let mut attachments = Vec::new();
    let mut data: Option<(Shape, Vec<u8>)> = None;
    let mut writer = JsonWriter {
        out: Vec::new(),
        keys: Vec::new(),
    };
    for _ in 0..len {
        let key = writer.key(&mut reader)?;
        if key == "data" {
            writer.out = Vec::with_capacity(reader.rest.len() + 8);
            if let Some(shape) = writer.value(&mut reader, &mut attachments, 1)? {
                data = Some((shape, std::mem::take(&mut writer.out)));
            }
            continue;
        }
        let Read::Value(value) = reader.value(&mut attachments, 1)? else {
            continue;
        };
        match key {
            "type" => {
                head.kind = Some(
                    value
                        .as_u64()
                        .ok_or(MsgpackError::InvalidPacket("type must be an integer 0-4"))?,
                );
            }
            "nsp" => match value {
                serde_json::Value::String(nsp) => head.nsp = Some(nsp),
                _ => return Err(MsgpackError::InvalidPacket("nsp must be a string").into()),
            },
            "id" => {
                head.id = Some(
                    value
                        .as_u64()
                        .ok_or(MsgpackError::InvalidPacket("id must be an integer"))?,
                );
            }
            _ => {}
        }
    }
    if !reader.rest.is_empty() {
        return Err(MsgpackError::Truncated.into());
    }
    let data = match data {
        Some((shape, json)) => Some((
            shape,
            String::from_utf8(json).map_err(|_| MsgpackError::InvalidUtf8)?,
        )),
        None => None,
    };
    let data = data.as_ref().map(|(shape, json)| (*shape, json.as_str()));
    Ok(text_form(head, data, attachments)?)
}

/// Writes MessagePack values as JSON text.
struct JsonWriter<'a> {
    out: Vec<u8>,
    /// The keys of the maps being written, innermost last, to find repeats.
    keys: Vec<&'a [u8]>,
}

/// Writing to a `Vec` cannot fail.
fn json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    if let Err(error) = serde_json::to_writer(out, value) {
        unreachable!("writing JSON to a Vec failed: {error}");
    }
}

fn text(out: &mut Vec<u8>, literal: &str) {
    out.extend_from_slice(literal.as_bytes());
}

impl<'a> JsonWriter<'a> {
    /// Writes the next value; `None` (and nothing written) for notepack's
    /// `undefined`.
    fn value(
        &mut self,
        reader: &mut Reader<'a>,
        attachments: &mut Vec<Bytes>,
        depth: usize,
    ) -> Result<Option<Shape>, Fallback> {
        if depth > MAX_DEPTH {
            return Err(MsgpackError::TooDeep.into());
        }
        let out = &mut self.out;
        match reader.marker()? {
            Marker::Null => text(out, "null"),
            Marker::True => text(out, "true"),
            Marker::False => text(out, "false"),
            Marker::FixPos(n) => json(out, &n),
            Marker::FixNeg(n) => json(out, &n),
            Marker::U8 => json(out, &reader.uint(1)?),
            Marker::U16 => json(out, &reader.uint(2)?),
            Marker::U32 => json(out, &reader.uint(4)?),
            Marker::U64 => json(out, &reader.uint(8)?),
            Marker::I8 => json(out, &(reader.uint(1)? as u8 as i8)),
            Marker::I16 => json(out, &(reader.uint(2)? as u16 as i16)),
            Marker::I32 => json(out, &(reader.uint(4)? as u32 as i32)),
            Marker::I64 => json(out, &(reader.uint(8)? as i64)),
            // Not finite: `null`, as `JSON.stringify` (and the tree) writes it.
            Marker::F32 => json(out, &f64::from(f32::from_bits(reader.uint(4)? as u32))),
            Marker::F64 => json(out, &f64::from_bits(reader.uint(8)?)),
            Marker::FixStr(len) => return self.string(reader, usize::from(len)),
            Marker::Str8 => {
                let len = reader.uint(1)? as usize;
                return self.string(reader, len);
            }
            Marker::Str16 => {
                let len = reader.uint(2)? as usize;
                return self.string(reader, len);
            }
            Marker::Str32 => {
                let len = reader.uint(4)? as usize;
                return self.string(reader, len);
            }
            Marker::Bin8 => {
                let len = reader.uint(1)? as usize;
                return self.binary(reader, len, attachments);
            }
            Marker::Bin16 => {
                let len = reader.uint(2)? as usize;
                return self.binary(reader, len, attachments);
            }
            Marker::Bin32 => {
                let len = reader.uint(4)? as usize;
                return self.binary(reader, len, attachments);
            }
            Marker::FixArray(len) => {
                return self.array(reader, usize::from(len), attachments, depth);
            }
            Marker::Array16 => {
                let len = reader.uint(2)? as usize;
                return self.array(reader, len, attachments, depth);
            }
            Marker::Array32 => {
                let len = reader.uint(4)? as usize;
                return self.array(reader, len, attachments, depth);
            }
            Marker::FixMap(len) => return self.map(reader, usize::from(len), attachments, depth),
            Marker::Map16 => {
                let len = reader.uint(2)? as usize;
                return self.map(reader, len, attachments, depth);
            }
            Marker::Map32 => {
                let len = reader.uint(4)? as usize;
                return self.map(reader, len, attachments, depth);
            }
            Marker::FixExt1 => return self.read(reader.fixed_ext(1)?),
            Marker::FixExt2 => return self.read(reader.fixed_ext(2)?),
            Marker::FixExt4 => return self.read(reader.fixed_ext(4)?),
            Marker::FixExt8 => return self.read(reader.fixed_ext(8)?),
            Marker::FixExt16 => return self.read(reader.fixed_ext(16)?),
            Marker::Ext8 => {
                let len = reader.uint(1)? as usize;
                return self.read(reader.sized_ext(len, attachments)?);
            }
            Marker::Ext16 => {
                let len = reader.uint(2)? as usize;
                return self.read(reader.sized_ext(len, attachments)?);
            }
            Marker::Ext32 => {
                let len = reader.uint(4)? as usize;
                return self.read(reader.sized_ext(len, attachments)?);
            }
            Marker::Reserved => return Err(MsgpackError::Reserved.into()),
        }
        Ok(Some(Shape::Other))
    }

    /// Writes what the tree reader read (an ext value: a date, binary or `undefined`).
    fn read(&mut self, read: Read) -> Result<Option<Shape>, Fallback> {
        let Read::Value(value) = read else {
            return Ok(None);
        };
        json(&mut self.out, &value);
        Ok(Some(match value {
            serde_json::Value::Object(_) => Shape::Object,
            serde_json::Value::Array(_) => Shape::Array,
            serde_json::Value::String(_) => Shape::String,
            _ => Shape::Other,
        }))
    }

    fn string(&mut self, reader: &mut Reader<'a>, len: usize) -> Result<Option<Shape>, Fallback> {
        let bytes = reader.take(len)?;
        let text = std::str::from_utf8(bytes).map_err(|_| MsgpackError::InvalidUtf8)?;
        json(&mut self.out, text);
        Ok(Some(Shape::String))
    }

    fn binary(
        &mut self,
        reader: &mut Reader<'a>,
        len: usize,
        attachments: &mut Vec<Bytes>,
    ) -> Result<Option<Shape>, Fallback> {
        let bytes = Bytes::copy_from_slice(reader.take(len)?);
        attachments.push(bytes);
        let num = attachments.len() - 1;
        // Writing to a `Vec` cannot fail.
        let _ = write!(self.out, r#"{{"_placeholder":true,"num":{num}}}"#);
        Ok(Some(Shape::Object))
    }

    fn array(
        &mut self,
        reader: &mut Reader<'a>,
        len: usize,
        attachments: &mut Vec<Bytes>,
        depth: usize,
    ) -> Result<Option<Shape>, Fallback> {
        self.out.push(b'[');
        for index in 0..len {
            if index > 0 {
                self.out.push(b',');
            }
            if self.value(reader, attachments, depth + 1)?.is_none() {
                text(&mut self.out, "null");
            }
        }
        self.out.push(b']');
        Ok(Some(Shape::Array))
    }

    fn map(
        &mut self,
        reader: &mut Reader<'a>,
        len: usize,
        attachments: &mut Vec<Bytes>,
        depth: usize,
    ) -> Result<Option<Shape>, Fallback> {
        let first_key = self.keys.len();
        self.out.push(b'{');
        for _ in 0..len {
            let key = self.key(reader)?;
            let entry_start = self.out.len();
            if self.keys.len() > first_key {
                self.out.push(b',');
            }
            json(&mut self.out, key);
            self.out.push(b':');
            if self.value(reader, attachments, depth + 1)?.is_some() {
                self.keys.push(key.as_bytes());
            } else {
                // `undefined`: the key is left out.
                self.out.truncate(entry_start);
            }
        }
        self.out.push(b'}');
        let repeats = has_repeats(&self.keys[first_key..]);
        self.keys.truncate(first_key);
        if repeats {
            return Err(Fallback::DuplicateKey);
        }
        Ok(Some(Shape::Object))
    }

    fn key(&mut self, reader: &mut Reader<'a>) -> Result<&'a str, Fallback> {
        let len = match reader.marker()? {
            Marker::FixStr(len) => usize::from(len),
            Marker::Str8 => reader.uint(1)? as usize,
            Marker::Str16 => reader.uint(2)? as usize,
            Marker::Str32 => reader.uint(4)? as usize,
            _ => return Err(MsgpackError::NonStringKey.into()),
        };
        let bytes = reader.take(len)?;
        Ok(std::str::from_utf8(bytes).map_err(|_| MsgpackError::InvalidUtf8)?)
    }
}

/// Whether a key occurs twice in `keys`.
fn has_repeats(keys: &[&[u8]]) -> bool {
    if keys.len() <= PAIRWISE_KEYS {
        return keys
            .iter()
            .enumerate()
            .any(|(index, key)| keys[index + 1..].contains(key));
    }
    let mut sorted = keys.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).any(|pair| pair[0] == pair[1])
}
