//! Opening sessions over polling and WebSocket, and the errors of refused requests.

use std::collections::HashSet;
use std::time::Duration;

use http::Method;
use tether::engine::{EngineConfig, Transport};
use tether_tests::engine_checks::{
    BAD_HANDSHAKE_METHOD, BAD_REQUEST, SESSION_ID_UNKNOWN, TRANSPORT_UNKNOWN,
    UNSUPPORTED_PROTOCOL_VERSION, Via,
};
use tether_tests::payload::{HANDSHAKE_KEYS, is_node_style_sid};
use tether_tests::server::quiet_config;
use tether_tests::{Event, HttpRequest, OpenPacket, TestServer, WsClient};

fn reference_config() -> EngineConfig {
    quiet_config()
        .with_heartbeat(Duration::from_millis(300), Duration::from_millis(200))
        .with_max_payload(1_000_000)
}

#[tokio::test]
async fn polling_handshake_opens_a_session() {
    let server = TestServer::start(reference_config()).await;
    let reply = server.get("EIO=4&transport=polling").await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(reply.text().starts_with("0{"), "{:?}", reply.text());
    let open = OpenPacket::parse(reply.text());
    assert_eq!(
        open.keys, HANDSHAKE_KEYS,
        "exactly the five keys, in Node's order"
    );
    assert!(is_node_style_sid(&open.sid), "sid {:?}", open.sid);
    assert_eq!(open.upgrades, ["websocket"]);
    assert_eq!(open.ping_interval, 300);
    assert_eq!(open.ping_timeout, 200);
    assert_eq!(open.max_payload, 1_000_000);
    assert_eq!(
        reply.text(),
        format!(
            r#"0{{"sid":"{}","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#,
            open.sid
        ),
        "compact JSON, as JSON.stringify writes it"
    );

    assert_eq!(server.engine.connection_count(), 1);
    let conn = server.connection(&open.sid);
    assert_eq!(conn.transport(), Transport::Polling);
    assert_eq!(conn.id().as_str(), open.sid);
    let opened = server.recorder().events();
    assert!(
        matches!(opened.as_slice(), [Event::Open(sid)] if sid.as_str() == open.sid),
        "{opened:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn websocket_handshake_opens_a_session_without_upgrades() {
    let server = TestServer::start(reference_config()).await;
    let mut ws = WsClient::connect(server.addr(), &server.path("EIO=4&transport=websocket")).await;
    assert!(ws.switched());

    let first = ws.expect_text().await;
    let open = OpenPacket::parse(&first);
    assert_eq!(open.keys, HANDSHAKE_KEYS);
    assert!(is_node_style_sid(&open.sid));
    assert!(open.upgrades.is_empty());
    assert!(first.contains(r#""upgrades":[]"#), "{first}");
    assert_eq!(
        (open.ping_interval, open.ping_timeout, open.max_payload),
        (300, 200, 1_000_000)
    );
    assert_eq!(
        server.connection(&open.sid).transport(),
        Transport::WebSocket
    );
    server.stop().await;
}

#[tokio::test]
async fn handshake_reports_the_configured_options() {
    let config = quiet_config()
        .with_heartbeat(Duration::from_millis(12_345), Duration::from_millis(6_789))
        .with_max_payload(4_321);
    let server = TestServer::start(config).await;
    let open = server.open_polling().await.open;
    assert_eq!(
        (open.ping_interval, open.ping_timeout, open.max_payload),
        (12_345, 6_789, 4_321)
    );
    let (_ws, open) = server.open_websocket().await;
    assert_eq!(
        (open.ping_interval, open.ping_timeout, open.max_payload),
        (12_345, 6_789, 4_321)
    );
    server.stop().await;
}

#[tokio::test]
async fn every_session_gets_a_new_node_style_sid() {
    let server = TestServer::quiet().await;
    let mut sids = HashSet::new();
    for _ in 0..25 {
        let sid = server.open_polling().await.open.sid;
        assert!(is_node_style_sid(&sid), "{sid:?}");
        sids.insert(sid);
    }
    let mut sockets = Vec::new();
    for _ in 0..5 {
        let (ws, open) = server.open_websocket().await;
        sids.insert(open.sid);
        sockets.push(ws);
    }
    assert_eq!(sids.len(), 30, "sids repeat");
    assert_eq!(server.engine.connection_count(), 30);
    server.stop().await;
}

#[tokio::test]
async fn the_handshake_request_is_kept_with_the_connection() {
    let server = TestServer::quiet().await;
    let reply = server
        .send(
            HttpRequest::get(server.path("EIO=4&transport=polling&token=a%20b&t=x1"))
                .header("x-client", "tests"),
        )
        .await;
    let sid = OpenPacket::parse(reply.text()).sid;
    let conn = server.connection(&sid);
    let handshake = conn.handshake();
    assert_eq!(handshake.query("token").as_deref(), Some("a b"));
    assert_eq!(handshake.query("EIO").as_deref(), Some("4"));
    assert_eq!(handshake.query("missing"), None);
    assert_eq!(handshake.headers["x-client"], "tests");
    let peer = handshake.remote_addr.expect("remote address");
    assert!(peer.ip().is_loopback(), "{peer}");
    server.stop().await;
}

/// Handshakes without a supported protocol version (code 5) or a known transport
/// (code 0) are refused over both transports, and open no session.
#[tokio::test]
async fn handshakes_without_a_version_or_transport_are_refused_with_codes_5_and_0() {
    let server = TestServer::quiet().await;
    for version in ["", "EIO=abc&", "EIO=3&", "EIO=5&"] {
        for (via, transport) in [(Via::Get, "polling"), (Via::WebSocket, "websocket")] {
            let query = format!("{version}transport={transport}");
            server
                .expect_refused(via, &query, UNSUPPORTED_PROTOCOL_VERSION)
                .await;
        }
    }
    for query in [
        "EIO=4",
        "EIO=4&transport=abc",
        "EIO=4&transport=",
        "EIO=4&transport=flashsocket",
    ] {
        for via in [Via::Get, Via::WebSocket] {
            server.expect_refused(via, query, TRANSPORT_UNKNOWN).await;
        }
    }
    assert_eq!(server.engine.connection_count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn handshakes_that_are_not_get_are_refused_with_code_2() {
    let server = TestServer::quiet().await;
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let reply = server
            .send(
                HttpRequest::new(method.clone(), server.path("EIO=4&transport=polling")).body("4x"),
            )
            .await;
        reply.assert_error(400, 2, "Bad handshake method");
    }
    assert_eq!(server.engine.connection_count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn unknown_session_ids_are_refused_with_code_1() {
    let server = TestServer::quiet().await;
    for sid in [
        "AAAAAAAAAAAAAAAAAAAA",
        "not-a-sid",
        "",
        "AAAAAAAAAAAAAAAAAAA%2F",
    ] {
        let query = format!("EIO=4&transport=polling&sid={sid}");
        for via in [Via::Get, Via::Post("4hello")] {
            server.expect_refused(via, &query, SESSION_ID_UNKNOWN).await;
        }
    }
    let upgrade = "EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA";
    server
        .expect_refused(Via::WebSocket, upgrade, SESSION_ID_UNKNOWN)
        .await;
    server.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_refused_with_code_3() {
    let server = TestServer::quiet().await;
    // A WebSocket handshake without the upgrade headers.
    server
        .expect_refused(Via::Get, "EIO=4&transport=websocket", BAD_REQUEST)
        .await;
    // A polling request of a method other than GET or POST on a live session.
    let session = server.open_polling().await;
    let reply = server
        .send(HttpRequest::new(Method::PUT, session.path()).body("4x"))
        .await;
    reply.assert_error(400, 3, "Bad request");
    server.stop().await;
}

#[tokio::test]
async fn checks_run_in_the_node_servers_order() {
    let server = TestServer::quiet().await;
    let checks = [
        // The transport is checked before the protocol version and the method.
        (Via::Get, "EIO=abc&transport=abc", TRANSPORT_UNKNOWN),
        // The method is checked before the protocol version.
        (
            Via::Post(""),
            "EIO=abc&transport=polling",
            BAD_HANDSHAKE_METHOD,
        ),
        // An unknown sid is reported whatever the protocol version.
        (
            Via::Get,
            "EIO=3&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA",
            SESSION_ID_UNKNOWN,
        ),
    ];
    for (via, query, error) in checks {
        server.expect_refused(via, query, error).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn other_paths_are_not_answered() {
    let server = TestServer::quiet().await;
    let reply = server
        .send(HttpRequest::get("/socket.io/?EIO=4&transport=polling"))
        .await;
    assert_eq!(reply.status, 404);
    let reply = server.send(HttpRequest::get("/")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(server.engine.connection_count(), 0);
    server.stop().await;
}

/// As Node's `verify`: a request on a session must speak the session's protocol
/// version, and use its transport unless it is an upgrade.
#[tokio::test]
async fn requests_on_a_session_keep_its_protocol_and_transport() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let sid = session.sid().to_owned();
    for query in [
        format!("EIO=3&transport=polling&sid={sid}"),
        format!("EIO=5&transport=polling&sid={sid}"),
        format!("transport=polling&sid={sid}"),
    ] {
        for via in [Via::Get, Via::Post("4hello")] {
            server.expect_refused(via, &query, BAD_REQUEST).await;
        }
    }
    let upgrade_with_another_protocol = format!("EIO=3&transport=websocket&sid={sid}");
    server
        .expect_refused(Via::WebSocket, &upgrade_with_another_protocol, BAD_REQUEST)
        .await;
    // Not an upgrade: the transport is not the session's.
    let websocket_over_http = format!("EIO=4&transport=websocket&sid={sid}");
    server
        .expect_refused(Via::Get, &websocket_over_http, BAD_REQUEST)
        .await;
    // The session carries on, and none of the refused messages reached it.
    server.assert_open(&sid).await;
    assert_eq!(session.post("4hello").await.text(), "ok");
    let recorder = server.recorder();
    let messages = recorder
        .wait_for(tether_tests::PATIENCE, |_| {
            let messages = recorder.messages(&sid);
            (!messages.is_empty()).then_some(messages)
        })
        .await
        .expect("the message posted on the session's protocol");
    assert_eq!(messages.len(), 1);
    let (ws, open) = server.open_websocket().await;
    server
        .get(&format!("EIO=4&transport=polling&sid={}", open.sid))
        .await
        .assert_error(400, 3, "Bad request");
    drop(ws);
    server.stop().await;
}
