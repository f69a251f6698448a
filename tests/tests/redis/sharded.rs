//! Tether nodes sharing broadcasts through Redis sharded pub/sub
//! (`RedisConfig::with_sharded`: `SPUBLISH`/`SSUBSCRIBE`, the format of Node's
//! `createShardedAdapter`): everyone, rooms and exclusions; a namespace created
//! after the nodes started; server-side events; a Redis restarted mid-test, after
//! which the nodes subscribe again.

use serde_json::Value;
use tether::adapter::redis::RedisConfig;
use tether::server::Server;
use tether_tests::client::reporting_client;
use tether_tests::cluster::{expect_before_marker, report_server_event};
use tether_tests::probe;
use tether_tests::redis::{
    RedisNode, Variant, join, join_and_shout_on_main, redis_url, unique_key,
};

async fn node(url: &str, key: &str) -> RedisNode {
    Variant::Sharded
        .node(url, key, join_and_shout_on_main)
        .await
}

#[tokio::test]
async fn broadcasts_rooms_and_late_namespaces_cross_nodes() {
    let key = unique_key("sharded");
    let (a, b) = (
        node(&redis_url(), &key).await,
        node(&redis_url(), &key).await,
    );
    let (red, _, mut seen_red) = reporting_client(&a.url()).await;
    let (_other, _, mut seen_other) = reporting_client(&a.url()).await;
    join(&red, "red").await;

    let io = b.io();
    io.emit("everyone", &Value::Null).unwrap();
    io.to("red").emit("to red", &()).unwrap();
    io.except("red").emit("except red", &()).unwrap();
    io.local().emit("local", &()).unwrap();
    io.emit("marker", &()).unwrap();
    expect_before_marker(&mut seen_red, &["everyone", "to red"]).await;
    expect_before_marker(&mut seen_other, &["everyone", "except red"]).await;

    // A namespace both nodes open now gets a channel of its own.
    for node in [&a, &b] {
        node.io().of("/late");
        node.wait_subscribed().await;
    }
    let (_late, _, mut seen_late) = reporting_client(&format!("{}/late", a.url())).await;
    b.io().of("/late").emit("late news", &()).unwrap();
    assert_eq!(seen_late.next().await, "late news");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn server_side_events_cross_nodes() {
    let key = unique_key("sharded-server-side");
    let (report, mut heard) = probe();
    let config = RedisConfig::new(redis_url()).with_key(&key).with_sharded();
    let a = RedisNode::start_with(config.clone(), |io: &Server| {
        report_server_event(io, "hello", report);
    })
    .await;
    let b = RedisNode::start_with(config, join_and_shout_on_main).await;
    b.io().server_side_emit("hello", &"from b").unwrap();
    assert_eq!(heard.next().await, "from b");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_redis_restart_is_survived() {
    let (mut redis, a, b) = Variant::Sharded
        .private_pair("sharded-outage", join_and_shout_on_main)
        .await;
    let (_on_a, _, mut seen_a) = reporting_client(&a.url()).await;

    redis.stop();
    a.wait_unsubscribed().await;
    redis.restart().await;
    a.expect_broadcasts_from(&b, &mut seen_a).await;
    a.stop().await;
    b.stop().await;
}
