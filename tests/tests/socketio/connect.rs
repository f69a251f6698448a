//! Joining namespaces: the CONNECT answer and connection handlers, the handshake
//! and auth a socket sees, connect middlewares and their refusals, the connect
//! timeout, and packets that break the connect rules.

use std::time::Duration;

use serde_json::{Value, json};
use tether::server::{ConnectError, DisconnectReason, Event, Server, Socket};
use tether_tests::sio_packet::CONNECT;
use tether_tests::{SioServer, sio_config};

use crate::support::{disconnect_reasons, probed_server, reporting_connections};

#[tokio::test]
async fn the_connect_answer_goes_out_before_what_connection_handlers_send() {
    let (server, mut seen) = reporting_connections(|socket, report| async move {
        report.send((socket.id().to_string(), socket.ns().to_owned()));
        socket.emit("hello", &(1, "two"))
    })
    .await;
    let mut client = server.open().await;
    client.send_raw("40").await;
    let answer = client.next_packet().await;
    assert_eq!(answer.kind, CONNECT);
    let sid = answer
        .data
        .as_ref()
        .and_then(|data| data["sid"].as_str())
        .unwrap();
    assert_eq!(client.next_packet().await.text, r#"2["hello",1,"two"]"#);
    assert_eq!(seen.next().await, (sid.to_owned(), "/".to_owned()));
    let socket = server
        .io
        .socket(tether::engine::Sid::parse(sid).unwrap())
        .expect("the socket is registered");
    assert_eq!(socket.id().as_str(), sid);
    server.stop().await;
}

#[tokio::test]
async fn sockets_see_the_handshake_query_headers_and_auth() {
    let (server, mut seen) = reporting_connections(|socket, report| async move {
        #[derive(serde::Deserialize)]
        struct Auth {
            token: String,
        }
        let handshake = socket.handshake();
        report.send(json!({
            "query": socket.query("room"),
            "missing": socket.query("nope"),
            "path": handshake.uri.path(),
            "host": handshake.headers.get("host").is_some(),
            "peer": handshake.remote_addr.is_some_and(|addr| addr.ip().is_loopback()),
            "raw": socket.auth_raw(),
            "token": socket.auth::<Auth>().map(|auth| auth.token).ok(),
            "value": socket.auth_value(),
            "transport": socket.transport().as_str(),
        }));
    })
    .await;
    let mut client =
        tether_tests::SioClient::open_with_query(server.addr(), &server.path(), "room=a%20b").await;
    client
        .join_ok("/", Some(json!({ "token": "t1", "n": 2 })))
        .await;
    assert_eq!(
        seen.next().await,
        json!({
            "query": "a b",
            "missing": null,
            "path": "/socket.io/",
            "host": true,
            "peer": true,
            "raw": r#"{"token":"t1","n":2}"#,
            "token": "t1",
            "value": { "token": "t1", "n": 2 },
            "transport": "websocket",
        })
    );
    let (_other, _) = server.client("/").await;
    let without = seen.next().await;
    assert_eq!(
        (&without["raw"], &without["value"]),
        (&Value::Null, &json!({}))
    );
    server.stop().await;
}

#[tokio::test]
async fn middlewares_run_in_order_and_the_first_refusal_wins() {
    let (server, mut seen) = probed_server(|io, report| {
        let first = report.clone();
        io.use_middleware(move |socket: Socket| {
            let report = first.clone();
            async move {
                report.send("first");
                tokio::time::sleep(Duration::from_millis(20)).await;
                match socket.auth_value()["role"].as_str() {
                    Some("guest") => Err(ConnectError::new("guests not allowed")
                        .with_data(json!({ "code": 4001, "retry": false }))),
                    Some("anonymous") => Err(ConnectError::from("who are you?")),
                    _ => Ok(()),
                }
            }
        });
        let second = report.clone();
        io.use_middleware(move |_socket: Socket| {
            let report = second.clone();
            async move {
                report.send("second");
                Ok(())
            }
        });
        let connected = report.clone();
        io.on_connection(move |_socket: Socket| {
            let report = connected.clone();
            async move { report.send("connected") }
        });
    })
    .await;
    let mut client = server.open().await;
    assert_eq!(
        client.join("/", Some(json!({ "role": "guest" }))).await,
        Err(json!({ "message": "guests not allowed", "data": { "code": 4001, "retry": false } }))
    );
    assert_eq!(seen.next().await, "first");
    let refusal = client.join("/", Some(json!({ "role": "anonymous" }))).await;
    assert_eq!(refusal, Err(json!({ "message": "who are you?" })));
    assert_eq!(seen.next().await, "first");
    seen.expect_silence().await;
    assert_eq!(server.io.main().socket_count(), 0);

    client.join_ok("/", Some(json!({ "role": "admin" }))).await;
    assert_eq!(seen.take(3).await, ["first", "second", "connected"]);
    assert_eq!(server.io.main().socket_count(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_refusal_is_sent_byte_for_byte_and_keeps_the_connection() {
    let server = SioServer::with(|io| {
        io.of("/admin")
            .use_middleware(|_socket: Socket| async move {
                Err(ConnectError::new("nope").with_data(json!({ "b": 1, "a": [true] })))
            });
    })
    .await;
    let mut client = server.open().await;
    client.send_raw("40/admin,").await;
    assert_eq!(
        client.next_packet().await.text,
        r#"4/admin,{"message":"nope","data":{"b":1,"a":[true]}}"#
    );
    client.join_ok("/", None).await;
    server.stop().await;
}

#[tokio::test]
async fn rooms_joined_by_a_refused_socket_are_not_kept() {
    let server = SioServer::with(|io| {
        io.use_middleware(|socket: Socket| async move {
            socket.join("lobby");
            Ok(())
        });
        io.use_middleware(|socket: Socket| async move {
            match socket.auth_value()["refuse"].as_bool() {
                Some(true) => Err(ConnectError::new("refused")),
                _ => Ok(()),
            }
        });
    })
    .await;
    let mut refused = server.open().await;
    assert!(
        refused
            .join("/", Some(json!({ "refuse": true })))
            .await
            .is_err()
    );
    let (mut member, _) = server.client("/").await;
    assert_eq!(
        server.io.to("lobby").sockets().len(),
        1,
        "only the member is in the room"
    );
    server.io.to("lobby").emit("news", "for members").unwrap();
    server.io.emit("sentinel", &()).unwrap();
    member.expect_event("/", "news").await;
    member.expect_event("/", "sentinel").await;
    refused.expect_silence().await;
    server.stop().await;
}

#[tokio::test]
async fn namespaces_have_their_own_handlers_and_sockets() {
    let (server, mut seen) = probed_server(|io, report| {
        for name in ["/", "/chat"] {
            let report = report.clone();
            io.of(name)
                .on("whoami", move |socket: Socket, _event: Event| {
                    let report = report.clone();
                    async move { report.send((socket.ns().to_owned(), socket.id().to_string())) }
                });
        }
    })
    .await;
    let mut client = server.open().await;
    let main = client.join_ok("/", None).await;
    let chat = client.join_ok("/chat", None).await;
    assert_ne!(main, chat, "one socket id per namespace");
    client.emit("/chat", "whoami", json!([])).await;
    client.emit("/", "whoami", json!([])).await;
    assert_eq!(seen.next().await, ("/chat".to_owned(), chat));
    assert_eq!(seen.next().await, ("/".to_owned(), main));
    assert_eq!(server.io.of("chat").name(), "/chat");
    assert_eq!(server.io.of("/chat").socket_count(), 1);
    assert_eq!(server.namespace_names(), ["/", "/chat"]);
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_namespace_is_refused() {
    let server = SioServer::with(|_| {}).await;
    let mut client = server.open().await;
    assert_eq!(
        client.join("/nowhere", Some(json!({ "a": 1 }))).await,
        Err(json!({ "message": "Invalid namespace" }))
    );
    client.join_ok("/", None).await;
    server.stop().await;
}

#[tokio::test]
async fn the_connect_timeout_closes_connections_that_join_nothing() {
    let io = Server::new(sio_config().with_connect_timeout(Duration::from_millis(300)));
    let server = SioServer::start(io).await;
    let started = tokio::time::Instant::now();
    let mut idle = server.open().await;
    let (mut joined, _) = server.client("/").await;
    assert_eq!(idle.expect_closed().await, []);
    assert!(started.elapsed() >= Duration::from_millis(290));
    joined.emit("/", "still", json!([])).await;
    joined.expect_silence().await;
    server.stop().await;
}

#[tokio::test]
async fn a_slow_middleware_does_not_outlast_the_connect_timeout() {
    let io = Server::new(sio_config().with_connect_timeout(Duration::from_millis(200)));
    io.use_middleware(|_socket: Socket| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(())
    });
    let server = SioServer::start(io).await;
    let mut client = server.open().await;
    client.send_raw("40").await;
    assert_eq!(client.expect_closed().await, []);
    server.stop().await;
}

#[tokio::test]
async fn a_second_connect_to_a_namespace_is_ignored() {
    let server = SioServer::with(|io| {
        io.use_middleware(|_socket: Socket| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(())
        });
        io.on_connection(|socket: Socket| async move { socket.emit("welcome", &()) });
        io.main()
            .on("ping", |socket: Socket, _event: Event| async move {
                socket.emit("pong", &())
            });
    })
    .await;
    let mut client = server.open().await;
    client.send_raw("40").await;
    client.send_raw("40").await;
    let answer = client.next_packet().await;
    assert_eq!(answer.kind, CONNECT);
    client.expect_event("/", "welcome").await;
    client.send_raw(r#"40{"again":true}"#).await;
    client.emit("/", "ping", json!([])).await;
    client.expect_event("/", "pong").await;
    assert_eq!(
        server.io.main().socket_count(),
        1,
        "one socket, answered once"
    );
    server.stop().await;
}

/// A packet for a namespace not joined, a CONNECT_ERROR from the client and a
/// reserved event name from the client each close the connection that sent them,
/// with the reason its disconnect handler sees, while a second client carries on.
#[tokio::test]
async fn packets_that_break_the_connect_rules_close_the_connection() {
    for (frame, reason) in [
        (r#"42/other,["x"]"#, DisconnectReason::ForcedServerClose),
        (r#"44{"message":"x"}"#, DisconnectReason::ForcedServerClose),
        (r#"42["disconnect"]"#, DisconnectReason::ParseError),
    ] {
        let io = Server::new(sio_config());
        let mut seen = disconnect_reasons(&io);
        io.of("/other");
        io.main()
            .on("ping", |socket: Socket, _event: Event| async move {
                socket.emit("pong", &())
            });
        let server = SioServer::start(io).await;
        let (mut client, _) = server.client("/").await;
        let (mut bystander, _) = server.client("/").await;
        client.send_raw(frame).await;
        assert_eq!(client.expect_closed().await, [], "after {frame:?}");
        assert_eq!(seen.next().await, reason, "after {frame:?}");
        bystander.emit("/", "ping", json!([])).await;
        bystander.expect_event("/", "pong").await;
        server.stop().await;
    }
}
