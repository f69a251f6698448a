//! The Engine.IO cases the official socket.io-protocol test suite runs on
//! `/socket.io/`, against the `conformance` example's Socket.IO server run
//! in-process: handshakes and their refusals, the heartbeat, closing, and upgrading
//! (after which the session speaks Socket.IO over the WebSocket).

use std::time::Duration;

use tether_tests::{
    HttpRequest, OpenPacket, PATIENCE, SioClient, SioServer, WsClient, WsEvent, payload,
};

use crate::support::{
    bad_handshake_queries, conformance_closes_after, conformance_server as server,
};

const PATH: &str = "/socket.io/";

fn url(query: &str) -> String {
    format!("{PATH}?{query}")
}

async fn get(server: &SioServer, query: &str) -> tether_tests::Reply {
    HttpRequest::get(url(query)).send(server.addr()).await
}

async fn post(server: &SioServer, query: &str, body: &'static str) -> tether_tests::Reply {
    HttpRequest::post(url(query), body)
        .send(server.addr())
        .await
}

fn assert_handshake(open: &OpenPacket, upgrades: &[&str]) {
    assert_eq!(open.keys, payload::HANDSHAKE_KEYS);
    assert_eq!(open.upgrades, upgrades);
    assert_eq!(
        (open.ping_interval, open.ping_timeout, open.max_payload),
        (300, 200, 1_000_000)
    );
}

async fn polling_sid(server: &SioServer) -> String {
    let reply = get(server, "EIO=4&transport=polling").await;
    assert_eq!(reply.status, 200);
    let open = OpenPacket::parse(reply.text());
    assert_handshake(&open, &["websocket"]);
    open.sid
}

/// The query of a new polling session's requests.
async fn polling_session(server: &SioServer) -> String {
    let sid = polling_sid(server).await;
    format!("EIO=4&transport=polling&sid={sid}")
}

#[tokio::test]
async fn a_polling_session_opens() {
    let server = server().await;
    polling_sid(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn polling_handshakes_with_a_bad_query_or_method_are_refused() {
    let server = server().await;
    for query in bad_handshake_queries("polling") {
        assert_eq!(get(&server, &query).await.status, 400, "{query}");
    }
    assert_eq!(
        post(&server, "EIO=4&transport=polling", "").await.status,
        400
    );
    let put = HttpRequest::new(http::Method::PUT, url("EIO=4&transport=polling"));
    assert_eq!(put.send(server.addr()).await.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn a_websocket_session_opens() {
    let server = server().await;
    let client = server.open().await;
    assert_handshake(&client.open, &[]);
    server.stop().await;
}

#[tokio::test]
async fn websocket_handshakes_with_a_bad_query_are_refused() {
    let server = server().await;
    for query in bad_handshake_queries("websocket") {
        let refused = WsClient::connect_with(server.addr(), &url(&query), &[]).await;
        assert_eq!(refused.expect_err(&query).status, 400, "{query}");
    }
    server.stop().await;
}

#[tokio::test]
async fn polling_pings_are_answered_three_times() {
    let server = server().await;
    let session = polling_session(&server).await;
    for _ in 0..3 {
        let ping = get(&server, &session).await;
        assert_eq!((ping.status.as_u16(), ping.text()), (200, "2"));
        assert_eq!(post(&server, &session, "3").await.status, 200);
    }
    server.stop().await;
}

#[tokio::test]
async fn an_unanswered_polling_ping_closes_the_session() {
    let server = server().await;
    let session = polling_session(&server).await;
    let ping = get(&server, &session).await;
    assert_eq!(ping.text(), "2");
    let pinged = tokio::time::Instant::now();
    let last = get(&server, &session).await;
    assert_eq!(last.text(), "1", "a pending poll learns of the close");
    assert!(
        pinged.elapsed() >= Duration::from_millis(150),
        "closed before the ping timeout"
    );
    get(&server, &session)
        .await
        .assert_error(400, 1, "Session ID unknown");
    server.stop().await;
}

/// A raw WebSocket session on `server`, its handshake read.
async fn websocket_session(server: &SioServer) -> WsClient {
    let mut ws = WsClient::connect(server.addr(), &url("EIO=4&transport=websocket")).await;
    ws.expect_text().await;
    ws
}

#[tokio::test]
async fn websocket_pings_are_answered_three_times() {
    let server = server().await;
    let mut ws = websocket_session(&server).await;
    for _ in 0..3 {
        assert_eq!(ws.expect_text().await, "2");
        ws.send_text("3").await;
    }
    server.stop().await;
}

#[tokio::test]
async fn an_unanswered_websocket_ping_closes_the_session() {
    let server = server().await;
    let mut ws = websocket_session(&server).await;
    let (_, before) = ws.expect_closed_within(PATIENCE).await;
    assert_eq!(before, [WsEvent::Text("2".into())]);
    server.stop().await;
}

/// Posts `1` while a poll is pending; returns what the poll got. The poll gets a
/// head start of `lead`; there is no way to see from outside that it is waiting.
async fn close_while_polling(server: &SioServer, lead: Duration) -> (String, String) {
    let session = polling_session(server).await;
    let pending = tokio::spawn(HttpRequest::get(url(&session)).send(server.addr()));
    tokio::time::sleep(lead).await;
    assert_eq!(post(server, &session, "1").await.status, 200);
    let released = pending.await.expect("the poll task");
    (
        session,
        format!("{} {}", released.status.as_u16(), released.text()),
    )
}

#[tokio::test]
async fn a_polling_close_releases_the_pending_poll() {
    let server = server().await;
    // The poll must reach the server before the close and before the first ping
    // (300 ms); on a loaded machine a short head start may not be enough, so the
    // head start grows until the poll was pending when the close came.
    for lead in [20, 50, 100, 150, 200] {
        let (session, released) = close_while_polling(&server, Duration::from_millis(lead)).await;
        if released == "200 6" {
            get(&server, &session)
                .await
                .assert_error(400, 1, "Session ID unknown");
            server.stop().await;
            return;
        }
    }
    panic!("no pending poll was ever released with a noop");
}

#[tokio::test]
async fn a_websocket_close_packet_closes_the_session() {
    conformance_closes_after("1").await;
}

/// Upgrades the polling session `sid`: probe, noop for a pending poll, switch.
async fn upgrade(server: &SioServer, sid: &str) -> WsClient {
    let mut ws = WsClient::connect(
        server.addr(),
        &url(&format!("EIO=4&transport=websocket&sid={sid}")),
    )
    .await;
    ws.send_text("2probe").await;
    assert_eq!(ws.expect_text().await, "3probe");
    let polled = get(server, &format!("EIO=4&transport=polling&sid={sid}")).await;
    assert_eq!(polled.text(), "6", "a poll during the upgrade gets a noop");
    ws.send_text("5").await;
    ws
}

#[tokio::test]
async fn a_polling_session_upgrades_and_then_speaks_socket_io() {
    let server = server().await;
    let sid = polling_sid(&server).await;
    let ws = upgrade(&server, &sid).await;
    let open = OpenPacket::parse(&format!(
        r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
    ));
    let mut client = SioClient::from_ws(ws, open);
    client.join_ok("/", None).await;
    assert_eq!(client.next_packet().await.text, r#"2["auth",{}]"#);
    server.stop().await;
}

#[tokio::test]
async fn after_an_upgrade_polling_and_a_second_websocket_are_refused() {
    let server = server().await;
    let sid = polling_sid(&server).await;
    let mut ws = upgrade(&server, &sid).await;
    ws.send_text("40").await;
    assert!(
        ws.expect_text().await.starts_with("40{"),
        "the upgrade completed"
    );
    get(&server, &format!("EIO=4&transport=polling&sid={sid}"))
        .await
        .assert_error(400, 3, "Bad request");
    let mut second = WsClient::connect(
        server.addr(),
        &url(&format!("EIO=4&transport=websocket&sid={sid}")),
    )
    .await;
    let (_, before) = second.expect_closed().await;
    assert_eq!(before, []);
    server.stop().await;
}
