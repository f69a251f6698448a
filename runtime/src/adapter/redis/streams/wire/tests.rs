use bytes::Bytes;
use serde_json::json;

use super::*;
use crate::protocol::EmitArgs;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect()
}

fn value(json: serde_json::Value) -> Value {
    crate::protocol::to_value(&json).unwrap()
}

/// `Buffer.from(encode({sid, pid, rooms, data: {k: 1, f: 1.5, n: null}}))
/// .toString("base64")` with `@msgpack/msgpack` 2.8, as Node's adapter stores it.
const NODE_SESSION: &str = "hKNzaWS0QUFBQUFBQUFBQUFBQUFBQUFBQUGjcGlktEJCQkJCQkJCQkJCQkJCQkJCQkJCpXJvb21zkrRBQUFBQUFBQUFBQUFBQUFBQUFBQaFypGRhdGGDoWsBoWbLP/gAAAAAAAChbsA=";

#[test]
fn sessions_are_stored_as_node_stores_them() {
    let session = SessionState::new(
        "AAAAAAAAAAAAAAAAAAAA",
        "BBBBBBBBBBBBBBBBBBBB",
        vec!["AAAAAAAAAAAAAAAAAAAA".to_owned(), "r".to_owned()],
        json!({"k": 1, "f": 1.5, "n": null}),
    );
    assert_eq!(encode_session(&session), NODE_SESSION);
    assert_eq!(decode_session(NODE_SESSION.as_bytes()), Some(session));
    assert_eq!(decode_session(b"not base64!"), None);
    assert_eq!(decode_session(b"kQ=="), None, "an array is no session");
}

#[test]
fn envelopes_are_written_as_msgpack_writes_them() {
    // encode({type: 10, data: {requestId: "abc", packet: {x: [1, -2, 5000000000, "é"]}},
    //   uid: "u1", nsp: "/"})
    let node = hex(
        "84a4747970650aa46461746182a9726571756573744964a3616263a67061636b657481a1789401fecf000000012a05f200a2c3a9a3756964a27531a36e7370a12f",
    );
    let message = Message {
        kind: SERVER_SIDE_EMIT_RESPONSE,
        uid: "u1".to_owned(),
        nsp: "/".to_owned(),
        data: Some(value(
            json!({"requestId": "abc", "packet": {"x": [1, -2, 5_000_000_000u64, "é"]}}),
        )),
    };
    assert_eq!(encode_envelope(message.clone()), node);
    assert_eq!(decode_envelope(&node), Some(message));
    assert_eq!(decode_envelope(b"\x93\x01"), None);
}

#[test]
fn stream_entries_are_json_unless_binary() {
    let data = (Bytes::from_static(&[1, 2]), 1);
    let args = EmitArgs::new(&data);
    let encoded = crate::protocol::encode_event("/", "ev", &args, None).unwrap();
    let rooms = [Room::new("r")];
    let broadcast = Broadcast {
        encoded: &encoded,
        event: "ev",
        args: &args,
        rooms: &rooms,
        except: &[],
        except_socket: None,
        volatile: false,
    };
    let message = Message {
        kind: BROADCAST,
        uid: "u".to_owned(),
        nsp: "/".to_owned(),
        data: Some(broadcast_data(&broadcast, None).unwrap()),
    };
    // Buffer.from(encode({packet: {type: 2, data: ["ev", Buffer.from([1, 2]), 1]},
    //   opts: {rooms: ["r"], except: [], flags: {}}})).toString("base64")
    let fields = entry_fields(&message, false);
    assert_eq!(
        fields,
        [
            ("uid", "u".to_owned()),
            ("nsp", "/".to_owned()),
            ("type", "3".to_owned()),
            (
                "data",
                "gqZwYWNrZXSCpHR5cGUCpGRhdGGTomV2xAIBAgGkb3B0c4Olcm9vbXORoXKmZXhjZXB0kKVmbGFnc4A="
                    .to_owned()
            ),
        ]
    );
    let read = decode_entry(
        fields
            .iter()
            .map(|(name, value)| (name.as_bytes(), value.as_bytes())),
    );
    assert_eq!(read, Some(message));

    let text = [
        (&b"uid"[..], &b"n1"[..]),
        (b"nsp", b"/chat"),
        (b"type", b"4"),
        (
            b"data",
            br#"{"opts":{"rooms":["a"],"except":[],"flags":{}},"rooms":["b"]}"#,
        ),
    ];
    let read = decode_entry(text).unwrap();
    assert_eq!((read.kind, read.nsp.as_str()), (SOCKETS_JOIN, "/chat"));
    assert_eq!(
        read.data,
        Some(value(
            json!({"opts": {"rooms": ["a"], "except": [], "flags": {}}, "rooms": ["b"]})
        ))
    );
    assert_eq!(
        decode_entry([(&b"uid"[..], &b"x"[..]), (b"type", b"3")]),
        None,
        "no nsp"
    );
    assert_eq!(
        decode_entry([
            (&b"nsp"[..], &b"/"[..]),
            (b"type", b"3"),
            (b"data", b"{oops")
        ]),
        None
    );
}

#[test]
fn stream_names_hash_as_node_does() {
    assert_eq!(hash_code("/orders-namespace"), -2_133_015_902);
    assert_eq!(
        stream_of("/orders-namespace", "socket.io", 4),
        "socket.io--2"
    );
    assert_eq!(stream_of("/", "socket.io", 1), "socket.io");
    assert_eq!(hash_code("/"), 47);
    assert_eq!(stream_of("/", "s", 4), "s-3");
    assert_eq!(stream_of("/orders", "s", 4), "s-0");
}

#[test]
fn offsets_have_the_shape_of_stream_ids() {
    assert_eq!(
        parse_offset("1700000000000-12"),
        Some((1_700_000_000_000, 12))
    );
    for bad in ["", "1", "1-", "-1", "a-1", "1-2-3", "1 -2"] {
        assert_eq!(parse_offset(bad), None, "{bad}");
    }
}

#[test]
fn fetched_sockets_read_the_same_straight_or_through_json() {
    let answer = json!([{
        "id": "s1",
        "handshake": {"headers": {"host": "h"}, "issued": 5, "secure": false, "auth": {}},
        "rooms": ["s1", "red"],
        "data": {"score": 1.5, "tags": ["a"], "none": null},
    }]);
    let straight = fetched_sockets(value(answer.clone())).unwrap();
    let through_json: Vec<SocketDescription> = serde_json::from_value(answer).unwrap();
    assert_eq!(straight, through_json);

    let mut with_binary = value(json!([{"id": "s2", "handshake": {}, "rooms": ["s2"]}]));
    if let Value::Array(sockets) = &mut with_binary
        && let Some(Value::Object(socket)) = sockets.first_mut()
    {
        socket.insert(
            "data".to_owned(),
            Value::Binary(Bytes::from_static(b"\x01\x02")),
        );
    }
    let read = fetched_sockets(with_binary).unwrap();
    assert_eq!(read[0].id, "s2");
    assert!(
        !read[0].data.is_null(),
        "the binary data is kept: {:?}",
        read[0].data
    );
    assert_eq!(fetched_sockets(value(json!({"not": "a list"}))), None);
}
