//! Tether nodes sharing broadcasts through Redis sharded pub/sub
//! (`RedisConfig::with_sharded`: `SPUBLISH`/`SSUBSCRIBE`, the format of Node's
//! `createShardedAdapter`): everyone, rooms and exclusions; a namespace created
//! after the nodes started; server-side events; a Redis restarted mid-test, after
//! which the nodes subscribe again.

use serde_json::Value;
use tether::adapter::redis::RedisConfig;
use tether::protocol::Args;
use tether::server::Server;
use tether_tests::client::{names_until, reporting_client};
use tether_tests::redis::{RedisNode, RedisProcess, join, join_and_shout, redis_url, unique_key};
use tether_tests::{probe, within};

fn handlers(io: &Server) {
    join_and_shout(&io.main());
}

async fn node(url: &str, key: &str) -> RedisNode {
    RedisNode::start_with(RedisConfig::new(url).with_key(key).with_sharded(), handlers).await
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
    assert_eq!(
        names_until(&mut seen_red, "marker").await,
        ["everyone", "to red", "marker"]
    );
    assert_eq!(
        names_until(&mut seen_other, "marker").await,
        ["everyone", "except red", "marker"]
    );

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
        io.on_server_event("hello", move |args: Args| {
            let report = report.clone();
            async move { report.send(args.decode::<String>(0).unwrap_or_default()) }
        });
    })
    .await;
    let b = RedisNode::start_with(config, handlers).await;
    b.io().server_side_emit("hello", &"from b").unwrap();
    assert_eq!(heard.next().await, "from b");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_redis_restart_is_survived() {
    let binary = RedisProcess::binary().expect(
        "no redis-server binary: install Debian's redis-server (scripts/test-all.sh does) or set REDIS_SERVER",
    );
    let port = RedisProcess::free_port();
    let redis = RedisProcess::start(&binary, port).await;
    let key = unique_key("sharded-outage");
    let (a, b) = (
        node(&redis.url(), &key).await,
        node(&redis.url(), &key).await,
    );
    let (_on_a, _, mut seen_a) = reporting_client(&a.url()).await;

    let mut a_state = a.adapter.subscription();
    drop(redis);
    within(a_state.wait_for(|subscribed| !subscribed))
        .await
        .unwrap();
    let redis = RedisProcess::start(&binary, port).await;
    a.wait_subscribed().await;
    b.wait_subscribed().await;
    b.io().emit("after", &()).unwrap();
    assert_eq!(names_until(&mut seen_a, "after").await, ["after"]);
    a.stop().await;
    b.stop().await;
    drop(redis);
}
