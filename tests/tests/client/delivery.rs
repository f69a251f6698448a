//! Delivery options of the Rust client, as socket.io-client has them: `retries`
//! with `ack_timeout` (a packet resent until acknowledged, in order, one in
//! flight) against tether and the Node.js socket.io 4.8 server, volatile emits,
//! a per-emit timeout, outgoing hooks, and handlers added and removed while
//! connected.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tether::client::{AckError, Client};
use tether::server::{Event as ServerEvent, Server, Socket};
use tether_tests::client::quick_retries;
use tether_tests::{Probe, Report, SioServer, probe, sio_config, within};

use crate::support::{node_sio_server, reporter, server_reporter, wait_until_reconnecting};

/// A tether server like `flaky` of `tests/js/support/node-sio-server.mjs`: each
/// `flaky(n)` is reported as `seen(n, tries)` (to the client and to `arrivals`),
/// and acknowledged with `[n, tries]` from its second arrival on.
fn flaky_server(arrivals: Report<(u64, u64)>) -> Server {
    let io = Server::new(sio_config());
    io.main().on_connection(move |socket: Socket| {
        let arrivals = arrivals.clone();
        let counts: Arc<Mutex<HashMap<u64, u64>>> = Arc::default();
        socket.on("flaky", move |socket: Socket, mut event: ServerEvent| {
            let arrivals = arrivals.clone();
            let counts = counts.clone();
            async move {
                let n: u64 = event.arg(0).unwrap_or(u64::MAX);
                let tries = {
                    let mut counts = counts.lock().unwrap();
                    let tries = counts.entry(n).or_insert(0);
                    *tries += 1;
                    *tries
                };
                arrivals.send((n, tries));
                let _ = socket.emit("seen", &(n, tries));
                if tries > 1 {
                    let _ = event.ack(&vec![n, tries]);
                }
            }
        });
        async {}
    });
    io
}

/// A client with `retries(2)` and a short `ack_timeout`, reporting `seen`.
async fn retrying_client(url: &str, auth: serde_json::Value) -> (Client, Probe<(u64, u64)>) {
    let (report, seen) = probe();
    let client = Client::builder(url)
        .auth(&auth)
        .retries(2)
        .ack_timeout(Duration::from_millis(300))
        .on(
            "seen",
            reporter(report, |event| {
                (event.arg(0).unwrap(), event.arg(1).unwrap())
            }),
        )
        .connect()
        .await
        .expect("connected");
    (client, seen)
}

/// Emits `flaky(1)` acknowledged and `flaky(2)` plain, and checks the server saw
/// 1 twice (its first answer withheld), then 2 only once 1 was settled, and that
/// each emit resolved once.
async fn retried_in_order(client: &Client, seen: &mut Probe<(u64, u64)>) {
    let first = client.emit_with_ack::<(u64, u64), _>("flaky", &(1,));
    client.emit("flaky", &(2,)).expect("queued");
    assert_eq!(
        within(first).await.expect("acknowledged on the retry"),
        (1, 2)
    );
    assert_eq!(seen.take(4).await, [(1, 1), (1, 2), (2, 1), (2, 2)]);
    let third: (u64, u64) = within(client.emit_with_ack("flaky", &(3,)))
        .await
        .expect("acknowledged");
    assert_eq!(third, (3, 2));
    assert_eq!(seen.take(2).await, [(3, 1), (3, 2)]);
    seen.expect_silence().await;
}

#[tokio::test]
async fn a_withheld_answer_gets_the_packet_again_from_tether() {
    let (arrivals, _server_side) = probe();
    let server = SioServer::start(flaky_server(arrivals)).await;
    let (client, mut seen) = retrying_client(&server.url(), json!({})).await;
    retried_in_order(&client, &mut seen).await;
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn a_withheld_answer_gets_the_packet_again_from_node() {
    let server = node_sio_server(&[]).await;
    let (client, mut seen) = retrying_client(server.url(), json!({ "token": "secret" })).await;
    retried_in_order(&client, &mut seen).await;
    client.disconnect();
}

#[tokio::test]
async fn retries_run_out_with_a_timeout_and_the_next_packet_goes() {
    let server = SioServer::with(|io| {
        io.main()
            .on("mute", |_socket: Socket, _event: ServerEvent| async {});
        io.main().on(
            "echo",
            |_socket: Socket, mut event: ServerEvent| async move {
                let _ = event.ack(&(event.arg::<u64>(0).unwrap_or(0),));
            },
        );
    })
    .await;
    let (hook, mut outgoing) = probe();
    let client = Client::builder(server.url())
        .retries(1)
        .ack_timeout(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();
    client.on_any_outgoing(move |_client, event| hook.send(event.name().to_owned()));
    let mute = client.emit_with_ack::<(), _>("mute", &());
    let echo = client.emit_with_ack::<u64, _>("echo", &(7,));
    assert!(matches!(within(mute).await, Err(AckError::Timeout)));
    assert_eq!(within(echo).await.unwrap(), 7);
    assert_eq!(
        outgoing.take(3).await,
        ["mute", "mute", "echo"],
        "one hook call per try"
    );
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn retried_packets_wait_for_the_reconnection() {
    let (arrivals, mut server_side) = probe();
    let first = SioServer::start(flaky_server(arrivals.clone())).await;
    let addr = first.addr();
    let client = Client::builder(first.url())
        .retries(3)
        .ack_timeout(Duration::from_secs(1))
        .reconnect(quick_retries())
        .connect()
        .await
        .unwrap();
    first.stop().await;
    wait_until_reconnecting(&client).await;
    let answer = client.emit_with_ack::<(u64, u64), _>("flaky", &(5,));
    let second = SioServer::start_on(flaky_server(arrivals), addr).await;
    // Sent on the new connection (its first try, unanswered), then again.
    assert_eq!(within(answer).await.unwrap(), (5, 2));
    assert_eq!(server_side.take(2).await, [(5, 1), (5, 2)]);
    client.disconnect();
    second.stop().await;
}

#[tokio::test]
async fn volatile_emits_are_dropped_while_not_connected() {
    let (report, mut received) = probe();
    let make = |report: Report<String>| {
        let io = Server::new(sio_config());
        io.main().on(
            "tick",
            server_reporter(report, |event| event.arg::<String>(0).unwrap_or_default()),
        );
        io
    };
    let first = SioServer::start(make(report.clone())).await;
    let addr = first.addr();
    let client = Client::builder(first.url())
        .reconnect(quick_retries())
        .connect()
        .await
        .unwrap();
    client.emit_volatile("tick", &("connected",)).unwrap();
    assert_eq!(received.next().await, "connected");
    first.stop().await;
    wait_until_reconnecting(&client).await;
    client.emit_volatile("tick", &("dropped",)).unwrap();
    client.emit("tick", &("buffered",)).unwrap();
    let second = SioServer::start_on(make(report), addr).await;
    assert_eq!(received.next().await, "buffered");
    received.expect_silence().await;
    client.disconnect();
    second.stop().await;
}

#[tokio::test]
async fn a_per_emit_timeout_and_handlers_changed_while_connected() {
    let server = SioServer::with(|io| {
        io.main()
            .on("mute", |_socket: Socket, _event: ServerEvent| async {});
        io.main()
            .on("ping me", |socket: Socket, event: ServerEvent| async move {
                let name = event.arg::<String>(0).unwrap_or_default();
                let _ = socket.emit(&name, &("hi",));
            });
    })
    .await;
    let client = Client::builder(server.url())
        .ack_timeout(Duration::from_secs(60))
        .connect()
        .await
        .unwrap();
    let muted = client
        .emit_with_ack::<(), _>("mute", &())
        .timeout(Duration::from_millis(50));
    assert!(matches!(within(muted).await, Err(AckError::Timeout)));

    let (report, mut seen) = probe();
    client.once("a", reporter(report.clone(), |_event| "once a"));
    client.on_any(reporter(report.clone(), |event| {
        if event.name() == "a" {
            "any a"
        } else {
            "any b"
        }
    }));
    client.on("b", reporter(report.clone(), |_event| "on b"));
    client.emit("ping me", &("a",)).unwrap();
    let mut first = seen.take(2).await;
    first.sort_unstable();
    assert_eq!(first, ["any a", "once a"]);
    client.emit("ping me", &("a",)).unwrap();
    assert_eq!(seen.next().await, "any a", "once ran once");
    client.off_any();
    client.emit("ping me", &("b",)).unwrap();
    assert_eq!(seen.next().await, "on b");
    client.off("b");
    client.emit("ping me", &("b",)).unwrap();
    seen.expect_silence().await;
    client.disconnect();
    server.stop().await;
}
