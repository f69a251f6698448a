//! The messages of the sharded variant (Redis 7 `SPUBLISH`/`SSUBSCRIBE`), as the
//! Node.js `createShardedAdapter` of `@socket.io/redis-adapter` 8 writes them:
//! the cluster messages of `socket.io-adapter`, `{type, data, uid, nsp}` (see
//! `adapter::cluster_message`), in JSON, or in MessagePack (notepack) when they
//! carry binary.
//!
//! A broadcast is `{type: 3, data: {packet: {type: 2, data: [event, ...args], nsp},
//! opts: {rooms, except, flags}}, uid, nsp}`; a server-side event is
//! `{type: 9, data: {packet: [event, ...args]}, uid, nsp}`. Both go on the
//! namespace's channel `<key>#<nsp>#`, which every node subscribes to.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;

use super::msgpack::{self, EncodeError};
use super::{Shared, SubscriptionMode, shard_requests};
use crate::adapter::cluster_message::{self as message, Body};
use crate::adapter::{Broadcast, ClusterRequest};

/// The message announcing `broadcast` of namespace `nsp` from node `uid`: JSON,
/// or MessagePack when it carries binary (as Node's adapter chooses). With
/// `ack`, a request id and timeout (milliseconds), it waits for acknowledgements.
pub(crate) fn encode_broadcast(
    uid: &str,
    nsp: &str,
    broadcast: &Broadcast<'_>,
    ack: Option<(&str, u64)>,
) -> Result<Vec<u8>, EncodeError> {
    let ack = ack.map(|(id, millis)| (id, Duration::from_millis(millis)));
    let data =
        message::broadcast_data(broadcast, nsp, ack).map_err(|_| EncodeError::NotSequence)?;
    let envelope = message::envelope(message::BROADCAST, Some(data), uid, nsp);
    Ok(message::encode(&envelope))
}

/// The server-side event `packet` (the JSON array `[event, ...args]`) of
/// namespace `nsp` from node `uid`.
pub(crate) fn encode_server_side_emit(uid: &str, nsp: &str, packet: &str) -> Vec<u8> {
    let data = message::server_side_emit_data(packet, None);
    message::to_json(&message::envelope(
        message::SERVER_SIDE_EMIT,
        Some(data),
        uid,
        nsp,
    ))
}

/// A cluster message of another node, as far as tether reads it.
#[derive(Debug, PartialEq)]
pub(crate) enum Incoming {
    /// A broadcast to deliver.
    Broadcast(msgpack::IncomingBroadcast),
    /// A broadcast waiting for acknowledgements: the client count and each
    /// acknowledgement go back to its node, answering `request_id`.
    BroadcastWithAck {
        broadcast: msgpack::IncomingBroadcast,
        request_id: String,
        /// The request's `opts.flags.timeout`.
        timeout: Option<Duration>,
    },
    /// A server-side event of namespace `nsp`: `packet` is `[event, ...args]` in JSON.
    ServerSideEmit {
        uid: String,
        nsp: String,
        packet: String,
    },
    /// A cluster request of node `uid` about namespace `nsp`; answered to that
    /// node when `request_id` is set.
    Request {
        uid: String,
        nsp: String,
        request_id: Option<String>,
        request: ClusterRequest,
    },
    /// Another node's answer to request `request_id`.
    Answer {
        request_id: String,
        answer: shard_requests::Answer,
    },
}

/// Reads a cluster message; `None` for what tether does not handle (heartbeats,
/// other types) or cannot read.
pub(crate) fn decode(payload: &Bytes) -> Option<Incoming> {
    let decoded = message::decode(payload, "/")?;
    let uid = decoded.uid?;
    let nsp = decoded.nsp;
    Some(match decoded.body {
        Body::Broadcast(broadcast) => Incoming::Broadcast(broadcast),
        Body::BroadcastWithAck {
            request_id,
            broadcast,
            timeout,
        } => Incoming::BroadcastWithAck {
            broadcast,
            request_id,
            timeout,
        },
        Body::ServerSideEmit { packet } => Incoming::ServerSideEmit { uid, nsp, packet },
        Body::Request {
            request_id,
            request,
        } => Incoming::Request {
            uid,
            nsp,
            request_id,
            request,
        },
        Body::Response {
            request_id,
            response,
        } => Incoming::Answer {
            request_id,
            answer: shard_requests::Answer::Cluster(response),
        },
        Body::ClientCount { request_id, count } => Incoming::Answer {
            request_id,
            answer: shard_requests::Answer::Report(crate::adapter::RemoteAck::ClientCount(count)),
        },
        Body::Ack { request_id, value } => Incoming::Answer {
            request_id,
            answer: shard_requests::Answer::Report(crate::adapter::RemoteAck::Ack(value)),
        },
        Body::InitialHeartbeat | Body::Heartbeat | Body::Close => return None,
    })
}

/// A shard channel of this node alone that its subscriber keeps once it
/// unsubscribes from anything (see `Connection::sunsubscribe`): `<key>-node#<uid>#`,
/// where nothing is published.
pub(crate) fn anchor_channel(shared: &Shared) -> String {
    format!("{}-node#{}#", shared.config.key, shared.uid)
}

/// The shard channels of every namespace of this node: `<key>#<nsp>#`, its
/// answers' `<key>#<nsp>#<uid>#` and, in the dynamic modes, `<key>#<nsp>#<room>#`
/// of each room it holds.
pub(crate) fn channels(shared: &Shared) -> HashSet<String> {
    let key = &shared.config.key;
    let mode = shared.config.subscription_mode;
    let mut channels = HashSet::new();
    for (nsp, ns) in shared.namespaces.all() {
        channels.insert(format!("{key}#{nsp}#"));
        channels.insert(shard_requests::response_channel(key, &nsp, &shared.uid));
        if matches!(
            mode,
            SubscriptionMode::Dynamic | SubscriptionMode::DynamicPrivate
        ) {
            for room in ns.room_names() {
                channels.insert(format!("{key}#{nsp}#{room}#"));
            }
        }
        if mode == SubscriptionMode::DynamicPrivate {
            for sid in ns.socket_ids() {
                channels.insert(format!("{key}#{nsp}#{sid}#"));
            }
        }
    }
    channels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::with_test_broadcast;
    use crate::protocol::Value;
    use crate::room::Room;

    #[test]
    fn a_broadcast_is_json_as_node_writes_it() {
        with_test_broadcast(&(1, "hi"), None, |broadcast| {
            let message = encode_broadcast("abc123", "/chat", broadcast, None).unwrap();
            // JSON.stringify of the message Node's ClusterAdapter publishes.
            assert_eq!(
                std::str::from_utf8(&message).unwrap(),
                r#"{"type":3,"data":{"packet":{"type":2,"data":["say",1,"hi"],"nsp":"/chat"},"opts":{"rooms":["r1"],"except":["r2"],"flags":{"volatile":true}}},"uid":"abc123","nsp":"/chat"}"#
            );
            let Some(Incoming::Broadcast(incoming)) = decode(&Bytes::from(message)) else {
                panic!("not read back");
            };
            assert_eq!(incoming.event, "say");
            assert_eq!(incoming.nsp, "/chat");
            assert_eq!(incoming.rooms, [Room::new("r1")]);
            assert!(incoming.volatile);
        });
    }

    /// notepack.encode({type: 3, data: {packet: {type: 2, data: ["say", Buffer.from([1, 2])],
    /// nsp: "/chat"}, opts: {rooms: ["r1"], except: ["r2"], flags: {volatile: true}}},
    /// uid: "abc123", nsp: "/chat"})
    const NOTEPACK_BINARY: &str = "84a47479706503a46461746182a67061636b657483a47479706502a46461746192a3736179c4020102a36e7370a52f63686174a46f70747383a5726f6f6d7391a27231a665786365707491a27232a5666c61677381a8766f6c6174696c65c3a3756964a6616263313233a36e7370a52f63686174";

    #[test]
    fn a_binary_broadcast_is_notepack_as_node_writes_it() {
        with_test_broadcast(&Bytes::from_static(&[1, 2]), None, |broadcast| {
            let message = encode_broadcast("abc123", "/chat", broadcast, None).unwrap();
            let expected: Vec<u8> = (0..NOTEPACK_BINARY.len())
                .step_by(2)
                .map(|at| u8::from_str_radix(&NOTEPACK_BINARY[at..at + 2], 16).unwrap())
                .collect();
            assert_eq!(message, expected);
            let Some(Incoming::Broadcast(incoming)) = decode(&Bytes::from(message)) else {
                panic!("not read back");
            };
            assert_eq!(incoming.args, [Value::Binary(Bytes::from_static(&[1, 2]))]);
        });
    }

    #[test]
    fn server_side_events_and_requests() {
        let message = encode_server_side_emit("abc123", "/", r#"["hello",1]"#);
        assert_eq!(
            std::str::from_utf8(&message).unwrap(),
            r#"{"type":9,"data":{"packet":["hello",1]},"uid":"abc123","nsp":"/"}"#
        );
        assert_eq!(
            decode(&Bytes::from(message)),
            Some(Incoming::ServerSideEmit {
                uid: "abc123".to_owned(),
                nsp: "/".to_owned(),
                packet: r#"["hello",1]"#.to_owned(),
            })
        );
        // A heartbeat; garbage.
        for ignored in [
            r#"{"type":2,"uid":"u","nsp":"/"}"#,
            r#"{"type":3"#,
            "\u{93}",
        ] {
            assert_eq!(decode(&Bytes::from(ignored)), None, "{ignored}");
        }
    }
}
