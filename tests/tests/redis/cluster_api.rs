//! The cluster operations over Redis, between two tether nodes and a Node.js
//! socket.io 4.8 server with `@socket.io/redis-adapter` 8.3 on one Redis
//! (`REDIS_URL`, else `redis://127.0.0.1:6379`), official-protocol clients on
//! each: `fetchSockets`, `allRooms`, `socketsJoin`, `socketsLeave` and
//! `disconnectSockets` started from a tether node and from the Node.js node reach
//! exactly the selected sockets of every node; `serverSideEmitWithAck` gathers
//! one answer from every other node, either way; a node that never answers costs
//! the asker its timeout; a Redis outage makes requests fail at once. Each test
//! runs with the classic adapter and with the sharded one; the scenarios shared
//! with the other adapters are in `tests/src/cluster.rs`.

use std::time::Duration;

use serde_json::Value as Json;
use tether::adapter::ClusterError;
use tether_tests::client::{names_until, reporting_client};
use tether_tests::cluster::{handlers, ids, set};
use tether_tests::redis::{RedisNode, RedisProcess, Variant, redis_url, unique_key};
use tether_tests::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The scenarios every adapter passes, with the classic adapter.
mod classic {
    tether_tests::cluster_scenario_tests!(|test| tether_tests::redis::Variant::Classic.trio(test));
}

/// The scenarios every adapter passes, with the sharded adapter.
mod sharded {
    tether_tests::cluster_scenario_tests!(|test| tether_tests::redis::Variant::Sharded.trio(test));
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

classic_and_sharded!(a_node_that_never_answers_costs_the_asker_its_timeout);
async fn a_node_that_never_answers_costs_the_asker_its_timeout(variant: Variant) {
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

classic_and_sharded!(requests_fail_at_once_while_redis_is_down_and_work_again_after);
async fn requests_fail_at_once_while_redis_is_down_and_work_again_after(variant: Variant) {
    let mut redis = RedisProcess::start_private().await;
    let key = unique_key("cluster-outage");
    let a = variant.node(&redis.url(), &key, handlers).await;
    let b = variant.node(&redis.url(), &key, handlers).await;
    let (_on_b, b_id, _) = reporting_client(&b.url()).await;
    let (_on_a, a_id, mut seen_a) = reporting_client(&a.url()).await;
    assert_eq!(
        ids(&a.io().main().fetch_sockets().await.unwrap()),
        set([&a_id, &b_id])
    );

    redis.stop();
    a.wait_unsubscribed().await;
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

    redis.restart().await;
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

classic_and_sharded!(a_fetched_socket_shows_the_handshake_its_node_shows);
/// What another node reads of a socket (its handshake written straight to
/// JSON by the classic adapter, built as a value by the sharded one) is what the
/// socket's own node shows: repeated headers joined, repeated query parameters
/// as lists, escapes decoded, the auth payload as it came.
async fn a_fetched_socket_shows_the_handshake_its_node_shows(variant: Variant) {
    let key = unique_key("cluster-handshake");
    let a = variant.node(&redis_url(), &key, handlers).await;
    let b = variant.node(&redis_url(), &key, handlers).await;
    let client = tether_tests::cluster::client_with_a_rich_handshake(&b.url()).await;
    let id = client.id().expect("an id once connected");

    let found = a.io().main().fetch_sockets().await.unwrap();
    tether_tests::cluster::assert_fetched_as_shown(&found, &b.server, &id);
    drop(client);
    a.stop().await;
    b.stop().await;
}
