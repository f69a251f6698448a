//! Cluster requests of the sharded variant, as `socket.io-adapter`'s
//! `ClusterAdapter` (under Node's `createShardedAdapter`) writes them: messages
//! `{type, data, uid, nsp}` on the namespace's channel `<key>#<nsp>#`, answered
//! on the asking node's channel `<key>#<nsp>#<uid>#`, in JSON (MessagePack when
//! an answer carries binary).
//!
//! Requests: 4 `SOCKETS_JOIN` and 5 `SOCKETS_LEAVE` (`{opts, rooms}`),
//! 6 `DISCONNECT_SOCKETS` (`{opts, close}`), 7 `FETCH_SOCKETS` (`{opts,
//! requestId}`), 9 `SERVER_SIDE_EMIT` with a `requestId`, and 3 `BROADCAST`
//! with a `requestId` (acknowledgements awaited). Answers: 8
//! `FETCH_SOCKETS_RESPONSE` (`{requestId, sockets}`), 10
//! `SERVER_SIDE_EMIT_RESPONSE` (`{requestId, packet}`), 11
//! `BROADCAST_CLIENT_COUNT` (`{requestId, clientCount}`) and 12 `BROADCAST_ACK`
//! (`{requestId, packet}`). The format has no `allRooms` request: tether asks
//! `FETCH_SOCKETS` of every socket and gathers their rooms, which every node,
//! Node's included, answers. Servers are counted with `PUBSUB SHARDNUMSUB` on
//! the namespace's channel, as Node does.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use super::sharded::{self, Incoming};
use super::{Shared, acks, cluster, msgpack};
use crate::adapter::{ClusterRequest, ClusterResponse, RemoteAck, Selector, SocketDescription};
use crate::protocol::{Map, Value};
use crate::server::Room;

const SOCKETS_JOIN: u64 = 4;
const SOCKETS_LEAVE: u64 = 5;
const DISCONNECT_SOCKETS: u64 = 6;
const FETCH_SOCKETS: u64 = 7;
const FETCH_SOCKETS_RESPONSE: u64 = 8;
const SERVER_SIDE_EMIT_RESPONSE: u64 = 10;
const BROADCAST_CLIENT_COUNT: u64 = 11;
const BROADCAST_ACK: u64 = 12;

/// Another node's answer, as the request waiting for it takes it.
#[derive(Debug, PartialEq)]
pub(crate) enum Answer {
    /// An answer to a cluster request.
    Cluster(ClusterResponse),
    /// A report on a broadcast waiting for acknowledgements.
    Report(RemoteAck),
}

/// The channel node `uid` takes its answers on: `<key>#<nsp>#<uid>#`.
pub(crate) fn response_channel(key: &str, nsp: &str, uid: &str) -> String {
    format!("{key}#{nsp}#{uid}#")
}

fn selector(opts: Option<Value>) -> Selector {
    let mut opts = match opts {
        Some(Value::Object(opts)) => opts,
        _ => Map::new(),
    };
    Selector {
        rooms: msgpack::rooms(opts.swap_remove("rooms")),
        except: msgpack::rooms(opts.swap_remove("except")),
    }
}

/// Reads a request or an answer of type `kind` (`data` without its
/// `requestId`); `None` for other types and malformed ones.
pub(crate) fn decode(
    kind: u64,
    uid: String,
    nsp: String,
    request_id: Option<String>,
    mut data: Map,
) -> Option<Incoming> {
    let request = match kind {
        SOCKETS_JOIN | SOCKETS_LEAVE => {
            let selector = selector(data.swap_remove("opts"));
            let rooms = msgpack::rooms(data.swap_remove("rooms"));
            if kind == SOCKETS_JOIN {
                ClusterRequest::Join(selector, rooms)
            } else {
                ClusterRequest::Leave(selector, rooms)
            }
        }
        DISCONNECT_SOCKETS => ClusterRequest::Disconnect {
            selector: selector(data.swap_remove("opts")),
            close: matches!(data.get("close"), Some(Value::Bool(true))),
        },
        FETCH_SOCKETS => ClusterRequest::FetchSockets(selector(data.swap_remove("opts"))),
        FETCH_SOCKETS_RESPONSE
        | SERVER_SIDE_EMIT_RESPONSE
        | BROADCAST_CLIENT_COUNT
        | BROADCAST_ACK => {
            let answer = answer(kind, data)?;
            return Some(Incoming::Answer {
                request_id: request_id?,
                answer,
            });
        }
        _ => return None,
    };
    Some(Incoming::Request {
        uid,
        nsp,
        request_id,
        request,
    })
}

fn answer(kind: u64, mut data: Map) -> Option<Answer> {
    let as_json = |value: Value| serde_json::to_value(value).ok();
    Some(match kind {
        FETCH_SOCKETS_RESPONSE => {
            let sockets = as_json(data.swap_remove("sockets")?)?;
            Answer::Cluster(ClusterResponse::Sockets(
                serde_json::from_value::<Vec<SocketDescription>>(sockets).ok()?,
            ))
        }
        SERVER_SIDE_EMIT_RESPONSE => Answer::Cluster(ClusterResponse::Ack(as_json(
            data.swap_remove("packet").unwrap_or(Value::Null),
        )?)),
        BROADCAST_CLIENT_COUNT => {
            let count = data.get("clientCount")?.as_u64()?;
            Answer::Report(RemoteAck::ClientCount(usize::try_from(count).ok()?))
        }
        _ => Answer::Report(RemoteAck::Ack(
            data.swap_remove("packet").unwrap_or(Value::Null),
        )),
    })
}

fn names(rooms: &[Room]) -> Vec<&str> {
    rooms.iter().map(Room::as_str).collect()
}

fn opts(selector: &Selector) -> serde_json::Value {
    json!({ "rooms": names(&selector.rooms), "except": names(&selector.except), "flags": {} })
}

/// The message asking the other nodes of namespace `nsp` for `request`, from
/// node `uid`; `request_id` is set when answers are awaited. `AllRooms` is asked
/// as `FETCH_SOCKETS` of every socket.
pub(crate) fn encode_request(
    uid: &str,
    nsp: &str,
    request_id: Option<&str>,
    request: &ClusterRequest,
) -> Vec<u8> {
    let (kind, mut data) = match request {
        ClusterRequest::FetchSockets(selector) => {
            (FETCH_SOCKETS, json!({ "opts": opts(selector) }))
        }
        ClusterRequest::AllRooms => (FETCH_SOCKETS, json!({ "opts": opts(&Selector::default()) })),
        ClusterRequest::Join(selector, rooms) => (
            SOCKETS_JOIN,
            json!({ "opts": opts(selector), "rooms": names(rooms) }),
        ),
        ClusterRequest::Leave(selector, rooms) => (
            SOCKETS_LEAVE,
            json!({ "opts": opts(selector), "rooms": names(rooms) }),
        ),
        ClusterRequest::Disconnect { selector, close } => (
            DISCONNECT_SOCKETS,
            json!({ "opts": opts(selector), "close": close }),
        ),
        ClusterRequest::ServerSideEmit { packet } => {
            // The packet is a JSON array the server encoded.
            let packet: serde_json::Value = serde_json::from_str(packet).unwrap_or_default();
            (sharded::SERVER_SIDE_EMIT, json!({ "packet": packet }))
        }
    };
    if let (Some(id), serde_json::Value::Object(data)) = (request_id, &mut data) {
        data.insert("requestId".to_owned(), id.into());
    }
    let message = json!({ "type": kind, "data": data, "uid": uid, "nsp": nsp });
    serde_json::to_vec(&message).unwrap_or_default()
}

/// This node's answer to request `request_id` in the sharded format; `None`
/// for commands, which are not answered in it.
pub(crate) fn encode_answer(
    uid: &str,
    nsp: &str,
    request_id: &str,
    response: &ClusterResponse,
) -> Option<Vec<u8>> {
    let (kind, data) = match response {
        ClusterResponse::Sockets(sockets) => (
            FETCH_SOCKETS_RESPONSE,
            json!({ "requestId": request_id, "sockets": sockets }),
        ),
        ClusterResponse::Ack(packet) => (
            SERVER_SIDE_EMIT_RESPONSE,
            json!({ "requestId": request_id, "packet": packet }),
        ),
        _ => return None,
    };
    let message = json!({ "type": kind, "data": data, "uid": uid, "nsp": nsp });
    serde_json::to_vec(&message).ok()
}

fn has_binary(value: &Value) -> bool {
    match value {
        Value::Binary(_) => true,
        Value::Array(items) => items.iter().any(has_binary),
        Value::Object(map) => map.values().any(has_binary),
        _ => false,
    }
}

/// The data of a report on a broadcast waiting for acknowledgements.
#[derive(Serialize)]
struct ReportData<'a> {
    #[serde(rename = "requestId")]
    request_id: &'a str,
    #[serde(rename = "clientCount", skip_serializing_if = "Option::is_none")]
    client_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    packet: Option<&'a Value>,
}

/// One report on a broadcast waiting for acknowledgements: JSON, or MessagePack
/// when it carries binary.
fn encode_report(uid: &str, nsp: &str, kind: u64, data: ReportData<'_>) -> Result<Vec<u8>, String> {
    #[derive(Serialize)]
    struct Message<'a> {
        #[serde(rename = "type")]
        kind: u64,
        data: ReportData<'a>,
        uid: &'a str,
        nsp: &'a str,
    }
    let binary = data.packet.is_some_and(has_binary);
    let message = Message {
        kind,
        data,
        uid,
        nsp,
    };
    if binary {
        let mut out = Vec::new();
        message
            .serialize(&mut rmp_serde::Serializer::new(&mut out).with_struct_map())
            .map_err(|error| error.to_string())?;
        Ok(out)
    } else {
        serde_json::to_vec(&message).map_err(|error| error.to_string())
    }
}

/// Reports on another node's broadcast waiting for acknowledgements, in the
/// sharded format, on that node's channel.
struct ShardReports {
    channel: Bytes,
    nsp: String,
    request_id: String,
}

impl acks::Reports for ShardReports {
    fn client_count(&self, shared: &Shared, count: usize) {
        let data = ReportData {
            request_id: &self.request_id,
            client_count: Some(count),
            packet: None,
        };
        if let Ok(message) = encode_report(&shared.uid, &self.nsp, BROADCAST_CLIENT_COUNT, data) {
            shared.send(self.channel.clone(), message);
        }
    }

    fn ack(&self, shared: &Shared, value: &Value) {
        let data = ReportData {
            request_id: &self.request_id,
            client_count: None,
            packet: Some(value),
        };
        match encode_report(&shared.uid, &self.nsp, BROADCAST_ACK, data) {
            Ok(message) => {
                shared.send(self.channel.clone(), message);
            }
            Err(error) => tracing::debug!(%error, "an acknowledgement does not encode"),
        }
    }
}

/// Handles a cluster message of another node taken from a shard channel:
/// delivers a broadcast, runs a server-side event's handlers, carries out a
/// request (and answers it), or files an answer with the request waiting for it.
pub(crate) fn on_message(shared: &Arc<Shared>, payload: &Bytes) {
    let Some(incoming) = sharded::decode(payload) else {
        tracing::debug!("ignored a Redis message tether does not handle");
        return;
    };
    match incoming {
        Incoming::Broadcast(incoming) => {
            if incoming.uid == shared.uid {
                return;
            }
            if let Some(ns) = shared.namespace(&incoming.nsp) {
                super::tasks::deliver_to(&ns, incoming);
            }
        }
        Incoming::BroadcastWithAck {
            broadcast,
            request_id,
            timeout,
        } => {
            if broadcast.uid == shared.uid {
                return;
            }
            let channel = response_channel(&shared.config.key, &broadcast.nsp, &broadcast.uid);
            let reports = ShardReports {
                channel: Bytes::from(channel),
                nsp: broadcast.nsp.clone(),
                request_id,
            };
            acks::carry_out(shared, &broadcast.nsp.clone(), &broadcast, timeout, reports);
        }
        Incoming::ServerSideEmit { uid, nsp, packet } => {
            if uid == shared.uid {
                return;
            }
            if let Some(ns) = shared.namespace(&nsp)
                && !ns.deliver_server_event(&packet)
            {
                tracing::debug!(
                    nsp,
                    "ignored a server-side event that is no [event, ...args]"
                );
            }
        }
        Incoming::Request {
            uid,
            nsp,
            request_id,
            request,
        } => {
            if uid == shared.uid {
                return;
            }
            let Some(ns) = shared.namespace(&nsp) else {
                return;
            };
            let channel = Bytes::from(response_channel(&shared.config.key, &nsp, &uid));
            cluster::answer(shared, &ns, &request, move |shared, response| {
                let Some(id) = request_id else {
                    return;
                };
                if let Some(message) = encode_answer(&shared.uid, &nsp, &id, &response) {
                    shared.send(channel, message);
                }
            });
        }
        Incoming::Answer { request_id, answer } => match answer {
            Answer::Cluster(response) => shared.pending.file(&request_id, response),
            Answer::Report(report) => {
                shared.ack_requests.file(shared, &request_id, report);
            }
        },
    }
}

#[cfg(test)]
mod tests;
