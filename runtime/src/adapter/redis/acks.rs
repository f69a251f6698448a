//! Broadcasts that wait for acknowledgements, as another node asks for them with
//! `@socket.io/redis-adapter`: a MessagePack request `{uid, requestId, type: 7,
//! packet, opts}` on the request channel. This node sends the event to its
//! selected sockets, answers `{type: 8, requestId, clientCount}` (JSON) with how
//! many it sent it to, then one `{type: 9, requestId, packet}` (MessagePack, so
//! binary stays binary) per acknowledgement, its first argument, as it arrives.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use serde::Serialize;

use super::{Shared, cluster, msgpack};
use crate::protocol::{Map, Value};

const BROADCAST: u64 = 7;
const BROADCAST_CLIENT_COUNT: u8 = 8;
const BROADCAST_ACK: u8 = 9;

/// The longest a node waits for its sockets' acknowledgements of another node's
/// broadcast, whatever timeout the request names.
const MAX_ACK_WAIT: Duration = Duration::from_secs(300);

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
    let timeout = ack_timeout(&opts).unwrap_or(shared.config.requests_timeout);
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
    let Some(mut acks) = ns.deliver_with_ack(
        &broadcast.event,
        &broadcast.args,
        (&broadcast.rooms, &broadcast.except),
        timeout,
    ) else {
        return true;
    };
    let [_, response_channel, _] = cluster::channels(&shared.config.key, nsp, &shared.uid);
    let response_channel = Bytes::from(response_channel);
    let count = format!(
        r#"{{"type":{BROADCAST_CLIENT_COUNT},"requestId":{},"clientCount":{}}}"#,
        serde_json::to_string(&request_id).unwrap_or_default(),
        acks.remaining()
    );
    shared.send(response_channel.clone(), count.into_bytes());
    if acks.remaining() == 0 {
        return true;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        while let Some((_, result)) = acks.next().await {
            let Ok(value) = result else {
                continue;
            };
            match encode_ack(&request_id, &value) {
                Ok(message) => {
                    shared.send(response_channel.clone(), message);
                }
                Err(error) => tracing::debug!(%error, "an acknowledgement does not encode"),
            }
        }
    });
    true
}

/// The request's `opts.flags.timeout` (milliseconds), bounded.
fn ack_timeout(opts: &Map) -> Option<Duration> {
    let Some(Value::Object(flags)) = opts.get("flags") else {
        return None;
    };
    let millis = flags.get("timeout")?.as_f64()?;
    (millis.is_finite() && millis >= 0.0)
        .then(|| Duration::from_secs_f64(millis / 1000.0).min(MAX_ACK_WAIT))
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
