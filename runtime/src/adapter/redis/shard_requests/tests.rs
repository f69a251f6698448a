use serde_json::json;

use super::*;
use crate::adapter::{Selector, SocketDescription};
use crate::room::Room;

fn rooms(names: &[&str]) -> Vec<Room> {
    names.iter().map(Room::new).collect()
}

fn decoded(message: &str) -> Option<Incoming> {
    sharded::decode(&Bytes::from(message.to_owned()))
}

#[test]
fn requests_are_written_as_the_cluster_adapter_writes_them() {
    let selector = Selector {
        rooms: rooms(&["a"]),
        except: rooms(&["b"]),
    };
    let fetch = encode_request(
        "me",
        "/",
        Some("r1"),
        &ClusterRequest::FetchSockets(selector.clone()),
    );
    let fetch: serde_json::Value = serde_json::from_slice(&fetch).unwrap();
    assert_eq!(
        fetch,
        json!({"type": 7, "data": {"opts": {"rooms": ["a"], "except": ["b"], "flags": {}},
            "requestId": "r1"}, "uid": "me", "nsp": "/"})
    );
    let join = encode_request(
        "me",
        "/chat",
        None,
        &ClusterRequest::Join(selector, rooms(&["x"])),
    );
    let join: serde_json::Value = serde_json::from_slice(&join).unwrap();
    assert_eq!(join["type"], 4);
    assert_eq!(join["data"]["rooms"], json!(["x"]));
    assert!(join["data"].get("requestId").is_none());
    let emit = encode_request(
        "me",
        "/",
        Some("r2"),
        &ClusterRequest::ServerSideEmit {
            packet: r#"["who",1]"#.to_owned(),
        },
    );
    let emit: serde_json::Value = serde_json::from_slice(&emit).unwrap();
    assert_eq!(
        emit,
        json!({"type": 9, "data": {"packet": ["who", 1], "requestId": "r2"}, "uid": "me", "nsp": "/"})
    );
    let all_rooms = encode_request("me", "/", Some("r3"), &ClusterRequest::AllRooms);
    let all_rooms: serde_json::Value = serde_json::from_slice(&all_rooms).unwrap();
    assert_eq!(all_rooms["type"], 7, "asked as a fetch of every socket");
}

#[test]
fn node_requests_are_read() {
    let disconnect = r#"{"type":6,"data":{"opts":{"rooms":["a"],"except":[]},"close":true},"uid":"n","nsp":"/"}"#;
    assert_eq!(
        decoded(disconnect),
        Some(Incoming::Request {
            uid: "n".into(),
            nsp: "/".into(),
            request_id: None,
            request: ClusterRequest::Disconnect {
                selector: Selector {
                    rooms: rooms(&["a"]),
                    except: Vec::new(),
                },
                close: true,
            },
        })
    );
    let leave = r#"{"type":5,"data":{"opts":{"rooms":[],"except":["z"]},"rooms":["x"]},"uid":"n","nsp":"/"}"#;
    assert!(matches!(
        decoded(leave),
        Some(Incoming::Request { request: ClusterRequest::Leave(_, left), .. }) if left == rooms(&["x"])
    ));
    let with_ack = r#"{"type":3,"data":{"packet":{"type":2,"data":["ping",1],"nsp":"/"},"requestId":"q","opts":{"rooms":[],"except":[],"flags":{"timeout":1500}}},"uid":"n","nsp":"/"}"#;
    let Some(Incoming::BroadcastWithAck {
        broadcast,
        request_id,
        timeout,
    }) = decoded(with_ack)
    else {
        panic!("not read");
    };
    assert_eq!(broadcast.event, "ping");
    assert_eq!(request_id, "q");
    assert_eq!(timeout, Some(std::time::Duration::from_millis(1500)));
    let emit = r#"{"type":9,"data":{"packet":["who",2],"requestId":"e"},"uid":"n","nsp":"/"}"#;
    assert!(matches!(
        decoded(emit),
        Some(Incoming::Request { request_id: Some(id), request: ClusterRequest::ServerSideEmit { packet }, .. })
            if id == "e" && packet == r#"["who",2]"#
    ));
}

#[test]
fn answers_are_written_and_read_in_both_formats() {
    let socket = SocketDescription {
        id: "s1".into(),
        handshake: json!({"auth": {}}),
        rooms: vec!["s1".into(), "a".into()],
        data: json!({"from": "tether"}),
    };
    let answer = encode_answer(
        "me",
        "/",
        "r1",
        &ClusterResponse::Sockets(vec![socket.clone()]),
    )
    .unwrap();
    assert_eq!(
        sharded::decode(&Bytes::from(answer)),
        Some(Incoming::Answer {
            request_id: "r1".into(),
            answer: Answer::Cluster(ClusterResponse::Sockets(vec![socket])),
        })
    );
    assert!(encode_answer("me", "/", "r1", &ClusterResponse::Done).is_none());
    let count = r#"{"type":11,"data":{"requestId":"b","clientCount":3},"uid":"n","nsp":"/"}"#;
    assert_eq!(
        decoded(count),
        Some(Incoming::Answer {
            request_id: "b".into(),
            answer: Answer::Report(RemoteAck::ClientCount(3)),
        })
    );
    let emitted =
        r#"{"type":10,"data":{"requestId":"e","packet":{"from":"node"}},"uid":"n","nsp":"/"}"#;
    assert_eq!(
        decoded(emitted),
        Some(Incoming::Answer {
            request_id: "e".into(),
            answer: Answer::Cluster(ClusterResponse::Ack(json!({"from": "node"}))),
        })
    );
    // A binary acknowledgement goes as MessagePack and comes back binary.
    let binary = Value::Binary(Bytes::from_static(&[1, 2]));
    let report = encode_report("me", "/", message::ack_data("b", binary.clone()));
    assert_ne!(report.first(), Some(&b'{'));
    assert_eq!(
        sharded::decode(&Bytes::from(report)),
        Some(Incoming::Answer {
            request_id: "b".into(),
            answer: Answer::Report(RemoteAck::Ack(binary)),
        })
    );
}

#[test]
fn malformed_messages_are_ignored() {
    for message in [
        r#"{"type":8,"data":{"sockets":[]},"uid":"n","nsp":"/"}"#,
        r#"{"type":8,"data":{"requestId":"r","sockets":[{"id":1}]},"uid":"n","nsp":"/"}"#,
        r#"{"type":11,"data":{"requestId":"r","clientCount":-1},"uid":"n","nsp":"/"}"#,
        r#"{"type":13,"data":{},"uid":"n","nsp":"/"}"#,
    ] {
        assert_eq!(decoded(message), None, "{message}");
    }
}
