//! Connection state recovery across the nodes of one Redis stream (`REDIS_URL`,
//! else `redis://127.0.0.1:6379`; a stream of each test's own): a client on node
//! A loses its connection in the middle of a stream of broadcasts and comes back
//! on node B (a proxy in front of the nodes moves it; socket.io-client is moved
//! by changing its URL). Between tether nodes, and between tether and a Node.js
//! socket.io 4.8 server with `@socket.io/redis-streams-adapter` 0.3.1 both ways,
//! it gets its socket id, rooms and data back and every event exactly once, in
//! order; when its offset was trimmed from the stream it gets a new session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value as Json, json};
use tether::client::ConnectionState;
use tether::client::{Client, Event};
use tether_tests::client::{quick_retries, wait_for_state};
use tether_tests::cluster::first_arg_client;
use tether_tests::node::{NodeServer, run_script};
use tether_tests::redis::unique_key;
use tether_tests::redis_streams::{
    StreamsNode, ack, node_streams, recovering_config, streams_config,
};
use tether_tests::{Probe, Proxy, probe, within};

/// A node of the cluster, tether or Node.js.
enum Node {
    Tether(StreamsNode),
    Node(NodeServer),
}

impl Node {
    async fn tether(stream: &str) -> Node {
        Node::Tether(StreamsNode::on(stream).await)
    }

    async fn node(stream: &str) -> Node {
        Node::Node(node_streams(stream, 10_000).await)
    }

    fn url(&self) -> String {
        match self {
            Node::Tether(node) => node.url(),
            Node::Node(node) => node.url().to_owned(),
        }
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Node::Tether(node) => node.server.addr(),
            Node::Node(node) => SocketAddr::from(([127, 0, 0, 1], node.port())),
        }
    }
}

/// A client through `proxy` (in front of A) that reports each `n(i)`; at
/// `cut_at` the proxy moves it to `b` and drops its connection, or with `hold`
/// also refuses new connections until the test lets them through.
async fn moving_client(
    proxy: &Arc<Proxy>,
    b: SocketAddr,
    cut_at: u64,
    hold: bool,
) -> (Client, Probe<u64>) {
    let (report, seen) = probe();
    let cut = Arc::new(AtomicBool::new(false));
    let moving = proxy.clone();
    // As a real client, it waits a little before it reconnects: long enough for
    // the node it left to notice and store its session.
    let client = Client::builder(proxy.url())
        .reconnect(quick_retries().initial_delay(Duration::from_millis(100)))
        .on("n", move |_client: Client, event: Event| {
            let (report, cut, proxy) = (report.clone(), cut.clone(), moving.clone());
            async move {
                let i: u64 = event.arg(0).unwrap_or(u64::MAX);
                report.send(i);
                if i == cut_at && !cut.swap(true, Ordering::SeqCst) {
                    proxy.retarget(b);
                    if hold {
                        proxy.go_down();
                    } else {
                        proxy.cut();
                    }
                }
            }
        })
        .connect()
        .await
        .expect("connected");
    (client, seen)
}

/// Asks the node at `url` for `count` events `n(i)` to room `r`.
async fn burst(url: &str, count: u64) {
    let source = Client::builder(url).connect().await.expect("connected");
    let () = ack(
        &source,
        "burst",
        json!({"event": "n", "count": count, "to": "r"}),
    )
    .await;
    source.disconnect();
}

/// Every `n(i)` seen until `last`.
async fn received_until(seen: &mut Probe<u64>, last: u64) -> Vec<u64> {
    let mut all = Vec::new();
    within(async {
        loop {
            let i = seen.next().await;
            all.push(i);
            if i == last {
                return;
            }
        }
    })
    .await;
    all
}

/// A client of A cut at `cut_at` of `count` broadcasts sent by `source`, back on
/// B (at once, or with `hold` once the burst is over, so that what it missed
/// comes from the stream alone): same id, rooms and data, every event once and
/// in order.
async fn recovers_across(a: &Node, b: &Node, source: &Node, count: u64, cut_at: u64, hold: bool) {
    let proxy = Arc::new(Proxy::start(a.addr()).await);
    let (client, mut seen) = moving_client(&proxy, b.addr(), cut_at, hold).await;
    let before = client.id().expect("connected");
    let () = ack(&client, "join", json!("r")).await;
    let () = ack(&client, "set data", json!({"k": 1})).await;
    // Once B's clients got the whole burst, B has read all of it.
    let (observer, mut observed) = observer(&b.url()).await;
    burst(&source.url(), count).await;
    if hold {
        received_until(&mut observed, count - 1).await;
        assert!(client.id().is_none(), "cut before the burst was over");
        proxy.come_back();
    }
    let received = received_until(&mut seen, count - 1).await;
    let expected: Vec<u64> = (0..count).collect();
    assert!(
        received == expected,
        "{} events, first gap or repeat near {:?}",
        received.len(),
        first_difference(&received, &expected)
    );
    wait_for_state(&client, |state| {
        matches!(state, ConnectionState::Connected { .. })
    })
    .await;
    assert!(client.recovered(), "recovered on the other node");
    assert_eq!(client.id(), Some(before.clone()));
    let who: Json = ack(&client, "whoami", json!(null)).await;
    assert_eq!(who["id"], json!(before));
    assert_eq!(who["recovered"], json!(true));
    assert!(
        who["rooms"].as_array().unwrap().contains(&json!("r")),
        "{who}"
    );
    assert_eq!(who["data"], json!({"k": 1}));
    seen.expect_silence().await;
    drop(observer);
}

/// A client of `url` in room `r` reporting each `n(i)`.
async fn observer(url: &str) -> (Client, Probe<u64>) {
    let (client, seen) = first_arg_client(url, "n").await;
    let () = ack(&client, "join", json!("r")).await;
    (client, seen)
}

fn first_difference(received: &[u64], expected: &[u64]) -> Option<usize> {
    received
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .or(Some(received.len().min(expected.len())))
}

#[tokio::test]
async fn a_client_recovers_from_tether_to_tether() {
    let stream = unique_key("streams-recover-tt");
    let (a, b) = (Node::tether(&stream).await, Node::tether(&stream).await);
    recovers_across(&a, &b, &a, 3000, 100, true).await;
}

#[tokio::test]
async fn a_client_recovers_from_tether_to_node() {
    let stream = unique_key("streams-recover-tn");
    let (a, b) = (Node::tether(&stream).await, Node::node(&stream).await);
    recovers_across(&a, &b, &a, 3000, 100, true).await;
}

#[tokio::test]
async fn a_client_recovers_from_node_to_tether() {
    let stream = unique_key("streams-recover-nt");
    let (a, b) = (Node::node(&stream).await, Node::tether(&stream).await);
    recovers_across(&a, &b, &a, 3000, 100, true).await;
}

#[tokio::test]
async fn ten_thousand_broadcasts_with_a_cut_midway() {
    let stream = unique_key("streams-recover-10k");
    let (a, b) = (Node::tether(&stream).await, Node::tether(&stream).await);
    recovers_across(&a, &b, &b, 10_000, 2_000, false).await;
}

#[tokio::test]
async fn a_trimmed_offset_gives_a_new_session() {
    let stream = unique_key("streams-trimmed");
    let config = || streams_config(&stream).with_max_len(10);
    let recovery = recovering_config(Duration::from_secs(120));
    let a = StreamsNode::start(config(), recovery.clone()).await;
    let b = StreamsNode::start(config(), recovery).await;
    let proxy = Arc::new(Proxy::start(a.server.addr()).await);
    let (client, mut seen) = moving_client(&proxy, b.server.addr(), 5, true).await;
    let before = client.id().expect("connected");
    let () = ack(&client, "join", json!("r")).await;
    // Another member of the room tells when the burst is over.
    let (_watcher, mut watched) = observer(&a.url()).await;
    burst(&a.url(), 1000).await;
    received_until(&mut watched, 999).await;
    assert_eq!(
        received_until(&mut seen, 5).await,
        (0..=5).collect::<Vec<_>>()
    );
    // The client may have read further than it handled before the cut; a second
    // burst while it is away trims past whatever offset it holds.
    burst(&a.url(), 1000).await;
    received_until(&mut watched, 999).await;
    proxy.come_back();
    within(async {
        while client.id().is_none_or(|id| id == before) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(!client.recovered(), "no silent gap: a new session");
    let who: Json = ack(&client, "whoami", json!(null)).await;
    assert_eq!(who["recovered"], json!(false));
    assert!(
        !who["rooms"].as_array().unwrap().contains(&json!("r")),
        "{who}"
    );
}

#[tokio::test]
async fn an_expired_session_gives_a_new_session() {
    let stream = unique_key("streams-expired");
    let recovery = recovering_config(Duration::from_millis(300));
    let a = StreamsNode::start(streams_config(&stream), recovery.clone()).await;
    let b = StreamsNode::start(streams_config(&stream), recovery).await;
    let proxy = Arc::new(Proxy::start(a.server.addr()).await);
    let (client, mut seen) = moving_client(&proxy, b.server.addr(), 5, true).await;
    let before = client.id().expect("connected");
    let () = ack(&client, "join", json!("r")).await;
    burst(&a.url(), 10).await;
    received_until(&mut seen, 5).await;
    // The session is stored for 300 ms (`PX`): back after it expired.
    tokio::time::sleep(Duration::from_millis(800)).await;
    proxy.come_back();
    within(async {
        while client.id().is_none_or(|id| id == before) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(!client.recovered());
    let who: Json = ack(&client, "whoami", json!(null)).await;
    assert_eq!(who["recovered"], json!(false));
}

/// Runs socket.io-client through a cut from `a` to `b` during `count` events
/// sent by `source`; returns what it printed.
async fn js_client(a: &Node, b: &Node, source: &Node, count: u64, cut_at: u64) -> Json {
    // A Node.js node reading the stream behind delivers replayed events again.
    let hold = if matches!(b, Node::Node(_)) { "1" } else { "" };
    let env = [
        ("HOLD", hold.to_owned()),
        ("A_URL", a.url()),
        ("B_URL", b.url()),
        ("SOURCE_URL", source.url()),
        ("COUNT", count.to_string()),
        ("CUT_AT", cut_at.to_string()),
    ];
    let output = tokio::task::spawn_blocking(move || {
        run_script("streams-recovery-client.mjs", "socket.io-client", &env)
    })
    .await
    .expect("the script ran");
    serde_json::from_str(output.trim()).expect("one JSON line")
}

fn assert_js_recovered(report: &Json, count: u64) {
    let events: Vec<u64> = serde_json::from_value(report["events"].clone()).unwrap();
    let expected: Vec<u64> = (0..count).collect();
    assert!(
        events == expected,
        "{} events, first difference near {:?}",
        events.len(),
        first_difference(&events, &expected)
    );
    assert_eq!(report["recovered"], json!(true), "{report}");
    assert_eq!(report["before"], report["after"], "{report}");
    assert!(
        report["rooms"].as_array().unwrap().contains(&json!("r")),
        "{report}"
    );
}

#[tokio::test]
async fn socket_io_client_recovers_from_tether_to_node() {
    let stream = unique_key("streams-js-tn");
    let (a, b) = (Node::tether(&stream).await, Node::node(&stream).await);
    let report = js_client(&a, &b, &a, 2000, 700).await;
    assert_js_recovered(&report, 2000);
}

#[tokio::test]
async fn socket_io_client_recovers_from_node_to_tether() {
    let stream = unique_key("streams-js-nt");
    let (a, b) = (Node::node(&stream).await, Node::tether(&stream).await);
    let report = js_client(&a, &b, &b, 2000, 700).await;
    assert_js_recovered(&report, 2000);
}

#[tokio::test]
async fn socket_io_client_recovers_between_tether_nodes_through_ten_thousand() {
    let stream = unique_key("streams-js-tt");
    let (a, b) = (Node::tether(&stream).await, Node::tether(&stream).await);
    let report = js_client(&a, &b, &a, 10_000, 4_000).await;
    assert_js_recovered(&report, 10_000);
}
