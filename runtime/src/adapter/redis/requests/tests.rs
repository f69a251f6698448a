use serde_json::json;

use super::*;
use crate::adapter::pending::Expected;

fn rooms(names: &[&str]) -> Vec<Room> {
    names.iter().map(Room::new).collect()
}

fn selector(rooms_: &[&str], except: &[&str]) -> Selector {
    Selector {
        rooms: rooms(rooms_),
        except: rooms(except),
    }
}

#[test]
fn node_requests_are_read() {
    let fetch =
        br#"{"uid":"other","requestId":"r1","type":5,"opts":{"rooms":["a"],"except":["b"]}}"#;
    assert_eq!(
        parse_request(fetch, "me"),
        Some(Incoming::Cluster {
            request_id: Some("r1".into()),
            request: ClusterRequest::FetchSockets(selector(&["a"], &["b"])),
            ids_only: false,
        })
    );
    let join = br#"{"uid":"other","type":2,"opts":{"rooms":[],"except":[]},"rooms":["x","y"]}"#;
    assert_eq!(
        parse_request(join, "me"),
        Some(Incoming::Cluster {
            request_id: None,
            request: ClusterRequest::Join(selector(&[], &[]), rooms(&["x", "y"])),
            ids_only: false,
        })
    );
    let from_emitter = br#"{"type":2,"opts":{"rooms":["a"],"except":[]},"rooms":["x"]}"#;
    assert_eq!(
        parse_request(from_emitter, "me"),
        Some(Incoming::Cluster {
            request_id: None,
            request: ClusterRequest::Join(selector(&["a"], &[]), rooms(&["x"])),
            ids_only: false,
        }),
        "the emitter's commands carry no uid"
    );
    let leave_one = br#"{"uid":"other","requestId":"r2","type":3,"sid":"abc","room":"x"}"#;
    assert_eq!(
        parse_request(leave_one, "me"),
        Some(Incoming::Cluster {
            request_id: Some("r2".into()),
            request: ClusterRequest::Leave(selector(&["abc"], &[]), rooms(&["x"])),
            ids_only: false,
        })
    );
    let disconnect = br#"{"uid":"other","type":4,"opts":{"rooms":["a"],"except":[]},"close":true}"#;
    assert_eq!(
        parse_request(disconnect, "me"),
        Some(Incoming::Cluster {
            request_id: None,
            request: ClusterRequest::Disconnect {
                selector: selector(&["a"], &[]),
                close: true
            },
            ids_only: false,
        })
    );
    let sockets = br#"{"uid":"other","requestId":"r3","type":0,"rooms":["a"]}"#;
    assert_eq!(
        parse_request(sockets, "me"),
        Some(Incoming::Cluster {
            request_id: Some("r3".into()),
            request: ClusterRequest::FetchSockets(selector(&["a"], &[])),
            ids_only: true,
        })
    );
    let all_rooms = br#"{"uid":"other","requestId":"r4","type":1}"#;
    assert!(matches!(
        parse_request(all_rooms, "me"),
        Some(Incoming::Cluster {
            request: ClusterRequest::AllRooms,
            ..
        })
    ));
    let emit = br#"{"uid":"other","type":6,"data":["hello",1]}"#;
    assert_eq!(
        parse_request(emit, "me"),
        Some(Incoming::ServerSideEmit {
            data: r#"["hello",1]"#
        })
    );
    let emit_with_ack = br#"{"uid":"other","requestId":"r5","type":6,"data":["count",{"a":1}]}"#;
    assert_eq!(
        parse_request(emit_with_ack, "me"),
        Some(Incoming::Cluster {
            request_id: Some("r5".into()),
            request: ClusterRequest::ServerSideEmit {
                packet: r#"["count",{"a":1}]"#.into()
            },
            ids_only: false,
        })
    );
}

#[test]
fn own_unknown_and_malformed_requests_are_ignored() {
    let own = br#"{"uid":"me","requestId":"r1","type":1}"#;
    assert_eq!(parse_request(own, "me"), None);
    assert_eq!(parse_request(br#"{"uid":"x","type":42}"#, "me"), None);
    assert_eq!(parse_request(br#"{"uid":"x","type":2}"#, "me"), None);
    assert_eq!(parse_request(br#"{"uid":"x","type":5"#, "me"), None);
    assert_eq!(parse_request(b"\x83\xa3uid", "me"), None);
    assert_eq!(parse_request(b"", "me"), None);
}

#[test]
fn answers_are_written_as_node_writes_them() {
    let socket = SocketDescription {
        id: "s1".into(),
        rooms: vec!["s1".into(), "red".into()],
        handshake: json!({"auth": {}}),
        data: serde_json::Value::Null,
    };
    let sockets = ClusterResponse::Sockets(vec![socket]);
    assert_eq!(
        answer_json("r1", &sockets, false),
        r#"{"requestId":"r1","sockets":[{"id":"s1","handshake":{"auth":{}},"rooms":["s1","red"],"data":null}]}"#
    );
    assert_eq!(
        answer_json("r1", &sockets, true),
        r#"{"requestId":"r1","sockets":["s1"]}"#
    );
    assert_eq!(
        answer_json("r2", &ClusterResponse::Rooms(rooms(&["a", "b"])), false),
        r#"{"requestId":"r2","rooms":["a","b"]}"#
    );
    assert_eq!(
        answer_json("r3", &ClusterResponse::Done, false),
        r#"{"requestId":"r3"}"#
    );
    assert_eq!(
        answer_json("r4", &ClusterResponse::Ack(json!({"n": 2})), false),
        r#"{"type":6,"requestId":"r4","data":{"n":2}}"#
    );
}

#[test]
fn requests_are_written_as_node_writes_them() {
    assert_eq!(
        request_json(
            "me",
            Some("r1"),
            &ClusterRequest::FetchSockets(selector(&["a"], &["b"]))
        ),
        r#"{"uid":"me","requestId":"r1","type":5,"opts":{"rooms":["a"],"except":["b"]}}"#
    );
    assert_eq!(
        request_json("me", Some("r2"), &ClusterRequest::AllRooms),
        r#"{"uid":"me","requestId":"r2","type":1}"#
    );
    assert_eq!(
        request_json(
            "me",
            None,
            &ClusterRequest::Join(selector(&[], &["s9"]), rooms(&["x"]))
        ),
        r#"{"uid":"me","type":2,"opts":{"rooms":[],"except":["s9"]},"rooms":["x"]}"#
    );
    assert_eq!(
        request_json(
            "me",
            None,
            &ClusterRequest::Disconnect {
                selector: selector(&["a"], &[]),
                close: false
            }
        ),
        r#"{"uid":"me","type":4,"opts":{"rooms":["a"],"except":[]},"close":false}"#
    );
    assert_eq!(
        request_json(
            "me",
            Some("r5"),
            &ClusterRequest::ServerSideEmit {
                packet: r#"["count",1]"#.into()
            }
        ),
        r#"{"uid":"me","requestId":"r5","type":6,"data":["count",1]}"#
    );
    // What this node writes, another tether node reads back.
    for request in [
        ClusterRequest::FetchSockets(selector(&["a"], &["b"])),
        ClusterRequest::Leave(selector(&["a"], &[]), rooms(&["y"])),
        ClusterRequest::AllRooms,
    ] {
        let json = request_json("me", Some("r"), &request);
        let Some(Incoming::Cluster { request: read, .. }) = parse_request(json.as_bytes(), "you")
        else {
            panic!("{json} is not read back");
        };
        assert_eq!(read, request);
    }
}

#[tokio::test]
async fn answers_complete_their_request_once_every_node_answered() {
    let pending = PendingRequests::new(2);
    let answers = pending.register("r1", Expected::Count(2)).unwrap();
    on_answer(&pending, br#"{"requestId":"other","rooms":["z"]}"#);
    on_answer(&pending, br#"{"requestId":"r1","rooms":["a"]}"#);
    on_answer(&pending, b"not json");
    on_answer(
        &pending,
        br#"{"requestId":"r1","sockets":[{"id":"s","rooms":["s"],"handshake":{}}]}"#,
    );
    let answers = answers.await.unwrap();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0], ClusterResponse::Rooms(rooms(&["a"])));
    assert!(matches!(&answers[1], ClusterResponse::SocketsJson(s) if s[0].id == "s"));
    on_answer(&pending, br#"{"requestId":"r1","rooms":["late"]}"#);

    let acks = pending.register("r2", Expected::Count(2)).unwrap();
    on_answer(&pending, br#"{"type":6,"requestId":"r2","data":{"n":1}}"#);
    on_answer(&pending, br#"{"type":6,"requestId":"r2"}"#);
    assert_eq!(
        acks.await.unwrap(),
        [
            ClusterResponse::Ack(json!({"n": 1})),
            ClusterResponse::Ack(serde_json::Value::Null)
        ]
    );

    let _first = pending.register("a", Expected::Count(1)).unwrap();
    let _second = pending.register("b", Expected::Count(1)).unwrap();
    assert!(
        pending.register("c", Expected::Count(1)).is_none(),
        "bounded"
    );
    on_answer(&pending, br#"{"requestId":"a"}"#);
    assert!(
        pending.register("c", Expected::Count(1)).is_some(),
        "room again once one completed"
    );
    assert_eq!(pending.forget("b"), 0);
}

#[test]
fn the_leading_request_id_is_read_only_from_the_usual_opening() {
    assert_eq!(
        leading_request_id(br#"{"requestId":"Ab3x","sockets":[]}"#),
        Some("Ab3x")
    );
    assert_eq!(leading_request_id(br#"{"requestId":""}"#), Some(""));
    for other in [
        &br#"{"type":6,"requestId":"r2","data":1}"#[..],
        br#"{ "requestId":"r1"}"#,
        br#"{"requestId":"a\"b","rooms":[]}"#,
        br#"{"requestId":"a\u0062","rooms":[]}"#,
        br#"{"requestId":"unterminated"#,
        br#"{"requestId":1}"#,
    ] {
        assert_eq!(
            leading_request_id(other),
            None,
            "{}",
            String::from_utf8_lossy(other)
        );
    }
}

#[tokio::test]
async fn an_answer_whose_id_is_escaped_or_comes_later_still_reaches_its_request() {
    let pending = PendingRequests::new(4);
    let answers = pending.register("ab", Expected::Count(3)).unwrap();
    on_answer(&pending, br#"{"requestId":"a\u0062","rooms":["escaped"]}"#);
    on_answer(&pending, br#"{"rooms":["later"],"requestId":"ab"}"#);
    on_answer(&pending, br#"{ "requestId" : "ab", "rooms":["spaced"]}"#);
    let answers = answers.await.unwrap();
    assert_eq!(
        answers,
        [
            ClusterResponse::Rooms(rooms(&["escaped"])),
            ClusterResponse::Rooms(rooms(&["later"])),
            ClusterResponse::Rooms(rooms(&["spaced"])),
        ]
    );
}
