//! The Rust client's cookie jar: cookies the server sets go back on every later
//! request of the connection (polling requests and the WebSocket upgrade), with
//! tether's `io` session cookie and Node.js socket.io's `cookie: true`.

use std::time::Duration;

use serde_json::json;
use tether::client::{Client, TransportMode};
use tether::engine::SessionCookie;
use tether::server::Server;
use tether_tests::node::NodeServer;
use tether_tests::{Probe, SioServer, probe, sio_config, within};

/// One request the server answered: method, transport, its `Cookie` header, and
/// the `io` cookie the response set.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    transport: String,
    cookie: Option<String>,
    set_io: Option<String>,
}

/// A tether server setting the `io` cookie, plus `region=eu` (path `/`) and
/// `elsewhere=1` (path `/other`, not for the Engine.IO path) on each handshake.
async fn recording_server() -> (SioServer, Probe<Seen>) {
    let (report, seen) = probe();
    let mut config = sio_config().with_cookie(SessionCookie::default());
    config.engine = config
        .engine
        .with_initial_headers(|headers, _request| {
            headers.append("set-cookie", "region=eu; Path=/".parse().unwrap());
            headers.append("set-cookie", "elsewhere=1; Path=/other".parse().unwrap());
        })
        .with_headers(move |headers, request| {
            let query = request.uri.query().unwrap_or_default();
            let transport = form_pairs(query)
                .into_iter()
                .find(|(name, _)| name == "transport")
                .map(|(_, value)| value)
                .unwrap_or_default();
            let set_io = headers
                .get_all("set-cookie")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .find_map(|value| value.strip_prefix("io="))
                .map(|value| value.split(';').next().unwrap_or_default().to_owned());
            report.send(Seen {
                method: request.method.to_string(),
                transport,
                cookie: request
                    .headers
                    .get("cookie")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned),
                set_io,
            });
        });
    (SioServer::start(Server::new(config)).await, seen)
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

#[tokio::test]
async fn polling_requests_and_the_upgrade_carry_tethers_io_cookie() {
    let (server, mut seen) = recording_server().await;
    let client = Client::builder(server.url())
        .transport(TransportMode::PollingThenWebSocket)
        .connect()
        .await
        .unwrap();
    let handshake = seen.next().await;
    assert_eq!((handshake.method.as_str(), handshake.cookie), ("GET", None));
    let sid = handshake.set_io.expect("the handshake sets the io cookie");
    let expected = format!("io={sid}; region=eu");
    let mut later = Vec::new();
    loop {
        let request = seen.next().await;
        assert_eq!(
            request.cookie.as_deref(),
            Some(expected.as_str()),
            "{request:?}"
        );
        let upgrade = request.transport == "websocket";
        later.push(request);
        if upgrade {
            break;
        }
    }
    assert!(
        later.iter().any(|request| request.method == "POST"),
        "{later:?}"
    );
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn no_cookies_when_turned_off_and_a_fresh_jar_per_connection() {
    let (server, mut seen) = recording_server().await;
    let client = Client::builder(server.url())
        .transport(TransportMode::Polling)
        .cookies(false)
        .connect()
        .await
        .unwrap();
    let _: String = within(
        client
            .emit_with_ack("missing", &())
            .timeout(Duration::from_millis(1)),
    )
    .await
    .unwrap_or_default();
    for request in seen.take(3).await {
        assert_eq!(request.cookie, None, "{request:?}");
    }
    client.disconnect();
    // A second client's jar does not hold the first one's cookie.
    let other = Client::builder(server.url())
        .transport(TransportMode::Polling)
        .connect()
        .await
        .unwrap();
    let handshake = loop {
        let request = seen.next().await;
        if request.set_io.is_some() {
            break request;
        }
    };
    assert_eq!(handshake.cookie, None);
    other.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn polling_requests_and_the_upgrade_carry_node_io_cookie() {
    let server = tokio::task::spawn_blocking(|| {
        NodeServer::start(
            "node-sio-server.mjs",
            "socket.io",
            &[("COOKIE", "1".to_owned())],
        )
    })
    .await
    .unwrap();
    for mode in [TransportMode::Polling, TransportMode::PollingThenWebSocket] {
        let client = Client::builder(server.url())
            .transport(mode)
            .auth(&json!({ "token": "secret" }))
            .connect()
            .await
            .unwrap();
        let requests: Vec<String> = within(client.emit_with_ack("cookies", &())).await.unwrap();
        client.disconnect();
        // This client's requests: from the last handshake on.
        let start = requests
            .iter()
            .rposition(|request| request == "GET polling -")
            .unwrap_or_else(|| panic!("{mode:?}: no handshake in {requests:?}"));
        let ours = &requests[start + 1..];
        assert!(!ours.is_empty(), "{mode:?}: {requests:?}");
        for request in ours {
            let cookie = request.splitn(3, ' ').nth(2).unwrap_or_default();
            assert!(cookie.starts_with("io="), "{mode:?}: {request} in {ours:?}");
        }
        if mode == TransportMode::PollingThenWebSocket {
            assert!(
                ours.iter()
                    .any(|request| request.starts_with("GET websocket io=")),
                "{ours:?}"
            );
        }
    }
}
