//! The messages of `socket.io-adapter`'s `ClusterAdapter`, which the Node.js
//! Postgres adapter, the Redis Streams adapter and the sharded Redis adapter
//! exchange: `{type, data, uid, nsp}`, in JSON, or in MessagePack when JSON would
//! not do (binary, large payloads). Writing and reading them here is independent of
//! the transport; each adapter decides which encoding goes where.
//!
//! | type | message | `data` |
//! |---|---|---|
//! | 1, 2 | initial heartbeat, heartbeat | none |
//! | 3 | broadcast | `{packet, opts}`, with `requestId` when acknowledgements are awaited |
//! | 4, 5 | sockets join / leave | `{opts, rooms}` |
//! | 6 | disconnect sockets | `{opts, close}` |
//! | 7 | fetch sockets | `{opts, requestId}` |
//! | 8 | its answer | `{requestId, sockets}` |
//! | 9 | server-side event | `{packet}`, with `requestId` when answers are awaited |
//! | 10 | its answer | `{requestId, packet}` |
//! | 11 | broadcast client count | `{requestId, clientCount}` |
//! | 12 | broadcast acknowledgement | `{requestId, packet}` |
//! | 13 | adapter close | none |

use std::time::Duration;

use super::msgpack::{self, IncomingBroadcast};
use crate::adapter::{Broadcast, ClusterRequest, ClusterResponse, Selector, SocketDescription};
use crate::protocol::{Map, Value};
use crate::room::Room;

pub(crate) const INITIAL_HEARTBEAT: u64 = 1;
pub(crate) const HEARTBEAT: u64 = 2;
pub(crate) const BROADCAST: u64 = 3;
pub(crate) const SOCKETS_JOIN: u64 = 4;
pub(crate) const SOCKETS_LEAVE: u64 = 5;
pub(crate) const DISCONNECT_SOCKETS: u64 = 6;
pub(crate) const FETCH_SOCKETS: u64 = 7;
pub(crate) const FETCH_SOCKETS_RESPONSE: u64 = 8;
pub(crate) const SERVER_SIDE_EMIT: u64 = 9;
pub(crate) const SERVER_SIDE_EMIT_RESPONSE: u64 = 10;
pub(crate) const BROADCAST_CLIENT_COUNT: u64 = 11;
pub(crate) const BROADCAST_ACK: u64 = 12;
pub(crate) const ADAPTER_CLOSE: u64 = 13;

/// The longest a node waits for its sockets' acknowledgements of another node's
/// broadcast, whatever timeout the request names.
const MAX_ACK_WAIT: Duration = Duration::from_secs(300);

/// A cluster message of another node.
#[derive(Debug, PartialEq)]
pub(crate) struct Message {
    /// The sending node (`emitter` for emitters); absent in some emitters' messages.
    pub(crate) uid: Option<String>,
    /// The namespace, or the one the caller gave when the message names none.
    pub(crate) nsp: String,
    /// What it says.
    pub(crate) body: Body,
}

/// What a cluster message says, as tether acts on it.
#[derive(Debug, PartialEq)]
pub(crate) enum Body {
    /// Type 1: a node starts; every node answers with a heartbeat.
    InitialHeartbeat,
    /// Type 2: a node is alive.
    Heartbeat,
    /// Type 13: a node leaves.
    Close,
    /// Type 3 without `requestId`: deliver it.
    Broadcast(IncomingBroadcast),
    /// Type 3 with `requestId`: deliver it and report the acknowledgements.
    BroadcastWithAck {
        request_id: String,
        broadcast: IncomingBroadcast,
        /// The requester's `flags.timeout`, bounded.
        timeout: Option<Duration>,
    },
    /// Types 4–7, and 9 with `requestId`: carry out a request, answering when
    /// `request_id` is set.
    Request {
        request_id: Option<String>,
        request: ClusterRequest,
    },
    /// Type 9 without `requestId`: run the handlers; `packet` is the JSON array
    /// `[event, ...args]`.
    ServerSideEmit { packet: String },
    /// Types 8 and 10: another node's answer to a request.
    Response {
        request_id: String,
        response: ClusterResponse,
    },
    /// Type 11: how many sockets another node sent an acknowledged broadcast to.
    ClientCount { request_id: String, count: usize },
    /// Type 12: one of those sockets' acknowledgement (its first argument).
    Ack { request_id: String, value: Value },
}

// ---------------------------------------------------------------- writing

/// The message `{type, data?, uid, nsp}`, keys in Node's order.
pub(crate) fn envelope(kind: u64, data: Option<Value>, uid: &str, nsp: &str) -> Value {
    let mut message = Map::with_capacity(4);
    message.insert("type".to_owned(), Value::from(kind));
    if let Some(data) = data {
        message.insert("data".to_owned(), data);
    }
    message.insert("uid".to_owned(), Value::String(uid.to_owned()));
    message.insert("nsp".to_owned(), Value::String(nsp.to_owned()));
    Value::Object(message)
}

fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

fn strings<'a>(names: impl IntoIterator<Item = &'a str>) -> Value {
    Value::Array(
        names
            .into_iter()
            .map(|name| Value::String(name.to_owned()))
            .collect(),
    )
}

/// `{rooms, except, flags: {}}`, the `opts` of a cluster command or query.
pub(crate) fn selector(selector: &Selector) -> Value {
    object([
        ("rooms", strings(selector.rooms.iter().map(Room::as_str))),
        ("except", strings(selector.except.iter().map(Room::as_str))),
        ("flags", Value::Object(Map::new())),
    ])
}

/// The `data` of broadcast `broadcast` of namespace `nsp` (type 3): `{packet,
/// opts}`, or `{packet, requestId, opts}` with the acknowledgement timeout among
/// the flags when acknowledgements are awaited.
pub(crate) fn broadcast_data(
    broadcast: &Broadcast<'_>,
    nsp: &str,
    with_ack: Option<(&str, Duration)>,
) -> Result<Value, crate::protocol::ValueError> {
    let Value::Array(args) = crate::protocol::to_value(broadcast.args)? else {
        return Err(serde::ser::Error::custom(
            "the arguments are not a sequence",
        ));
    };
    let mut data = Vec::with_capacity(args.len() + 1);
    data.push(Value::String(broadcast.event.to_owned()));
    data.extend(args);
    let packet = object([
        ("type", Value::from(2u64)),
        ("data", Value::Array(data)),
        ("nsp", Value::String(nsp.to_owned())),
    ]);
    let mut except: Vec<&str> = broadcast.except.iter().map(Room::as_str).collect();
    if let Some(sid) = &broadcast.except_socket
        && !except.contains(&sid.as_str())
    {
        except.push(sid.as_str());
    }
    let mut flags = Map::new();
    if broadcast.volatile {
        flags.insert("volatile".to_owned(), Value::Bool(true));
    }
    if let Some((_, timeout)) = with_ack {
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        flags.insert("timeout".to_owned(), Value::from(millis));
    }
    let opts = object([
        ("rooms", strings(broadcast.rooms.iter().map(Room::as_str))),
        ("except", strings(except)),
        ("flags", Value::Object(flags)),
    ]);
    Ok(match with_ack {
        Some((request_id, _)) => object([
            ("packet", packet),
            ("requestId", Value::String(request_id.to_owned())),
            ("opts", opts),
        ]),
        None => object([("packet", packet), ("opts", opts)]),
    })
}

/// The type and `data` of `request`; `request_id` is set when answers are awaited.
/// [`ClusterRequest::AllRooms`], which the format has no type for, goes as a
/// request to fetch every socket, whose rooms the requester gathers.
pub(crate) fn request_data(request: &ClusterRequest, request_id: Option<&str>) -> (u64, Value) {
    let id = || Value::String(request_id.unwrap_or_default().to_owned());
    let rooms = |rooms: &[Room]| strings(rooms.iter().map(Room::as_str));
    match request {
        ClusterRequest::FetchSockets(wanted) => (
            FETCH_SOCKETS,
            object([("opts", selector(wanted)), ("requestId", id())]),
        ),
        ClusterRequest::AllRooms => (
            FETCH_SOCKETS,
            object([
                ("opts", selector(&Selector::default())),
                ("requestId", id()),
            ]),
        ),
        ClusterRequest::Join(wanted, names) => (
            SOCKETS_JOIN,
            object([("opts", selector(wanted)), ("rooms", rooms(names))]),
        ),
        ClusterRequest::Leave(wanted, names) => (
            SOCKETS_LEAVE,
            object([("opts", selector(wanted)), ("rooms", rooms(names))]),
        ),
        ClusterRequest::Disconnect {
            selector: wanted,
            close,
        } => (
            DISCONNECT_SOCKETS,
            object([("opts", selector(wanted)), ("close", Value::Bool(*close))]),
        ),
        ClusterRequest::ServerSideEmit { packet } => {
            (SERVER_SIDE_EMIT, server_side_emit_data(packet, request_id))
        }
    }
}

/// The `data` of a server-side event (type 9): `{packet}`, or `{requestId,
/// packet}` when answers are awaited. `packet` is the JSON array `[event, ...args]`.
pub(crate) fn server_side_emit_data(packet: &str, request_id: Option<&str>) -> Value {
    let packet = serde_json::from_str::<Value>(packet).unwrap_or(Value::Array(Vec::new()));
    match request_id {
        Some(id) => object([
            ("requestId", Value::String(id.to_owned())),
            ("packet", packet),
        ]),
        None => object([("packet", packet)]),
    }
}

/// The type and `data` of this node's answer to request `request_id`; `None` for
/// answers the format does not carry (commands are not answered).
pub(crate) fn response_data(request_id: &str, response: &ClusterResponse) -> Option<(u64, Value)> {
    let id = Value::String(request_id.to_owned());
    match response {
        ClusterResponse::Sockets(sockets) => {
            let sockets = crate::protocol::to_value(sockets).ok()?;
            Some((
                FETCH_SOCKETS_RESPONSE,
                object([("requestId", id), ("sockets", sockets)]),
            ))
        }
        ClusterResponse::Ack(value) => {
            let packet = crate::protocol::to_value(value).ok()?;
            Some((
                SERVER_SIDE_EMIT_RESPONSE,
                object([("requestId", id), ("packet", packet)]),
            ))
        }
        _ => None,
    }
}

/// The type and `data` of a report on another node's acknowledged broadcast: how
/// many sockets it went to.
pub(crate) fn client_count_data(request_id: &str, count: usize) -> (u64, Value) {
    (
        BROADCAST_CLIENT_COUNT,
        object([
            ("requestId", Value::String(request_id.to_owned())),
            ("clientCount", Value::from(count as u64)),
        ]),
    )
}

/// The type and `data` of one socket's acknowledgement of another node's broadcast.
pub(crate) fn ack_data(request_id: &str, value: Value) -> (u64, Value) {
    (
        BROADCAST_ACK,
        object([
            ("requestId", Value::String(request_id.to_owned())),
            ("packet", value),
        ]),
    )
}

/// Whether `value` holds binary anywhere.
pub(crate) fn has_binary(value: &Value) -> bool {
    match value {
        Value::Binary(_) => true,
        Value::Array(items) => items.iter().any(has_binary),
        Value::Object(fields) => fields.values().any(has_binary),
        _ => false,
    }
}

/// `message` as Node's adapters publish it: JSON, or MessagePack when it carries
/// binary.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn encode(message: &Value) -> Vec<u8> {
    if has_binary(message) {
        to_msgpack(message)
    } else {
        to_json(message)
    }
}

/// `value` as JSON (as `JSON.stringify` writes it; binary must not be in it).
pub(crate) fn to_json(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// `value` in MessagePack: maps with string keys, binary as `bin`, integers in
/// their smallest form.
pub(crate) fn to_msgpack(value: &Value) -> Vec<u8> {
    use serde::Serialize as _;
    let mut out = Vec::new();
    let _ = value.serialize(&mut rmp_serde::Serializer::new(&mut out).with_struct_map());
    out
}

// ---------------------------------------------------------------- reading

/// Reads a cluster message, JSON when it starts with `{`, else MessagePack; a
/// message that names no namespace is taken to be of `nsp`. `None` for what is
/// malformed or of a type tether does not know.
pub(crate) fn decode(payload: &[u8], nsp: &str) -> Option<Message> {
    let message = if payload.first() == Some(&b'{') {
        serde_json::from_slice::<Value>(payload).ok()?
    } else {
        msgpack::read_message(payload).ok()?
    };
    let Value::Object(message) = message else {
        return None;
    };
    from_object(message, nsp)
}

/// Reads a cluster message already parsed into an object.
pub(crate) fn from_object(mut message: Map, nsp: &str) -> Option<Message> {
    let kind = message.get("type").and_then(Value::as_u64)?;
    let uid = match message.swap_remove("uid") {
        Some(Value::String(uid)) => Some(uid),
        _ => None,
    };
    let nsp = match message.swap_remove("nsp") {
        Some(Value::String(nsp)) => nsp,
        _ => nsp.to_owned(),
    };
    let mut data = match message.swap_remove("data") {
        Some(Value::Object(data)) => data,
        _ => Map::new(),
    };
    let request_id = match data.swap_remove("requestId") {
        Some(Value::String(id)) => Some(id),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    let body = match kind {
        INITIAL_HEARTBEAT => Body::InitialHeartbeat,
        HEARTBEAT => Body::Heartbeat,
        ADAPTER_CLOSE => Body::Close,
        BROADCAST => {
            let Some(Value::Object(packet)) = data.swap_remove("packet") else {
                return None;
            };
            let opts = match data.swap_remove("opts") {
                Some(Value::Object(opts)) => opts,
                _ => Map::new(),
            };
            let timeout = ack_timeout(&opts);
            let mut broadcast =
                msgpack::broadcast_from(uid.clone().unwrap_or_default(), packet, opts).ok()?;
            broadcast.nsp.clone_from(&nsp);
            match request_id {
                Some(request_id) => Body::BroadcastWithAck {
                    request_id,
                    broadcast,
                    timeout,
                },
                None => Body::Broadcast(broadcast),
            }
        }
        SOCKETS_JOIN | SOCKETS_LEAVE => {
            let wanted = read_selector(data.swap_remove("opts"));
            let rooms = msgpack::rooms(data.swap_remove("rooms"));
            let request = if kind == SOCKETS_JOIN {
                ClusterRequest::Join(wanted, rooms)
            } else {
                ClusterRequest::Leave(wanted, rooms)
            };
            Body::Request {
                request_id: None,
                request,
            }
        }
        DISCONNECT_SOCKETS => Body::Request {
            request_id: None,
            request: ClusterRequest::Disconnect {
                selector: read_selector(data.swap_remove("opts")),
                close: matches!(data.get("close"), Some(Value::Bool(true))),
            },
        },
        FETCH_SOCKETS => Body::Request {
            request: ClusterRequest::FetchSockets(read_selector(data.swap_remove("opts"))),
            request_id: Some(request_id?),
        },
        SERVER_SIDE_EMIT => {
            let packet = data.swap_remove("packet")?;
            if !matches!(packet, Value::Array(_)) {
                return None;
            }
            let packet = serde_json::to_string(&packet).ok()?;
            match request_id {
                Some(request_id) => Body::Request {
                    request_id: Some(request_id),
                    request: ClusterRequest::ServerSideEmit { packet },
                },
                None => Body::ServerSideEmit { packet },
            }
        }
        FETCH_SOCKETS_RESPONSE => {
            let sockets = data
                .swap_remove("sockets")
                .unwrap_or(Value::Array(Vec::new()));
            let sockets: Vec<SocketDescription> = crate::protocol::from_value(sockets).ok()?;
            Body::Response {
                request_id: request_id?,
                response: ClusterResponse::Sockets(sockets),
            }
        }
        SERVER_SIDE_EMIT_RESPONSE => {
            let packet = data.swap_remove("packet").unwrap_or(Value::Null);
            Body::Response {
                request_id: request_id?,
                response: ClusterResponse::Ack(serde_json::to_value(&packet).ok()?),
            }
        }
        BROADCAST_CLIENT_COUNT => Body::ClientCount {
            request_id: request_id?,
            count: usize::try_from(data.get("clientCount")?.as_u64()?).ok()?,
        },
        BROADCAST_ACK => Body::Ack {
            request_id: request_id?,
            value: data.swap_remove("packet").unwrap_or(Value::Null),
        },
        _ => return None,
    };
    Some(Message { uid, nsp, body })
}

fn read_selector(opts: Option<Value>) -> Selector {
    let Some(Value::Object(mut opts)) = opts else {
        return Selector::default();
    };
    Selector {
        rooms: msgpack::rooms(opts.swap_remove("rooms")),
        except: msgpack::rooms(opts.swap_remove("except")),
    }
}

/// The broadcast's `opts.flags.timeout` (milliseconds), bounded.
pub(crate) fn ack_timeout(opts: &Map) -> Option<Duration> {
    let Some(Value::Object(flags)) = opts.get("flags") else {
        return None;
    };
    let millis = flags.get("timeout")?.as_f64()?;
    (millis.is_finite() && millis >= 0.0)
        .then(|| Duration::from_secs_f64(millis / 1000.0).min(MAX_ACK_WAIT))
}

#[cfg(test)]
mod tests;
