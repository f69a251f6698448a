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
use tether::server::Server;
use tether_tests::client::{Seen, values_client as client};
use tether_tests::cluster::{self, expect_before_marker, node_broadcast, report_server_event};
use tether_tests::node::NodeServer;
use tether_tests::probe;
use tether_tests::redis::{
    RedisNode, Variant, join, join_and_shout_on_main, redis_url, unique_key,
};

fn json_values(value: serde_json::Value) -> Vec<Value> {
    let serde_json::Value::Array(items) = value else {
        panic!("an array")
    };
    items
        .into_iter()
        .map(|item| tether::protocol::to_value(&item).unwrap())
        .collect()
}

/// Asserts that the next event each of `seen` reports is `name` with `args`.
async fn expect_each(seen: [&mut Seen; 2], name: &str, args: Vec<Value>) {
    for seen in seen {
        assert_eq!(seen.next().await, (name.to_owned(), args.clone()));
    }
}

/// A tether node of `variant` with `join` and `shout`, and a Node.js node, on a
/// channel prefix named after `test`.
async fn tether_and_node(variant: Variant, test: &str) -> (RedisNode, NodeServer) {
    let key = unique_key(test);
    let tether = variant
        .node(&redis_url(), &key, join_and_shout_on_main)
        .await;
    (tether, variant.node_js(&key).await)
}

classic_and_sharded!(tether_broadcasts_reach_node_clients);
async fn tether_broadcasts_reach_node_clients(variant: Variant) {
    let (tether, node) = tether_and_node(variant, "node-out").await;
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
    expect_each([&mut seen_red, &mut seen_other], "everyone", expected).await;
    expect_before_marker(&mut seen_red, &["to red"]).await;
    expect_before_marker(&mut seen_other, &["except red"]).await;

    // A tether socket's broadcast reaches every Node.js client.
    let (shouter, _) = client(&tether.url()).await;
    shouter.emit("shout", &"from tether").unwrap();
    let shouted = vec![Value::String("from tether".to_owned())];
    expect_each([&mut seen_red, &mut seen_other], "shouted", shouted).await;
    tether.stop().await;
}

classic_and_sharded!(node_broadcasts_reach_tether_clients);
async fn node_broadcasts_reach_tether_clients(variant: Variant) {
    let (tether, node) = tether_and_node(variant, "node-in").await;
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
    expect_each([&mut seen_red, &mut seen_other], "everyone", expected).await;
    expect_before_marker(&mut seen_red, &["to red", "to red's id"]).await;
    expect_before_marker(&mut seen_other, &["except red"]).await;

    // A Node.js socket's broadcast reaches every tether client, not its sender.
    controller.emit("shout", &"from node").unwrap();
    let shouted = vec![Value::String("from node".to_owned())];
    expect_each([&mut seen_red, &mut seen_other], "shouted", shouted).await;
    expect_before_marker(&mut seen_controller, &["everyone", "except red"]).await;
    node_broadcast(&controller, json!({ "event": "marker" })).await;
    expect_before_marker(&mut seen_controller, &[]).await;
    tether.stop().await;
}

classic_and_sharded!(server_side_events_cross_both_ways);
async fn server_side_events_cross_both_ways(variant: Variant) {
    let key = unique_key("node-server-side");
    let (report, mut from_node) = probe();
    let tether = variant
        .node(&redis_url(), &key, |io: &Server| {
            join_and_shout_on_main(io);
            report_server_event(io, "from node", report);
        })
        .await;
    let node = variant.node_js(&key).await;
    cluster::server_side_events_cross_both_ways(tether.io(), node.url(), &mut from_node).await;
    tether.stop().await;
}
