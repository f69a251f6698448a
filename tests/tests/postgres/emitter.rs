//! `@socket.io/postgres-emitter` 0.1 (Node.js) sending to tether nodes on one
//! database (see `tether_tests::postgres`): events to everyone, to rooms and with
//! exclusions, binary and large ones (through the attachments table),
//! `socketsJoin`, `disconnectSockets` and server-side events reach the clients and
//! handlers of every tether node, although the emitter's messages name no
//! namespace (tether takes it from the channel).

use bytes::Bytes;
use serde_json::json;
use tether::Value;
use tether::server::Server;
use tether_tests::client::values_client as client;
use tether_tests::cluster::report_server_event;
use tether_tests::postgres::{PostgresNode, config, database_url, unique_prefix};
use tether_tests::redis::{join, join_and_shout_on_main};
use tether_tests::{probe, within};

/// Runs `tests/js/support/node-postgres-emitter.mjs` with `steps` to its end.
async fn run_emitter(prefix: &str, steps: serde_json::Value) {
    let env = [
        ("DATABASE_URL", database_url()),
        ("PREFIX", prefix.to_owned()),
        ("STEPS", steps.to_string()),
    ];
    tokio::task::spawn_blocking(move || {
        tether_tests::node::run_script(
            "node-postgres-emitter.mjs",
            "@socket.io/postgres-emitter",
            &env,
        )
    })
    .await
    .expect("the emitter ran");
}

#[tokio::test]
async fn the_node_emitter_reaches_tether_clients() {
    let prefix = unique_prefix("emitter");
    let (report, mut server_events) = probe();
    let setup = |io: &Server| {
        join_and_shout_on_main(io);
        report_server_event(io, "from emitter", report.clone());
    };
    let a = PostgresNode::start(config(&prefix), setup).await;
    let b = PostgresNode::start(config(&prefix), setup).await;
    let (red_on_a, mut seen_red) = client(&a.url()).await;
    let (_other_on_b, mut seen_other) = client(&b.url()).await;
    join(&red_on_a, "red").await;
    let large = "y".repeat(9000);

    run_emitter(
        &prefix,
        json!([
            { "op": "emit", "to": "red", "event": "to red", "args": [1] },
            { "op": "emit", "except": "red", "event": "except red" },
            { "op": "emit", "event": "binary", "args": ["caption"], "binary": true },
            { "op": "emit", "event": "large", "args": [large] },
            { "op": "serverSideEmit", "args": ["from emitter", "hi"] },
        ]),
    )
    .await;
    let mut red = seen_red.take(3).await;
    red.sort_by(|x, y| x.0.cmp(&y.0));
    let binary = (
        "binary".to_owned(),
        vec![
            Value::from("caption"),
            Value::Binary(Bytes::from_static(&[1, 2, 3])),
        ],
    );
    let large_event = ("large".to_owned(), vec![Value::from(large.as_str())]);
    assert!(
        red == [
            binary.clone(),
            large_event.clone(),
            ("to red".to_owned(), vec![Value::from(1)]),
        ],
        "{:?}",
        red.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    let mut other = seen_other.take(3).await;
    other.sort_by(|x, y| x.0.cmp(&y.0));
    assert!(
        other == [binary, ("except red".to_owned(), vec![]), large_event],
        "{:?}",
        other.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    seen_red.expect_silence().await;
    seen_other.expect_silence().await;
    assert_eq!(server_events.take(2).await, ["hi", "hi"], "on both nodes");

    // Cluster commands.
    run_emitter(
        &prefix,
        json!([{ "op": "join", "except": "red", "rooms": ["blue"] }]),
    )
    .await;
    a.io().to("blue").emit("to blue", &()).unwrap();
    assert_eq!(seen_other.next().await.0, "to blue");
    run_emitter(&prefix, json!([{ "op": "disconnect", "to": "red" }])).await;
    within(red_on_a.disconnected()).await;
    a.stop().await;
    b.stop().await;
}
