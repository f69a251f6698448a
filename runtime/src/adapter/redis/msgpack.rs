//! The broadcast message of `@socket.io/redis-adapter`, in MessagePack as the
//! `notepack.io` codec writes it:
//! `[uid, {type: 2, data: [event, ...args], nsp}, {rooms, except, flags}]`.
//!
//! Outgoing, the arguments are transcoded from the JSON text the local sockets
//! received (placeholders become `bin` again), so the user's data is serialized once.
//! Incoming, the message is read into [`Value`]s, which the packet encoder turns
//! into one Socket.IO frame shared by every local recipient.

use bytes::Bytes;

use crate::adapter::Broadcast;
use crate::protocol::{Encoded, Map, Value};
use crate::server::Room;

/// How deep arrays and maps may nest in a message read from Redis.
pub(crate) const MAX_DEPTH: usize = 128;

/// A message from Redis that is not a broadcast this node can deliver.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum MessageError {
    /// The bytes end in the middle of a value.
    #[error("the message is truncated")]
    Truncated,
    /// A byte that starts no MessagePack value (0xc1).
    #[error("invalid MessagePack marker 0x{0:02x}")]
    InvalidMarker(u8),
    /// Arrays or maps nest deeper than `MAX_DEPTH`.
    #[error("the message nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A string that is not UTF-8.
    #[error("a string is not UTF-8")]
    NotUtf8,
    /// Bytes left after the message.
    #[error("trailing bytes after the message")]
    Trailing,
    /// The message does not have the shape of a broadcast.
    #[error("not a broadcast: {0}")]
    Shape(&'static str),
}

/// A broadcast read from Redis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IncomingBroadcast {
    pub(crate) uid: String,
    /// The namespace, `/` when the message names none.
    pub(crate) nsp: String,
    pub(crate) event: String,
    pub(crate) args: Vec<Value>,
    pub(crate) rooms: Vec<Room>,
    pub(crate) except: Vec<Room>,
    pub(crate) volatile: bool,
}

// ---------------------------------------------------------------- writing

fn write_uint(out: &mut Vec<u8>, value: u64) {
    match value {
        0..=0x7f => out.push(value as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, value as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(value as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(value as u32).to_be_bytes());
        }
        _ => {
            out.push(0xcf);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

fn write_int(out: &mut Vec<u8>, value: i64) {
    if value >= 0 {
        return write_uint(out, value as u64);
    }
    match value {
        -32..=-1 => out.push(value as i8 as u8),
        -0x80..=-33 => out.extend_from_slice(&[0xd0, value as i8 as u8]),
        -0x8000..=-0x81 => {
            out.push(0xd1);
            out.extend_from_slice(&(value as i16).to_be_bytes());
        }
        -0x8000_0000..=-0x8001 => {
            out.push(0xd2);
            out.extend_from_slice(&(value as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

fn write_len(out: &mut Vec<u8>, len: usize, fix: (u8, usize), markers: [u8; 3]) {
    if len < fix.1 {
        out.push(fix.0 | len as u8);
    } else if len <= 0xff && markers[0] != 0 {
        out.extend_from_slice(&[markers[0], len as u8]);
    } else if len <= 0xffff {
        out.push(markers[1]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(markers[2]);
        out.extend_from_slice(&(len.min(u32::MAX as usize) as u32).to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    write_len(out, text.len(), (0xa0, 32), [0xd9, 0xda, 0xdb]);
    out.extend_from_slice(text.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= 0xff {
        out.extend_from_slice(&[0xc4, bytes.len() as u8]);
    } else {
        write_len(out, bytes.len(), (0, 0), [0, 0xc5, 0xc6]);
    }
    out.extend_from_slice(bytes);
}

fn write_array_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, (0x90, 16), [0, 0xdc, 0xdd]);
}

fn write_map_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, (0x80, 16), [0, 0xde, 0xdf]);
}

/// The attachment a `{"_placeholder":true,"num":N}` object stands for.
fn placeholder<'a>(
    object: &serde_json::Map<String, serde_json::Value>,
    attachments: &'a [Bytes],
) -> Option<&'a Bytes> {
    if object.len() != 2 || object.get("_placeholder") != Some(&serde_json::Value::Bool(true)) {
        return None;
    }
    let num = object.get("num")?.as_u64()?;
    attachments.get(usize::try_from(num).ok()?)
}

fn write_json(out: &mut Vec<u8>, value: &serde_json::Value, attachments: &[Bytes]) {
    match value {
        serde_json::Value::Null => out.push(0xc0),
        serde_json::Value::Bool(false) => out.push(0xc2),
        serde_json::Value::Bool(true) => out.push(0xc3),
        serde_json::Value::Number(number) => {
            if let Some(value) = number.as_u64() {
                write_uint(out, value);
            } else if let Some(value) = number.as_i64() {
                write_int(out, value);
            } else {
                out.push(0xcb);
                out.extend_from_slice(&number.as_f64().unwrap_or(0.0).to_be_bytes());
            }
        }
        serde_json::Value::String(text) => write_str(out, text),
        serde_json::Value::Array(items) => {
            write_array_len(out, items.len());
            for item in items {
                write_json(out, item, attachments);
            }
        }
        serde_json::Value::Object(object) => {
            if let Some(bytes) = placeholder(object, attachments) {
                return write_bin(out, bytes);
            }
            write_map_len(out, object.len());
            for (key, item) in object {
                write_str(out, key);
                write_json(out, item, attachments);
            }
        }
    }
}

/// Where the JSON payload of an encoded packet starts: after `4`, the type, the
/// attachment count, the namespace and the ack id.
fn payload_start(text: &[u8]) -> usize {
    let mut pos = 2.min(text.len());
    if text.get(1) == Some(&b'5') {
        pos += text[pos..]
            .iter()
            .position(|&byte| byte == b'-')
            .map_or(0, |dash| dash + 1);
    }
    if text.get(pos) == Some(&b'/') {
        pos += text[pos..]
            .iter()
            .position(|&byte| byte == b',')
            .map_or(text.len() - pos, |comma| comma + 1);
    }
    pos + text[pos..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The Redis message announcing `broadcast` of namespace `nsp` from node `uid`.
pub(crate) fn encode_broadcast(
    uid: &str,
    nsp: &str,
    broadcast: &Broadcast<'_>,
) -> Result<Vec<u8>, serde_json::Error> {
    let encoded: &Encoded = broadcast.encoded;
    let text = encoded.text.as_bytes();
    let data: serde_json::Value = serde_json::from_slice(&text[payload_start(text)..])?;

    let mut out = Vec::with_capacity(text.len() + 64);
    write_array_len(&mut out, 3);
    write_str(&mut out, uid);

    write_map_len(&mut out, 3);
    write_str(&mut out, "type");
    write_uint(&mut out, 2);
    write_str(&mut out, "data");
    write_json(&mut out, &data, &encoded.attachments);
    write_str(&mut out, "nsp");
    write_str(&mut out, nsp);

    write_map_len(&mut out, 3);
    write_str(&mut out, "rooms");
    write_array_len(&mut out, broadcast.rooms.len());
    for room in broadcast.rooms {
        write_str(&mut out, room.as_str());
    }
    write_str(&mut out, "except");
    let sender = broadcast.except_socket.filter(|sid| {
        !broadcast
            .except
            .iter()
            .any(|room| room.as_str() == sid.as_str())
    });
    write_array_len(
        &mut out,
        broadcast.except.len() + usize::from(sender.is_some()),
    );
    for room in broadcast.except {
        write_str(&mut out, room.as_str());
    }
    if let Some(sid) = sender {
        write_str(&mut out, sid.as_str());
    }
    write_str(&mut out, "flags");
    if broadcast.volatile {
        write_map_len(&mut out, 1);
        write_str(&mut out, "volatile");
        out.push(0xc3);
    } else {
        write_map_len(&mut out, 0);
    }
    Ok(out)
}

// ---------------------------------------------------------------- reading

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], MessageError> {
        let end = self.pos.checked_add(len).ok_or(MessageError::Truncated)?;
        let bytes = self
            .input
            .get(self.pos..end)
            .ok_or(MessageError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, MessageError> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, len: usize) -> Result<u64, MessageError> {
        Ok(self
            .take(len)?
            .iter()
            .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte)))
    }

    fn len(&mut self, bytes: usize) -> Result<usize, MessageError> {
        usize::try_from(self.be(bytes)?).map_err(|_| MessageError::Truncated)
    }

    fn string(&mut self, len: usize) -> Result<String, MessageError> {
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| MessageError::NotUtf8)
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Value, MessageError> {
        // Every element takes at least one byte: never reserve more than remains.
        let mut items = Vec::with_capacity(len.min(self.input.len() - self.pos));
        for _ in 0..len {
            items.push(self.value(depth + 1)?.unwrap_or(Value::Null));
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Value, MessageError> {
        let mut map = Map::with_capacity(len.min((self.input.len() - self.pos) / 2));
        for _ in 0..len {
            let key = match self.value(depth + 1)? {
                Some(Value::String(key)) => key,
                Some(Value::Number(number)) => number.to_string(),
                Some(Value::Bool(flag)) => flag.to_string(),
                _ => "null".to_owned(),
            };
            // JavaScript's `undefined` fields vanish, as in `JSON.stringify`.
            if let Some(value) = self.value(depth + 1)? {
                map.insert(key, value);
            }
        }
        Ok(Value::Object(map))
    }

    fn ext(&mut self, len: usize) -> Result<Option<Value>, MessageError> {
        let kind = self.byte()? as i8;
        let data = self.take(len)?;
        Ok(match (kind, data.len()) {
            // notepack's `undefined`.
            (0, 1) => None,
            // A date: notepack writes milliseconds since the epoch as a timestamp.
            (-1, 4 | 8 | 12) => Some(timestamp(data).map_or(Value::Null, Value::String)),
            _ => Some(Value::Null),
        })
    }

    fn float(value: f64) -> Value {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    }

    /// The next value; `None` for JavaScript's `undefined`.
    fn value(&mut self, depth: usize) -> Result<Option<Value>, MessageError> {
        if depth > MAX_DEPTH {
            return Err(MessageError::TooDeep);
        }
        let marker = self.byte()?;
        let value = match marker {
            0x00..=0x7f => Value::Number(u64::from(marker).into()),
            0x80..=0x8f => self.map(usize::from(marker & 0x0f), depth)?,
            0x90..=0x9f => self.array(usize::from(marker & 0x0f), depth)?,
            0xa0..=0xbf => Value::String(self.string(usize::from(marker & 0x1f))?),
            0xc0 => Value::Null,
            0xc1 => return Err(MessageError::InvalidMarker(marker)),
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let len = self.len(1 << (marker - 0xc4))?;
                Value::Binary(Bytes::copy_from_slice(self.take(len)?))
            }
            0xc7..=0xc9 => {
                let len = self.len(1 << (marker - 0xc7))?;
                return self.ext(len);
            }
            0xca => Self::float(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Self::float(f64::from_bits(self.be(8)?)),
            0xcc..=0xcf => Value::Number(self.be(1 << (marker - 0xcc))?.into()),
            0xd0 => Value::Number(i64::from(self.byte()? as i8).into()),
            0xd1 => Value::Number(i64::from(self.be(2)? as u16 as i16).into()),
            0xd2 => Value::Number(i64::from(self.be(4)? as u32 as i32).into()),
            0xd3 => Value::Number((self.be(8)? as i64).into()),
            0xd4..=0xd8 => return self.ext(1 << (marker - 0xd4)),
            0xd9..=0xdb => {
                let len = self.len(1 << (marker - 0xd9))?;
                Value::String(self.string(len)?)
            }
            0xdc | 0xdd => {
                let len = self.len(if marker == 0xdc { 2 } else { 4 })?;
                self.array(len, depth)?
            }
            0xde | 0xdf => {
                let len = self.len(if marker == 0xde { 2 } else { 4 })?;
                self.map(len, depth)?
            }
            0xe0..=0xff => Value::Number(i64::from(marker as i8).into()),
        };
        Ok(Some(value))
    }
}

/// A MessagePack timestamp as the ISO 8601 text `Date.prototype.toJSON` writes.
fn timestamp(data: &[u8]) -> Option<String> {
    let be = |bytes: &[u8]| bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let (seconds, nanos) = match data.len() {
        4 => (be(data) as i64, 0),
        8 => {
            let raw = be(data);
            ((raw & 0x3_ffff_ffff) as i64, (raw >> 34) as u32)
        }
        12 => (be(&data[4..]) as i64, be(&data[..4]) as u32),
        _ => return None,
    };
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        nanos / 1_000_000
    ))
}

fn rooms(value: Option<Value>) -> Vec<Room> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            Value::String(name) => Some(Room::from(name)),
            Value::Number(number) => Some(Room::from(number.to_string())),
            _ => None,
        })
        .collect()
}

/// Reads a broadcast message published by a tether node or a Node.js
/// `@socket.io/redis-adapter`.
pub(crate) fn decode_broadcast(input: &[u8]) -> Result<IncomingBroadcast, MessageError> {
    let mut reader = Reader { input, pos: 0 };
    let message = reader.value(0)?;
    if reader.pos != input.len() {
        return Err(MessageError::Trailing);
    }
    let Some(Value::Array(parts)) = message else {
        return Err(MessageError::Shape("not an array"));
    };
    let mut parts = parts.into_iter();
    let (Some(Value::String(uid)), Some(Value::Object(mut packet)), opts) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(MessageError::Shape("not [uid, packet, opts]"));
    };
    // Binary events keep type 2 in this format; 5 is taken too.
    if !matches!(packet.get("type").and_then(Value::as_u64), Some(2 | 5)) {
        return Err(MessageError::Shape("not an event"));
    }
    let nsp = match packet.swap_remove("nsp") {
        Some(Value::String(nsp)) => nsp,
        None | Some(Value::Null) => "/".to_owned(),
        Some(_) => return Err(MessageError::Shape("nsp is not a string")),
    };
    let Some(Value::Array(mut data)) = packet.swap_remove("data") else {
        return Err(MessageError::Shape("no data array"));
    };
    if data.is_empty() {
        return Err(MessageError::Shape("no event name"));
    }
    let Value::String(event) = data.remove(0) else {
        return Err(MessageError::Shape("the event name is not a string"));
    };
    let mut opts = match opts {
        Some(Value::Object(opts)) => opts,
        _ => Map::new(),
    };
    let volatile = matches!(
        opts.get("flags").and_then(|flags| match flags {
            Value::Object(flags) => flags.get("volatile"),
            _ => None,
        }),
        Some(Value::Bool(true))
    );
    Ok(IncomingBroadcast {
        uid,
        nsp,
        event,
        args: data,
        rooms: rooms(opts.swap_remove("rooms")),
        except: rooms(opts.swap_remove("except")),
        volatile,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Sid;
    use crate::protocol::encode_event;

    #[test]
    fn a_broadcast_round_trips() {
        let encoded = encode_event(
            "/chat",
            "say",
            &(1, -2, 1.5, "hi", Bytes::from_static(&[1, 2]), ["a"; 20]),
            None,
        )
        .unwrap();
        let rooms = [Room::new("r1")];
        let except = [Room::new("r2")];
        let sid = Sid::parse("AAAAAAAAAAAAAAAAAAAA").unwrap();
        let message = encode_broadcast(
            "abc123",
            "/chat",
            &Broadcast {
                encoded: &encoded,
                rooms: &rooms,
                except: &except,
                except_socket: Some(sid),
                volatile: true,
            },
        )
        .unwrap();
        let incoming = decode_broadcast(&message).unwrap();
        assert_eq!(incoming.uid, "abc123");
        assert_eq!(incoming.nsp, "/chat");
        assert_eq!(incoming.event, "say");
        assert_eq!(incoming.rooms, rooms);
        assert_eq!(incoming.except, [Room::new("r2"), Room::from(sid)]);
        assert!(incoming.volatile);
        let again = encode_event("/chat", "say", &incoming.args, None).unwrap();
        assert_eq!(again, encoded);
    }

    #[test]
    fn notepack_bytes_decode() {
        // notepack.encode(["uid", {type: 2, data: ["ev", 1, undefined, {a: undefined}], nsp: "/"},
        //   {rooms: ["r"], except: [], flags: {}}])
        let message = [
            0x93, 0xa3, b'u', b'i', b'd', 0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa4, b'd',
            b'a', b't', b'a', 0x94, 0xa2, b'e', b'v', 0x01, 0xd4, 0x00, 0x00, 0x81, 0xa1, b'a',
            0xd4, 0x00, 0x00, 0xa3, b'n', b's', b'p', 0xa1, b'/', 0x83, 0xa5, b'r', b'o', b'o',
            b'm', b's', 0x91, 0xa1, b'r', 0xa6, b'e', b'x', b'c', b'e', b'p', b't', 0x90, 0xa5,
            b'f', b'l', b'a', b'g', b's', 0x80,
        ];
        let incoming = decode_broadcast(&message).unwrap();
        assert_eq!(incoming.nsp, "/");
        assert_eq!(incoming.event, "ev");
        let encoded = encode_event("/", "ev", &incoming.args, None).unwrap();
        assert_eq!(encoded.text, r#"42["ev",1,null,{}]"#);
        assert_eq!(incoming.rooms, [Room::new("r")]);
        assert!(!incoming.volatile);
    }

    #[test]
    fn hostile_input_is_an_error() {
        assert_eq!(decode_broadcast(&[]), Err(MessageError::Truncated));
        assert_eq!(
            decode_broadcast(&[0xc1]),
            Err(MessageError::InvalidMarker(0xc1))
        );
        // An array announcing four billion elements, with none there.
        assert_eq!(
            decode_broadcast(&[0xdd, 0xff, 0xff, 0xff, 0xff]),
            Err(MessageError::Truncated)
        );
        let deep = vec![0x91; MAX_DEPTH + 2];
        assert_eq!(decode_broadcast(&deep), Err(MessageError::TooDeep));
        assert!(matches!(
            decode_broadcast(&[0x92, 0xa1, b'u', 0x80]),
            Err(MessageError::Shape(_))
        ));
    }

    #[test]
    fn timestamps_read_as_iso_dates() {
        // 2021-01-01T00:00:00.123Z as timestamp 64.
        let nanos: u64 = 123_000_000;
        let raw = (nanos << 34) | 1_609_459_200;
        assert_eq!(
            timestamp(&raw.to_be_bytes()).as_deref(),
            Some("2021-01-01T00:00:00.123Z")
        );
    }
}
