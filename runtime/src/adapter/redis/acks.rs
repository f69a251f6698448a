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

use super::{Shared, cluster, msgpack};
use crate::adapter::pending::Filed;
use crate::adapter::{Broadcast, RemoteAck, RemoteAcks};
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
    let timeout = crate::adapter::cluster_message::ack_timeout(&opts)
        .unwrap_or(shared.config.requests_timeout);
    let broadcast = match msgpack::broadcast_from(uid, packet, opts) {
        Ok(broadcast) => broadcast,
        Err(error) => {
            tracing::debug!(%error, "ignored a broadcast request from Redis");
            return true;
        }
    };
    let Some(ns) = shared.namespace(nsp) else {
        return true;
    };
    let [_, response_channel, _] = cluster::channels(&shared.config.key, nsp, &shared.uid);
    let response_channel = Bytes::from(response_channel);
    let counted = |clients: usize| {
        let count = format!(
            r#"{{"type":{BROADCAST_CLIENT_COUNT},"requestId":{},"clientCount":{clients}}}"#,
            serde_json::to_string(&request_id).unwrap_or_default(),
        );
        shared.send(response_channel.clone(), count.into_bytes());
    };
    let sending = shared.clone();
    let acks_channel = response_channel.clone();
    let ack_id = request_id.clone();
    let acked = move |value: Value| match encode_ack(&ack_id, &value) {
        Ok(message) => {
            sending.send(acks_channel.clone(), message);
        }
        Err(error) => tracing::debug!(%error, "an acknowledgement does not encode"),
    };
    crate::adapter::pending::relay_acks(&ns, &broadcast, timeout, counted, acked);
    true
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
    match shared.ack_requests.report(&id, report) {
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
    let id = super::random_id(12);
    let payload = match encode_request(&shared.uid, nsp, &id, broadcast, timeout) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::warn!(%error, nsp, "broadcast with acknowledgements not published to Redis");
            return None;
        }
    };
    let Some(reports) = shared.ack_requests.register(&id) else {
        tracing::warn!(
            nsp,
            "too many broadcasts wait for other nodes' acknowledgements"
        );
        return None;
    };
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        shared.ack_requests.forget(&id);
        return None;
    };
    if !shared.send(request_channel.clone(), payload) {
        shared.ack_requests.forget(&id);
        return None;
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
    let channel = request_channel.clone();
    let nodes =
        Box::pin(async move { cluster::other_nodes(&counting, &channel).await.unwrap_or(0) });
    Some(RemoteAcks { nodes, reports })
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
