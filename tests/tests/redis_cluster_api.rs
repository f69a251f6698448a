//! The cluster operations over Redis, between two tether nodes and a Node.js
//! socket.io 4.8 server with `@socket.io/redis-adapter` 8.3 on one Redis
//! (`REDIS_URL`, else `redis://127.0.0.1:6379`), official-protocol clients on
//! each: `fetchSockets`, `allRooms`, `socketsJoin`, `socketsLeave` and
//! `disconnectSockets` started from a tether node and from the Node.js node reach
//! exactly the selected sockets of every node; `serverSideEmitWithAck` gathers
//! one answer from every other node, either way; a node that never answers costs
//! the asker its timeout; a Redis outage makes requests fail at once. Each test
//! runs with the classic adapter and with the sharded one.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value as Json, json};
use tether::adapter::ClusterError;
use tether::client::Client;
use tether::server::Server;
use tether_tests::client::{names_until, reporting_client};
use tether_tests::redis::{
    RedisNode, RedisProcess, Variant, join, join_and_shout, redis_url, unique_key,
};
use tether_tests::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `join` and `shout`, cluster data `{from: "tether"}` on every socket, and the
/// server-side event `who(x)` answered with `{from: "tether", x}`.
fn handlers(io: &Server) {
    join_and_shout(&io.main());
    io.main()
        .on_connection(|socket: tether::server::Socket| async move {
            socket
                .set_cluster_data(&json!({ "from": "tether" }))
                .expect("JSON");
        });
    io.main()
        .on_server_event_with_ack("who", |args: tether::protocol::Args| async move {
            json!({ "from": "tether", "x": args.decode::<Json>(0).unwrap_or_default() })
        });
}

/// Runs a cluster operation on the Node.js server through its client.
async fn node_cluster(client: &Client, spec: Json) -> Json {
    let answer: Json = within(client.emit_with_ack("cluster", &spec))
        .await
        .expect("the Node.js server answers");
    assert!(answer.get("error").is_none(), "Node.js failed: {answer}");
    answer
}

fn ids(sockets: &[tether::server::RemoteSocket]) -> BTreeSet<String> {
    sockets
        .iter()
        .map(|socket| socket.id().to_owned())
        .collect()
}

fn node_ids(answer: &Json) -> BTreeSet<String> {
    answer
        .as_array()
        .expect("an array of sockets")
        .iter()
        .map(|socket| socket["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn set<const N: usize>(items: [&String; N]) -> BTreeSet<String> {
    items.into_iter().cloned().collect()
}

#[tokio::test]
async fn queries_from_either_side_see_every_node() {
    queries_from_either_side_see_every_node_in(Variant::Classic).await;
}

#[tokio::test]
async fn queries_from_either_side_see_every_node_sharded() {
    queries_from_either_side_see_every_node_in(Variant::Sharded).await;
}

async fn queries_from_either_side_see_every_node_in(variant: Variant) {
    let key = unique_key("cluster-queries");
    let a = variant.node(&redis_url(), &key, handlers).await;
    let b = variant.node(&redis_url(), &key, handlers).await;
    let node = variant.node_js(&key).await;
    let (_on_a, a_id, _) = reporting_client(&a.url()).await;
    let (on_b, b_id, _) = reporting_client(&b.url()).await;
    let (on_node, n_id, _) = reporting_client(node.url()).await;
    join(&on_b, "red").await;
    join(&on_node, "red").await;

    // From a tether node.
    let all = a.io().main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&all), set([&a_id, &b_id, &n_id]));
    assert_eq!(all.len(), 3, "each socket once");
    let red = a.io().to("red").fetch_sockets().await.unwrap();
    assert_eq!(ids(&red), set([&b_id, &n_id]));
    let from_node = red.iter().find(|socket| socket.id() == n_id).unwrap();
    assert_eq!(from_node.rooms(), [n_id.clone(), "red".to_owned()]);
    assert_eq!(from_node.handshake()["query"]["EIO"], "4");
    assert_eq!(from_node.data(), &json!({ "from": "node" }));
    let from_b = red.iter().find(|socket| socket.id() == b_id).unwrap();
    assert_eq!(from_b.data(), &json!({ "from": "tether" }));
    let not_red = a.io().except("red").fetch_sockets().await.unwrap();
    assert_eq!(ids(&not_red), set([&a_id]));
    let rooms: BTreeSet<String> = a
        .io()
        .main()
        .all_rooms()
        .await
        .unwrap()
        .iter()
        .map(|room| room.as_str().to_owned())
        .collect();
    for room in ["red", &a_id, &b_id, &n_id] {
        assert!(rooms.contains(room), "{room} missing from {rooms:?}");
    }

    // From the Node.js node: tether nodes are counted and answer.
    let all = node_cluster(&on_node, json!({ "op": "fetch" })).await;
    assert_eq!(node_ids(&all), set([&a_id, &b_id, &n_id]));
    let red = node_cluster(&on_node, json!({ "op": "fetch", "to": "red" })).await;
    assert_eq!(node_ids(&red), set([&b_id, &n_id]));
    let b_seen = red
        .as_array()
        .unwrap()
        .iter()
        .find(|socket| socket["id"] == b_id.as_str())
        .unwrap();
    assert_eq!(b_seen["rooms"], json!([b_id, "red"]));
    assert_eq!(b_seen["data"], json!({ "from": "tether" }));
    if variant == Variant::Sharded {
        // Node's sharded adapter has no `allRooms`.
        a.stop().await;
        b.stop().await;
        return;
    }
    let rooms = node_cluster(&on_node, json!({ "op": "allRooms" })).await;
    let rooms: BTreeSet<&str> = rooms
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Json::as_str)
        .collect();
    for room in ["red", &a_id, &b_id, &n_id] {
        assert!(rooms.contains(room), "{room} missing from {rooms:?}");
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn commands_from_tether_reach_tether_and_node_sockets() {
    commands_from_tether_reach_tether_and_node_sockets_in(Variant::Classic).await;
}

#[tokio::test]
async fn commands_from_tether_reach_tether_and_node_sockets_sharded() {
    commands_from_tether_reach_tether_and_node_sockets_in(Variant::Sharded).await;
}

async fn commands_from_tether_reach_tether_and_node_sockets_in(variant: Variant) {
    let key = unique_key("cluster-commands");
    let a = variant.node(&redis_url(), &key, handlers).await;
    let b = variant.node(&redis_url(), &key, handlers).await;
    let node = variant.node_js(&key).await;
    let (_on_a, _, mut seen_a) = reporting_client(&a.url()).await;
    let (on_b, _, mut seen_b) = reporting_client(&b.url()).await;
    let (on_node, n_id, mut seen_n) = reporting_client(node.url()).await;

    a.io()
        .main()
        .broadcast()
        .sockets_join("blue")
        .await
        .unwrap();
    a.io().to("blue").emit("to blue", &()).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    for seen in [&mut seen_a, &mut seen_b, &mut seen_n] {
        assert_eq!(names_until(seen, "marker").await, ["to blue", "marker"]);
    }

    a.io()
        .to(n_id.as_str())
        .sockets_leave("blue")
        .await
        .unwrap();
    a.io().to("blue").emit("blue again", &()).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    assert_eq!(
        names_until(&mut seen_b, "marker").await,
        ["blue again", "marker"]
    );
    assert_eq!(
        names_until(&mut seen_n, "marker").await,
        ["marker"],
        "left blue"
    );

    // A socket fetched from the Node.js node, reached through it.
    let fetched = a.io().to(n_id.as_str()).fetch_sockets().await.unwrap();
    let [remote] = fetched.as_slice() else {
        panic!("one socket, got {fetched:?}")
    };
    remote.emit("direct", &"hello").unwrap();
    remote.join("green").await.unwrap();
    a.io().to("green").emit("to green", &()).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    assert_eq!(
        names_until(&mut seen_n, "marker").await,
        ["direct", "to green", "marker"]
    );
    assert_eq!(names_until(&mut seen_b, "marker").await, ["marker"]);

    a.io().to("blue").disconnect_sockets(false).await.unwrap();
    within(on_b.disconnected()).await;
    assert!(on_node.state().is_connected(), "not in blue any more");
    let left = a.io().main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&left), set([&n_id]), "a's own client was in blue too");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn commands_from_node_reach_tether_sockets() {
    commands_from_node_reach_tether_sockets_in(Variant::Classic).await;
}

#[tokio::test]
async fn commands_from_node_reach_tether_sockets_sharded() {
    commands_from_node_reach_tether_sockets_in(Variant::Sharded).await;
}

async fn commands_from_node_reach_tether_sockets_in(variant: Variant) {
    let key = unique_key("cluster-node-commands");
    let a = variant.node(&redis_url(), &key, handlers).await;
    let node = variant.node_js(&key).await;
    let (on_a, a_id, mut seen_a) = reporting_client(&a.url()).await;
    let (_other_on_a, other_id, mut seen_other) = reporting_client(&a.url()).await;
    let (on_node, _, _) = reporting_client(node.url()).await;

    node_cluster(
        &on_node,
        json!({ "op": "join", "to": a_id, "rooms": ["green"] }),
    )
    .await;
    // The join reached the tether node before this fetch did (one Redis
    // connection, in order).
    let green = node_cluster(&on_node, json!({ "op": "fetch", "to": "green" })).await;
    assert_eq!(node_ids(&green), set([&a_id]));
    a.io().to("green").emit("to green", &()).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    assert_eq!(
        names_until(&mut seen_a, "marker").await,
        ["to green", "marker"]
    );
    assert_eq!(names_until(&mut seen_other, "marker").await, ["marker"]);

    node_cluster(
        &on_node,
        json!({ "op": "leave", "to": a_id, "rooms": ["green"] }),
    )
    .await;
    let green = node_cluster(&on_node, json!({ "op": "fetch", "to": "green" })).await;
    assert_eq!(node_ids(&green), BTreeSet::new());

    node_cluster(
        &on_node,
        json!({ "op": "disconnect", "except": other_id, "close": true }),
    )
    .await;
    within(on_a.disconnected()).await;
    let left = a.io().main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&left), set([&other_id]));
    a.stop().await;
}

/// Subscribes (with `command`, `SUBSCRIBE` or `SSUBSCRIBE`) a connection that
/// never answers to `channel`, as a node that died mid-request looks to the
/// others; it lives as long as the returned stream.
async fn silent_subscriber(redis: &str, command: &str, channel: &str) -> tokio::net::TcpStream {
    let authority = redis.trim_start_matches("redis://");
    let authority = authority.split('/').next().unwrap();
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let command = format!(
        "*2\r\n${}\r\n{command}\r\n${}\r\n{channel}\r\n",
        command.len(),
        channel.len()
    );
    stream.write_all(command.as_bytes()).await.unwrap();
    let mut confirmation = [0u8; 64];
    let read = within(stream.read(&mut confirmation)).await.unwrap();
    assert!(
        String::from_utf8_lossy(&confirmation[..read]).contains("subscribe"),
        "subscribed"
    );
    stream
}

#[tokio::test]
async fn a_node_that_never_answers_costs_the_asker_its_timeout() {
    a_node_that_never_answers_costs_the_asker_its_timeout_in(Variant::Classic).await;
}

#[tokio::test]
async fn a_node_that_never_answers_costs_the_asker_its_timeout_sharded() {
    a_node_that_never_answers_costs_the_asker_its_timeout_in(Variant::Sharded).await;
}

async fn a_node_that_never_answers_costs_the_asker_its_timeout_in(variant: Variant) {
    let key = unique_key("cluster-timeout");
    let timeout = Duration::from_millis(400);
    let config = variant
        .config(&redis_url(), &key)
        .with_requests_timeout(timeout);
    let a = RedisNode::start_with(config, handlers).await;
    let b = variant.node(&redis_url(), &key, handlers).await;
    let (_on_b, b_id, _) = reporting_client(&b.url()).await;
    let (command, channel) = match variant {
        Variant::Classic => ("SUBSCRIBE", format!("{key}-request#/#")),
        Variant::Sharded => ("SSUBSCRIBE", format!("{key}#/#")),
    };
    let _dead = silent_subscriber(&redis_url(), command, &channel).await;

    let started = tokio::time::Instant::now();
    let error = a.io().main().fetch_sockets().await.unwrap_err();
    assert_eq!(
        error,
        ClusterError::Timeout {
            answered: 1,
            expected: 2,
            timeout
        }
    );
    assert!(started.elapsed() >= timeout);
    // Commands do not wait for answers.
    a.io().main().broadcast().sockets_join("x").await.unwrap();
    drop(_dead);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match a.io().main().fetch_sockets().await {
            Ok(sockets) => {
                assert_eq!(ids(&sockets), set([&b_id]));
                break;
            }
            Err(_) if tokio::time::Instant::now() < deadline => continue,
            Err(error) => panic!("the dead subscriber is still counted: {error}"),
        }
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn requests_fail_at_once_while_redis_is_down_and_work_again_after() {
    requests_fail_at_once_while_redis_is_down_and_work_again_after_in(Variant::Classic).await;
}

#[tokio::test]
async fn requests_fail_at_once_while_redis_is_down_and_work_again_after_sharded() {
    requests_fail_at_once_while_redis_is_down_and_work_again_after_in(Variant::Sharded).await;
}

async fn requests_fail_at_once_while_redis_is_down_and_work_again_after_in(variant: Variant) {
    let binary = RedisProcess::binary().expect(
        "no redis-server binary: install Debian's redis-server (scripts/test-all.sh does) or set REDIS_SERVER",
    );
    let port = RedisProcess::free_port();
    let redis = RedisProcess::start(&binary, port).await;
    let key = unique_key("cluster-outage");
    let a = variant.node(&redis.url(), &key, handlers).await;
    let b = variant.node(&redis.url(), &key, handlers).await;
    let (_on_b, b_id, _) = reporting_client(&b.url()).await;
    let (_on_a, a_id, mut seen_a) = reporting_client(&a.url()).await;
    assert_eq!(
        ids(&a.io().main().fetch_sockets().await.unwrap()),
        set([&a_id, &b_id])
    );

    let mut a_state = a.adapter.subscription();
    drop(redis);
    within(a_state.wait_for(|subscribed| !subscribed))
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let error = a.io().main().fetch_sockets().await.unwrap_err();
    assert!(
        matches!(error, ClusterError::Unavailable(_)),
        "unexpected {error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "failed only after {:?}",
        started.elapsed()
    );
    // Commands fail at once too, once the publisher saw the outage; this node's
    // sockets are served all the same.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let asked = tokio::time::Instant::now();
        let joined = a.io().main().broadcast().sockets_join("outage").await;
        assert!(asked.elapsed() < Duration::from_secs(1), "a command waited");
        match joined {
            Err(ClusterError::Unavailable(_)) => break,
            Ok(()) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("a command during the outage: {other:?}"),
        }
    }
    a.io().to("outage").emit("local", &()).unwrap();
    assert_eq!(names_until(&mut seen_a, "local").await, ["local"]);
    let asked = tokio::time::Instant::now();
    let answers = a
        .io()
        .main()
        .server_side_emit_with_ack::<Json, _>("who", &1)
        .await;
    assert!(
        matches!(
            answers,
            Err(tether::server::ServerSideAckError::Cluster(
                ClusterError::Unavailable(_)
            ))
        ),
        "unexpected {answers:?}"
    );
    assert!(asked.elapsed() < Duration::from_secs(1));
    // A broadcast with acknowledgements says at once that the other nodes are
    // out of reach; this node's silent socket times out later.
    let mut acks = a
        .io()
        .timeout(Duration::from_secs(3))
        .emit_with_ack::<Json, _>("question", &());
    let first = tokio::time::timeout(
        Duration::from_secs(1),
        futures_util::StreamExt::next(&mut acks),
    )
    .await
    .expect("the outage is reported before the timeout");
    assert!(
        matches!(
            first,
            Some((
                None,
                Err(tether::server::AckError::Cluster(
                    ClusterError::Unavailable(_)
                ))
            ))
        ),
        "unexpected {first:?}"
    );

    let _redis = RedisProcess::start(&binary, port).await;
    a.wait_subscribed().await;
    b.wait_subscribed().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match a.io().main().fetch_sockets().await {
            Ok(sockets) if ids(&sockets) == set([&a_id, &b_id]) => break,
            _ if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("the cluster did not heal: {other:?}"),
        }
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn server_side_events_with_answers_cross_both_ways() {
    server_side_events_with_answers_cross_both_ways_in(Variant::Classic).await;
}

#[tokio::test]
async fn server_side_events_with_answers_cross_both_ways_sharded() {
    server_side_events_with_answers_cross_both_ways_in(Variant::Sharded).await;
}

async fn server_side_events_with_answers_cross_both_ways_in(variant: Variant) {
    let key = unique_key("cluster-server-ack");
    let a = variant.node(&redis_url(), &key, handlers).await;
    let b = variant.node(&redis_url(), &key, handlers).await;
    let node = variant.node_js(&key).await;
    let (on_node, _, _) = reporting_client(node.url()).await;

    let mut answers: Vec<Json> = a
        .io()
        .main()
        .server_side_emit_with_ack("who", &7)
        .await
        .unwrap();
    answers.sort_by_key(|answer| answer["from"].to_string());
    assert_eq!(
        answers,
        [
            json!({ "from": "node", "x": 7 }),
            json!({ "from": "tether", "x": 7 })
        ]
    );

    let answers: Json = within(on_node.emit_with_ack("ask servers", &"hi"))
        .await
        .expect("the Node.js server answers");
    assert_eq!(
        answers,
        json!([
            { "from": "tether", "x": "hi" },
            { "from": "tether", "x": "hi" }
        ]),
        "both tether nodes are counted and answer"
    );
    a.stop().await;
    b.stop().await;
}
