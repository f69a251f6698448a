//! The Postgres adapter survives losing its connection: when the server ends a
//! node's session (`pg_terminate_backend`, as a restart or a network cut would),
//! the node reconnects, listens again, and broadcasts cross both ways once more.

use tether_tests::client::{names_until, reporting_client};
use tether_tests::postgres::{PostgresNode, config, config_at, database_url, unique_prefix};
use tether_tests::redis::join_and_shout_on_main;
use tether_tests::within;

/// Ends every session of the database whose `application_name` is `name`;
/// returns how many it ended.
async fn terminate(name: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(&database_url(), tokio_postgres::NoTls)
        .await
        .expect("connected");
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&name],
        )
        .await
        .expect("terminated");
    row.get(0)
}

#[tokio::test]
async fn a_node_listens_again_after_losing_its_connection() {
    let prefix = unique_prefix("reconnect");
    let url = database_url();
    let separator = if url.contains('?') { '&' } else { '?' };
    let lost = config_at(
        format!("{url}{separator}application_name={prefix}_lost"),
        &prefix,
    );
    let a = PostgresNode::start(lost, join_and_shout_on_main).await;
    let b = PostgresNode::start(config(&prefix), join_and_shout_on_main).await;
    a.wait_for_nodes(1).await;
    let (_on_a, _, mut seen_a) = reporting_client(&a.url()).await;
    let (_on_b, _, mut seen_b) = reporting_client(&b.url()).await;

    let mut listening = a.adapter.listening_changes();
    assert_eq!(terminate(&format!("{prefix}_lost")).await, 1);
    within(listening.wait_for(|listening| !*listening))
        .await
        .unwrap();
    within(listening.wait_for(|listening| *listening))
        .await
        .unwrap();

    b.io().main().emit("from b", &()).unwrap();
    assert_eq!(names_until(&mut seen_a, "from b").await, ["from b"]);
    a.io().main().emit("from a", &()).unwrap();
    assert_eq!(names_until(&mut seen_b, "from b").await, ["from b"]);
    assert_eq!(names_until(&mut seen_b, "from a").await, ["from a"]);
    // Still counted by b: a announced itself again once it listened.
    let all = within(b.io().main().fetch_sockets()).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(a.adapter.dropped(), 0);
    a.stop().await;
    b.stop().await;
}
