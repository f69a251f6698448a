//! A tether node and a Node.js socket.io 4.8 server with `@socket.io/redis-adapter`
//! 8.3 (from `tests/js/node_modules`, installed by `npm ci` in `tests/js`) sharing
//! one Redis (`REDIS_URL`, else `redis://127.0.0.1:6379`): broadcasts to
//! everyone, to rooms, with exclusions and from a socket cross in both
//! directions, binary included; so do server-side events. Each test runs with the
//! classic adapter (`createAdapter`) and with the sharded one
//! (`createShardedAdapter`, `subscriptionMode: "static"`; tether's
//! `RedisConfig::with_sharded`).

use bytes::Bytes;
use serde_json::json;
use tether::Value;
use tether::adapter::redis::RedisConfig;
use tether::client::Client;
use tether::protocol::Args;
use tether::server::Server;
use tether_tests::client::{event_names_until, values_client as client};
use tether_tests::node::NodeServer;
use tether_tests::redis::{RedisNode, join, join_and_shout, redis_url, unique_key};
use tether_tests::{probe, within};

/// Which variant of the adapter the nodes use.
#[derive(Clone, Copy)]
enum Mode {
    /// Pub/sub with patterns: Node's `createAdapter`.
    Classic,
    /// Sharded pub/sub: Node's `createShardedAdapter`.
    Sharded,
}

/// A Node.js socket.io server with the Redis adapter, sharing channel prefix `key`;
/// returns once its adapter listens.
async fn node_server(key: &str, mode: Mode) -> NodeServer {
    let env = [
        ("REDIS_URL", redis_url()),
        ("KEY", key.to_owned()),
        ("SHARDED", matches!(mode, Mode::Sharded).to_string()),
    ];
    tokio::task::spawn_blocking(move || {
        NodeServer::start("node-redis-server.mjs", "@socket.io/redis-adapter", &env)
    })
    .await
    .expect("the Node.js server starts")
}

/// A tether node on channel prefix `key`, its handlers set up by `setup`.
async fn tether_node(key: &str, mode: Mode, setup: impl FnOnce(&Server)) -> RedisNode {
    let config = RedisConfig::new(redis_url()).with_key(key);
    let config = match mode {
        Mode::Classic => config,
        Mode::Sharded => config.with_sharded(),
    };
    RedisNode::start_with(config, setup).await
}

/// The tether node's handlers, as the Node.js server's.
fn handlers(io: &Server) {
    join_and_shout(&io.main());
}

/// Asks the Node.js server, through `client`, for a broadcast.
async fn node_broadcast(client: &Client, spec: serde_json::Value) {
    let () = within(client.emit_with_ack("broadcast", &spec))
        .await
        .expect("broadcast acknowledged");
}

fn json_values(value: serde_json::Value) -> Vec<Value> {
    let serde_json::Value::Array(items) = value else {
        panic!("an array")
    };
    items
        .into_iter()
        .map(|item| tether::protocol::to_value(&item).unwrap())
        .collect()
}

#[tokio::test]
async fn tether_broadcasts_reach_node_clients() {
    tether_broadcasts_reach_node_clients_in(Mode::Classic).await;
}

#[tokio::test]
async fn tether_broadcasts_reach_node_clients_sharded() {
    tether_broadcasts_reach_node_clients_in(Mode::Sharded).await;
}

async fn tether_broadcasts_reach_node_clients_in(mode: Mode) {
    let key = unique_key("node-out");
    let tether = tether_node(&key, mode, handlers).await;
    let node = node_server(&key, mode).await;
    let (red, mut seen_red) = client(node.url()).await;
    let (_other, mut seen_other) = client(node.url()).await;
    join(&red, "red").await;

    let io = tether.io();
    io.emit("everyone", &("hi", Bytes::from_static(&[1, 2, 3]), 1.5))
        .unwrap();
    io.to("red").emit("to red", &()).unwrap();
    io.except("red").emit("except red", &()).unwrap();
    io.local().emit("local", &()).unwrap();
    io.emit("marker", &()).unwrap();

    let mut expected = json_values(json!(["hi", null, 1.5]));
    expected[1] = Value::Binary(Bytes::from_static(&[1, 2, 3]));
    assert_eq!(
        seen_red.next().await,
        ("everyone".to_owned(), expected.clone())
    );
    assert_eq!(seen_other.next().await, ("everyone".to_owned(), expected));
    assert_eq!(
        event_names_until(&mut seen_red, "marker").await,
        ["to red", "marker"]
    );
    assert_eq!(
        event_names_until(&mut seen_other, "marker").await,
        ["except red", "marker"]
    );

    // A tether socket's broadcast reaches every Node.js client.
    let (shouter, _) = client(&tether.url()).await;
    shouter.emit("shout", &"from tether").unwrap();
    let shouted = (
        "shouted".to_owned(),
        vec![Value::String("from tether".to_owned())],
    );
    assert_eq!(seen_red.next().await, shouted);
    assert_eq!(seen_other.next().await, shouted);
    tether.stop().await;
}

#[tokio::test]
async fn node_broadcasts_reach_tether_clients() {
    node_broadcasts_reach_tether_clients_in(Mode::Classic).await;
}

#[tokio::test]
async fn node_broadcasts_reach_tether_clients_sharded() {
    node_broadcasts_reach_tether_clients_in(Mode::Sharded).await;
}

async fn node_broadcasts_reach_tether_clients_in(mode: Mode) {
    let key = unique_key("node-in");
    let tether = tether_node(&key, mode, handlers).await;
    let node = node_server(&key, mode).await;
    let (red, mut seen_red) = client(&tether.url()).await;
    let (_other, mut seen_other) = client(&tether.url()).await;
    join(&red, "red").await;
    let (controller, mut seen_controller) = client(node.url()).await;

    node_broadcast(
        &controller,
        json!({ "event": "everyone", "args": ["hey", { "n": 1.5, "list": [1, -2] }], "binary": true }),
    )
    .await;
    node_broadcast(&controller, json!({ "event": "to red", "to": "red" })).await;
    node_broadcast(
        &controller,
        json!({ "event": "except red", "except": "red" }),
    )
    .await;
    let red_id = red.id().expect("connected");
    node_broadcast(&controller, json!({ "event": "to red's id", "to": red_id })).await;
    node_broadcast(&controller, json!({ "event": "marker" })).await;

    let mut expected = json_values(json!(["hey", { "n": 1.5, "list": [1, -2] }, null]));
    expected[2] = Value::Binary(Bytes::from_static(&[1, 2, 3]));
    assert_eq!(
        seen_red.next().await,
        ("everyone".to_owned(), expected.clone())
    );
    assert_eq!(seen_other.next().await, ("everyone".to_owned(), expected));
    assert_eq!(
        event_names_until(&mut seen_red, "marker").await,
        ["to red", "to red's id", "marker"]
    );
    assert_eq!(
        event_names_until(&mut seen_other, "marker").await,
        ["except red", "marker"]
    );

    // A Node.js socket's broadcast reaches every tether client, not its sender.
    controller.emit("shout", &"from node").unwrap();
    let shouted = (
        "shouted".to_owned(),
        vec![Value::String("from node".to_owned())],
    );
    assert_eq!(seen_red.next().await, shouted);
    assert_eq!(seen_other.next().await, shouted);
    assert_eq!(
        event_names_until(&mut seen_controller, "marker").await,
        ["everyone", "except red", "marker"]
    );
    node_broadcast(&controller, json!({ "event": "marker" })).await;
    assert_eq!(
        event_names_until(&mut seen_controller, "marker").await,
        ["marker"]
    );
    tether.stop().await;
}

#[tokio::test]
async fn server_side_events_cross_both_ways() {
    server_side_events_cross_both_ways_in(Mode::Classic).await;
}

#[tokio::test]
async fn server_side_events_cross_both_ways_sharded() {
    server_side_events_cross_both_ways_in(Mode::Sharded).await;
}

async fn server_side_events_cross_both_ways_in(mode: Mode) {
    let key = unique_key("node-server-side");
    let (report, mut from_node) = probe();
    let tether = tether_node(&key, mode, |io: &Server| {
        handlers(io);
        io.on_server_event("from node", move |args: Args| {
            let report = report.clone();
            async move { report.send(args.decode::<String>(0).unwrap_or_default()) }
        });
    })
    .await;
    let node = node_server(&key, mode).await;
    let (controller, mut seen) = client(node.url()).await;

    tether
        .io()
        .server_side_emit("hello", &("from tether", 7))
        .unwrap();
    assert_eq!(
        seen.next().await,
        (
            "server said".to_owned(),
            json_values(json!(["from tether", 7]))
        )
    );
    controller.emit("tell servers", &"from node").unwrap();
    assert_eq!(from_node.next().await, "from node");
    tether.stop().await;
}
