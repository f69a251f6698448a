//! A node's answer to a fetch of its sockets, as the pub/sub envelope
//! `{type: 8, data: {requestId, sockets}, uid, nsp}` in MessagePack, written and
//! read without a tree of values for the whole message.
//!
//! Written: each socket's handshake, already JSON text, is transcoded token by
//! token into MessagePack. Read: the sockets decode straight into descriptions;
//! an answer holding what a JSON value cannot (binary, extension types, keys that
//! are not strings) does not decode here and takes the general path of
//! [`super::wire::decode_envelope`].

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use super::wire::{FETCH_SOCKETS_RESPONSE, pack};
use crate::adapter::msgpack::MAX_DEPTH;
use crate::adapter::{JsonSocket, SocketDescription};

/// The start of an envelope of type 8 as both tether and Node.js write it: a map
/// of four entries, `type` first.
const PREFIX: [u8; 7] = [
    0x84,
    0xa4,
    b't',
    b'y',
    b'p',
    b'e',
    FETCH_SOCKETS_RESPONSE as u8,
];

/// An answer read from pub/sub.
#[derive(Debug, PartialEq)]
pub(crate) struct SocketsAnswer {
    pub(crate) uid: String,
    pub(crate) nsp: String,
    pub(crate) request_id: String,
    pub(crate) sockets: Vec<SocketDescription>,
}

#[derive(Serialize, Deserialize)]
struct Envelope<D> {
    #[serde(rename = "type")]
    kind: u64,
    data: D,
    uid: String,
    nsp: String,
}

#[derive(Deserialize)]
struct Incoming {
    #[serde(rename = "requestId")]
    request_id: String,
    sockets: Vec<SocketDescription>,
}

#[derive(Serialize)]
struct Outgoing<'a> {
    #[serde(rename = "requestId")]
    request_id: &'a str,
    sockets: Packed<'a>,
}

/// The sockets, each `{id, handshake, rooms, data}`.
struct Packed<'a>(&'a [JsonSocket]);

impl Serialize for Packed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sockets = serializer.serialize_seq(Some(self.0.len()))?;
        for socket in self.0 {
            sockets.serialize_element(&PackedSocket(socket))?;
        }
        sockets.end()
    }
}

struct PackedSocket<'a>(&'a JsonSocket);

impl Serialize for PackedSocket<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let socket = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("id", &socket.id)?;
        let mut json = serde_json::Deserializer::from_str(socket.handshake.get());
        map.serialize_entry("handshake", &serde_transcode::Transcoder::new(&mut json))?;
        map.serialize_entry("rooms", &socket.rooms)?;
        map.serialize_entry("data", &socket.data)?;
        map.end()
    }
}

/// The envelope answering request `request_id` of namespace `nsp` with `sockets`,
/// from node `uid`.
pub(crate) fn encode(uid: &str, nsp: &str, request_id: &str, sockets: &[JsonSocket]) -> Vec<u8> {
    pack(&Envelope {
        kind: FETCH_SOCKETS_RESPONSE,
        data: Outgoing {
            request_id,
            sockets: Packed(sockets),
        },
        uid: uid.to_owned(),
        nsp: nsp.to_owned(),
    })
}

/// Reads `payload` as an answer to a fetch; `None` when it is another message, or
/// an answer only the general path reads.
pub(crate) fn decode(payload: &[u8]) -> Option<SocketsAnswer> {
    if !payload.starts_with(&PREFIX) {
        return None;
    }
    let mut reader = rmp_serde::Deserializer::new(std::io::Cursor::new(payload));
    reader.set_max_depth(MAX_DEPTH);
    let envelope = Envelope::<Incoming>::deserialize(&mut reader).ok()?;
    if reader.position() != payload.len() as u64 {
        return None;
    }
    Some(SocketsAnswer {
        uid: envelope.uid,
        nsp: envelope.nsp,
        request_id: envelope.data.request_id,
        sockets: envelope.data.sockets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::redis::streams::wire::{self, Message};
    use serde_json::json;

    fn socket(handshake: serde_json::Value, data: serde_json::Value) -> JsonSocket {
        JsonSocket {
            id: "sid-1".to_owned(),
            handshake: serde_json::value::to_raw_value(&handshake).unwrap(),
            rooms: vec!["sid-1".to_owned(), "room é".to_owned()],
            data,
        }
    }

    fn handshake() -> serde_json::Value {
        json!({
            "headers": {"host": "h", "x-many": "a, b"},
            "time": "Tue Dec 08 2026",
            "address": "::1",
            "xdomain": false,
            "secure": false,
            "issued": 1_796_000_000_123_u64,
            "url": "/socket.io/?EIO=4&transport=websocket",
            "query": {"EIO": "4", "n": ["1", "2"]},
            "auth": {"token": "t\"q", "depth": {"x": [1, -2, 2.5, null]}}
        })
    }

    #[test]
    fn an_answer_is_written_as_the_general_encoder_writes_it() {
        let sockets = [socket(handshake(), json!({"user": 7}))];
        let general = wire::encode_envelope(Message {
            kind: FETCH_SOCKETS_RESPONSE,
            uid: "node-a".to_owned(),
            nsp: "/chat".to_owned(),
            data: Some(
                crate::protocol::to_value(&json!({
                    "requestId": "r1",
                    "sockets": [sockets[0].describe()],
                }))
                .unwrap(),
            ),
        });
        assert_eq!(encode("node-a", "/chat", "r1", &sockets), general);
    }

    #[test]
    fn an_answer_reads_back_as_the_sockets_it_describes() {
        let sockets = [
            socket(handshake(), json!({"user": 7})),
            socket(json!({}), serde_json::Value::Null),
        ];
        let payload = encode("node-a", "/", "r1", &sockets);
        let answer = decode(&payload).expect("an answer");
        assert_eq!(answer.uid, "node-a");
        assert_eq!(answer.nsp, "/");
        assert_eq!(answer.request_id, "r1");
        let described: Vec<_> = sockets.iter().map(JsonSocket::describe).collect();
        assert_eq!(answer.sockets, described);
    }

    #[test]
    fn what_a_json_value_cannot_hold_is_left_to_the_general_path() {
        use crate::protocol::Value;
        let object = |entries: Vec<(&str, Value)>| {
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value))
                    .collect(),
            )
        };
        let socket = object(vec![
            ("id", Value::from("s")),
            ("handshake", object(vec![])),
            ("rooms", Value::Array(vec![])),
            ("data", Value::Binary(vec![1, 2, 3].into())),
        ]);
        let with_binary = wire::encode_envelope(Message {
            kind: FETCH_SOCKETS_RESPONSE,
            uid: "node-a".to_owned(),
            nsp: "/".to_owned(),
            data: Some(object(vec![
                ("requestId", Value::from("r1")),
                ("sockets", Value::Array(vec![socket])),
            ])),
        });
        assert!(with_binary.starts_with(&PREFIX));
        assert_eq!(decode(&with_binary), None);
        assert!(wire::decode_envelope(&with_binary).is_some());
    }

    #[test]
    fn nesting_past_the_limit_and_trailing_bytes_are_left_to_the_general_path() {
        let mut deep = json!("bottom");
        for _ in 0..MAX_DEPTH + 10 {
            deep = json!([deep]);
        }
        let deep_socket = json!({"id": "s", "handshake": deep, "rooms": [], "data": null});
        let data = json!({"requestId": "r1", "sockets": [deep_socket]});
        let payload = wire::encode_envelope(Message {
            kind: FETCH_SOCKETS_RESPONSE,
            uid: "node-a".to_owned(),
            nsp: "/".to_owned(),
            data: Some(crate::protocol::to_value(&data).unwrap()),
        });
        assert!(payload.starts_with(&PREFIX));
        assert_eq!(decode(&payload), None);
        let mut trailing = encode("node-a", "/", "r1", &[socket(json!({}), json!(null))]);
        assert!(decode(&trailing).is_some());
        trailing.push(0xc0);
        assert_eq!(decode(&trailing), None);
    }

    #[test]
    fn other_messages_are_not_answers() {
        let broadcast = wire::encode_envelope(Message {
            kind: wire::BROADCAST,
            uid: "node-a".to_owned(),
            nsp: "/".to_owned(),
            data: None,
        });
        assert_eq!(decode(&broadcast), None);
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&PREFIX), None);
    }
}
