use super::*;
use crate::engine::Sid;
use crate::protocol::EmitArgs;
use crate::protocol::encode_event;

fn decoded(json: &str) -> Body {
    decode(json.as_bytes(), "/fallback").expect(json).body
}

#[test]
fn requests_round_trip() {
    let selector = Selector {
        rooms: vec![Room::new("a")],
        except: vec![Room::new("b")],
    };
    for request in [
        ClusterRequest::FetchSockets(selector.clone()),
        ClusterRequest::Join(selector.clone(), vec![Room::new("x")]),
        ClusterRequest::Leave(selector.clone(), vec![Room::new("y")]),
        ClusterRequest::Disconnect {
            selector: selector.clone(),
            close: true,
        },
        ClusterRequest::ServerSideEmit {
            packet: r#"["hello",1,{"a":[]}]"#.to_owned(),
        },
    ] {
        let id = request.expects_answers().then_some("r1");
        let (kind, data) = request_data(&request, id);
        let json = to_json(&envelope(kind, Some(data), "u1", "/chat"));
        let message = decode(&json, "/").unwrap();
        assert_eq!(message.uid.as_deref(), Some("u1"));
        assert_eq!(message.nsp, "/chat");
        assert_eq!(
            message.body,
            Body::Request {
                request_id: id.map(str::to_owned),
                request
            }
        );
    }
}

#[test]
fn node_messages_are_read() {
    // As Node's ClusterAdapter writes them (JSON.stringify, keys in its order).
    assert_eq!(
        decoded(r#"{"type":1,"uid":"n","nsp":"/"}"#),
        Body::InitialHeartbeat
    );
    assert_eq!(
        decoded(r#"{"type":2,"uid":"n","nsp":"/"}"#),
        Body::Heartbeat
    );
    assert_eq!(decoded(r#"{"type":13,"uid":"n","nsp":"/"}"#), Body::Close);
    assert_eq!(
        decoded(r#"{"type":9,"data":{"packet":["ping",2]},"uid":"n","nsp":"/"}"#),
        Body::ServerSideEmit {
            packet: r#"["ping",2]"#.to_owned()
        }
    );
    assert_eq!(
        decoded(r#"{"type":10,"data":{"requestId":"q","packet":{"ok":true}},"uid":"n","nsp":"/"}"#),
        Body::Response {
            request_id: "q".to_owned(),
            response: ClusterResponse::Ack(serde_json::json!({"ok": true}))
        }
    );
    assert_eq!(
        decoded(r#"{"type":11,"data":{"requestId":"q","clientCount":3},"uid":"n","nsp":"/"}"#),
        Body::ClientCount {
            request_id: "q".to_owned(),
            count: 3
        }
    );
    let Body::Response { response, .. } = decoded(
        r#"{"type":8,"data":{"requestId":"q","sockets":[{"id":"s1","handshake":{"query":{}},"rooms":["s1","r"],"data":{"n":1}}]},"uid":"n","nsp":"/"}"#,
    ) else {
        panic!("no answer");
    };
    let ClusterResponse::Sockets(sockets) = response else {
        panic!("no sockets");
    };
    assert_eq!(sockets[0].rooms, ["s1", "r"]);
    // The Node.js emitter names no namespace: the caller's is taken.
    let message = decode(
        br#"{"type":3,"data":{"packet":{"type":2,"data":["ev"],"nsp":"/"},"opts":{"rooms":["r"],"except":[]}},"uid":"emitter"}"#,
        "/chat",
    )
    .unwrap();
    assert_eq!(message.nsp, "/chat");
    let Body::Broadcast(broadcast) = message.body else {
        panic!("no broadcast");
    };
    assert_eq!(broadcast.nsp, "/chat");
    assert_eq!(broadcast.rooms, [Room::new("r")]);
}

#[test]
fn hostile_input_is_ignored() {
    for payload in [
        &b""[..],
        b"{",
        b"[1,2]",
        br#"{"type":"3"}"#,
        br#"{"type":3,"data":{"packet":{"type":2,"data":[]}}}"#,
        br#"{"type":7,"data":{"opts":{}}}"#,
        br#"{"type":8,"data":{"requestId":"q","sockets":[{"id":1}]}}"#,
        br#"{"type":99}"#,
        b"\xc1",
        b"\x81\xa4type",
    ] {
        assert_eq!(decode(payload, "/"), None, "{payload:?}");
    }
}

#[test]
fn acknowledged_binary_broadcasts_go_as_msgpack_and_back() {
    let values = (bytes::Bytes::from_static(&[1, 2, 3]), "x");
    let args = EmitArgs::new(&values);
    let encoded = encode_event("/", "bin", &args, None).unwrap();
    let sid = Sid::parse("AAAAAAAAAAAAAAAAAAAA").unwrap();
    let broadcast = Broadcast {
        encoded: &encoded,
        event: "bin",
        args: &args,
        rooms: &[],
        except: &[],
        except_socket: Some(sid),
        volatile: false,
    };
    let data = broadcast_data(&broadcast, "/", Some(("q", Duration::from_millis(1500)))).unwrap();
    let message = envelope(BROADCAST, Some(data), "u", "/");
    assert!(has_binary(&message));
    let Body::BroadcastWithAck {
        request_id,
        broadcast,
        timeout,
    } = decode(&to_msgpack(&message), "/").unwrap().body
    else {
        panic!("no acknowledged broadcast");
    };
    assert_eq!(request_id, "q");
    assert_eq!(timeout, Some(Duration::from_millis(1500)));
    assert_eq!(broadcast.except, [Room::new(sid.as_str())]);
    assert_eq!(
        broadcast.args,
        [
            Value::Binary(bytes::Bytes::from_static(&[1, 2, 3])),
            Value::from("x")
        ]
    );
    let (kind, data) = ack_data("q", Value::Binary(bytes::Bytes::from_static(&[9])));
    let ack = envelope(kind, Some(data), "u", "/");
    assert_eq!(
        decode(&to_msgpack(&ack), "/").unwrap().body,
        Body::Ack {
            request_id: "q".to_owned(),
            value: Value::Binary(bytes::Bytes::from_static(&[9]))
        }
    );
}
