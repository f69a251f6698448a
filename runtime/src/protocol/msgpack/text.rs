//! Reading a MessagePack packet into its text form in one pass: the `data` field
//! is written as JSON text while it is read, without a `serde_json::Value` tree.
//!
//! The text is the one the tree reader gives (`Value::to_string` of the tree),
//! byte for byte, with one exception it leaves to that reader: a map that repeats
//! a key, which the tree keeps at its first position with its last value, as
//! JavaScript does.

use std::io::Write;

use super::item::Item;
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
    let mut reader = Reader::new(bytes);
    let len = reader.packet_len()?;
    let mut head = Head::default();
    let mut data: Option<(Shape, Vec<u8>)> = None;
    let mut writer = JsonWriter {
        out: Vec::new(),
        keys: Vec::new(),
    };
    for _ in 0..len {
        let key = writer.key(&mut reader)?;
        if key == "data" {
            writer.out = Vec::with_capacity(reader.rest.len() + 8);
            if let Some(shape) = writer.value(&mut reader, 1)? {
                data = Some((shape, std::mem::take(&mut writer.out)));
            }
            continue;
        }
        if let Read::Value(value) = reader.value(1)? {
            head.set(key, value)?;
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
    Ok(text_form(head, data, reader.attachments)?)
}

/// What writing a value gives: its shape, `None` for notepack's `undefined`
/// (nothing written), or why the one-pass reader gives up.
type Written = Result<Option<Shape>, Fallback>;

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
    fn value(&mut self, reader: &mut Reader<'a>, depth: usize) -> Written {
        if depth > MAX_DEPTH {
            return Err(MsgpackError::TooDeep.into());
        }
        let out = &mut self.out;
        match reader.item()? {
            Item::Null => text(out, "null"),
            Item::Bool(value) => text(out, if value { "true" } else { "false" }),
            Item::Unsigned(value) => json(out, &value),
            Item::Signed(value) => json(out, &value),
            // Not finite: `null`, as `JSON.stringify` (and the tree) writes it.
            Item::Float(value) => json(out, &value),
            Item::Str(len) => return self.string(reader, len),
            Item::Bin(len) => return self.binary(reader, len),
            Item::Array(len) => return self.array(reader, len, depth),
            Item::Map(len) => return self.map(reader, len, depth),
            Item::FixExt(len) => return self.read(reader.fixed_ext(len)?),
            Item::Ext(len) => return self.read(reader.sized_ext(len)?),
        }
        Ok(Some(Shape::Other))
    }

    /// Writes what the tree reader read (an ext value: a date, binary or `undefined`).
    fn read(&mut self, read: Read) -> Written {
        let Read::Value(value) = read else {
            return Ok(None);
        };
        json(&mut self.out, &value);
        Ok(Some(Shape::of(&value)))
    }

    fn string(&mut self, reader: &mut Reader<'a>, len: usize) -> Written {
        let bytes = reader.take(len)?;
        let text = std::str::from_utf8(bytes).map_err(|_| MsgpackError::InvalidUtf8)?;
        json(&mut self.out, text);
        Ok(Some(Shape::String))
    }

    fn binary(&mut self, reader: &mut Reader<'a>, len: usize) -> Written {
        let num = reader.attach(len)?;
        // Writing to a `Vec` cannot fail.
        let _ = write!(self.out, r#"{{"_placeholder":true,"num":{num}}}"#);
        Ok(Some(Shape::Object))
    }

    fn array(&mut self, reader: &mut Reader<'a>, len: usize, depth: usize) -> Written {
        self.out.push(b'[');
        for index in 0..len {
            if index > 0 {
                self.out.push(b',');
            }
            if self.value(reader, depth + 1)?.is_none() {
                text(&mut self.out, "null");
            }
        }
        self.out.push(b']');
        Ok(Some(Shape::Array))
    }

    fn map(&mut self, reader: &mut Reader<'a>, len: usize, depth: usize) -> Written {
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
            if self.value(reader, depth + 1)?.is_some() {
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
        let len = reader.key_len()?;
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
