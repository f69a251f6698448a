//! Server-side events between tether nodes sharing a Redis (`REDIS_URL`, else
//! `redis://127.0.0.1:6379`): they reach every other node's handlers of their
//! namespace, never the sender's own, JSON only.

use serde_json::json;
use tether::protocol::Args;
use tether::server::{EmitError, Server};
use tether_tests::redis::{RedisNode, redis_url, unique_key};
use tether_tests::{Probe, probe};

/// A node whose `/` and `/chat` report every `hello` with the node's name.
async fn node(key: &str, name: &'static str) -> (RedisNode, Probe<String>) {
    let (report, seen) = probe();
    let node = RedisNode::start(&redis_url(), key, |io: &Server| {
        for nsp in ["/", "/chat"] {
            let report = report.clone();
            io.of(nsp).on_server_event("hello", move |args: Args| {
                let report = report.clone();
                async move {
                    let values = args.to_values().unwrap_or_default();
                    report.send(format!("{name}{nsp} {}", json!(values)));
                }
            });
        }
    })
    .await;
    (node, seen)
}

#[tokio::test]
async fn server_side_events_reach_the_other_nodes_only() {
    let key = unique_key("server-side");
    let (first, mut seen_first) = node(&key, "first").await;
    let (second, mut seen_second) = node(&key, "second").await;
    let (third, mut seen_third) = node(&key, "third").await;

    first
        .io()
        .server_side_emit("hello", &("from first", 1))
        .unwrap();
    assert_eq!(seen_second.next().await, r#"second/ ["from first",1]"#);
    assert_eq!(seen_third.next().await, r#"third/ ["from first",1]"#);

    second
        .io()
        .of("/chat")
        .server_side_emit("hello", &json!({ "n": [1, 2] }))
        .unwrap();
    assert_eq!(seen_first.next().await, r#"first/chat [{"n":[1,2]}]"#);
    assert_eq!(seen_third.next().await, r#"third/chat [{"n":[1,2]}]"#);
    seen_first.expect_silence().await;
    seen_second.expect_silence().await;

    for stopped in [first, second, third] {
        stopped.stop().await;
    }
}

#[tokio::test]
async fn reserved_names_and_binary_are_refused() {
    let key = unique_key("server-side-refused");
    let (node, _seen) = node(&key, "only").await;
    let io = node.io();
    assert!(matches!(
        io.server_side_emit("connection", &()),
        Err(EmitError::ReservedEvent(_))
    ));
    assert!(matches!(
        io.server_side_emit("hello", &bytes::Bytes::from_static(&[1])),
        Err(EmitError::BinaryServerSideEmit)
    ));
    node.stop().await;
}
