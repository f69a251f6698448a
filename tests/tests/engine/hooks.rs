//! The engine's HTTP hooks, as Node's `initial_headers`, `headers` and
//! `connection_error` events: headers added to handshakes (polling and WebSocket)
//! and to every later polling response, and refused requests observed with Node's
//! codes.

use std::sync::{Arc, Mutex};

use tether_tests::server::quiet_config;
use tether_tests::{HttpRequest, OpenPacket, TestServer, WsClient};

#[tokio::test]
async fn initial_headers_go_on_handshakes_and_headers_on_every_response() {
    let config = quiet_config()
        .with_initial_headers(|headers, request| {
            let region = request
                .headers
                .get("x-region")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("none")
                .to_owned();
            headers.insert("set-cookie", format!("region={region}").parse().unwrap());
        })
        .with_headers(|headers, request| {
            headers.insert("x-served-for", request.method.as_str().parse().unwrap());
        });
    let server = TestServer::start(config).await;

    let handshake = server
        .send(HttpRequest::get(server.path("EIO=4&transport=polling")).header("x-region", "eu"))
        .await;
    assert_eq!(handshake.status, 200);
    assert_eq!(handshake.header("set-cookie"), Some("region=eu"));
    assert_eq!(handshake.header("x-served-for"), Some("GET"));
    let sid = OpenPacket::parse(handshake.text()).sid;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    let posted = server.post(&query, "4x").await;
    assert_eq!(
        posted.header("set-cookie"),
        None,
        "only handshakes get initial headers"
    );
    assert_eq!(posted.header("x-served-for"), Some("POST"));
    let polled = server.get(&query).await;
    assert_eq!(polled.text(), "4x");
    assert_eq!(polled.header("x-served-for"), Some("GET"));

    let ws = WsClient::connect_with(
        server.addr(),
        &server.path("EIO=4&transport=websocket"),
        &[("x-region", "us")],
    )
    .await
    .expect("a WebSocket");
    assert_eq!(ws.response.headers()["set-cookie"], "region=us");
    assert_eq!(ws.response.headers()["x-served-for"], "GET");

    let refused = server
        .send(HttpRequest::get(
            server.path("EIO=4&transport=carrier-pigeon"),
        ))
        .await;
    refused.assert_error(400, 0, "Transport unknown");
    assert_eq!(
        refused.header("x-served-for"),
        None,
        "error replies are left as they are"
    );
    server.stop().await;
}

#[tokio::test]
async fn refused_requests_reach_the_connection_error_hook() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let config = quiet_config().with_connection_error(move |error, request| {
        record
            .lock()
            .unwrap()
            .push((error.code(), error.to_string(), request.uri.to_string()));
    });
    let server = TestServer::start(config).await;
    server
        .send(HttpRequest::get(server.path("EIO=4&transport=nope")))
        .await
        .assert_error(400, 0, "Transport unknown");
    server
        .send(HttpRequest::get(
            server.path("EIO=4&transport=polling&sid=unknown"),
        ))
        .await
        .assert_error(400, 1, "Session ID unknown");
    server
        .send(HttpRequest::get(server.path("EIO=3&transport=polling")))
        .await
        .assert_error(400, 5, "Unsupported protocol version");
    let session = server.open_polling().await;
    assert_eq!(session.post("4x").await.text(), "ok");

    let seen = seen.lock().unwrap().clone();
    let codes: Vec<u8> = seen.iter().map(|(code, ..)| *code).collect();
    assert_eq!(codes, [0, 1, 5], "{seen:?}");
    assert_eq!(seen[1].1, "Session ID unknown");
    assert!(seen[2].2.contains("EIO=3"), "{seen:?}");
    server.stop().await;
}
