//! The messages of the sharded variant (Redis 7 `SPUBLISH`/`SSUBSCRIBE`), as the
//! Node.js `createShardedAdapter` of `@socket.io/redis-adapter` 8 writes them:
//! the cluster messages of `socket.io-adapter`, `{type, data, uid, nsp}`, in JSON,
//! or in MessagePack (notepack) when they carry binary.
//!
//! A broadcast is `{type: 3, data: {packet: {type: 2, data: [event, ...args], nsp},
//! opts: {rooms, except, flags}}, uid, nsp}`; a server-side event is
//! `{type: 9, data: {packet: [event, ...args]}, uid, nsp}`. Both go on the
//! namespace's channel `<key>#<nsp>#`, which every node subscribes to.

use std::collections::HashSet;

use bytes::Bytes;
use serde::Serialize;

use super::msgpack::{self, EncodeError};
use super::{Shared, SubscriptionMode, acks, shard_requests};
use crate::adapter::{Broadcast, ClusterRequest, LocalNamespace};
use crate::protocol::{Map, Value};
use crate::server::Room;

/// The cluster message type of a broadcast.
pub(crate) const BROADCAST: u64 = 3;
/// The cluster message type of a server-side event.
pub(crate) const SERVER_SIDE_EMIT: u64 = 9;

/// The broadcast options, as JSON.
#[derive(Serialize)]
struct Opts<'a> {
    rooms: Vec<&'a str>,
    except: Vec<&'a str>,
    flags: Flags,
}

#[derive(Serialize)]
struct Flags {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    volatile: bool,
    /// How long acknowledgements are awaited, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout: Option<u64>,
}

/// `{"type":2,"data":[event, ...args],"nsp":nsp}`.
struct Packet<'a> {
    event: &'a str,
    args: &'a dyn erased_serde::Serialize,
    nsp: &'a str,
}

impl Serialize for Packet<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut packet = serializer.serialize_struct("Packet", 3)?;
        packet.serialize_field("type", &2)?;
        packet.serialize_field(
            "data",
            &EventData {
                event: self.event,
                args: self.args,
            },
        )?;
        packet.serialize_field("nsp", self.nsp)?;
        packet.end()
    }
}

/// `[event, ...args]`, the arguments spread after the name.
struct EventData<'a> {
    event: &'a str,
    args: &'a dyn erased_serde::Serialize,
}

impl Serialize for EventData<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq as _};
        // The arguments serialize as a sequence: take its items as JSON values.
        let args = serde_json::to_value(self.args).map_err(S::Error::custom)?;
        let serde_json::Value::Array(args) = args else {
            return Err(S::Error::custom("the arguments are not a sequence"));
        };
        let mut seq = serializer.serialize_seq(Some(args.len() + 1))?;
        seq.serialize_element(self.event)?;
        for arg in &args {
            seq.serialize_element(arg)?;
        }
        seq.end()
    }
}

fn except<'a>(broadcast: &'a Broadcast<'_>) -> Vec<&'a str> {
    let mut except: Vec<&str> = broadcast.except.iter().map(Room::as_str).collect();
    if let Some(sid) = &broadcast.except_socket
        && !except.contains(&sid.as_str())
    {
        except.push(sid.as_str());
    }
    except
}

/// The message announcing `broadcast` of namespace `nsp` from node `uid`: JSON,
/// or MessagePack when it carries binary (as Node's adapter chooses). With
/// `ack`, a request id and timeout (milliseconds), it waits for acknowledgements.
pub(crate) fn encode_broadcast(
    uid: &str,
    nsp: &str,
    broadcast: &Broadcast<'_>,
    ack: Option<(&str, u64)>,
) -> Result<Vec<u8>, EncodeError> {
    if broadcast.encoded.attachments.is_empty() {
        #[derive(Serialize)]
        struct Data<'a> {
            packet: Packet<'a>,
            #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
            request_id: Option<&'a str>,
            opts: Opts<'a>,
        }
        #[derive(Serialize)]
        struct Message<'a> {
            #[serde(rename = "type")]
            kind: u64,
            data: Data<'a>,
            uid: &'a str,
            nsp: &'a str,
        }
        let message = Message {
            kind: BROADCAST,
            data: Data {
                packet: Packet {
                    event: broadcast.event,
                    args: broadcast.args,
                    nsp,
                },
                request_id: ack.map(|(id, _)| id),
                opts: Opts {
                    rooms: broadcast.rooms.iter().map(Room::as_str).collect(),
                    except: except(broadcast),
                    flags: Flags {
                        volatile: broadcast.volatile,
                        timeout: ack.map(|(_, millis)| millis),
                    },
                },
            },
            uid,
            nsp,
        };
        return serde_json::to_vec(&message).map_err(|_| EncodeError::NotSequence);
    }
    use rmp::encode::{write_map_len, write_str, write_uint};
    // Writing to a Vec cannot fail.
    let mut out = Vec::with_capacity(broadcast.encoded.text.len() + 96);
    let _ = write_map_len(&mut out, 4);
    let _ = write_str(&mut out, "type");
    let _ = write_uint(&mut out, BROADCAST);
    let _ = write_str(&mut out, "data");
    let _ = write_map_len(&mut out, if ack.is_some() { 3 } else { 2 });
    let _ = write_str(&mut out, "packet");
    let _ = write_map_len(&mut out, 3);
    let _ = write_str(&mut out, "type");
    let _ = write_uint(&mut out, 2);
    let _ = write_str(&mut out, "data");
    msgpack::write_event_data(&mut out, broadcast.event, broadcast.args)?;
    let _ = write_str(&mut out, "nsp");
    let _ = write_str(&mut out, nsp);
    if let Some((id, _)) = ack {
        let _ = write_str(&mut out, "requestId");
        let _ = write_str(&mut out, id);
    }
    let _ = write_str(&mut out, "opts");
    msgpack::write_opts(&mut out, broadcast, ack.map(|(_, millis)| millis));
    let _ = write_str(&mut out, "uid");
    let _ = write_str(&mut out, uid);
    let _ = write_str(&mut out, "nsp");
    let _ = write_str(&mut out, nsp);
    Ok(out)
}

/// The server-side event `packet` (the JSON array `[event, ...args]`) of
/// namespace `nsp` from node `uid`.
pub(crate) fn encode_server_side_emit(uid: &str, nsp: &str, packet: &str) -> Vec<u8> {
    let quoted = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned());
    format!(
        r#"{{"type":{SERVER_SIDE_EMIT},"data":{{"packet":{packet}}},"uid":{},"nsp":{}}}"#,
        quoted(uid),
        quoted(nsp)
    )
    .into_bytes()
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
        timeout: Option<std::time::Duration>,
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
    let message = if payload.first() == Some(&b'{') {
        serde_json::from_slice::<Value>(payload).ok()?
    } else {
        let mut reader = payload.as_ref();
        let pack = rmpv::decode::read_value_with_max_depth(&mut reader, msgpack::MAX_DEPTH).ok()?;
        if !reader.is_empty() {
            return None;
        }
        msgpack::value(pack)?
    };
    let Value::Object(mut message) = message else {
        return None;
    };
    let kind = message.get("type").and_then(Value::as_u64)?;
    let Some(Value::String(uid)) = message.swap_remove("uid") else {
        return None;
    };
    let nsp = match message.swap_remove("nsp") {
        Some(Value::String(nsp)) => nsp,
        _ => "/".to_owned(),
    };
    let Some(Value::Object(mut data)) = message.swap_remove("data") else {
        return None;
    };
    let request_id = match data.swap_remove("requestId") {
        Some(Value::String(id)) => Some(id),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    match kind {
        BROADCAST => {
            let Some(Value::Object(mut packet)) = data.swap_remove("packet") else {
                return None;
            };
            let Some(Value::Array(mut args)) = packet.swap_remove("data") else {
                return None;
            };
            if args.is_empty() {
                return None;
            }
            let Value::String(event) = args.remove(0) else {
                return None;
            };
            let mut opts = match data.swap_remove("opts") {
                Some(Value::Object(opts)) => opts,
                _ => Map::new(),
            };
            let volatile = matches!(
                opts.get("flags").and_then(|flags| match flags {
                    Value::Object(flags) => flags.get("volatile"),
                    _ => None,
                }),
                Some(Value::Bool(true))
            );
            let timeout = acks::ack_timeout(&opts);
            let broadcast = msgpack::IncomingBroadcast {
                uid,
                nsp,
                event,
                args,
                rooms: msgpack::rooms(opts.swap_remove("rooms")),
                except: msgpack::rooms(opts.swap_remove("except")),
                volatile,
            };
            Some(match request_id {
                None => Incoming::Broadcast(broadcast),
                Some(request_id) => Incoming::BroadcastWithAck {
                    broadcast,
                    request_id,
                    timeout,
                },
            })
        }
        SERVER_SIDE_EMIT => {
            let packet = data.swap_remove("packet")?;
            let packet = serde_json::to_string(&packet).ok()?;
            Some(match request_id {
                None => Incoming::ServerSideEmit { uid, nsp, packet },
                Some(request_id) => Incoming::Request {
                    uid,
                    nsp,
                    request_id: Some(request_id),
                    request: ClusterRequest::ServerSideEmit { packet },
                },
            })
        }
        kind => shard_requests::decode(kind, uid, nsp, request_id, data),
    }
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
    let namespaces: Vec<(String, LocalNamespace)> = shared.namespaces.all();
    let mut channels = HashSet::new();
    for (nsp, ns) in namespaces {
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
    use crate::protocol::encode_event;
    use crate::server::EmitArgs;

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
        broadcast_of(&Bytes::from_static(&[1, 2]), |broadcast| {
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
