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
//! the namespace's channel, as Node does. The messages are written and read by
//! `adapter::cluster_message`, which the Postgres adapter shares.

use std::sync::Arc;

use bytes::Bytes;

use super::sharded::{self, Incoming};
use super::{Shared, acks, cluster};
use crate::adapter::cluster_message as message;
use crate::adapter::{ClusterRequest, ClusterResponse, RemoteAck};
use crate::protocol::Value;

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

/// The message asking the other nodes of namespace `nsp` for `request`, from
/// node `uid`; `request_id` is set when answers are awaited. `AllRooms` is asked
/// as `FETCH_SOCKETS` of every socket.
pub(crate) fn encode_request(
    uid: &str,
    nsp: &str,
    request_id: Option<&str>,
    request: &ClusterRequest,
) -> Vec<u8> {
    let (kind, data) = message::request_data(request, request_id);
    message::to_json(&message::envelope(kind, Some(data), uid, nsp))
}

/// This node's answer to request `request_id` in the sharded format: JSON, or
/// MessagePack when it carries binary; `None` for commands, which are not
/// answered in it.
pub(crate) fn encode_answer(
    uid: &str,
    nsp: &str,
    request_id: &str,
    response: &ClusterResponse,
) -> Option<Vec<u8>> {
    let (kind, data) = message::response_data(request_id, response)?;
    Some(message::encode(&message::envelope(
        kind,
        Some(data),
        uid,
        nsp,
    )))
}

/// One report (type and `data`) on a broadcast waiting for acknowledgements:
/// JSON, or MessagePack when it carries binary.
fn encode_report(uid: &str, nsp: &str, (kind, data): (u64, Value)) -> Vec<u8> {
    message::encode(&message::envelope(kind, Some(data), uid, nsp))
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
        let report = message::client_count_data(&self.request_id, count);
        shared.send(
            self.channel.clone(),
            encode_report(&shared.uid, &self.nsp, report),
        );
    }

    fn ack(&self, shared: &Shared, value: &Value) {
        let report = message::ack_data(&self.request_id, value.clone());
        shared.send(
            self.channel.clone(),
            encode_report(&shared.uid, &self.nsp, report),
        );
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
                incoming.deliver(&ns);
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
            // Answers on Redis are counted, not told apart by node.
            Answer::Cluster(response) => shared.pending.answer(&request_id, "", response),
            Answer::Report(report) => {
                acks::file_report(shared, &request_id, report);
            }
        },
    }
}

#[cfg(test)]
mod tests;
