//! Broadcasts that wait for acknowledgements across nodes, as
//! `@socket.io/redis-adapter` carries them: a MessagePack request `{uid,
//! requestId, type: 7, packet, opts}` on the request channel. Each other node
//! sends the event to its selected sockets, answers `{type: 8, requestId,
//! clientCount}` (JSON) with how many it sent it to, then one `{type: 9,
//! requestId, packet}` (MessagePack, so binary stays binary) per
//! acknowledgement, its first argument, as it arrives. This node answers the
//! other nodes' requests and makes its own.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;

use super::{Shared, cluster, msgpack};
use crate::adapter::cluster_message::ack_timeout;
use crate::adapter::pending::{Filed, MAX_WAITING_REPORTS};
use crate::adapter::{Broadcast, ClusterError, RemoteAck, RemoteAcks};
use crate::protocol::{Map, Value};

const BROADCAST: u64 = 7;
const BROADCAST_CLIENT_COUNT: u8 = 8;
const BROADCAST_ACK: u8 = 9;

/// Carries out another node's broadcast that waits for acknowledgements, if
/// `payload` is one; returns whether it was.
pub(crate) fn on_broadcast_request(shared: &Arc<Shared>, nsp: &str, payload: &[u8]) -> bool {
    let Ok(Value::Object(mut request)) = msgpack::read_message(payload) else {
        return false;
    };
    if request.get("type").and_then(Value::as_u64) != Some(BROADCAST) {
        return false;
    }
    let (Some(Value::String(uid)), Some(Value::String(request_id))) =
        (request.swap_remove("uid"), request.swap_remove("requestId"))
    else {
        return true;
    };
    if uid == shared.uid {
        return true;
    }
    let (Some(Value::Object(packet)), opts) =
        (request.swap_remove("packet"), request.swap_remove("opts"))
    else {
        return true;
    };
    let opts = match opts {
        Some(Value::Object(opts)) => opts,
        _ => Map::new(),
    };
    let timeout = ack_timeout(&opts);
    let broadcast = match msgpack::broadcast_from(uid, packet, opts) {
        Ok(broadcast) => broadcast,
        Err(error) => {
            tracing::debug!(%error, "ignored a broadcast request from Redis");
            return true;
        }
    };
    let [_, response_channel, _] = cluster::channels(&shared.config.key, nsp, &shared.uid);
    let reports = ClassicReports {
        channel: Bytes::from(response_channel),
        request_id,
    };
    carry_out(shared, nsp, &broadcast, timeout, reports);
    true
}

/// How a node reports on another node's broadcast that waits for
/// acknowledgements, in the format of the adapter variant.
pub(crate) trait Reports: Send + Sync + 'static {
    /// Publishes how many local sockets the broadcast was sent to.
    fn client_count(&self, shared: &Shared, count: usize);
    /// Publishes one socket's acknowledgement (its first argument).
    fn ack(&self, shared: &Shared, value: &Value);
}

/// The classic adapter's reports: `{type: 8, requestId, clientCount}` in JSON,
/// then `{type: 9, requestId, packet}` in MessagePack, on the response channel.
struct ClassicReports {
    channel: Bytes,
    request_id: String,
}

impl Reports for ClassicReports {
    fn client_count(&self, shared: &Shared, count: usize) {
        let message = format!(
            r#"{{"type":{BROADCAST_CLIENT_COUNT},"requestId":{},"clientCount":{count}}}"#,
            serde_json::to_string(&self.request_id).unwrap_or_default(),
        );
        shared.send(self.channel.clone(), message.into_bytes());
    }

    fn ack(&self, shared: &Shared, value: &Value) {
        match encode_ack(&self.request_id, value) {
            Ok(message) => {
                shared.send(self.channel.clone(), message);
            }
            Err(error) => tracing::debug!(%error, "an acknowledgement does not encode"),
        }
    }
}

/// Sends another node's `broadcast` to the local sockets it selects (each
/// acknowledgement awaited until `timeout`, the requests timeout when the
/// request names none), reports the client count at once, then each
/// acknowledgement as it comes, through `reports`.
pub(crate) fn carry_out(
    shared: &Arc<Shared>,
    nsp: &str,
    broadcast: &msgpack::IncomingBroadcast,
    timeout: Option<Duration>,
    reports: impl Reports,
) {
    let Some(ns) = shared.namespace(nsp) else {
        return;
    };
    let timeout = timeout.unwrap_or(shared.config.requests_timeout);
    let reports = Arc::new(reports);
    let counting = reports.clone();
    let sending = shared.clone();
    crate::adapter::pending::relay_acks(
        &ns,
        broadcast,
        timeout,
        |count| counting.client_count(shared, count),
        move |value| reports.ack(&sending, &value),
    );
}

/// `{type: 9, requestId, packet}` in MessagePack.
fn encode_ack(request_id: &str, value: &Value) -> Result<Vec<u8>, rmp_serde::encode::Error> {
    #[derive(Serialize)]
    struct Ack<'a> {
        #[serde(rename = "type")]
        kind: u8,
        #[serde(rename = "requestId")]
        request_id: &'a str,
        packet: &'a Value,
    }
    let mut out = Vec::new();
    let ack = Ack {
        kind: BROADCAST_ACK,
        request_id,
        packet: value,
    };
    ack.serialize(&mut rmp_serde::Serializer::new(&mut out).with_struct_map())?;
    Ok(out)
}

/// Files a report from the response channel (`{type: 8, requestId, clientCount}`
/// in JSON, `{type: 9, requestId, packet}` in MessagePack) with its broadcast;
/// `false` when it is none of this node's.
pub(crate) fn on_report(shared: &Shared, payload: &[u8]) -> bool {
    let Some((id, report)) = read_report(payload) else {
        return false;
    };
    file_report(shared, &id, report)
}

/// Hands a report on broadcast `id`, whatever format it came in, to that
/// broadcast's stream; `false` when it is none of this node's.
pub(crate) fn file_report(shared: &Shared, id: &str, report: RemoteAck) -> bool {
    match shared.ack_requests.report(id, report) {
        Filed::Unknown => false,
        Filed::Delivered => true,
        Filed::Dropped => {
            shared.count_dropped("an acknowledgement from another node is lost: too many wait");
            true
        }
    }
}

/// The request id and report of a message on the response channel, if it is a
/// client count or an acknowledgement.
fn read_report(payload: &[u8]) -> Option<(String, RemoteAck)> {
    if payload.first() == Some(&b'{') {
        #[derive(serde::Deserialize)]
        struct Count {
            #[serde(rename = "type")]
            kind: u8,
            #[serde(rename = "requestId")]
            request_id: String,
            #[serde(rename = "clientCount")]
            client_count: usize,
        }
        let count: Count = serde_json::from_slice(payload).ok()?;
        return (count.kind == BROADCAST_CLIENT_COUNT)
            .then(|| (count.request_id, RemoteAck::ClientCount(count.client_count)));
    }
    let Ok(Value::Object(mut report)) = msgpack::read_message(payload) else {
        return None;
    };
    if report.get("type").and_then(Value::as_u64) != Some(u64::from(BROADCAST_ACK)) {
        return None;
    }
    let Some(Value::String(id)) = report.swap_remove("requestId") else {
        return None;
    };
    let packet = report.swap_remove("packet").unwrap_or(Value::Null);
    Some((id, RemoteAck::Ack(packet)))
}

/// Publishes `broadcast` to the other nodes as a request for acknowledgements
/// (type 7, MessagePack, as Node's `emitWithAck`), and returns where their
/// reports arrive.
pub(crate) fn publish(
    shared: &Arc<Shared>,
    request_channel: &Bytes,
    nsp: &str,
    broadcast: &Broadcast<'_>,
    timeout: Duration,
) -> Option<RemoteAcks> {
    let uid = shared.uid.clone();
    publish_request(shared, request_channel, nsp, timeout, |id| {
        encode_request(&uid, nsp, id, broadcast, timeout)
    })
}

/// Publishes on `channel` the request `encode` writes for a new request id, and
/// returns where the other nodes' reports on it arrive until `timeout`; they
/// are counted on `channel` too (`None` when it is not sent).
pub(crate) fn publish_request(
    shared: &Arc<Shared>,
    channel: &Bytes,
    nsp: &str,
    timeout: Duration,
    encode: impl FnOnce(&str) -> Result<Vec<u8>, msgpack::EncodeError>,
) -> Option<RemoteAcks> {
    let (sender, reports) = mpsc::channel(MAX_WAITING_REPORTS);
    if shared.is_unreachable() {
        return unavailable(&sender, reports, "Redis is unreachable");
    }
    let id = super::random_id(12);
    let payload = match encode(&id) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::warn!(%error, nsp, "broadcast with acknowledgements not published to Redis");
            return None;
        }
    };
    if !shared.ack_requests.register_sender(&id, sender.clone()) {
        tracing::warn!(
            nsp,
            "too many broadcasts wait for other nodes' acknowledgements"
        );
        return None;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        shared.ack_requests.forget(&id);
        return None;
    };
    if !shared.send(channel.clone(), payload) {
        shared.ack_requests.forget(&id);
        return unavailable(&sender, reports, "the Redis publish queue is full");
    }
    let expiring = Arc::downgrade(shared);
    let expired_id = id;
    runtime.spawn(async move {
        tokio::time::sleep(timeout).await;
        if let Some(shared) = expiring.upgrade() {
            shared.ack_requests.forget(&expired_id);
        }
    });
    let counting = shared.clone();
    let channel = channel.clone();
    let nodes = Box::pin(async move {
        match cluster::other_nodes(&counting, &channel).await {
            Ok(nodes) => nodes,
            Err(error) => {
                let _ = sender.try_send(RemoteAck::Unavailable(error));
                0
            }
        }
    });
    Some(RemoteAcks { nodes, reports })
}

/// Reports that the other nodes cannot be asked, for a stream that then ends.
fn unavailable(
    sender: &mpsc::Sender<RemoteAck>,
    reports: mpsc::Receiver<RemoteAck>,
    reason: &str,
) -> Option<RemoteAcks> {
    let _ = sender.try_send(RemoteAck::Unavailable(ClusterError::Unavailable(
        reason.to_owned(),
    )));
    Some(RemoteAcks {
        nodes: Box::pin(std::future::ready(0)),
        reports,
    })
}

/// `{uid, requestId, type: 7, packet: {type: 2, data: [event, ...args], nsp},
/// opts: {rooms, except, flags: {timeout}}}` in MessagePack.
fn encode_request(
    uid: &str,
    nsp: &str,
    request_id: &str,
    broadcast: &Broadcast<'_>,
    timeout: Duration,
) -> Result<Vec<u8>, msgpack::EncodeError> {
    use rmp::encode::{write_map_len, write_str, write_uint};
    let mut out = Vec::with_capacity(128);
    // Writing to a Vec cannot fail.
    let _ = write_map_len(&mut out, 5);
    let _ = write_str(&mut out, "uid");
    let _ = write_str(&mut out, uid);
    let _ = write_str(&mut out, "requestId");
    let _ = write_str(&mut out, request_id);
    let _ = write_str(&mut out, "type");
    let _ = write_uint(&mut out, BROADCAST);
    let _ = write_str(&mut out, "packet");
    let _ = write_map_len(&mut out, 3);
    let _ = write_str(&mut out, "type");
    let _ = write_uint(&mut out, 2);
    let _ = write_str(&mut out, "data");
    msgpack::write_event_data(&mut out, broadcast.event, broadcast.args)?;
    let _ = write_str(&mut out, "nsp");
    let _ = write_str(&mut out, nsp);
    let _ = write_str(&mut out, "opts");
    let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    msgpack::write_opts(&mut out, broadcast, Some(millis));
    Ok(out)
}
