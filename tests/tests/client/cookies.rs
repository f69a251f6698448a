//! The Rust client's cookie jar: cookies the server sets go back on every later
//! request of the connection (polling requests and the WebSocket upgrade), with
//! tether's `io` session cookie and Node.js socket.io's `cookie: true`, and
//! behind HAProxy's cookie stickiness (skipped when `haproxy` is not installed).

use std::time::Duration;

use serde_json::json;
use tether::client::{Client, TransportMode};
use tether::engine::SessionCookie;
use tether::server::Server;
use tether_tests::{Probe, SioServer, probe, sio_config, within};

use crate::support::node_sio_server;

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
    let config = sio_config()
        .with_cookie(SessionCookie::default())
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
    let server = node_sio_server(&[("COOKIE", "1")]).await;
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

/// HAProxy balancing round robin over `backends`, sticky by its `SERVERID`
/// cookie, as `tests/js/support/haproxy.mjs` configures it; killed when dropped.
struct Haproxy {
    child: std::process::Child,
    dir: std::path::PathBuf,
    port: u16,
}

impl Haproxy {
    async fn start(backends: &[(&str, std::net::SocketAddr)]) -> Option<Haproxy> {
        if std::process::Command::new("haproxy")
            .arg("-v")
            .output()
            .is_err()
        {
            eprintln!("haproxy is not installed: skipped");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .unwrap();
        let servers: String = backends
            .iter()
            .map(|(name, addr)| {
                format!("    server {name} {addr} cookie {name} check inter 200ms fall 1 rise 2\n")
            })
            .collect();
        let config = format!(
            "global\n    maxconn 256\n\ndefaults\n    mode http\n    option redispatch\n    retries 3\n    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n    timeout tunnel 1h\n\nfrontend socketio\n    bind 127.0.0.1:{port}\n    default_backend nodes\n\nbackend nodes\n    balance roundrobin\n    cookie SERVERID insert indirect nocache\n{servers}"
        );
        let dir = std::env::temp_dir().join(format!("tether-haproxy-{port}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("haproxy.cfg");
        std::fs::write(&file, config).unwrap();
        let child = std::process::Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("haproxy starts");
        let haproxy = Haproxy { child, dir, port };
        within(async {
            while tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err()
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        // Let the health checks see both backends up.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Some(haproxy)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A node answering `where` with its name.
async fn named_node(name: &'static str) -> SioServer {
    SioServer::with(move |io| {
        io.main().on(
            "where",
            move |_socket: tether::server::Socket, mut event: tether::server::Event| async move {
                let _ = event.ack(&(name,));
            },
        );
    })
    .await
}

#[tokio::test]
async fn a_polling_client_keeps_its_node_behind_a_cookie_sticky_balancer() {
    let (a, b) = (named_node("a").await, named_node("b").await);
    let Some(balancer) = Haproxy::start(&[("a", a.addr()), ("b", b.addr())]).await else {
        return;
    };
    for mode in [TransportMode::Polling, TransportMode::PollingThenWebSocket] {
        let client = Client::builder(balancer.url())
            .transport(mode)
            .reconnect(tether::client::Reconnect::disabled())
            .connect()
            .await
            .unwrap_or_else(|error| panic!("{mode:?}: {error}"));
        let changes = client.state_changes();
        let first: String = within(client.emit_with_ack("where", &())).await.unwrap();
        for _ in 0..10 {
            let node: String = within(client.emit_with_ack("where", &())).await.unwrap();
            assert_eq!(node, first, "{mode:?}: the session stays on its node");
        }
        assert!(
            !changes.has_changed().unwrap(),
            "{mode:?}: {:?}",
            client.state()
        );
        client.disconnect();
    }
    // Without the jar, round robin sends the second request to the other node,
    // which does not know the session.
    let lost = Client::builder(balancer.url())
        .transport(TransportMode::Polling)
        .cookies(false)
        .reconnect(tether::client::Reconnect::disabled())
        .connect()
        .await;
    assert!(lost.is_err(), "{lost:?}");
    drop(balancer);
    a.stop().await;
    b.stop().await;
}
