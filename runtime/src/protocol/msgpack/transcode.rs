//! Writing an outgoing packet's JSON payload as MessagePack in one pass, while
//! `serde_json` reads it, without a `serde_json::Value` tree.
//!
//! The bytes are the ones the tree writer gives, with one exception it leaves to
//! that writer: an object that repeats a key, which the tree keeps once (at its
//! first position, with its last value).

use std::cell::Cell;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use smallvec::SmallVec;

use super::text::Fallback;
use super::{MAX_DEPTH, MsgpackError, write};

/// Most bytes a MessagePack array or map header takes.
const MAX_HEADER: usize = 5;

/// Writes the JSON text `json` as MessagePack at the end of `out`; placeholders
/// become the attachment they name.
pub(super) fn write_json_text(
    out: &mut Vec<u8>,
    json: &str,
    attachments: &[Bytes],
) -> Result<(), Fallback> {
    let failure = Cell::new(Failure::Input);
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let seed = Transcode {
        out,
        attachments,
        depth: 0,
        failure: &failure,
    };
    let written = seed
        .deserialize(&mut deserializer)
        .and_then(|_| deserializer.end());
    match (written, failure.get()) {
        (Ok(()), _) => Ok(()),
        (Err(_), Failure::Input) => Err(MsgpackError::InvalidEncoded("payload").into()),
        (Err(_), Failure::TooDeep) => Err(MsgpackError::TooDeep.into()),
        (Err(_), Failure::RepeatedKey) => Err(Fallback::DuplicateKey),
    }
}

/// Why transcoding stopped, when it was not `serde_json`'s error.
#[derive(Clone, Copy)]
enum Failure {
    /// The input is not JSON (or `serde_json`'s own nesting limit).
    Input,
    TooDeep,
    RepeatedKey,
}

/// What a value was, as far as a placeholder object cares.
enum Seen {
    True,
    Index(u64),
    Other,
}

/// Writes the next JSON value as MessagePack.
struct Transcode<'w> {
    out: &'w mut Vec<u8>,
    attachments: &'w [Bytes],
    depth: usize,
    /// Set before an error of the transcoder's own.
    failure: &'w Cell<Failure>,
}

impl Transcode<'_> {
    fn nested(&mut self) -> Transcode<'_> {
        Transcode {
            out: self.out,
            attachments: self.attachments,
            depth: self.depth + 1,
            failure: self.failure,
        }
    }

    /// Puts the header `write_header` writes in front of the contents written
    /// since `start` (where [`MAX_HEADER`] bytes were set aside).
    fn close(&mut self, start: usize, write_header: impl FnOnce(&mut &mut [u8])) {
        let mut buffer = [0u8; MAX_HEADER];
        let mut free = &mut buffer[..];
        write_header(&mut free);
        let len = MAX_HEADER - free.len();
        let contents = start + MAX_HEADER;
        self.out.copy_within(contents.., start + len);
        self.out.truncate(self.out.len() - (MAX_HEADER - len));
        self.out[start..start + len].copy_from_slice(&buffer[..len]);
    }
}

/// A header always fits its [`MAX_HEADER`] bytes.
fn header_written<E: fmt::Debug>(result: Result<(), E>) {
    if let Err(error) = result {
        unreachable!("a MessagePack header over {MAX_HEADER} bytes: {error:?}");
    }
}

fn count_u32<E: de::Error>(count: usize) -> Result<u32, E> {
    u32::try_from(count).map_err(|_| E::custom("too long"))
}

impl<'de> DeserializeSeed<'de> for Transcode<'_> {
    type Value = Seen;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Seen, D::Error> {
        if self.depth > MAX_DEPTH {
            self.failure.set(Failure::TooDeep);
            return Err(de::Error::custom("nested too deep"));
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Transcode<'_> {
    type Value = Seen;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Seen, E> {
        write(rmp::encode::write_nil(self.out).map_err(drop));
        Ok(Seen::Other)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Seen, E> {
        write(rmp::encode::write_bool(self.out, value).map_err(drop));
        Ok(if value { Seen::True } else { Seen::Other })
    }

    fn visit_u64<E>(self, value: u64) -> Result<Seen, E> {
        write(rmp::encode::write_uint(self.out, value).map(drop));
        Ok(Seen::Index(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Seen, E> {
        write(rmp::encode::write_sint(self.out, value).map(drop));
        Ok(Seen::Other)
    }

    fn visit_f64<E>(self, value: f64) -> Result<Seen, E> {
        write(rmp::encode::write_f64(self.out, value));
        Ok(Seen::Other)
    }

    fn visit_str<E>(self, value: &str) -> Result<Seen, E> {
        write(rmp::encode::write_str(self.out, value));
        Ok(Seen::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Seen, A::Error> {
        let start = self.out.len();
        self.out.resize(start + MAX_HEADER, 0);
        let mut count = 0;
        while seq.next_element_seed(self.nested())?.is_some() {
            count += 1;
        }
        let count = count_u32(count)?;
        self.close(start, |header| {
            header_written(rmp::encode::write_array_len(header, count).map(drop));
        });
        Ok(Seen::Other)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Seen, A::Error> {
        let start = self.out.len();
        self.out.resize(start + MAX_HEADER, 0);
        // Where each key's bytes lie in `out`, to find a repeated one.
        let mut keys: SmallVec<[(usize, usize); 8]> = SmallVec::new();
        let mut placeholder = false;
        let mut num = None;
        while let Some(key) = map.next_key_seed(KeySeed { out: self.out })? {
            let (at, len) = key.bytes;
            let out = &*self.out;
            if keys
                .iter()
                .any(|&(other, other_len)| out[other..other + other_len] == out[at..at + len])
            {
                self.failure.set(Failure::RepeatedKey);
                return Err(de::Error::custom("repeated key"));
            }
            keys.push(key.bytes);
            let seen = map.next_value_seed(self.nested())?;
            match (key.name, seen) {
                (KeyName::Placeholder, seen) => placeholder = matches!(seen, Seen::True),
                (KeyName::Num, Seen::Index(index)) => num = Some(index),
                (KeyName::Num, _) => num = None,
                (KeyName::Other, _) => {}
            }
        }
        let attachment = usize::try_from(num.unwrap_or(u64::MAX))
            .ok()
            .and_then(|num| self.attachments.get(num));
        if let (true, 2, Some(bytes)) = (placeholder, keys.len(), attachment) {
            self.out.truncate(start);
            write(rmp::encode::write_bin(self.out, bytes));
            return Ok(Seen::Other);
        }
        let count = count_u32(keys.len())?;
        self.close(start, |header| {
            header_written(rmp::encode::write_map_len(header, count).map(drop));
        });
        Ok(Seen::Other)
    }
}

/// What an object key is, as far as a placeholder object cares.
enum KeyName {
    Placeholder,
    Num,
    Other,
}

/// A key written to `out`: its name and where its bytes lie there.
struct Key {
    name: KeyName,
    bytes: (usize, usize),
}

/// Writes an object key as a MessagePack string.
struct KeySeed<'w> {
    out: &'w mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Key, E> {
        write(rmp::encode::write_str(self.out, key));
        let name = match key {
            "_placeholder" => KeyName::Placeholder,
            "num" => KeyName::Num,
            _ => KeyName::Other,
        };
        Ok(Key {
            name,
            bytes: (self.out.len() - key.len(), key.len()),
        })
    }
}
