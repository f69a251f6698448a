//! Broadcasts that wait for acknowledgements across a cluster: a Node.js socket.io
//! 4.8 server with `@socket.io/redis-adapter` 8.3 broadcasting with
//! `emitWithAck` reaches the clients of a tether node on the same Redis
//! (`REDIS_URL`, else `redis://127.0.0.1:6379`), and their answers, binary
//! included, come back to it. The reverse, a tether node asking, is a scenario of
//! `tests/src/cluster.rs` run by `cluster_api.rs`.

use bytes::Bytes;
use serde_json::{Value as Json, json};
use tether_tests::cluster::answering_client;
use tether_tests::redis::{Variant, join, join_and_shout_on_main, redis_url, unique_key};
use tether_tests::within;

fn names(answers: &Json) -> Vec<String> {
    let mut names: Vec<String> = answers
        .as_array()
        .unwrap_or_else(|| panic!("answers, not {answers}"))
        .iter()
        .map(|answer| answer[0].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

classic_and_sharded!(a_node_broadcast_with_acks_is_answered_by_tether_clients);
async fn a_node_broadcast_with_acks_is_answered_by_tether_clients(variant: Variant) {
    let key = unique_key("cluster-acks");
    let tether = variant
        .node(&redis_url(), &key, join_and_shout_on_main)
        .await;
    let node = variant.node_js(&key).await;
    let red_on_tether = answering_client(&tether.url(), "tether red", false).await;
    let _other_on_tether = answering_client(&tether.url(), "tether other", false).await;
    let red_on_node = answering_client(node.url(), "node red", false).await;
    join(&red_on_tether, "red").await;
    join(&red_on_node, "red").await;
    let blue_on_tether = answering_client(&tether.url(), "tether blue", true).await;
    join(&blue_on_tether, "blue").await;
    let controller = answering_client(node.url(), "node controller", false).await;

    let spec = json!({ "event": "question", "to": "red", "args": [42] });
    let answers: Json = within(controller.emit_with_ack("ask everyone", &spec))
        .await
        .unwrap();
    assert_eq!(names(&answers), ["node red", "tether red"]);
    assert!(
        answers
            .as_array()
            .unwrap()
            .iter()
            .all(|answer| answer[1] == json!(42))
    );

    // Binary in an answer crosses as MessagePack binary.
    let spec = json!({ "event": "question", "to": "blue", "args": [0] });
    let blue: Vec<(String, Bytes)> = within(controller.emit_with_ack("ask everyone", &spec))
        .await
        .unwrap();
    assert_eq!(
        blue,
        [("tether blue".to_owned(), Bytes::from_static(&[7, 8]))]
    );
    drop(node);
    tether.stop().await;
}
