//! The messages of the sharded variant (Redis 7 `SPUBLISH`/`SSUBSCRIBE`), as the
//! Node.js `createShardedAdapter` of `@socket.io/redis-adapter` 8 writes them:
//! the cluster messages of `socket.io-adapter`, `{type, data, uid, nsp}`, in JSON,
//! or in MessagePack (notepack) when they carry binary.
//!
//! A broadcast is `{type: 3, data: {packet: {type: 2, data: [event, ...args], nsp},
//! opts: {rooms, except, flags}}, uid, nsp}`; a server-side event is
//! `{type: 9, data: {packet: [event, ...args]}, uid, nsp}`. Both go on the
//! namespace's channel `<key>#<nsp>#`, which every node subscribes to.

use bytes::Bytes;

use super::msgpack::{self, EncodeError};
use crate::adapter::Broadcast;
use crate::adapter::cluster_message::{self as message, Body};

/// The message announcing `broadcast` of namespace `nsp` from node `uid`: JSON,
/// or MessagePack when it carries binary (as Node's adapter chooses).
pub(crate) fn encode_broadcast(
    uid: &str,
    nsp: &str,
    broadcast: &Broadcast<'_>,
) -> Result<Vec<u8>, EncodeError> {
    let data =
        message::broadcast_data(broadcast, nsp, None).map_err(|_| EncodeError::NotSequence)?;
    let envelope = message::envelope(message::BROADCAST, Some(data), uid, nsp);
    Ok(if message::has_binary(&envelope) {
        message::to_msgpack(&envelope)
    } else {
        message::to_json(&envelope)
    })
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
    /// A server-side event of namespace `nsp`: `packet` is `[event, ...args]` in JSON.
    ServerSideEmit {
        uid: String,
        nsp: String,
        packet: String,
    },
}

/// Reads a cluster message; `None` for what tether does not handle (requests
/// waiting for answers, heartbeats, other types) or cannot read.
pub(crate) fn decode(payload: &Bytes) -> Option<Incoming> {
    let decoded = message::decode(payload, "/")?;
    let uid = decoded.uid?;
    match decoded.body {
        Body::Broadcast(broadcast) => Some(Incoming::Broadcast(broadcast)),
        Body::ServerSideEmit { packet } => Some(Incoming::ServerSideEmit {
            uid,
            nsp: decoded.nsp,
            packet,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;
    use crate::protocol::{Value, encode_event};
    use crate::server::{EmitArgs, Room};

    fn broadcast_of(data: &(impl Serialize + ?Sized), check: impl FnOnce(&Broadcast<'_>)) {
        let args = EmitArgs::new(data);
        let encoded = encode_event("/chat", "say", &args, None).unwrap();
        let rooms = [Room::new("r1")];
        let except = [Room::new("r2")];
        check(&Broadcast {
            encoded: &encoded,
            event: "say",
            args: &args,
            rooms: &rooms,
            except: &except,
            except_socket: None,
            volatile: true,
        });
    }

    #[test]
    fn a_broadcast_is_json_as_node_writes_it() {
        broadcast_of(&(1, "hi"), |broadcast| {
            let message = encode_broadcast("abc123", "/chat", broadcast).unwrap();
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
        broadcast_of(&Bytes::from_static(&[1, 2]), |broadcast| {
            let message = encode_broadcast("abc123", "/chat", broadcast).unwrap();
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
        // Waiting for answers, which tether does not give; a heartbeat; garbage.
        for ignored in [
            r#"{"type":9,"data":{"packet":["hello"],"requestId":"x"},"uid":"u","nsp":"/"}"#,
            r#"{"type":2,"uid":"u","nsp":"/"}"#,
            r#"{"type":3"#,
            "\u{93}",
        ] {
            assert_eq!(decode(&Bytes::from(ignored)), None, "{ignored}");
        }
    }
}
