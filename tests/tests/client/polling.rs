//! The Rust client over HTTP long-polling, and upgrading from polling to
//! WebSocket: joining with auth, events and acknowledgements both ways with binary
//! (base64 in polling payloads), packets that arrive with the CONNECT answer,
//! leaving, reconnecting, and staying on polling when the server offers no upgrade.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use tether::client::{Client, DisconnectReason, TransportMode};
use tether::engine::{Transport, Transports};
use tether::protocol::Args;
use tether::server::{self, Event as ServerEvent, Server, ServerConfig, Socket};
use tether_tests::client::quick_retries;
use tether_tests::{Probe, Report, SioServer, probe, sio_config, within};

use crate::support::{report_as_text, server_reporter, wait_until_reconnecting};

/// A server that greets each socket with its auth and transport, echoes `echo`
/// (acknowledged when asked, else as `echoed`), and reports disconnect reasons.
fn echo_server(config: ServerConfig, reasons: Report<server::DisconnectReason>) -> Server {
    let io = Server::new(config);
    io.main().on_connection(|socket: Socket| async move {
        let transport = socket.transport().as_str();
        socket.emit(
            "welcome",
            &(socket.auth_value(), transport, Bytes::from_static(&[1, 2])),
        )
    });
    io.main().on(
        "echo",
        |socket: Socket, mut event: ServerEvent| async move {
            match event.take_ack() {
                Some(ack) => ack.send(event.args()),
                None => socket.emit("echoed", event.args()),
            }
        },
    );
    io.main()
        .on_disconnect(move |_socket: Socket, reason: server::DisconnectReason| {
            let reasons = reasons.clone();
            async move { reasons.send(reason) }
        });
    io
}

/// What a client of [`echo_server`] reports of its `welcome`, which the server
/// sends while the socket is still on polling.
const WELCOME_ON_POLLING: &str = r#"welcome {"token":"p"} "polling" [1, 2]"#;

/// A client over `mode` reporting its `welcome` and `echoed` events as text,
/// once its welcome arrived (in order, whichever transport carried it).
async fn welcomed_client(url: &str, mode: TransportMode) -> (Client, Probe<String>) {
    let (report, mut seen) = probe();
    let client = Client::builder(url)
        .transport(mode)
        .auth(&json!({ "token": "p" }))
        .reconnect(quick_retries())
        .on("welcome", report_as_text(report.clone()))
        .on("echoed", report_as_text(report))
        .connect()
        .await
        .expect("connected");
    assert_eq!(seen.next().await, WELCOME_ON_POLLING, "{mode:?}");
    (client, seen)
}

async fn exchange_both_ways(client: &Client, seen: &mut Probe<String>) {
    client
        .emit("echo", &("bin", Bytes::from_static(&[0, 255, 7])))
        .unwrap();
    assert_eq!(seen.next().await, r#"echoed "bin" [0, 255, 7]"#);
    let acked: Args = client
        .emit_with_ack("echo", &(1, Bytes::from_static(&[9])))
        .await
        .expect("acknowledged");
    assert_eq!(acked.decode::<u8>(0).unwrap(), 1);
    assert_eq!(acked.decode::<Bytes>(1).unwrap(), Bytes::from_static(&[9]));
}

#[tokio::test]
async fn works_over_polling_only() {
    let (reasons, mut left) = probe();
    let server = SioServer::start(echo_server(sio_config(), reasons)).await;
    let (client, mut seen) = welcomed_client(&server.url(), TransportMode::Polling).await;
    exchange_both_ways(&client, &mut seen).await;
    client.disconnect();
    assert_eq!(
        left.next().await,
        server::DisconnectReason::ClientNamespaceDisconnect
    );
    assert_eq!(
        within(client.disconnected()).await,
        DisconnectReason::ClientDisconnect
    );
    server.stop().await;
}

/// The transport the server sees `client`'s socket on.
fn server_side_transport(server: &SioServer, client: &Client) -> Transport {
    let sid = client.id().expect("connected");
    server.socket("/", &sid).transport()
}

#[tokio::test]
async fn upgrades_from_polling_to_websocket() {
    let (reasons, _left) = probe();
    let server = SioServer::start(echo_server(sio_config(), reasons)).await;
    let (client, mut seen) =
        welcomed_client(&server.url(), TransportMode::PollingThenWebSocket).await;
    // After a round trip the server has handled the upgrade packet, which the
    // client sent before anything else on the WebSocket.
    exchange_both_ways(&client, &mut seen).await;
    assert_eq!(
        server_side_transport(&server, &client),
        Transport::WebSocket
    );
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn stays_on_polling_when_the_server_offers_no_upgrade() {
    let (reasons, _left) = probe();
    let config = sio_config().with_transports(Transports::polling_only());
    let server = SioServer::start(echo_server(config, reasons)).await;
    let (client, mut seen) =
        welcomed_client(&server.url(), TransportMode::PollingThenWebSocket).await;
    exchange_both_ways(&client, &mut seen).await;
    assert_eq!(server_side_transport(&server, &client), Transport::Polling);
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn answers_pings_over_polling() {
    let (reasons, mut left) = probe();
    let config = sio_config().with_heartbeat(Duration::from_millis(50), Duration::from_millis(500));
    let server = SioServer::start(echo_server(config, reasons)).await;
    let (client, mut seen) = welcomed_client(&server.url(), TransportMode::Polling).await;
    // A ping every 50 ms: a client that did not answer would be closed by the
    // server 550 ms after the first one, within these quiet periods.
    for _ in 0..4 {
        exchange_both_ways(&client, &mut seen).await;
        left.expect_silence().await;
    }
    assert!(client.state().is_connected());
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn reconnects_over_polling_after_a_restart() {
    let (reasons, _left) = probe();
    let first = SioServer::start(echo_server(sio_config(), reasons.clone())).await;
    let addr = first.addr();
    let (client, mut seen) = welcomed_client(&first.url(), TransportMode::Polling).await;
    first.stop().await;
    wait_until_reconnecting(&client).await;
    client
        .emit("echo", &("buffered", Bytes::from_static(&[5])))
        .expect("buffered");
    let second = SioServer::start_on(echo_server(sio_config(), reasons), addr).await;
    assert_eq!(seen.next().await, WELCOME_ON_POLLING);
    assert_eq!(seen.next().await, r#"echoed "buffered" [5]"#);
    client.disconnect();
    second.stop().await;
}

#[tokio::test]
async fn queued_packets_are_posted_together_within_the_servers_max_payload() {
    let (numbers, mut received) = probe();
    let io = Server::new(sio_config().with_max_payload(1000));
    io.main().on(
        "n",
        server_reporter(numbers, |event| event.arg::<u64>(0).unwrap_or(u64::MAX)),
    );
    let server = SioServer::start(io).await;
    let client = Client::builder(server.url())
        .transport(TransportMode::Polling)
        .connect()
        .await
        .expect("connected");
    let padding = "x".repeat(90);
    for n in 0..200u64 {
        client.emit("n", &(n, &padding)).expect("queued");
    }
    assert_eq!(received.take(200).await, (0..200).collect::<Vec<u64>>());
    assert!(client.state().is_connected());
    client.disconnect();
    server.stop().await;
}
