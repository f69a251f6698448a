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
use tether::server::{Server, ServerSideAckError};
use tether_tests::cluster::{Trio, handlers};
use tether_tests::node::NodeServer;
use tether_tests::postgres::{PostgresNode, config, node_postgres_server, unique_prefix};
use tether_tests::within;

/// Two tether nodes and a Node.js node on a channel prefix named after `test`,
/// each tether node knowing the other two.
async fn start(test: &str) -> Trio<PostgresAdapter> {
    let prefix = unique_prefix(test);
    let a = PostgresNode::start(config(&prefix), handlers).await;
    let b = PostgresNode::start(config(&prefix), handlers).await;
    let node = node_postgres_server(&prefix).await;
    a.wait_for_nodes(2).await;
    b.wait_for_nodes(2).await;
    // The Node.js Postgres adapter has no `allRooms` across nodes.
    Trio::new(a, b, node, false)
}

tether_tests::cluster_scenario_tests!(start);

/// Asks `a` for a server-side event with answers that the Node.js node never
/// answers, and kills `node` while `a` waits; returns the outcome and how long
/// it took.
async fn ask_while_the_node_dies(
    a: &PostgresNode,
    node: NodeServer,
) -> (Result<Vec<Json>, ServerSideAckError>, Duration) {
    let main = a.io().main();
    let asking = main.server_side_emit_with_ack::<Json, _>("never", &());
    let started = Instant::now();
    let killer = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(node);
    };
    let (result, ()) = tokio::join!(within(asking), killer);
    (result, started.elapsed())
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
    let (result, waited) = ask_while_the_node_dies(&a, node).await;
    assert!(
        matches!(
            result,
            Err(ServerSideAckError::Cluster(ClusterError::Timeout {
                expected: 2,
                answered: 0,
                ..
            }))
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
    let (result, waited) = ask_while_the_node_dies(&a, node).await;
    assert_eq!(result.unwrap(), Vec::<Json>::new());
    assert!(waited < Duration::from_secs(5), "{waited:?}");
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
