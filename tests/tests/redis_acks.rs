//! Broadcasts that wait for acknowledgements across a cluster: a Node.js socket.io
//! 4.8 server with `@socket.io/redis-adapter` 8.3 broadcasting with
//! `emitWithAck` reaches the clients of a tether node on the same Redis
//! (`REDIS_URL`, else `redis://127.0.0.1:6379`), and their answers, binary
//! included, come back to it.

use bytes::Bytes;
use serde_json::{Value as Json, json};
use tether::client::{Client, Event};
use tether::server::Server;
use tether_tests::redis::{Variant, join, join_and_shout, redis_url, unique_key};
use tether_tests::within;

fn handlers(io: &Server) {
    join_and_shout(&io.main());
}

/// A client of `url` that answers `question(x)` with `[name, x]`, or with
/// `[name, <07 08>]` when `binary`.
async fn answering_client(url: &str, name: &'static str, binary: bool) -> Client {
    Client::builder(url)
        .on(
            "question",
            move |_client: Client, mut event: Event| async move {
                let x: Json = event.arg(0).unwrap_or_default();
                let answer = if binary {
                    event.ack(&((name, Bytes::from_static(&[7, 8])),))
                } else {
                    event.ack(&vec![json!(name), x])
                };
                answer.expect("acknowledged");
            },
        )
        .connect()
        .await
        .expect("connected")
}

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

#[tokio::test]
async fn a_node_broadcast_with_acks_is_answered_by_tether_clients() {
    a_node_broadcast_with_acks_is_answered_by_tether_clients_in(Variant::Classic).await;
}

#[tokio::test]
async fn a_node_broadcast_with_acks_is_answered_by_tether_clients_sharded() {
    a_node_broadcast_with_acks_is_answered_by_tether_clients_in(Variant::Sharded).await;
}

async fn a_node_broadcast_with_acks_is_answered_by_tether_clients_in(variant: Variant) {
    let key = unique_key("cluster-acks");
    let tether = variant.node(&redis_url(), &key, handlers).await;
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

#[tokio::test]
async fn a_tether_broadcast_with_acks_gathers_answers_from_every_node() {
    a_tether_broadcast_with_acks_gathers_answers_from_every_node_in(Variant::Classic).await;
}

#[tokio::test]
async fn a_tether_broadcast_with_acks_gathers_answers_from_every_node_sharded() {
    a_tether_broadcast_with_acks_gathers_answers_from_every_node_in(Variant::Sharded).await;
}

async fn a_tether_broadcast_with_acks_gathers_answers_from_every_node_in(variant: Variant) {
    use std::time::Duration;
    use tether::server::AckError;

    let key = unique_key("cluster-acks-out");
    let a = variant.node(&redis_url(), &key, handlers).await;
    let b = variant.node(&redis_url(), &key, handlers).await;
    let node = variant.node_js(&key).await;
    let on_a = answering_client(&a.url(), "tether a", false).await;
    let on_b = answering_client(&b.url(), "tether b", true).await;
    let on_node = answering_client(node.url(), "node", false).await;
    join(&on_b, "red").await;
    join(&on_node, "red").await;

    let answers = within(
        a.io()
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<(String, tether::Value), _>("question", &42)
            .collect_all(),
    )
    .await;
    let mut seen: Vec<(bool, String)> = answers
        .iter()
        .map(|(sid, answer)| {
            let (name, _) = answer.as_ref().expect("every socket answers");
            (sid.is_some(), name.clone())
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (false, "node".to_owned()),
            (false, "tether b".to_owned()),
            (true, "tether a".to_owned()),
        ],
        "this node's socket comes with its id, the others' without"
    );
    let own = answers.iter().find(|(sid, _)| sid.is_some()).unwrap();
    assert_eq!(own.0.unwrap().as_str(), on_a.id().unwrap());

    // A room, answered across nodes; binary stays binary.
    let red = within(
        a.io()
            .to("red")
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<(String, tether::Value), _>("question", &0)
            .collect_all(),
    )
    .await;
    let mut red: Vec<(String, tether::Value)> = red
        .into_iter()
        .map(|(_, answer)| answer.expect("answered"))
        .collect();
    red.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(red[0], ("node".to_owned(), tether::Value::from(0)));
    assert_eq!(
        red[1],
        (
            "tether b".to_owned(),
            tether::Value::Binary(Bytes::from_static(&[7, 8]))
        )
    );

    // A socket of another node that does not answer costs a timeout.
    let _silent = Client::builder(b.url()).connect().await.unwrap();
    let answers = within(
        a.io()
            .timeout(Duration::from_millis(500))
            .emit_with_ack::<(String, tether::Value), _>("question", &1)
            .collect_all(),
    )
    .await;
    assert_eq!(answers.len(), 4);
    let timeouts: Vec<_> = answers
        .iter()
        .filter(|(_, answer)| matches!(answer, Err(AckError::Timeout)))
        .collect();
    assert_eq!(timeouts.len(), 1, "{answers:?}");
    assert!(timeouts[0].0.is_none());

    // `local` stays on this node.
    let local = within(
        a.io()
            .local()
            .emit_with_ack::<(String, tether::Value), _>("question", &2)
            .collect_all(),
    )
    .await;
    assert_eq!(local.len(), 1);
    drop(node);
    a.stop().await;
    b.stop().await;
}
