//! The cluster operations over Postgres, between two tether nodes and a Node.js
//! socket.io 4.8 server with `@socket.io/postgres-adapter` 0.5 on one database
//! (see `tether_tests::postgres`), official-protocol clients on each: the
//! scenarios of `tether_tests::cluster` (`fetchSockets`, `allRooms`,
//! `socketsJoin`, `socketsLeave`, `disconnectSockets`, `serverSideEmitWithAck`
//! and `emitWithAck` started from either side reach exactly the selected sockets
//! of every node); a node killed mid-request costs the asker its timeout;
//! requests fail at once while the database is unreachable.

use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tether::adapter::ClusterError;
use tether::adapter::postgres::{PostgresAdapter, PostgresConfig};
use tether::server::Server;
use tether_tests::cluster::{self, handlers};
use tether_tests::node::NodeServer;
use tether_tests::postgres::{PostgresNode, config, node_postgres_server, unique_prefix};
use tether_tests::within;

/// Two tether nodes and a Node.js node on channel prefix `prefix`, each tether
/// node knowing the other two.
async fn start(prefix: &str) -> (PostgresNode, PostgresNode, NodeServer) {
    let a = PostgresNode::start(config(prefix), handlers).await;
    let b = PostgresNode::start(config(prefix), handlers).await;
    let node = node_postgres_server(prefix).await;
    a.wait_for_nodes(2).await;
    b.wait_for_nodes(2).await;
    (a, b, node)
}

#[tokio::test]
async fn queries_from_either_side_see_every_node() {
    let (a, b, node) = start(&unique_prefix("queries")).await;
    // The Node.js Postgres adapter has no `allRooms` across nodes.
    cluster::queries_see_every_node(a.io(), [&a.url(), &b.url(), node.url()], false).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn commands_from_tether_reach_tether_and_node_sockets() {
    let (a, b, node) = start(&unique_prefix("commands")).await;
    cluster::commands_from_tether_reach_every_node(a.io(), [&a.url(), &b.url(), node.url()]).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn commands_from_node_reach_tether_sockets() {
    let prefix = unique_prefix("node_commands");
    let a = PostgresNode::start(config(&prefix), handlers).await;
    let node = node_postgres_server(&prefix).await;
    a.wait_for_nodes(1).await;
    cluster::commands_from_node_reach_tether(a.io(), &a.url(), node.url()).await;
    a.stop().await;
}

#[tokio::test]
async fn server_side_events_with_answers_cross_both_ways() {
    let (a, b, node) = start(&unique_prefix("server_ack")).await;
    cluster::server_side_acks_cross_both_ways(a.io(), node.url()).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn broadcasts_with_acks_gather_answers_from_every_node() {
    let (a, b, node) = start(&unique_prefix("acks")).await;
    cluster::broadcast_acks_gather_every_node(a.io(), [&a.url(), &b.url(), node.url()]).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_node_killed_mid_request_costs_the_asker_its_timeout() {
    let prefix = unique_prefix("killed");
    let timeout = Duration::from_millis(1500);
    let a = PostgresNode::start(config(&prefix).with_requests_timeout(timeout), handlers).await;
    let b = PostgresNode::start(config(&prefix), handlers).await;
    let node = node_postgres_server(&prefix).await;
    a.wait_for_nodes(2).await;

    // The Node.js node never answers `never`; it is killed while a waits.
    let main = a.io().main();
    let asking = main.server_side_emit_with_ack::<Json, _>("never", &());
    let started = Instant::now();
    let killer = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(node);
    };
    let (result, ()) = tokio::join!(asking, killer);
    let waited = started.elapsed();
    assert!(
        matches!(
            result,
            Err(tether::server::ServerSideAckError::Cluster(
                ClusterError::Timeout {
                    expected: 2,
                    answered: 0,
                    ..
                }
            ))
        ),
        "{result:?}"
    );
    assert!(
        waited >= timeout && waited < timeout + Duration::from_secs(2),
        "{waited:?}"
    );

    // b answers; the killed node is still counted until its heartbeats are missed.
    let result = a.io().main().fetch_sockets().await;
    assert!(
        matches!(
            result,
            Err(ClusterError::Timeout {
                expected: 2,
                answered: 1,
                ..
            })
        ),
        "{result:?}"
    );
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_node_that_falls_silent_is_no_longer_waited_for() {
    let prefix = unique_prefix("silent");
    let config = config(&prefix)
        .with_heartbeat(Duration::from_millis(300), Duration::from_secs(1))
        .with_requests_timeout(Duration::from_secs(8));
    let a = PostgresNode::start(config, handlers).await;
    let node = node_postgres_server(&prefix).await;
    a.wait_for_nodes(1).await;

    // Waiting for the Node.js node, which is killed: once its heartbeats are
    // missed for a second, the request completes without its answer.
    let main = a.io().main();
    let asking = main.server_side_emit_with_ack::<Json, _>("never", &());
    let started = Instant::now();
    let killer = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(node);
    };
    let (result, ()) = tokio::join!(within(asking), killer);
    assert_eq!(result.unwrap(), Vec::<Json>::new());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(a.adapter.nodes("/"), Vec::<String>::new());
    assert!(a.io().main().fetch_sockets().await.unwrap().is_empty());
    a.stop().await;
}

#[tokio::test]
async fn requests_fail_at_once_while_the_database_is_unreachable() {
    let port = tether_tests::redis::RedisProcess::free_port();
    let config = PostgresConfig::new(format!("postgres://postgres@127.0.0.1:{port}/none"))
        .with_reconnect(Duration::from_secs(3600), Duration::from_secs(3600));
    let adapter = PostgresAdapter::new(config).expect("a valid connection string");
    let io = Server::with_adapter(tether_tests::sio_config(), adapter.clone());
    let started = Instant::now();
    let result = io.main().fetch_sockets().await;
    assert!(
        matches!(result, Err(ClusterError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!adapter.is_listening());
    assert!(matches!(
        within(PostgresAdapter::connect(PostgresConfig::new(format!(
            "postgres://postgres@127.0.0.1:{port}/none"
        ))))
        .await,
        Err(tether::adapter::postgres::PostgresError::Postgres(_))
    ));
}
