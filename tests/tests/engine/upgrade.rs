//! Upgrading a polling session to WebSocket: the probe, noops to pending polls,
//! the switch, the flushed buffer, what is refused afterwards, and upgrades that
//! never complete.

use std::time::Duration;

use tether::engine::{CloseReason, Message, Text, Transport};
use tether_tests::engine_checks::{SESSION_ID_UNKNOWN, Via, reply_of};
use tether_tests::server::quiet_config;
use tether_tests::{PATIENCE, PollingSession, TestServer, WsClient, WsEvent};

/// Probes and completes an upgrade of `session`, returning the WebSocket.
async fn upgrade(server: &TestServer, session: &PollingSession) -> WsClient {
    let mut ws = server.probe_upgrade(session.sid()).await;
    ws.send_text("5").await;
    ws
}

/// Completes the upgrade on `ws` with `5`, then checks `packet` is echoed over it.
async fn complete_and_echo(ws: &mut WsClient, packet: &str) {
    ws.send_text("5").await;
    ws.send_text(packet).await;
    assert_eq!(ws.expect_text().await, packet);
}

/// Waits until the server has switched `sid` to WebSocket.
async fn switched(server: &TestServer, sid: &str) {
    let conn = server.connection(sid);
    tether_tests::until("the upgrade completes", || {
        conn.transport() == Transport::WebSocket
    })
    .await;
}

/// Opens a second WebSocket for `sid` and checks the server closes it unanswered.
async fn expect_second_socket_closed(server: &TestServer, sid: &str) {
    let mut second = server.upgrade_socket(sid).await;
    second.send_text_if_open("2probe").await;
    let (_code, before) = second.expect_closed().await;
    assert!(before.is_empty(), "the second socket got {before:?}");
}

#[tokio::test]
async fn a_polling_session_upgrades_to_websocket() {
    let (server, session) = TestServer::quiet_with_polling().await;
    assert_eq!(session.open.upgrades, ["websocket"]);

    let mut ws = server.probe_upgrade(session.sid()).await;
    assert_eq!(
        server.connection(session.sid()).transport(),
        Transport::Polling
    );

    let polled = session.get().await;
    assert_eq!(polled.status, 200);
    assert_eq!(polled.text(), "6", "a poll during the upgrade gets a noop");

    ws.send_text("5").await;
    ws.send_text("4hello").await;
    assert_eq!(ws.expect_text().await, "4hello");
    assert_eq!(
        server.connection(session.sid()).transport(),
        Transport::WebSocket
    );
    assert_eq!(
        server.recorder().messages(session.sid()),
        [Message::Text(Text::from("hello"))]
    );
    assert_eq!(server.engine.connection_count(), 1, "still one session");
    server.stop().await;
}

#[tokio::test]
async fn a_poll_pending_when_the_probe_arrives_is_released_with_a_noop() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let get = session.spawn_pending_get().await;

    let mut ws = server.probe_upgrade(session.sid()).await;
    let polled = reply_of(get).await;
    assert_eq!(polled.text(), "6");

    // Polls made while the upgrade is still pending keep getting noops.
    for _ in 0..3 {
        assert_eq!(session.get().await.text(), "6");
    }
    complete_and_echo(&mut ws, "4done").await;
    server.stop().await;
}

#[tokio::test]
async fn the_polling_buffer_is_flushed_onto_the_websocket() {
    let (server, session, conn) = TestServer::quiet_with_polling_connection().await;
    conn.send_text("before the probe").unwrap();

    let mut ws = server.probe_upgrade(session.sid()).await;
    conn.send_text("during the upgrade").unwrap();
    conn.send_binary(bytes::Bytes::from_static(&[7, 7]))
        .unwrap();
    ws.send_text("5").await;
    ws.send_text("4after").await;

    assert_eq!(ws.next().await, WsEvent::Text("4before the probe".into()));
    assert_eq!(ws.next().await, WsEvent::Text("4during the upgrade".into()));
    assert_eq!(ws.next().await, WsEvent::Binary(vec![7, 7]));
    assert_eq!(ws.next().await, WsEvent::Text("4after".into()));
    server.stop().await;
}

#[tokio::test]
async fn messages_posted_during_the_upgrade_are_echoed_on_the_websocket() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let mut ws = server.probe_upgrade(session.sid()).await;
    assert_eq!(session.post("4posted1\x1e4posted2").await.text(), "ok");
    ws.send_text("5").await;
    assert_eq!(ws.expect_text().await, "4posted1");
    assert_eq!(ws.expect_text().await, "4posted2");
    server.stop().await;
}

#[tokio::test]
async fn polling_requests_are_refused_after_the_upgrade() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let mut ws = upgrade(&server, &session).await;
    ws.send_text("4sync").await;
    assert_eq!(ws.expect_text().await, "4sync");

    session.get().await.assert_error(400, 3, "Bad request");
    session
        .post("4over polling")
        .await
        .assert_error(400, 3, "Bad request");

    ws.send_text("4hello").await;
    assert_eq!(ws.expect_text().await, "4hello", "the WebSocket carries on");
    server.stop().await;
}

#[tokio::test]
async fn a_second_websocket_with_the_sid_is_closed_after_the_upgrade() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let mut ws = upgrade(&server, &session).await;
    switched(&server, session.sid()).await;

    expect_second_socket_closed(&server, session.sid()).await;

    ws.send_text("4hello").await;
    assert_eq!(ws.expect_text().await, "4hello");
    server.assert_open(session.sid()).await;
    server.stop().await;
}

#[tokio::test]
async fn a_second_websocket_during_the_upgrade_is_closed() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let mut ws = server.probe_upgrade(session.sid()).await;

    expect_second_socket_closed(&server, session.sid()).await;

    complete_and_echo(&mut ws, "4first wins").await;
    server.stop().await;
}

#[tokio::test]
async fn an_upgrade_that_never_completes_times_out_and_polling_goes_on() {
    let config = quiet_config().with_upgrade_timeout(Duration::from_millis(400));
    let server = TestServer::start(config).await;
    let session = server.open_polling().await;

    let mut probed = server.probe_upgrade(session.sid()).await;
    let (_code, before) = probed.expect_closed().await;
    assert!(before.is_empty(), "{before:?}");

    let mut silent = server.upgrade_socket(session.sid()).await;
    let (_code, before) = silent.expect_closed().await;
    assert!(before.is_empty(), "{before:?}");

    let conn = server.connection(session.sid());
    assert_eq!(conn.transport(), Transport::Polling);
    assert_eq!(session.post("4still polling").await.text(), "ok");
    assert_eq!(session.get().await.text(), "4still polling");
    assert_eq!(server.engine.connection_count(), 1);
    server.assert_open(session.sid()).await;
    server.stop().await;
}

#[tokio::test]
async fn an_abandoned_upgrade_leaves_no_session_behind() {
    let config = quiet_config()
        .with_heartbeat(Duration::from_millis(300), Duration::from_millis(200))
        .with_upgrade_timeout(Duration::from_secs(30));
    let server = TestServer::start(config).await;
    let session = server.open_polling().await;
    let mut ws = server.probe_upgrade(session.sid()).await;

    // The client vanishes mid-upgrade: no pong, no `5`.
    let (reason, _at) = server.closed_within(session.sid(), PATIENCE).await;
    assert_eq!(reason, CloseReason::PingTimeout);
    let (_code, _before) = ws.expect_closed().await;
    server.expect_empty().await;
    server.stop().await;
}

#[tokio::test]
async fn a_packet_other_than_the_probe_or_upgrade_aborts_the_upgrade_only() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let mut ws = server.probe_upgrade(session.sid()).await;
    ws.send_text("4not yet").await;
    ws.expect_closed().await;

    assert_eq!(
        server.connection(session.sid()).transport(),
        Transport::Polling
    );
    assert_eq!(session.post("4fine").await.text(), "ok");
    assert_eq!(session.get().await.text(), "4fine");
    server.stop().await;
}

#[tokio::test]
async fn upgrading_a_closed_session_is_refused() {
    let (server, session) = TestServer::quiet_with_polling().await;
    assert_eq!(session.post("1").await.text(), "ok");
    server.closed(session.sid()).await;
    let upgrade = format!("EIO=4&transport=websocket&sid={}", session.sid());
    server
        .expect_refused(Via::WebSocket, &upgrade, SESSION_ID_UNKNOWN)
        .await;
    server.stop().await;
}

/// The official suites' "ignores HTTP requests with same sid after upgrade": the
/// client sends `5` and then a GET, which the server may read first, on its own
/// connection. That GET waits briefly for the `5` and is refused.
#[tokio::test]
async fn a_get_sent_just_before_the_upgrade_completes_is_refused() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let mut ws = server.probe_upgrade(session.sid()).await;

    let get = session.spawn_get();
    // Lets the GET reach the server first, well within the time it waits for `5`.
    tokio::time::sleep(Duration::from_millis(20)).await;
    ws.send_text("5").await;
    let refused = reply_of(get).await;
    assert_eq!(refused.status, 400);

    ws.send_text("4hello").await;
    assert_eq!(ws.expect_text().await, "4hello");
    server.stop().await;
}
