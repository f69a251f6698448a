//! Ending sessions: a client's `1` over polling, a server-side close, and shutting
//! the whole engine down (a client's `1` over WebSocket is in `websocket.rs`).
//!
//! These servers use the default heartbeat (25 s + 20 s), so any close observed
//! within the tests' patience is the one the test caused, not a ping timeout.

use std::time::Duration;

use tether::engine::{CloseReason, SendError};
use tether_tests::engine_checks::{WsEnding, reply_of};
use tether_tests::server::quiet_config;
use tether_tests::{PATIENCE, QUIET, TestServer, WsEvent};

#[tokio::test]
async fn a_polling_close_packet_ends_the_session_and_releases_the_pending_get() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let get = session.spawn_pending_get().await;

    let posted = session.post("1").await;
    assert_eq!(posted.status, 200);
    assert_eq!(posted.text(), "ok");
    let polled = reply_of(get).await;
    assert_eq!(polled.status, 200);
    assert_eq!(polled.text(), "6", "the pending GET ends with a noop");

    server
        .expect_ended(&session, CloseReason::TransportClose)
        .await;
    session
        .post("4late")
        .await
        .assert_error(400, 1, "Session ID unknown");
    assert_eq!(server.engine.connection_count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_polling_close_packet_without_a_pending_get_leaves_the_noop_for_the_next_get() {
    let (server, session) = TestServer::quiet_with_polling().await;
    assert_eq!(
        session.post("4last words\x1e1\x1e4ignored").await.text(),
        "ok"
    );
    server
        .expect_closed(session.sid(), CloseReason::TransportClose)
        .await;
    let messages = server.recorder().messages(session.sid());
    assert_eq!(
        messages.len(),
        1,
        "packets after the close are dropped: {messages:?}"
    );
    let raced = session.get().await;
    assert_eq!(raced.status, 200);
    assert_eq!(
        raced.text(),
        "6",
        "the GET that raced the close gets the noop"
    );
    session.expect_unknown().await;
    assert_eq!(server.engine.connection_count(), 0);
    server.stop().await;
}

/// The official suites' "should forcefully close the session": a GET and the
/// close POST sent at once, in either order on the server, and the GET gets `6`.
#[tokio::test]
async fn a_get_racing_the_close_post_gets_the_noop() {
    let server = TestServer::quiet().await;
    for _ in 0..20 {
        let session = server.open_polling().await;
        let (polled, posted) = tokio::join!(session.get(), session.post("1"));
        assert_eq!(posted.text(), "ok");
        assert_eq!(polled.status, 200);
        assert_eq!(polled.text(), "6");
        session.expect_unknown().await;
    }
    server.expect_empty().await;
    server.stop().await;
}

#[tokio::test]
async fn a_session_closed_over_polling_is_forgotten_without_a_get() {
    let (server, session) = TestServer::quiet_with_polling().await;
    assert_eq!(session.post("1").await.text(), "ok");
    server
        .expect_closed(session.sid(), CloseReason::TransportClose)
        .await;
    server
        .expect_connection_count(0, Duration::from_secs(3))
        .await;
    session.expect_unknown().await;
    server.stop().await;
}

#[tokio::test]
async fn a_server_close_on_polling_delivers_what_is_queued_then_close() {
    let (server, session, conn) = TestServer::quiet_with_polling_connection().await;
    conn.send_text("bye").unwrap();
    conn.close();
    assert_eq!(conn.send_text("too late"), Err(SendError::Closed));
    assert!(conn.is_closed());

    // As the Node.js server does: the queued packets, then the close in the next poll.
    assert_eq!(session.get().await.text(), "4bye");
    server
        .expect_closed(session.sid(), CloseReason::ForcedClose)
        .await;
    assert_eq!(session.get().await.text(), "1");
    session.expect_unknown().await;
    server.stop().await;
}

#[tokio::test]
async fn a_server_close_releases_a_pending_get_with_close() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let get = session.spawn_pending_get().await;
    server.connection(session.sid()).close();
    let polled = reply_of(get).await;
    assert_eq!(polled.text(), "1");
    server.expect_empty().await;
    server.stop().await;
}

#[tokio::test]
async fn a_server_closed_polling_session_that_is_never_polled_is_dropped() {
    let config = quiet_config().with_heartbeat(Duration::from_secs(25), Duration::from_millis(300));
    let server = TestServer::start(config).await;
    let session = server.open_polling().await;
    server.connection(session.sid()).close();
    server
        .expect_closed(session.sid(), CloseReason::ForcedClose)
        .await;
    server.expect_empty().await;
    server.stop().await;
}

#[tokio::test]
async fn a_server_close_on_websocket_delivers_what_is_queued_then_closes() {
    let (server, mut ws, open, conn) = TestServer::quiet_with_websocket_connection().await;
    conn.send_text("bye").unwrap();
    conn.close_with(CloseReason::ForcedClose);
    let ending = server.websocket_ending(&mut ws, &open.sid).await;
    let closed_after_bye = WsEnding {
        code: Some(1000),
        before: vec![WsEvent::Text("4bye".into())],
        reason: CloseReason::ForcedClose,
    };
    assert_eq!(ending, closed_after_bye);
    server.stop().await;
}

#[tokio::test]
async fn close_all_ends_every_session() {
    let server = TestServer::quiet().await;
    let polling = server.open_polling().await;
    let (mut ws, open) = server.open_websocket().await;
    assert_eq!(server.engine.connection_count(), 2);

    server.engine.close_all(Duration::ZERO).await;
    server
        .expect_closed(polling.sid(), CloseReason::ServerShutdown)
        .await;
    server
        .expect_closed(&open.sid, CloseReason::ServerShutdown)
        .await;
    let (code, _) = ws.expect_closed().await;
    assert_eq!(code, Some(1000));
    assert_eq!(polling.get().await.text(), "1");
    server.expect_empty().await;
    server.stop().await;
}

#[tokio::test]
async fn the_handler_hears_of_each_close_once() {
    let (server, session, conn) = TestServer::quiet_with_polling_connection().await;
    conn.close();
    conn.close_with(CloseReason::TransportError);
    assert_eq!(session.post("1").await.status, 400);
    tokio::time::sleep(QUIET).await;
    let closes = server
        .recorder()
        .events()
        .into_iter()
        .filter(|event| matches!(event, tether_tests::Event::Close(..)))
        .count();
    assert_eq!(closes, 1);
    server
        .expect_closed(session.sid(), CloseReason::ForcedClose)
        .await;
    server.stop().await;
}

#[test]
fn close_all_returns_once_websockets_have_their_last_packets() {
    // The server runs on a runtime of its own, dropped right after `close_all` as a
    // process exiting after a graceful shutdown drops it.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = server_runtime.block_on(TestServer::quiet());
    let mut clients = Vec::new();
    for _ in 0..50 {
        let (ws, open) = client_runtime.block_on(server.open_websocket());
        server.connection(&open.sid).send_text("bye").unwrap();
        clients.push(ws);
    }
    server_runtime.block_on(server.engine.close_all(PATIENCE));
    drop(server);
    drop(server_runtime);

    for mut ws in clients {
        let (code, before) = client_runtime.block_on(ws.expect_closed());
        assert_eq!(before, [WsEvent::Text("4bye".into())]);
        assert_eq!(code, Some(1000), "a close frame, not a dropped connection");
    }
}
