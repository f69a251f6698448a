//! Leaving: every disconnect reason as the server reports it, what the client sees
//! in each case, disconnect handlers (per socket and per namespace) with the
//! socket's data, and graceful shutdown.

use std::time::Duration;

use serde_json::json;
use tether::server::{DisconnectReason, EmitError, Event, Server, Socket};
use tether_tests::sio_packet::DISCONNECT;
use tether_tests::{HttpRequest, Report, SioPolling, SioServer, probe, sio_config};

use crate::support::{probed_server, reporting_connections};

/// Reports `(namespace, socket id, reason)` for every socket leaving `/` or `/chat`.
fn report_disconnects(io: &Server, report: Report<(String, String, DisconnectReason)>) {
    for name in ["/", "/chat"] {
        let report = report.clone();
        io.of(name).on_disconnect(move |socket: Socket, reason: DisconnectReason| {
            let report = report.clone();
            async move { report.send((socket.ns().to_owned(), socket.id().to_string(), reason)) }
        });
    }
}

#[tokio::test]
async fn a_client_leaving_a_namespace() {
    let (server, mut seen) = probed_server(report_disconnects).await;
    let (mut client, sid) = server.client("/").await;
    let chat = client.join_ok("/chat", None).await;
    client.leave("/chat").await;
    assert_eq!(
        seen.next().await,
        (
            "/chat".to_owned(),
            chat,
            DisconnectReason::ClientNamespaceDisconnect
        )
    );
    assert_eq!(server.io.of("/chat").socket_count(), 0);
    assert!(
        server.socket("/", &sid).connected(),
        "the other namespace stays"
    );
    client.expect_silence().await;
    server.stop().await;
}

#[tokio::test]
async fn the_server_disconnecting_one_socket() {
    let (server, mut seen) = probed_server(|io, report| {
        report_disconnects(io, report);
        io.of("/chat")
            .on("kick-me", |socket: Socket, _event: Event| async move {
                socket.disconnect();
                let after = socket.emit("too late", &());
                assert!(matches!(after, Err(EmitError::Disconnected)), "{after:?}");
            });
    })
    .await;
    let (mut client, sid) = server.client("/").await;
    let chat = client.join_ok("/chat", None).await;
    client.emit("/chat", "kick-me", json!([])).await;
    let packet = client.next_packet().await;
    assert_eq!((packet.kind, packet.text.as_str()), (DISCONNECT, "1/chat,"));
    assert_eq!(
        seen.next().await,
        (
            "/chat".to_owned(),
            chat,
            DisconnectReason::ServerNamespaceDisconnect
        )
    );
    server.socket("/", &sid).emit("still", &"here").unwrap();
    client.expect_event("/", "still").await;
    client.join_ok("/chat", None).await;
    server.stop().await;
}

#[tokio::test]
async fn the_server_disconnecting_a_client_and_closing_its_connection() {
    let (server, mut seen) = probed_server(|io, report| {
        report_disconnects(io, report);
        io.main()
            .on("close-me", |socket: Socket, _event: Event| async move {
                socket.disconnect_and_close();
            });
    })
    .await;
    let (mut client, sid) = server.client("/").await;
    let chat = client.join_ok("/chat", None).await;
    client.emit("/", "close-me", json!([])).await;
    let mut before: Vec<String> = client
        .expect_closed()
        .await
        .into_iter()
        .map(|packet| packet.text)
        .collect();
    before.sort();
    assert_eq!(before, ["1", "1/chat,"]);
    let reasons = seen.take(2).await;
    assert!(reasons.contains(&(
        "/".to_owned(),
        sid,
        DisconnectReason::ServerNamespaceDisconnect
    )));
    assert!(reasons.contains(&(
        "/chat".to_owned(),
        chat,
        DisconnectReason::ServerNamespaceDisconnect
    )));
    server.stop().await;
}

#[tokio::test]
async fn the_client_closing_its_transport() {
    let (server, mut seen) = probed_server(report_disconnects).await;
    let (mut client, _) = server.client("/").await;
    client.join_ok("/chat", None).await;
    let (mut bystander, _) = server.client("/").await;
    client.close().await;
    let reasons = seen.take(2).await;
    assert!(
        reasons
            .iter()
            .all(|(_, _, reason)| *reason == DisconnectReason::TransportClose),
        "{reasons:?}"
    );
    server.io.emit("sentinel", &()).unwrap();
    bystander.expect_event("/", "sentinel").await;
    assert_eq!(server.io.main().socket_count(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_stops_answering_pings() {
    let (report, mut seen) = probe();
    let io = Server::new(
        sio_config().with_heartbeat(Duration::from_millis(100), Duration::from_millis(100)),
    );
    report_disconnects(&io, report);
    let server = SioServer::start(io).await;
    let (mut client, sid) = server.client("/").await;
    let (mut healthy, _) = server.client("/").await;
    // The healthy client reads (and so answers pings) while the other one is watched.
    let healthy = tokio::spawn(async move {
        for _ in 0..5 {
            healthy.expect_ping().await;
        }
        healthy
    });
    client.answer_pings(false);
    assert_eq!(client.expect_closed().await, []);
    assert_eq!(
        seen.next().await,
        ("/".to_owned(), sid, DisconnectReason::PingTimeout)
    );
    let mut healthy = healthy.await.expect("the healthy client kept up");
    healthy.emit("/", "still-here", json!([])).await;
    assert_eq!(server.io.main().socket_count(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_client_sending_garbage() {
    let (server, mut seen) = probed_server(report_disconnects).await;
    let (mut client, sid) = server.client("/").await;
    client.send_raw("4garbage").await;
    assert_eq!(client.expect_closed().await, []);
    assert_eq!(
        seen.next().await,
        ("/".to_owned(), sid, DisconnectReason::ParseError)
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_falls_behind() {
    let (report, mut seen) = probe();
    let io = Server::new(sio_config().with_max_buffered_packets(8));
    report_disconnects(&io, report);
    let server = SioServer::start(io).await;
    let slow = SioPolling::open(server.addr(), &server.path()).await;
    slow.post(&["40"]).await;
    let answer = slow.get_packets().await;
    let sid: serde_json::Value =
        serde_json::from_str(answer[0].strip_prefix("40").unwrap()).unwrap();
    let slow_socket = server.socket("/", sid["sid"].as_str().unwrap());
    let (mut fast, _) = server.client("/").await;

    let mut outcome = Ok(());
    for index in 0..20 {
        outcome = slow_socket.emit("flood", &index);
        if outcome.is_err() {
            break;
        }
    }
    assert!(matches!(outcome, Err(EmitError::QueueFull)), "{outcome:?}");
    let (_, id, reason) = seen.next().await;
    assert_eq!(
        (id.as_str(), reason),
        (slow_socket.id().as_str(), DisconnectReason::TransportError)
    );
    for index in 0..20 {
        server.io.emit("flood", &index).unwrap();
        fast.expect_event("/", "flood").await;
    }
    server.stop().await;
}

#[tokio::test]
async fn disconnect_handlers_see_the_socket_and_its_data() {
    #[derive(Clone, Debug, PartialEq)]
    struct User(String);
    let (server, mut seen) = probed_server(|io, report| {
        let namespace = report.clone();
        io.main().on_disconnect(move |socket: Socket, reason: DisconnectReason| {
            let report = namespace.clone();
            async move {
                report.send(format!("namespace {:?} {reason} {}", socket.data::<User>(), socket.connected()));
            }
        });
        io.on_connection(move |socket: Socket| {
            let report = report.clone();
            async move {
                socket.insert_data(User("ada".into()));
                socket.insert_data(7_u32);
                socket.on_disconnect(move |socket: Socket, reason: DisconnectReason| {
                    let report = report.clone();
                    async move { report.send(format!("socket {:?} {reason}", socket.data::<u32>())) }
                });
                socket.emit("ready", &())
            }
        });
        io.main().on("rename", |socket: Socket, event: Event| async move {
            let name: String = event.arg(0)?;
            socket.with_data(|user: &mut User| user.0 = name);
            let removed = socket.remove_data::<u32>();
            socket.emit("renamed", &(socket.data::<User>().map(|user| user.0), removed, socket.data::<u32>()))?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    let (mut other, _) = server.client("/").await;
    client.expect_event("/", "ready").await;
    other.expect_event("/", "ready").await;
    client.emit("/", "rename", json!(["grace"])).await;
    assert_eq!(
        client.expect_event("/", "renamed").await.args(),
        [json!("grace"), json!(7), json!(null)]
    );
    client.leave("/").await;
    assert_eq!(
        seen.take(2).await,
        [
            "socket None client namespace disconnect",
            r#"namespace Some(User("grace")) client namespace disconnect false"#,
        ]
    );
    other.close().await;
    assert_eq!(
        seen.take(2).await,
        [
            "socket Some(7) transport close",
            r#"namespace Some(User("ada")) transport close false"#,
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn disconnecting_handlers_run_before_the_rooms_are_left() {
    let (server, mut seen) = reporting_connections(|socket, report| async move {
        socket.join("lobby");
        let leaving = report.clone();
        socket.on_disconnecting(move |socket: Socket, reason: DisconnectReason| {
            let report = leaving.clone();
            async move {
                let rooms: Vec<String> = socket.rooms().iter().map(ToString::to_string).collect();
                let lobby = socket.namespace().to("lobby").sockets().len();
                report.send(format!("disconnecting {reason} {} {lobby}", rooms.len()));
                socket.to("lobby").emit("left", socket.id().as_str())?;
                Ok::<(), EmitError>(())
            }
        });
        socket.on_disconnect(move |socket: Socket, reason: DisconnectReason| {
            let report = report.clone();
            async move {
                let lobby = socket.namespace().to("lobby").sockets().len();
                report.send(format!(
                    "disconnect {reason} {} {lobby}",
                    socket.rooms().len()
                ));
            }
        });
        socket.emit("ready", &())
    })
    .await;
    let (mut leaving, leaving_sid) = server.client("/").await;
    let (mut staying, _) = server.client("/").await;
    leaving.expect_event("/", "ready").await;
    staying.expect_event("/", "ready").await;
    leaving.leave("/").await;
    assert_eq!(
        seen.take(2).await,
        [
            "disconnecting client namespace disconnect 2 2",
            "disconnect client namespace disconnect 1 1",
        ],
        "rooms and lobby members before, then after leaving"
    );
    let left = staying.expect_event("/", "left").await;
    assert_eq!(left.args(), [json!(leaving_sid)]);
    server.stop().await;
}

#[tokio::test]
async fn a_graceful_shutdown_delivers_what_is_queued_then_closes_everyone() {
    let (server, mut seen) = probed_server(report_disconnects).await;
    let (mut ws, ws_sid) = server.client("/").await;
    let chat = ws.join_ok("/chat", None).await;
    let polling = SioPolling::open(server.addr(), &server.path()).await;
    polling.post(&["40"]).await;
    polling.get_packets().await;

    server.io.emit("bye", &"see you").unwrap();
    let io = server.io.clone();
    let started = tokio::time::Instant::now();
    let closing = tokio::spawn(async move { io.close(Duration::from_secs(5)).await });

    let packets: Vec<String> = ws
        .expect_closed()
        .await
        .into_iter()
        .map(|packet| packet.text)
        .collect();
    assert_eq!(packets, [r#"2["bye","see you"]"#]);
    // Polling gets what was queued, then the close in the next poll, as from Node.
    assert_eq!(polling.get().await, [r#"42["bye","see you"]"#]);
    assert_eq!(polling.get().await, ["1"]);
    closing.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "close returned once everyone was gone"
    );

    let reasons = seen.take(3).await;
    assert!(
        reasons
            .iter()
            .all(|(_, _, reason)| *reason == DisconnectReason::ServerShuttingDown)
    );
    assert!(reasons.contains(&("/".to_owned(), ws_sid, DisconnectReason::ServerShuttingDown)));
    assert!(reasons.contains(&(
        "/chat".to_owned(),
        chat,
        DisconnectReason::ServerShuttingDown
    )));
    assert_eq!(server.io.engine().connection_count(), 0);

    let refused = HttpRequest::get(format!("{}?EIO=4&transport=polling", server.path()))
        .send(server.addr())
        .await;
    assert_eq!(
        refused.status, 503,
        "a closed server accepts no new connection"
    );
    server.stop().await;
}

/// A plain thread, outside any tokio runtime, may disconnect a socket whose
/// disconnect handler has to wait, and may emit with an acknowledgement: the
/// handler runs on the runtime the connection opened on, nothing panics.
#[tokio::test]
async fn a_plain_thread_may_disconnect_and_emit() {
    let (server, mut seen) = probed_server(|io, report| {
        io.main()
            .on_disconnect(move |socket: Socket, reason: DisconnectReason| {
                let report = report.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    report.send((socket.id().to_string(), reason));
                }
            });
    })
    .await;
    let (mut client, sid) = server.client("/").await;
    let target = server.socket("/", &sid);
    let thread = std::thread::spawn(move || {
        let ack = target.emit_with_ack::<String, _>("question", &());
        target.disconnect();
        ack
    });
    let ack = tokio::task::spawn_blocking(move || thread.join())
        .await
        .unwrap()
        .expect("no panic outside a runtime");
    assert_eq!(
        seen.next().await,
        (sid, DisconnectReason::ServerNamespaceDisconnect)
    );
    assert!(ack.await.is_err(), "the socket left before answering");
    client.expect_event("/", "question").await;
    server.stop().await;
}

/// `with_data` runs its closure without holding the socket's lock: the closure may
/// read the socket's other values and use the socket; the value it works on reads
/// as absent from inside it.
#[tokio::test]
async fn with_data_may_use_the_socket_inside_its_closure() {
    let server = SioServer::with(|_io| {}).await;
    let (_client, sid) = server.client("/").await;
    let target = server.socket("/", &sid);
    target.insert_data(1u32);
    target.insert_data("ada".to_owned());
    let (sender, receiver) = std::sync::mpsc::channel();
    // On a thread of its own, so that a deadlock fails the test instead of
    // blocking the runtime.
    let socket_in_thread = target.clone();
    std::thread::spawn(move || {
        let socket = socket_in_thread;
        let seen = socket.with_data(|count: &mut u32| {
            *count += 1;
            socket.join("inside");
            (
                socket.data::<String>(),
                socket.data::<u32>(),
                socket.with_data(|again: &mut u32| *again),
                socket.rooms().len(),
            )
        });
        let _ = sender.send(seen);
    });
    let seen = tokio::task::spawn_blocking(move || receiver.recv_timeout(tether_tests::PATIENCE))
        .await
        .unwrap()
        .expect("with_data returned (no deadlock)");
    assert_eq!(seen, Some((Some("ada".to_owned()), None, None, 2)));
    assert_eq!(target.data::<u32>(), Some(2));
    server.stop().await;
}
