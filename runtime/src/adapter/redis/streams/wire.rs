//! The formats of `@socket.io/redis-streams-adapter` 0.3.1: the cluster messages
//! of `socket.io-adapter` (`{type, data, uid, nsp}`) as flat stream entries
//! (`uid`, `nsp`, `type` as decimal text, `data` as JSON, or as base64 of
//! MessagePack when it carries binary) and as raw MessagePack on pub/sub, and the
//! recovery session (`base64(MessagePack({sid, pid, rooms, data}))`). MessagePack
//! follows `@msgpack/msgpack`: `undefined` and `null` are nil, binary is `bin`,
//! integers take their smallest form, other numbers are float64. The message
//! types and the selectors are those of `adapter::cluster_message`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::adapter::msgpack;
use crate::adapter::{Broadcast, SessionState, SocketDescription};
use crate::protocol::{Map, Value};
use crate::room::Room;

pub(crate) use crate::adapter::cluster_message::{
    BROADCAST, BROADCAST_ACK, BROADCAST_CLIENT_COUNT, DISCONNECT_SOCKETS, FETCH_SOCKETS,
    FETCH_SOCKETS_RESPONSE, SERVER_SIDE_EMIT, SERVER_SIDE_EMIT_RESPONSE, SOCKETS_JOIN,
    SOCKETS_LEAVE, has_binary, selector as selector_opts,
};

/// A cluster message: `{type, data, uid, nsp}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Message {
    pub(crate) kind: u64,
    pub(crate) uid: String,
    pub(crate) nsp: String,
    pub(crate) data: Option<Value>,
}

/// `value` in MessagePack as `@msgpack/msgpack` writes it.
pub(crate) fn pack(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = rmp_serde::Serializer::new(&mut out).with_struct_map();
    // Values and the structs below always serialize.
    let _ = value.serialize(&mut serializer);
    out
}

/// One whole MessagePack value, read as JavaScript would.
pub(crate) fn unpack(bytes: &[u8]) -> Option<Value> {
    msgpack::read_message(bytes).ok()
}

/// The fields of a stream entry for `message`, in the adapter's order.
pub(crate) fn entry_fields(message: &Message, only_plaintext: bool) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("uid", message.uid.clone()),
        ("nsp", message.nsp.clone()),
        ("type", message.kind.to_string()),
    ];
    if let Some(data) = &message.data {
        let may_hold_binary = matches!(
            message.kind,
            BROADCAST
                | FETCH_SOCKETS_RESPONSE
                | SERVER_SIDE_EMIT
                | SERVER_SIDE_EMIT_RESPONSE
                | BROADCAST_ACK
        );
        let text = if !only_plaintext && may_hold_binary && has_binary(data) {
            STANDARD.encode(pack(data))
        } else {
            serde_json::to_string(data).unwrap_or_default()
        };
        fields.push(("data", text));
    }
    fields
}

/// Reads a stream entry's fields; `None` without `nsp`, `uid` or a numeric
/// `type`, or with unreadable `data`.
pub(crate) fn decode_entry<'a>(
    fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Option<Message> {
    let (mut uid, mut nsp, mut kind, mut data) = (None, None, None, None);
    for (name, value) in fields {
        let value = std::str::from_utf8(value).ok();
        match name {
            b"uid" => uid = value,
            b"nsp" => nsp = value,
            b"type" => kind = value,
            b"data" => data = value,
            _ => {}
        }
    }
    let data = match data.filter(|data| !data.is_empty()) {
        None => None,
        Some(text) if text.starts_with('{') => Some(serde_json::from_str::<Value>(text).ok()?),
        Some(text) => Some(unpack(&STANDARD.decode(text).ok()?)?),
    };
    Some(Message {
        kind: parse_int(kind?)?,
        uid: uid.unwrap_or_default().to_owned(),
        nsp: nsp?.to_owned(),
        data,
    })
}

/// The leading decimal digits of `text`, as `parseInt(text, 10)` reads them.
fn parse_int(text: &str) -> Option<u64> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

/// `message` as the pub/sub payload: `{type, data, uid, nsp}` in MessagePack.
pub(crate) fn encode_envelope(message: Message) -> Vec<u8> {
    let mut envelope = Map::with_capacity(4);
    envelope.insert("type".to_owned(), Value::from(message.kind));
    if let Some(data) = message.data {
        envelope.insert("data".to_owned(), data);
    }
    envelope.insert("uid".to_owned(), Value::String(message.uid));
    envelope.insert("nsp".to_owned(), Value::String(message.nsp));
    pack(&Value::Object(envelope))
}

/// Reads a pub/sub payload; `None` unless it is a cluster message.
pub(crate) fn decode_envelope(payload: &[u8]) -> Option<Message> {
    let Value::Object(mut envelope) = unpack(payload)? else {
        return None;
    };
    let kind = envelope.get("type")?.as_u64()?;
    let text = |value: Option<Value>| match value {
        Some(Value::String(text)) => text,
        _ => String::new(),
    };
    Some(Message {
        kind,
        uid: text(envelope.swap_remove("uid")),
        nsp: text(envelope.swap_remove("nsp")),
        data: envelope.swap_remove("data").filter(|data| !data.is_null()),
    })
}

/// The sockets of a node's answer to a fetch, read straight from MessagePack;
/// through JSON when they hold binary data (a Node.js `Buffer` in
/// `socket.data`), which then comes as JSON shows it.
pub(crate) fn fetched_sockets(sockets: Value) -> Option<Vec<SocketDescription>> {
    if has_binary(&sockets) {
        let json = serde_json::to_value(&sockets).ok()?;
        return serde_json::from_value(json).ok();
    }
    crate::protocol::from_value(sockets).ok()
}

/// The `opts` of a broadcast: `{rooms, except, flags}`, the excluded sender
/// among `except`, the acknowledgement timeout among the flags when there is one.
pub(crate) fn opts(broadcast: &Broadcast<'_>, timeout_ms: Option<u64>) -> Value {
    let names = |rooms: &[Room]| -> Vec<Value> {
        rooms
            .iter()
            .map(|room| Value::from(room.as_str()))
            .collect()
    };
    let mut except = names(broadcast.except);
    if let Some(sid) = broadcast.except_socket
        && !broadcast
            .except
            .iter()
            .any(|room| room.as_str() == sid.as_str())
    {
        except.push(Value::from(sid.as_str()));
    }
    let mut flags = Map::new();
    if broadcast.volatile {
        flags.insert("volatile".to_owned(), Value::Bool(true));
    }
    if let Some(timeout) = timeout_ms {
        flags.insert("timeout".to_owned(), Value::from(timeout));
    }
    let mut opts = Map::new();
    opts.insert("rooms".to_owned(), Value::Array(names(broadcast.rooms)));
    opts.insert("except".to_owned(), Value::Array(except));
    opts.insert("flags".to_owned(), Value::Object(flags));
    Value::Object(opts)
}

/// The `data` of a broadcast: `{packet: {type: 2, data: [event, ...args]}, opts}`,
/// with `requestId` between them when it waits for acknowledgements.
pub(crate) fn broadcast_data(
    broadcast: &Broadcast<'_>,
    request: Option<(&str, u64)>,
) -> Result<Value, crate::protocol::ValueError> {
    let Value::Array(args) = crate::protocol::to_value(broadcast.args)? else {
        return Err(serde::ser::Error::custom(
            "the arguments are not a sequence",
        ));
    };
    let mut items = Vec::with_capacity(args.len() + 1);
    items.push(Value::from(broadcast.event));
    items.extend(args);
    let mut packet = Map::new();
    packet.insert("type".to_owned(), Value::from(2u8));
    packet.insert("data".to_owned(), Value::Array(items));
    let mut data = Map::new();
    data.insert("packet".to_owned(), Value::Object(packet));
    if let Some((id, _)) = request {
        data.insert("requestId".to_owned(), Value::from(id));
    }
    data.insert(
        "opts".to_owned(),
        opts(broadcast, request.map(|(_, ms)| ms)),
    );
    Ok(Value::Object(data))
}

/// Reads `{rooms, except}` as a selector.
pub(crate) fn selector_of(opts: Option<&Value>) -> crate::adapter::Selector {
    let rooms = |key: &str| msgpack::rooms(opts.and_then(|opts| opts.get(key)).cloned());
    crate::adapter::Selector {
        rooms: rooms("rooms"),
        except: rooms("except"),
    }
}

#[derive(Serialize)]
struct WireSession<'a> {
    sid: &'a str,
    pid: &'a str,
    rooms: &'a [String],
    data: &'a serde_json::Value,
}

/// The session as the adapter stores it: base64 of its MessagePack.
pub(crate) fn encode_session(session: &SessionState) -> String {
    // Node's sockets always have data: an empty object when none was set.
    let empty = serde_json::Value::Object(serde_json::Map::new());
    let wire = WireSession {
        sid: &session.sid,
        pid: &session.pid,
        rooms: &session.rooms,
        data: if session.data.is_null() {
            &empty
        } else {
            &session.data
        },
    };
    STANDARD.encode(pack(&wire))
}

/// Reads a stored session; `None` when it is not one.
pub(crate) fn decode_session(text: &[u8]) -> Option<SessionState> {
    let Value::Object(mut session) = unpack(&STANDARD.decode(text).ok()?)? else {
        return None;
    };
    let (Some(Value::String(sid)), Some(Value::String(pid))) =
        (session.swap_remove("sid"), session.swap_remove("pid"))
    else {
        return None;
    };
    let rooms = msgpack::rooms(session.swap_remove("rooms"))
        .iter()
        .map(|room| room.as_str().to_owned())
        .collect();
    let data = session
        .swap_remove("data")
        .and_then(|data| serde_json::to_value(&data).ok())
        .unwrap_or_default();
    Some(SessionState::new(sid, pid, rooms, data))
}

/// Java's `String.hashCode` over UTF-16 units, as the adapter computes it.
pub(crate) fn hash_code(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The stream of namespace `nsp`: `name`, or `name-<hash % count>` (the sign of
/// JavaScript's `%` kept) with several streams.
pub(crate) fn stream_of(nsp: &str, name: &str, count: usize) -> String {
    if count <= 1 {
        return name.to_owned();
    }
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    format!("{name}-{}", hash_code(nsp) % count)
}

/// `<ms>-<seq>`, the shape of a stream offset.
pub(crate) fn parse_offset(offset: &str) -> Option<(u64, u64)> {
    let (ms, seq) = offset.split_once('-')?;
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(ms) || !digits(seq) {
        return None;
    }
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests;
