//! Server options: CORS, the `io` cookie, the `allow_request` hook, allowed
//! transports, upgrades and the path.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::Method;
use tether::engine::{Cors, CorsError, SameSite, SessionCookie, Transports};
use tether_tests::engine_checks::{BAD_REQUEST, TRANSPORT_UNKNOWN, Via};
use tether_tests::server::quiet_config;
use tether_tests::{HttpRequest, OpenPacket, Reply, TestServer, WsClient};

const APP: &str = "https://app.example";

/// Checks `reply` has `status` and lets `origin` read it with credentials.
#[track_caller]
fn assert_allows_with_credentials(reply: &Reply, status: u16, origin: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.headers);
    assert_eq!(reply.header("access-control-allow-origin"), Some(origin));
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
}

#[tokio::test]
async fn without_cors_no_cors_headers_are_sent() {
    let server = TestServer::quiet().await;
    let reply = server
        .send(HttpRequest::get(server.path("EIO=4&transport=polling")).header("origin", APP))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    server.stop().await;
}

#[tokio::test]
async fn cors_any_allows_every_origin() {
    let server = TestServer::start(quiet_config().with_cors(Cors::any())).await;
    let reply = server
        .send(HttpRequest::get(server.path("EIO=4&transport=polling")).header("origin", APP))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("access-control-allow-credentials"), None);

    let session = server.open_polling().await;
    let posted = server
        .send(
            session
                .post_request("4x")
                .header("origin", "http://other.example"),
        )
        .await;
    assert_eq!(posted.header("access-control-allow-origin"), Some("*"));
    server.stop().await;
}

#[tokio::test]
async fn a_preflight_is_answered() {
    let cors = Cors::any().with_max_age(Duration::from_secs(600));
    let server = TestServer::start(quiet_config().with_cors(cors)).await;
    let reply = server
        .send(
            HttpRequest::new(Method::OPTIONS, server.path("EIO=4&transport=polling"))
                .header("origin", APP)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "x-token,content-type"),
        )
        .await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let methods = reply
        .header("access-control-allow-methods")
        .expect("allowed methods");
    for method in ["GET", "POST"] {
        assert!(methods.split(',').any(|m| m == method), "{methods}");
    }
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("x-token,content-type"),
        "the requested headers are reflected"
    );
    assert_eq!(reply.header("access-control-max-age"), Some("600"));
    assert_eq!(
        server.engine.connection_count(),
        0,
        "a preflight opens no session"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_origin_allow_list_with_credentials() {
    let cors = Cors::allow_origins([APP])
        .with_credentials(true)
        .expect("credentials with an allow-list");
    let server = TestServer::start(quiet_config().with_cors(cors)).await;
    let handshake = server.path("EIO=4&transport=polling");

    let allowed = server
        .send(HttpRequest::get(handshake.clone()).header("origin", APP))
        .await;
    assert_allows_with_credentials(&allowed, 200, APP);
    assert!(
        allowed.header_all("vary").contains(&"Origin"),
        "{:?}",
        allowed.headers
    );

    let other = server
        .send(HttpRequest::get(handshake.clone()).header("origin", "https://evil.example"))
        .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
    assert_eq!(other.header("access-control-allow-credentials"), None);

    let preflight = server
        .send(
            HttpRequest::new(Method::OPTIONS, handshake.clone())
                .header("origin", APP)
                .header("access-control-request-method", "GET"),
        )
        .await;
    assert_allows_with_credentials(&preflight, 204, APP);

    let refused_preflight = server
        .send(
            HttpRequest::new(Method::OPTIONS, handshake)
                .header("origin", "https://evil.example")
                .header("access-control-request-method", "GET"),
        )
        .await;
    assert_eq!(
        refused_preflight.header("access-control-allow-origin"),
        None
    );

    // Error replies carry the CORS headers too, so a browser can read them.
    let error = server
        .send(HttpRequest::get(server.path("EIO=4&transport=abc")).header("origin", APP))
        .await;
    error.assert_error(400, 0, "Transport unknown");
    assert_eq!(error.header("access-control-allow-origin"), Some(APP));
    server.stop().await;
}

/// Credentials with any origin are refused when the policy is built; reflecting
/// every origin takes an option that says so.
#[tokio::test]
async fn any_origin_refuses_credentials_and_mirroring_is_explicit() {
    let refused = Cors::any().with_credentials(true);
    assert_eq!(refused, Err(CorsError::AnyOriginWithCredentials));
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("Cors::allow_origins"), "{message}");
    assert!(message.contains("Cors::mirror_request_origin"), "{message}");

    let mirror = Cors::mirror_request_origin()
        .with_credentials(true)
        .expect("credentials with a mirrored origin");
    let server = TestServer::start(quiet_config().with_cors(mirror)).await;
    for origin in [APP, "https://other.example"] {
        let reply = server
            .send(HttpRequest::get(server.path("EIO=4&transport=polling")).header("origin", origin))
            .await;
        assert_allows_with_credentials(&reply, 200, origin);
        assert!(reply.header_all("vary").contains(&"Origin"));
    }
    let without_origin = server.get("EIO=4&transport=polling").await;
    assert_eq!(without_origin.header("access-control-allow-origin"), None);
    server.stop().await;
}

#[tokio::test]
async fn the_io_cookie_is_set_on_the_handshake_only() {
    let server = TestServer::start(quiet_config().with_cookie(SessionCookie::default())).await;
    let session = server.open_polling().await;
    assert_eq!(
        session.handshake.header_all("set-cookie"),
        [format!(
            "io={}; HttpOnly; SameSite=Lax; Path=/",
            session.sid()
        )]
    );
    assert_eq!(session.post("4x").await.header("set-cookie"), None);
    assert_eq!(session.get().await.header("set-cookie"), None);

    let ws = WsClient::connect(server.addr(), &server.path("EIO=4&transport=websocket")).await;
    let cookie = ws.response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut ws = ws;
    let open = OpenPacket::parse(&ws.expect_text().await);
    assert_eq!(
        cookie,
        format!("io={}; HttpOnly; SameSite=Lax; Path=/", open.sid)
    );
    server.stop().await;
}

#[tokio::test]
async fn the_cookie_can_be_renamed_and_is_off_by_default() {
    let cookie = SessionCookie::default()
        .with_name("lb")
        .with_path("/rt")
        .with_http_only(false)
        .with_same_site(Some(SameSite::Strict));
    let server = TestServer::start(quiet_config().with_cookie(cookie)).await;
    let session = server.open_polling().await;
    assert_eq!(
        session.handshake.header("set-cookie"),
        Some(format!("lb={}; SameSite=Strict; Path=/rt", session.sid()).as_str())
    );
    server.stop().await;

    let (server, session) = TestServer::quiet_with_polling().await;
    assert_eq!(session.handshake.header("set-cookie"), None);
    server.stop().await;
}

#[tokio::test]
async fn allow_request_refuses_with_403_and_its_message() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let config = quiet_config().with_allow_request(move |parts| {
        counted.fetch_add(1, Ordering::SeqCst);
        let allowed = parts
            .headers
            .get("x-api-key")
            .is_some_and(|key| key == "secret");
        async move {
            // The hook may do asynchronous work, as a token lookup would.
            tokio::time::sleep(Duration::from_millis(10)).await;
            if allowed {
                Ok(())
            } else {
                Err("api key required".to_owned())
            }
        }
    });
    let server = TestServer::start(config).await;
    let handshake = server.path("EIO=4&transport=polling");

    let refused = server.send(HttpRequest::get(handshake.clone())).await;
    refused.assert_error(403, 4, "api key required");
    let wrong = server
        .send(HttpRequest::get(handshake.clone()).header("x-api-key", "guess"))
        .await;
    wrong.assert_error(403, 4, "api key required");
    assert_eq!(server.engine.connection_count(), 0);

    let accepted = server
        .send(HttpRequest::get(handshake).header("x-api-key", "secret"))
        .await;
    assert_eq!(accepted.status, 200);
    let sid = OpenPacket::parse(accepted.text()).sid;
    let before = calls.load(Ordering::SeqCst);
    let query = format!("EIO=4&transport=polling&sid={sid}");
    assert_eq!(server.post(&query, "4x").await.text(), "ok");
    assert_eq!(server.get(&query).await.text(), "4x");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        before,
        "only handshakes are checked"
    );

    let refused = server.refuse_websocket("EIO=4&transport=websocket").await;
    refused.assert_error(403, 4, "api key required");
    let ws_path = server.path("EIO=4&transport=websocket");
    let mut ws = WsClient::connect_with(server.addr(), &ws_path, &[("x-api-key", "secret")])
        .await
        .expect("WebSocket with the key");
    assert!(ws.expect_text().await.starts_with("0{"));
    server.stop().await;
}

#[tokio::test]
async fn polling_only_servers_refuse_websockets() {
    let transports = Transports::polling_only();
    let server = TestServer::start(quiet_config().with_transports(transports)).await;
    let session = server.open_polling().await;
    assert!(session.open.upgrades.is_empty(), "nothing to upgrade to");
    let upgrade = format!("EIO=4&transport=websocket&sid={}", session.sid());
    for query in ["EIO=4&transport=websocket", &upgrade] {
        server
            .expect_refused(Via::WebSocket, query, TRANSPORT_UNKNOWN)
            .await;
    }
    server.stop().await;
}

#[tokio::test]
async fn websocket_only_servers_refuse_polling() {
    let transports = Transports::websocket_only();
    let server = TestServer::start(quiet_config().with_transports(transports)).await;
    server
        .get("EIO=4&transport=polling")
        .await
        .assert_error(400, 0, "Transport unknown");
    let (mut ws, open) = server.open_websocket().await;
    assert!(open.upgrades.is_empty());
    ws.send_text("4ws only").await;
    assert_eq!(ws.expect_text().await, "4ws only");
    server.stop().await;
}

#[tokio::test]
async fn upgrades_can_be_turned_off() {
    let server = TestServer::start(quiet_config().with_upgrades(false)).await;
    let session = server.open_polling().await;
    assert!(session.open.upgrades.is_empty());
    let upgrade = format!("EIO=4&transport=websocket&sid={}", session.sid());
    server
        .expect_refused(Via::WebSocket, &upgrade, BAD_REQUEST)
        .await;
    assert_eq!(session.post("4still polling").await.text(), "ok");
    let (_ws, open) = server.open_websocket().await;
    assert!(
        open.upgrades.is_empty(),
        "direct WebSocket sessions still work"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_path_is_configurable() {
    let server = TestServer::start(quiet_config().with_path("realtime")).await;
    assert_eq!(server.engine.config().path(), "/realtime/");
    let reply = server
        .send(HttpRequest::get("/realtime/?EIO=4&transport=polling"))
        .await;
    assert_eq!(reply.status, 200);
    let reply = server
        .send(HttpRequest::get("/engine.io/?EIO=4&transport=polling"))
        .await;
    assert_eq!(reply.status, 404);
    server.stop().await;
}
