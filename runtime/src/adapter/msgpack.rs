//! MessagePack as the adapters write and read it: the broadcast message of
//! `@socket.io/redis-adapter`, as the `notepack.io` codec writes it,
//! `[uid, {type: 2, data: [event, ...args], nsp}, {rooms, except, flags}]`, and any
//! message read into [`Value`]s (the cluster messages of the sharded Redis adapter
//! and the Postgres adapter's attachments, which `@msgpack/msgpack` writes).
//!
//! Outgoing, the arguments are serialized from the emitted values by `rmp-serde`
//! (structs as maps, bytes as `bin`, integers in their smallest form, as notepack
//! writes JavaScript values), so nothing is parsed back from the JSON text the local
//! sockets received. Incoming, the message is read by `rmpv` into [`Value`]s, which
//! the packet encoder turns into one Socket.IO frame shared by every local
//! recipient; notepack's `undefined` (extension 0) vanishes from objects and is
//! `null` in arrays, and its dates (timestamp extension -1) become the ISO text
//! `Date.prototype.toJSON` writes.

use bytes::Bytes;
use rmpv::Value as Pack;

use crate::adapter::Broadcast;
use crate::protocol::{Map, Value};
use crate::room::Room;

/// How deep arrays and maps may nest in a message read from Redis.
pub(crate) const MAX_DEPTH: usize = 128;

/// A message from Redis that is not a broadcast this node can deliver.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MessageError {
    /// Not one MessagePack value (truncated, invalid, nested too deep).
    #[error("invalid MessagePack: {0}")]
    Invalid(#[from] rmpv::decode::Error),
    /// Bytes left after the message.
    #[error("trailing bytes after the message")]
    Trailing,
    /// The message does not have the shape of a broadcast.
    #[error("not a broadcast: {0}")]
    Shape(&'static str),
}

/// A broadcast that cannot be written in MessagePack.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EncodeError {
    /// The arguments do not serialize.
    #[error("the arguments do not serialize: {0}")]
    Serialize(#[from] rmp_serde::encode::Error),
    /// The arguments serialized as something else than a sequence.
    #[error("the arguments are not a sequence")]
    NotSequence,
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

impl IncomingBroadcast {
    /// Delivers it to the sockets of `ns` it selects, encoding it once; events
    /// with a reserved name are dropped.
    pub(crate) fn deliver(self, ns: &crate::adapter::LocalNamespace) {
        if crate::protocol::RESERVED_EVENTS.contains(&self.event.as_str()) {
            return;
        }
        match crate::protocol::encode_event(&self.nsp, &self.event, &self.args, None) {
            Ok(encoded) => {
                ns.deliver(&encoded, &self.rooms, &self.except, self.volatile);
            }
            Err(error) => tracing::debug!(%error, "a broadcast from another node is not encodable"),
        }
    }
}

// ---------------------------------------------------------------- writing

/// Writes `data` as `rmp-serde` does for notepack's readers: structs as maps, and
/// types that serialize differently for humans (ids, addresses) as in JSON.
fn serialize_args(data: &dyn erased_serde::Serialize) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    let mut serializer = rmp_serde::Serializer::new(&mut out)
        .with_struct_map()
        .with_human_readable();
    erased_serde::serialize(data, &mut serializer)?;
    Ok(out)
}

/// Writes `[event, ...args]`.
pub(crate) fn write_event_data(
    out: &mut Vec<u8>,
    event: &str,
    args: &dyn erased_serde::Serialize,
) -> Result<(), EncodeError> {
    let args = serialize_args(args)?;
    let mut rest = args.as_slice();
    let count = rmp::decode::read_array_len(&mut rest).map_err(|_| EncodeError::NotSequence)?;
    // Writing to a Vec cannot fail.
    let _ = rmp::encode::write_array_len(out, count.saturating_add(1));
    let _ = rmp::encode::write_str(out, event);
    out.extend_from_slice(rest);
    Ok(())
}

/// Writes the broadcast options `{rooms, except, flags}` of `broadcast`, its
/// excluded sender among `except`, and the acknowledgement timeout in
/// milliseconds among the flags when there is one.
pub(crate) fn write_opts(out: &mut Vec<u8>, broadcast: &Broadcast<'_>, timeout: Option<u64>) {
    use rmp::encode::{write_array_len, write_bool, write_map_len, write_str, write_uint};
    let _ = write_map_len(out, 3);
    let _ = write_str(out, "rooms");
    let _ = write_array_len(out, broadcast.rooms.len() as u32);
    for room in broadcast.rooms {
        let _ = write_str(out, room.as_str());
    }
    let _ = write_str(out, "except");
    let sender = broadcast.except_socket.filter(|sid| {
        !broadcast
            .except
            .iter()
            .any(|room| room.as_str() == sid.as_str())
    });
    let _ = write_array_len(
        out,
        (broadcast.except.len() + usize::from(sender.is_some())) as u32,
    );
    for room in broadcast.except {
        let _ = write_str(out, room.as_str());
    }
    if let Some(sid) = sender {
        let _ = write_str(out, sid.as_str());
    }
    let _ = write_str(out, "flags");
    let _ = write_map_len(
        out,
        u32::from(broadcast.volatile) + u32::from(timeout.is_some()),
    );
    if broadcast.volatile {
        let _ = write_str(out, "volatile");
        let _ = write_bool(out, true);
    }
    if let Some(timeout) = timeout {
        let _ = write_str(out, "timeout");
        let _ = write_uint(out, timeout);
    }
}

/// The Redis message announcing `broadcast` of namespace `nsp` from node `uid`.
pub(crate) fn encode_broadcast(
    uid: &str,
    nsp: &str,
    broadcast: &Broadcast<'_>,
) -> Result<Vec<u8>, EncodeError> {
    use rmp::encode::{write_array_len, write_map_len, write_str, write_uint};

    // Writing to a Vec cannot fail.
    let mut out = Vec::with_capacity(broadcast.encoded.text().len() + 64);
    let _ = write_array_len(&mut out, 3);
    let _ = write_str(&mut out, uid);

    let _ = write_map_len(&mut out, 3);
    let _ = write_str(&mut out, "type");
    let _ = write_uint(&mut out, 2);
    let _ = write_str(&mut out, "data");
    write_event_data(&mut out, broadcast.event, broadcast.args)?;
    let _ = write_str(&mut out, "nsp");
    let _ = write_str(&mut out, nsp);

    write_opts(&mut out, broadcast, None);
    Ok(out)
}

// ---------------------------------------------------------------- reading

/// The value a MessagePack value stands for in JavaScript; `None` for `undefined`.
pub(crate) fn value(pack: Pack) -> Option<Value> {
    Some(match pack {
        Pack::Nil => Value::Null,
        Pack::Boolean(flag) => Value::Bool(flag),
        Pack::Integer(number) => match (number.as_u64(), number.as_i64()) {
            (Some(number), _) => Value::Number(number.into()),
            (None, Some(number)) => Value::Number(number.into()),
            (None, None) => Value::Null,
        },
        Pack::F32(number) => float(f64::from(number)),
        Pack::F64(number) => float(number),
        Pack::String(text) => match text.into_str() {
            Some(text) => Value::String(text),
            None => Value::Null,
        },
        Pack::Binary(bytes) => Value::Binary(Bytes::from(bytes)),
        Pack::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| value(item).unwrap_or(Value::Null))
                .collect(),
        ),
        Pack::Map(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (key, item) in entries {
                let key = match key {
                    Pack::String(key) => key.into_str().unwrap_or_default(),
                    Pack::Integer(number) => number.to_string(),
                    Pack::Boolean(flag) => flag.to_string(),
                    _ => "null".to_owned(),
                };
                // JavaScript's `undefined` fields vanish, as in `JSON.stringify`.
                if let Some(item) = value(item) {
                    map.insert(key, item);
                }
            }
            Value::Object(map)
        }
        // notepack's `undefined`.
        Pack::Ext(0, data) if data.len() == 1 => return None,
        // A date: notepack writes it as a timestamp.
        Pack::Ext(-1, data) => timestamp(&data).map_or(Value::Null, Value::String),
        Pack::Ext(..) => Value::Null,
    })
}

fn float(number: f64) -> Value {
    serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
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
    let millis = seconds
        .checked_mul(1000)?
        .checked_add(i64::from(nanos / 1_000_000))?;
    crate::protocol::iso_date::iso_date(millis)
}

pub(crate) fn rooms(value: Option<Value>) -> Vec<Room> {
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
    let Value::Array(parts) = read_message(input)? else {
        return Err(MessageError::Shape("not an array"));
    };
    let mut parts = parts.into_iter();
    let (Some(Value::String(uid)), Some(Value::Object(packet)), opts) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(MessageError::Shape("not [uid, packet, opts]"));
    };
    let opts = match opts {
        Some(Value::Object(opts)) => opts,
        _ => Map::new(),
    };
    broadcast_from(uid, packet, opts)
}

/// One whole MessagePack message, as tether values (binary as binary).
pub(crate) fn read_message(input: &[u8]) -> Result<Value, MessageError> {
    let mut reader = input;
    let message = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH)?;
    if !reader.is_empty() {
        return Err(MessageError::Trailing);
    }
    value(message).ok_or(MessageError::Shape("not representable"))
}

/// The broadcast of `packet` (`{type, data: [event, ...args], nsp}`) with `opts`
/// (`{rooms, except, flags}`) from node `uid`.
pub(crate) fn broadcast_from(
    uid: String,
    mut packet: Map,
    mut opts: Map,
) -> Result<IncomingBroadcast, MessageError> {
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
    use crate::adapter::with_test_broadcast;
    use crate::engine::Sid;
    use crate::protocol::encode_event;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
            .collect()
    }

    /// `notepack.encode(["abc123", {type: 2, data: ["say", 1, -2, 1.5, "hi",
    /// Buffer.from([1, 2]), {a: 1, b: [true, null]}, 300, -200, 70000, 5000000000],
    /// nsp: "/chat"}, {rooms: ["r1"], except: ["r2"], flags: {volatile: true}}])`,
    /// what the Node.js adapter publishes for that volatile room broadcast.
    const NOTEPACK_BROADCAST: &str = "93a661626331323383a47479706502a4646174619ba373617901fecb3ff8000000000000a26869c402010282a16101a16292c3c0cd012cd1ff38ce00011170cf000000012a05f200a36e7370a52f6368617483a5726f6f6d7391a27231a665786365707491a27232a5666c61677381a8766f6c6174696c65c3";

    #[test]
    fn a_broadcast_is_written_as_notepack_writes_it() {
        #[derive(serde::Serialize)]
        struct Flags {
            a: u8,
            b: (bool, Option<u8>),
        }
        let data = (
            1,
            -2,
            1.5,
            "hi",
            Bytes::from_static(&[1, 2]),
            Flags {
                a: 1,
                b: (true, None),
            },
            300,
            -200,
            70_000,
            5_000_000_000u64,
        );
        with_test_broadcast(&data, None, |broadcast| {
            let message = encode_broadcast("abc123", "/chat", broadcast).unwrap();
            assert_eq!(message, hex(NOTEPACK_BROADCAST));
        });
    }

    #[test]
    fn a_broadcast_round_trips() {
        let data = (1, -2, 1.5, "hi", Bytes::from_static(&[1, 2]), ["a"; 20]);
        let sid = Sid::parse("AAAAAAAAAAAAAAAAAAAA").unwrap();
        with_test_broadcast(&data, Some(sid), |broadcast| {
            let message = encode_broadcast("abc123", "/chat", broadcast).unwrap();
            let incoming = decode_broadcast(&message).unwrap();
            assert_eq!(incoming.uid, "abc123");
            assert_eq!(incoming.nsp, "/chat");
            assert_eq!(incoming.event, "say");
            assert_eq!(incoming.rooms, [Room::new("r1")]);
            assert_eq!(incoming.except, [Room::new("r2"), Room::from(sid)]);
            assert!(incoming.volatile);
            let again = encode_event("/chat", "say", &incoming.args, None).unwrap();
            assert_eq!(&again, broadcast.encoded);
        });
    }

    #[test]
    fn notepack_dates_and_undefined_decode() {
        // notepack.encode(["uid", {type: 2, data: ["ev", new Date(Date.UTC(2021, 0, 1,
        //   0, 0, 0, 123)), {u: undefined, d: new Date(0)}], nsp: "/"},
        //   {rooms: [], except: [], flags: {}}])
        let message = hex(
            "93a375696483a47479706502a46461746193a26576d7ff1d5353005fee660081a164d6ff00000000a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380",
        );
        let incoming = decode_broadcast(&message).unwrap();
        let encoded = encode_event("/", "ev", &incoming.args, None).unwrap();
        assert_eq!(
            encoded.text(),
            r#"42["ev","2021-01-01T00:00:00.123Z",{"d":"1970-01-01T00:00:00.000Z"}]"#
        );
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
        assert_eq!(encoded.text(), r#"42["ev",1,null,{}]"#);
        assert_eq!(incoming.rooms, [Room::new("r")]);
        assert!(!incoming.volatile);
    }

    #[test]
    fn hostile_input_is_an_error() {
        assert!(matches!(
            decode_broadcast(&[]),
            Err(MessageError::Invalid(_))
        ));
        // The reserved marker 0xc1 is no broadcast either.
        assert!(decode_broadcast(&[0xc1]).is_err());
        // An array announcing four billion elements, with none there.
        assert!(matches!(
            decode_broadcast(&[0xdd, 0xff, 0xff, 0xff, 0xff]),
            Err(MessageError::Invalid(_))
        ));
        let deep = vec![0x91; MAX_DEPTH + 2];
        assert!(matches!(
            decode_broadcast(&deep),
            Err(MessageError::Invalid(_))
        ));
        assert!(matches!(
            decode_broadcast(&[0x92, 0xa1, b'u', 0x80]),
            Err(MessageError::Shape(_))
        ));
        assert!(matches!(
            decode_broadcast(&[0x90, 0x90]),
            Err(MessageError::Trailing)
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
