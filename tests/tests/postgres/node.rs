//! Two tether nodes and a Node.js socket.io 4.8 server with
//! `@socket.io/postgres-adapter` 0.5 sharing one database (see
//! `tether_tests::postgres`): broadcasts to everyone, to rooms, with exclusions
//! and from a socket reach every selected client exactly once, in both
//! directions; payloads whose JSON passes the 8000-byte `NOTIFY` limit and binary
//! payloads cross through the attachments table both ways; server-side events
//! cross both ways.

use bytes::Bytes;
use serde_json::json;
use tether::Value;
use tether::server::Server;
use tether_tests::client::{Seen, values_client as client};
use tether_tests::cluster::{self, node_broadcast, report_server_event};
use tether_tests::postgres::{PostgresNode, config, node_postgres_server, unique_prefix};
use tether_tests::probe;
use tether_tests::redis::{join, join_and_shout_on_main};

/// The events seen up to and including `marker`.
async fn until(seen: &mut Seen, marker: &str) -> Vec<(String, Vec<Value>)> {
    let mut events = Vec::new();
    loop {
        let event = seen.next().await;
        let done = event.0 == marker;
        events.push(event);
        if done {
            return events;
        }
    }
}

/// The names of the events seen up to and including `marker`.
async fn names_until(seen: &mut Seen, marker: &str) -> Vec<String> {
    until(seen, marker)
        .await
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// `events`, long strings cut, for failure messages.
fn shorten(events: &[(String, Vec<Value>)]) -> String {
    let cut = |value: &Value| match value {
        Value::String(text) if text.len() > 40 => format!("<{} bytes>", text.len()),
        other => format!("{other:?}"),
    };
    events
        .iter()
        .map(|(name, args)| format!("{name}{:?}", args.iter().map(cut).collect::<Vec<_>>()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Asserts that the next events `seen` reports are `expected` (sorted by name),
/// in any order.
async fn expect_in_any_order(seen: &mut Seen, expected: &[(String, Vec<Value>)]) {
    let mut events = seen.take(expected.len()).await;
    events.sort_by(|x, y| x.0.cmp(&y.0));
    assert!(events == expected, "{}", shorten(&events));
}

#[tokio::test]
async fn broadcasts_reach_every_selected_client_once_both_ways() {
    let prefix = unique_prefix("broadcasts");
    let a = PostgresNode::start(config(&prefix), join_and_shout_on_main).await;
    let b = PostgresNode::start(config(&prefix), join_and_shout_on_main).await;
    let node = node_postgres_server(&prefix).await;
    let (on_a, mut seen_a) = client(&a.url()).await;
    let (on_b, mut seen_b) = client(&b.url()).await;
    let (on_node, mut seen_n) = client(node.url()).await;
    join(&on_b, "red").await;
    join(&on_node, "red").await;

    // From a tether node.
    a.io().to("red").emit("to red", &1).unwrap();
    a.io().except("red").emit("except red", &2).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    assert_eq!(
        names_until(&mut seen_a, "marker").await,
        ["except red", "marker"]
    );
    for seen in [&mut seen_b, &mut seen_n] {
        let events = until(seen, "marker").await;
        assert_eq!(
            events,
            [
                ("to red".to_owned(), vec![Value::from(1)]),
                ("marker".to_owned(), vec![]),
            ]
        );
    }

    // From the Node.js node, whose adapter does not keep the order of its
    // messages: each client gets what it should, then nothing more.
    node_broadcast(&on_node, json!({ "event": "node to red", "to": "red" })).await;
    node_broadcast(
        &on_node,
        json!({ "event": "node except red", "except": "red" }),
    )
    .await;
    assert_eq!(seen_a.next().await.0, "node except red");
    assert_eq!(seen_b.next().await.0, "node to red");
    assert_eq!(seen_n.next().await.0, "node to red");

    // From a socket: everyone but the sender, on every node.
    on_b.emit("shout", &"from b").unwrap();
    on_node.emit("shout", &"from node").unwrap();
    let shouts = |events: Vec<(String, Vec<Value>)>| -> Vec<Vec<Value>> {
        let mut shouts: Vec<Vec<Value>> = events
            .into_iter()
            .map(|(name, args)| {
                assert_eq!(name, "shouted");
                args
            })
            .collect();
        shouts.sort_by_key(|args| format!("{args:?}"));
        shouts
    };
    assert_eq!(
        shouts(seen_a.take(2).await),
        [vec![Value::from("from b")], vec![Value::from("from node")]]
    );
    assert_eq!(
        shouts(seen_b.take(1).await),
        [vec![Value::from("from node")]]
    );
    assert_eq!(shouts(seen_n.take(1).await), [vec![Value::from("from b")]]);
    for seen in [&mut seen_a, &mut seen_b, &mut seen_n] {
        seen.expect_silence().await;
    }
    drop(on_a);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn large_and_binary_payloads_cross_both_ways() {
    let prefix = unique_prefix("payloads");
    let tether = PostgresNode::start(config(&prefix), join_and_shout_on_main).await;
    let node = node_postgres_server(&prefix).await;
    let (_on_tether, mut seen_t) = client(&tether.url()).await;
    let (on_node, mut seen_n) = client(node.url()).await;
    // Over the NOTIFY limit once written as JSON, with characters JSON escapes.
    let large: String = "é\"x".repeat(3000);

    tether.io().main().emit("large", &large).unwrap();
    let bytes = Bytes::from_static(&[0, 1, 2, 255]);
    tether
        .io()
        .main()
        .emit("binary", &("caption", bytes.clone(), vec![bytes.clone()]))
        .unwrap();
    tether.io().main().emit("marker", &()).unwrap();
    // The Node.js adapter hands on a message it had to read from the table
    // after the plain notifications that follow it: order is not kept.
    let expected = [
        (
            "binary".to_owned(),
            vec![
                Value::from("caption"),
                Value::Binary(bytes.clone()),
                Value::Array(vec![Value::Binary(bytes.clone())]),
            ],
        ),
        ("large".to_owned(), vec![Value::from(large.as_str())]),
        ("marker".to_owned(), vec![]),
    ];
    expect_in_any_order(&mut seen_n, &expected).await;
    // The tether node's own client got them too, once.
    assert_eq!(
        names_until(&mut seen_t, "marker").await,
        ["large", "binary", "marker"]
    );

    node_broadcast(&on_node, json!({ "event": "node large", "args": [large] })).await;
    node_broadcast(
        &on_node,
        json!({ "event": "node binary", "args": ["caption"], "binary": true }),
    )
    .await;
    node_broadcast(&on_node, json!({ "event": "node marker" })).await;
    let expected = [
        (
            "node binary".to_owned(),
            vec![
                Value::from("caption"),
                Value::Binary(Bytes::from_static(&[1, 2, 3])),
            ],
        ),
        ("node large".to_owned(), vec![Value::from(large.as_str())]),
        ("node marker".to_owned(), vec![]),
    ];
    expect_in_any_order(&mut seen_t, &expected).await;
    tether.stop().await;
}

#[tokio::test]
async fn server_side_events_cross_both_ways() {
    let prefix = unique_prefix("server_side");
    let (report, mut from_node) = probe();
    let tether = PostgresNode::start(config(&prefix), |io: &Server| {
        join_and_shout_on_main(io);
        report_server_event(io, "from node", report);
    })
    .await;
    let node = node_postgres_server(&prefix).await;
    cluster::server_side_events_cross_both_ways(tether.io(), node.url(), &mut from_node).await;
    tether.stop().await;
}
