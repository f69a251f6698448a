//! Events both ways: arguments decoded by index, emits that spread tuples, nested
//! binary in both directions, catch-all and per-socket handlers, arrival order, and
//! handlers that fail or panic without taking the connection down.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tether::Value;
use tether::protocol::ArgError;
use tether::server::{AckError, EmitError, Event, Socket};
use tether_tests::{SioServer, placeholder};

use crate::support::{handling, probed_server, reporting_connections, reporting_events};

#[derive(Debug, Deserialize, PartialEq)]
struct Three {
    three: Vec<u8>,
}

#[tokio::test]
async fn arguments_are_decoded_by_index() {
    let (server, mut seen) = reporting_events("typed", |_socket, event, report| async move {
        let first: u32 = event.arg(0).unwrap();
        let second: String = event.arg(1).unwrap();
        let third: Three = event.arg(2).unwrap();
        let fourth: Option<String> = event.arg(3).unwrap();
        let fifth: bool = event.arg(4).unwrap();
        let sixth: f64 = event.arg(5).unwrap();
        let absent: Option<u32> = event.arg(6).unwrap();
        let missing = matches!(event.arg::<u32>(6), Err(ArgError::Missing { index: 6, count: 6 }));
        let wrong = matches!(event.arg::<u32>(1), Err(ArgError::Json { index: 1, .. }));
        report.send(format!(
            "{} {first} {second} {third:?} {fourth:?} {fifth} {sixth} {absent:?} {missing} {wrong} {}",
            event.name(),
            event.args().len()
        ));
    })
    .await;
    let (mut client, _) = server.client("/").await;
    client
        .emit(
            "/",
            "typed",
            json!([1, "two", { "three": [3] }, null, true, 2.5]),
        )
        .await;
    assert_eq!(
        seen.next().await,
        r#"typed 1 two Three { three: [3] } None true 2.5 None true true 6"#
    );
    server.stop().await;
}

#[tokio::test]
async fn emits_spread_tuples_and_write_json_as_javascript_does() {
    #[derive(Serialize)]
    struct Point {
        x: i32,
        label: &'static str,
    }
    let server = SioServer::with(|io| {
        io.on_connection(|socket: Socket| async move {
            socket.emit("tuple", &(1, "a", json!({ "k": [1.5, null] })))?;
            socket.emit("none", &())?;
            socket.emit("one", &vec![1, 2])?;
            socket.emit(
                "struct",
                &Point {
                    x: -3,
                    label: "h\u{e9}llo \u{20ac} \u{1f600} \"q\"\n",
                },
            )?;
            socket.emit("nested", &((1, 2),))?;
            socket.emit("float", &(1e21, 0.1, -0.0, f64::NAN))
        });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    let expected = [
        r#"2["tuple",1,"a",{"k":[1.5,null]}]"#,
        r#"2["none"]"#,
        r#"2["one",[1,2]]"#,
        "2[\"struct\",{\"x\":-3,\"label\":\"h\u{e9}llo \u{20ac} \u{1f600} \\\"q\\\"\\n\"}]",
        r#"2["nested",[1,2]]"#,
        r#"2["float",1e+21,0.1,0,null]"#,
    ];
    for text in expected {
        assert_eq!(client.next_packet().await.text, text);
    }
    server.stop().await;
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Upload {
    name: String,
    file: Bytes,
    parts: Vec<Part>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Part {
    deep: Bytes,
    size: usize,
}

#[tokio::test]
async fn nested_binary_travels_both_ways() {
    let (server, mut seen) = reporting_events("upload", |socket, event, report| async move {
        let upload: Upload = event.arg(0).unwrap();
        let values = event.values().unwrap();
        report.send(values);
        let reply = Upload {
            name: upload.name.to_uppercase(),
            file: upload.parts[0].deep.clone(),
            parts: vec![Part {
                size: upload.file.len(),
                deep: upload.file,
            }],
        };
        socket.emit("stored", &(reply, Bytes::from_static(b"\x00\xff")))
    })
    .await;
    let (mut client, _) = server.client("/").await;
    client
        .emit_binary(
            "/",
            "upload",
            json!([{ "name": "pic", "file": placeholder(0), "parts": [{ "deep": placeholder(1), "size": 2 }] }]),
            &[b"file-bytes", b"\x01\x02"],
        )
        .await;
    let stored = client.expect_event("/", "stored").await;
    assert_eq!(
        stored.text,
        r#"53-["stored",{"name":"PIC","file":{"_placeholder":true,"num":0},"parts":[{"deep":{"_placeholder":true,"num":1},"size":10}]},{"_placeholder":true,"num":2}]"#
    );
    assert_eq!(
        stored.attachments,
        [b"\x01\x02".to_vec(), b"file-bytes".to_vec(), vec![0, 255]]
    );

    let values = seen.next().await;
    let Value::Object(upload) = &values[0] else {
        panic!("an object: {values:?}");
    };
    assert_eq!(
        upload.get("file"),
        Some(&Value::Binary(Bytes::from_static(b"file-bytes")))
    );
    server.stop().await;
}

#[tokio::test]
async fn catch_alls_see_every_event_and_take_the_ack_only_when_nothing_else_would() {
    let (server, mut seen) = probed_server(|io, report| {
        let any = report.clone();
        io.main().on_any(move |_socket: Socket, mut event: Event| {
            let report = any.clone();
            async move {
                report.send(format!("any {} ack:{}", event.name(), event.wants_ack()));
                event.ack(&"from any")
            }
        });
        let specific = report.clone();
        io.main()
            .on("known", move |_socket: Socket, mut event: Event| {
                let report = specific.clone();
                async move {
                    report.send(format!("known ack:{}", event.wants_ack()));
                    event.ack(&"from known")
                }
            });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    let known = client.emit_with_ack("/", "known", json!([])).await;
    assert_eq!(
        seen.take(2).await,
        ["any known ack:false", "known ack:true"]
    );
    assert_eq!(
        client.expect_ack("/", known).await.args(),
        [json!("from known")]
    );
    let unknown = client.emit_with_ack("/", "unknown", json!([1])).await;
    assert_eq!(seen.next().await, "any unknown ack:true");
    assert_eq!(
        client.expect_ack("/", unknown).await.args(),
        [json!("from any")]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_socket_handler_replaces_the_namespace_handler_for_that_socket() {
    let server = SioServer::with(|io| {
        io.main()
            .on("who", |socket: Socket, _event: Event| async move {
                socket.emit("answer", "namespace")
            });
        io.on_connection(|socket: Socket| async move {
            if socket.auth_value()["own"] == true {
                socket.on("who", |socket: Socket, _event: Event| async move {
                    socket.emit("answer", "socket")
                });
                socket.on_any(|socket: Socket, event: Event| async move {
                    socket.emit("seen", event.name())
                });
            }
        });
    })
    .await;
    let (mut own, _) = server
        .client_with_auth("/", Some(json!({ "own": true })))
        .await;
    let (mut plain, _) = server.client("/").await;
    own.emit("/", "who", json!([])).await;
    assert_eq!(own.expect_event("/", "seen").await.arg(0), "who");
    assert_eq!(own.expect_event("/", "answer").await.arg(0), "socket");
    plain.emit("/", "who", json!([])).await;
    assert_eq!(plain.expect_event("/", "answer").await.arg(0), "namespace");
    server.stop().await;
}

#[tokio::test]
async fn handlers_start_in_the_order_events_arrived() {
    let (server, mut seen) = reporting_events("seq", |_socket, event, report| async move {
        let index: u64 = event.arg(0).unwrap();
        report.send(index);
        if index.is_multiple_of(3) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let (mut client, _) = server.client("/").await;
    for index in 0..200 {
        client.emit("/", "seq", json!([index])).await;
    }
    assert_eq!(seen.take(200).await, (0..200).collect::<Vec<u64>>());
    server.stop().await;
}

/// Panics; typed as returning `()` so that handlers calling it are handlers.
fn explode(what: &str) {
    panic!("{what}");
}

#[tokio::test]
async fn failing_and_panicking_handlers_leave_the_connection_up() {
    let server = SioServer::with(|io| {
        let main = io.main();
        main.on("fail", |_socket: Socket, event: Event| async move {
            event.arg::<u32>(0).map(|_| ())
        });
        main.on("panic-now", |_socket: Socket, _event: Event| async move {
            explode("a handler panicked on purpose");
        });
        main.on("panic-later", |_socket: Socket, _event: Event| async move {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
            explode("a handler panicked on purpose, after waiting");
        });
        main.on("echo", |socket: Socket, event: Event| async move {
            socket.emit("echo", event.args())
        });
        io.on_connection(|_socket: Socket| async move {
            explode("a connection handler panicked on purpose");
        });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    client.emit("/", "fail", json!(["not a number"])).await;
    client.emit("/", "panic-now", json!([])).await;
    client.emit("/", "panic-later", json!([])).await;
    client.emit("/", "nobody-listens", json!([])).await;
    client.emit("/", "echo", json!(["alive"])).await;
    assert_eq!(
        client.expect_event("/", "echo").await.args(),
        [json!("alive")]
    );
    assert!(server.io.main().sockets()[0].connected());
    server.stop().await;
}

#[tokio::test]
async fn numeric_event_names_arrive_as_text() {
    let server = handling("42", |socket: Socket, event: Event| async move {
        socket.emit("got", &(event.name(), event.args()))
    })
    .await;
    let (mut client, _) = server.client("/").await;
    client.send_raw(r#"42[42,"x"]"#).await;
    // `Args` inside a tuple is one argument: the array of the arguments.
    assert_eq!(client.next_packet().await.text, r#"2["got","42",["x"]]"#);
    server.stop().await;
}

#[tokio::test]
async fn reserved_event_names_cannot_be_emitted() {
    let (server, mut seen) = reporting_connections(|socket, report| async move {
        let reserved = [
            "connect",
            "connect_error",
            "disconnect",
            "disconnecting",
            "newListener",
            "removeListener",
        ];
        let refused = reserved.iter().all(|name| {
            matches!(socket.emit(name, &()), Err(EmitError::ReservedEvent(_)))
                && matches!(
                    socket.broadcast().emit(name, &()),
                    Err(EmitError::ReservedEvent(_))
                )
        });
        let ack = socket.emit_with_ack::<Json, _>("disconnect", &()).await;
        let ack_refused = matches!(ack, Err(AckError::Emit(EmitError::ReservedEvent(_))));
        report.send((refused, ack_refused));
        socket.emit("sentinel", &())
    })
    .await;
    let (mut client, _) = server.client("/").await;
    assert_eq!(seen.next().await, (true, true));
    client.expect_event("/", "sentinel").await;
    server.stop().await;
}

#[tokio::test]
async fn every_handler_of_an_event_gets_its_name_and_arguments() {
    let (server, mut seen) = probed_server(|io, report| {
        for label in ["any 1", "any 2"] {
            let report = report.clone();
            io.main().on_any(move |_socket: Socket, event: Event| {
                let report = report.clone();
                async move {
                    let args: Json = event.arg(0).unwrap();
                    report.send(format!("{label} {} {args}", event.name()));
                }
            });
        }
        io.main()
            .on("pair", move |_socket: Socket, mut event: Event| {
                let report = report.clone();
                async move {
                    let args: Json = event.arg(0).unwrap();
                    report.send(format!("pair {} {args}", event.name()));
                    let second: String = event.arg(1).unwrap();
                    event.ack(&second)
                }
            });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    let id = client
        .emit_with_ack("/", "pair", json!([{ "a": [1, 2] }, "b"]))
        .await;
    assert_eq!(
        seen.take(3).await,
        [
            r#"any 1 pair {"a":[1,2]}"#,
            r#"any 2 pair {"a":[1,2]}"#,
            r#"pair pair {"a":[1,2]}"#
        ]
    );
    assert_eq!(client.expect_ack("/", id).await.args(), [json!("b")]);
    server.stop().await;
}
