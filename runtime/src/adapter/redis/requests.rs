//! The request protocol of `@socket.io/redis-adapter` 8 on its request and
//! response channels, apart from any Redis connection: reading another node's
//! requests, writing this node's answers and requests, and matching the answers
//! that come back to the requests waiting for them.
//!
//! Requests are JSON objects `{uid, type, requestId?, ...}` on
//! `<key>-request#<nsp>#`; answers are JSON objects `{requestId, ...}` on
//! `<key>-response#<nsp>#`. The types tether reads: 0 `SOCKETS` (`{rooms}`, answered
//! with socket ids), 1 `ALL_ROOMS`, 2 `REMOTE_JOIN` and 3 `REMOTE_LEAVE`
//! (`{opts: {rooms, except}, rooms}`, or the older `{sid, room}` answered with
//! `{requestId}`), 4 `REMOTE_DISCONNECT` (`{opts, close}` or `{sid, close}`),
//! 5 `REMOTE_FETCH` (`{opts}`, answered with `{id, handshake, rooms, data}` per
//! socket) and 6 `SERVER_SIDE_EMIT` (`{data: [event, ...args]}`).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::adapter::pending::PendingRequests;
use crate::adapter::{ClusterRequest, ClusterResponse, JsonSocket, Selector, SocketDescription};
use crate::room::Room;

const SOCKETS: u8 = 0;
const ALL_ROOMS: u8 = 1;
const REMOTE_JOIN: u8 = 2;
const REMOTE_LEAVE: u8 = 3;
const REMOTE_DISCONNECT: u8 = 4;
const REMOTE_FETCH: u8 = 5;
pub(crate) const SERVER_SIDE_EMIT: u8 = 6;

/// A request another node published, as tether carries it out.
#[derive(Debug, PartialEq)]
pub(crate) enum Incoming<'a> {
    /// A cluster operation; answered on the response channel when `request_id`
    /// is set.
    Cluster {
        /// Where the answer goes, when one is wanted.
        request_id: Option<String>,
        /// What to do.
        request: ClusterRequest,
        /// The answer names socket ids only (the older `SOCKETS` request).
        ids_only: bool,
    },
    /// A server-side event without acknowledgement: the JSON array
    /// `[event, ...args]` (one with acknowledgement is a
    /// [`ClusterRequest::ServerSideEmit`]).
    ServerSideEmit {
        /// The event and its arguments.
        data: &'a str,
    },
}

#[derive(Deserialize)]
struct WireRequest<'a> {
    /// Absent from the commands of `@socket.io/redis-emitter`.
    #[serde(default)]
    uid: Option<&'a str>,
    #[serde(rename = "type")]
    kind: u8,
    #[serde(rename = "requestId", default)]
    request_id: Option<String>,
    #[serde(default)]
    rooms: Option<Vec<String>>,
    #[serde(default)]
    opts: Option<WireSelector>,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    room: Option<String>,
    #[serde(default)]
    close: Option<bool>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

#[derive(Serialize, Deserialize, Default)]
struct WireSelector {
    #[serde(default)]
    rooms: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
}

impl From<WireSelector> for Selector {
    fn from(wire: WireSelector) -> Selector {
        Selector {
            rooms: wire.rooms.iter().map(Room::new).collect(),
            except: wire.except.iter().map(Room::new).collect(),
        }
    }
}

impl From<&Selector> for WireSelector {
    fn from(selector: &Selector) -> WireSelector {
        WireSelector {
            rooms: selector
                .rooms
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            except: selector
                .except
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
        }
    }
}

/// Reads a request from the request channel. `None` for this node's own requests,
/// for types tether does not read, and for anything malformed.
pub(crate) fn parse_request<'a>(payload: &'a [u8], own_uid: &str) -> Option<Incoming<'a>> {
    if payload.first() != Some(&b'{') {
        return None;
    }
    let wire: WireRequest<'a> = serde_json::from_slice(payload).ok()?;
    if wire.uid == Some(own_uid) {
        return None;
    }
    let one_socket = |sid: Option<String>| {
        sid.map(|sid| Selector {
            rooms: vec![Room::new(sid)],
            except: Vec::new(),
        })
    };
    let (request, ids_only) = match wire.kind {
        SOCKETS => (
            ClusterRequest::FetchSockets(Selector {
                rooms: wire.rooms?.iter().map(Room::new).collect(),
                except: Vec::new(),
            }),
            true,
        ),
        ALL_ROOMS => (ClusterRequest::AllRooms, false),
        REMOTE_JOIN | REMOTE_LEAVE => {
            let (selector, rooms) = match wire.opts {
                Some(opts) => (Selector::from(opts), wire.rooms?),
                None => (one_socket(wire.sid)?, vec![wire.room?]),
            };
            let rooms = rooms.iter().map(Room::new).collect();
            let request = if wire.kind == REMOTE_JOIN {
                ClusterRequest::Join(selector, rooms)
            } else {
                ClusterRequest::Leave(selector, rooms)
            };
            (request, false)
        }
        REMOTE_DISCONNECT => {
            let selector = match wire.opts {
                Some(opts) => Selector::from(opts),
                None => one_socket(wire.sid)?,
            };
            let close = wire.close.unwrap_or(false);
            (ClusterRequest::Disconnect { selector, close }, false)
        }
        REMOTE_FETCH => (
            ClusterRequest::FetchSockets(wire.opts.unwrap_or_default().into()),
            false,
        ),
        SERVER_SIDE_EMIT => {
            let data = wire.data?.get();
            match wire.request_id {
                None => return Some(Incoming::ServerSideEmit { data }),
                Some(_) => (
                    ClusterRequest::ServerSideEmit {
                        packet: data.to_owned(),
                    },
                    false,
                ),
            }
        }
        _ => return None,
    };
    Some(Incoming::Cluster {
        request_id: wire.request_id,
        request,
        ids_only,
    })
}

/// This node's answer to a request with id `request_id`, as the JSON Node's
/// adapter writes.
pub(crate) fn answer_json(request_id: &str, response: &ClusterResponse, ids_only: bool) -> String {
    #[derive(Serialize)]
    struct Answer<'a, T: Serialize> {
        #[serde(rename = "requestId")]
        request_id: &'a str,
        #[serde(flatten)]
        body: T,
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Body<'a> {
        Sockets { sockets: &'a [SocketDescription] },
        SocketsJson { sockets: &'a [JsonSocket] },
        Ids { sockets: Vec<&'a str> },
        Rooms { rooms: Vec<&'a str> },
        Done {},
    }
    #[derive(Serialize)]
    struct Ack<'a> {
        #[serde(rename = "type")]
        kind: u8,
        #[serde(rename = "requestId")]
        request_id: &'a str,
        data: &'a serde_json::Value,
    }
    if let ClusterResponse::Ack(data) = response {
        let ack = Ack {
            kind: SERVER_SIDE_EMIT,
            request_id,
            data,
        };
        return serde_json::to_string(&ack).unwrap_or_default();
    }
    let body = match response {
        ClusterResponse::Sockets(sockets) if ids_only => Body::Ids {
            sockets: sockets.iter().map(|socket| socket.id.as_str()).collect(),
        },
        ClusterResponse::Sockets(sockets) => Body::Sockets { sockets },
        ClusterResponse::SocketsJson(sockets) if ids_only => Body::Ids {
            sockets: sockets.iter().map(|socket| socket.id.as_str()).collect(),
        },
        ClusterResponse::SocketsJson(sockets) => Body::SocketsJson { sockets },
        ClusterResponse::Rooms(rooms) => Body::Rooms {
            rooms: rooms.iter().map(Room::as_str).collect(),
        },
        _ => Body::Done {},
    };
    serde_json::to_string(&Answer { request_id, body }).unwrap_or_default()
}

/// The JSON of a request this node publishes; `request_id` is set when it waits
/// for answers.
pub(crate) fn request_json(
    uid: &str,
    request_id: Option<&str>,
    request: &ClusterRequest,
) -> String {
    #[derive(Serialize)]
    struct Wire<'a> {
        uid: &'a str,
        #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
        request_id: Option<&'a str>,
        #[serde(rename = "type")]
        kind: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        opts: Option<WireSelector>,
        #[serde(skip_serializing_if = "Option::is_none")]
        rooms: Option<Vec<&'a str>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        close: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<&'a RawValue>,
    }
    let mut wire = Wire {
        uid,
        request_id,
        kind: 0,
        opts: None,
        rooms: None,
        close: None,
        data: None,
    };
    match request {
        ClusterRequest::FetchSockets(selector) => {
            wire.kind = REMOTE_FETCH;
            wire.opts = Some(selector.into());
        }
        ClusterRequest::AllRooms => wire.kind = ALL_ROOMS,
        ClusterRequest::Join(selector, rooms) => {
            wire.kind = REMOTE_JOIN;
            wire.opts = Some(selector.into());
            wire.rooms = Some(room_names(rooms));
        }
        ClusterRequest::Leave(selector, rooms) => {
            wire.kind = REMOTE_LEAVE;
            wire.opts = Some(selector.into());
            wire.rooms = Some(room_names(rooms));
        }
        ClusterRequest::Disconnect { selector, close } => {
            wire.kind = REMOTE_DISCONNECT;
            wire.opts = Some(selector.into());
            wire.close = Some(*close);
        }
        ClusterRequest::ServerSideEmit { packet } => {
            wire.kind = SERVER_SIDE_EMIT;
            // The packet is a JSON array the server encoded.
            wire.data = serde_json::from_str(packet).ok();
        }
    }
    serde_json::to_string(&wire).unwrap_or_default()
}

fn room_names(rooms: &[Room]) -> Vec<&str> {
    rooms.iter().map(Room::as_str).collect()
}

/// An answer from another node, as far as matching it needs.
#[derive(Deserialize)]
struct WireAnswer {
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<u8>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    sockets: Option<Vec<JsonSocket>>,
    #[serde(default)]
    rooms: Option<Vec<String>>,
}

/// Files an answer read from the response channel with its request in `pending`.
/// Answers to requests this node does not wait for are ignored: every node reads
/// every answer on the shared response channel (its own included), so one that
/// opens with another request's id is dropped before it is parsed.
pub(crate) fn on_answer(pending: &PendingRequests, payload: &[u8]) {
    if payload.first() != Some(&b'{') {
        return;
    }
    if let Some(id) = leading_request_id(payload)
        && !pending.is_waiting(id)
    {
        return;
    }
    let Ok(answer) = serde_json::from_slice::<WireAnswer>(payload) else {
        tracing::debug!("ignored a malformed answer from Redis");
        return;
    };
    let Some(id) = answer.request_id else {
        return;
    };
    let response = match (answer.sockets, answer.rooms) {
        _ if answer.kind == Some(SERVER_SIDE_EMIT) => {
            ClusterResponse::Ack(answer.data.unwrap_or_default())
        }
        (Some(sockets), _) => ClusterResponse::SocketsJson(sockets),
        (None, Some(rooms)) => ClusterResponse::Rooms(rooms.iter().map(Room::new).collect()),
        (None, None) => ClusterResponse::Done,
    };
    // Answers on Redis are counted, not told apart by node.
    pending.answer(&id, "", response);
}

/// The request id an answer opens with, as tether and Node.js write them
/// (`{"requestId":"<id>",...`); `None` when it opens otherwise or the id holds
/// an escape.
fn leading_request_id(payload: &[u8]) -> Option<&str> {
    let rest = payload.strip_prefix(br#"{"requestId":""#)?;
    let end = rest.iter().position(|&byte| byte == b'"')?;
    let id = &rest[..end];
    if id.contains(&b'\\') {
        return None;
    }
    std::str::from_utf8(id).ok()
}

#[cfg(test)]
mod tests;
