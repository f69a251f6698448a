//! Publishing to a cluster from a process that is not a server: `tether::emitter`
//! reaches the clients of a tether node and of a Node.js socket.io 4.8 node with
//! `@socket.io/redis-adapter`, typed through a contract; and
//! `@socket.io/redis-emitter` 5.1 (Node.js) reaches tether's clients. Events to
//! everyone, to rooms and with exclusions, binary, `socketsJoin`,
//! `disconnectSockets` and server-side events, on one Redis (`REDIS_URL`, else
//! `redis://127.0.0.1:6379`).

use std::collections::BTreeSet;

use bytes::Bytes;
use serde_json::json;
use tether::Value;
use tether::adapter::redis::RedisConfig;
use tether::emitter::Emitter;
use tether::protocol::Args;
use tether::server::{EmitError, Server};
use tether_tests::client::{Seen, values_client as client};
use tether_tests::node::run_script;
use tether_tests::redis::{RedisNode, Variant, join, join_and_shout, redis_url, unique_key};
use tether_tests::within;

/// What a background job tells the browsers.
#[tether::events]
pub trait JobUpdates {
    /// How far a job got.
    fn progress(job: String, percent: u8);
    /// A job ended; a client would acknowledge it.
    fn finished(job: String) -> bool;
}

/// `join`, `shout`, and the server-side event `hello(text)` passed on to this
/// node's clients as `server said(text)`, as the Node.js server does.
fn handlers(io: &Server) {
    join_and_shout(&io.main());
    let local = io.clone();
    io.on_server_event("hello", move |args: Args| {
        let io = local.clone();
        async move {
            let text: String = args.decode(0).unwrap_or_default();
            let _ = io.local().emit("server said", &text);
        }
    });
}

/// The events seen until every one of `names` arrived: the broadcasts in order
/// (server-side events run their handlers on their own time, so `server said` is
/// set apart), and the first arguments of `everyone` when it came.
async fn until_all(seen: &mut Seen, names: &[&str]) -> (Vec<String>, Vec<Value>) {
    let mut wanted: BTreeSet<&str> = names.iter().copied().collect();
    let mut order = Vec::new();
    let mut everyone = Vec::new();
    while !wanted.is_empty() {
        let (name, args) = seen.next().await;
        wanted.remove(name.as_str());
        if name == "everyone" {
            everyone = args;
        }
        if name != "server said" {
            order.push(name);
        }
    }
    (order, everyone)
}

fn hi_and_bytes() -> Vec<Value> {
    vec![
        Value::String("hi".to_owned()),
        Value::Binary(Bytes::from_static(&[1, 2, 3])),
    ]
}

#[tokio::test]
async fn the_tether_emitter_reaches_tether_and_node_clients() {
    let key = unique_key("emitter");
    let tether = RedisNode::start(&redis_url(), &key, handlers).await;
    let node = Variant::Classic.node_js(&key).await;
    let (t_red, mut seen_t_red) = client(&tether.url()).await;
    let (_t_other, mut seen_t_other) = client(&tether.url()).await;
    let (n_red, mut seen_n_red) = client(node.url()).await;
    let (_n_other, mut seen_n_other) = client(node.url()).await;
    join(&t_red, "red").await;
    join(&n_red, "red").await;

    let config = RedisConfig::new(redis_url()).with_key(key.clone());
    let emitter = within(Emitter::connect(config)).await.unwrap();
    emitter
        .emit("everyone", &("hi", Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    emitter.to("red").emit("to red", &()).unwrap();
    emitter.except("red").emit("except red", &()).unwrap();
    emitter.to("red").sockets_join("blue").unwrap();
    emitter.to("blue").emit("to blue", &()).unwrap();
    emitter.server_side_emit("hello", &"from the job").unwrap();
    emitter.emit("marker", &()).unwrap();
    within(emitter.flush()).await.unwrap();

    for seen in [&mut seen_t_red, &mut seen_n_red] {
        let (order, everyone) = until_all(seen, &["marker", "server said"]).await;
        assert_eq!(order, ["everyone", "to red", "to blue", "marker"]);
        assert_eq!(everyone, hi_and_bytes());
    }
    for seen in [&mut seen_t_other, &mut seen_n_other] {
        let (order, _) = until_all(seen, &["marker", "server said"]).await;
        assert_eq!(order, ["everyone", "except red", "marker"]);
    }

    // Typed through the contract.
    let typed = emitter.typed::<JobUpdates>();
    typed.to("blue").progress("backup".to_owned(), 42).unwrap();
    assert!(matches!(
        typed.finished("backup".to_owned()),
        Err(EmitError::AckUnsupported)
    ));
    for seen in [&mut seen_t_red, &mut seen_n_red] {
        assert_eq!(
            seen.next().await,
            (
                "progress".to_owned(),
                vec![Value::String("backup".to_owned()), Value::from(42u8)]
            )
        );
    }

    emitter.to("red").disconnect_sockets(false).unwrap();
    within(emitter.flush()).await.unwrap();
    within(t_red.disconnected()).await;
    within(n_red.disconnected()).await;
    assert!(matches!(
        emitter.emit("connect", &()),
        Err(EmitError::ReservedEvent(_))
    ));
    tether.stop().await;
}

#[tokio::test]
async fn the_node_emitter_reaches_tether_clients() {
    let key = unique_key("node-emitter");
    let tether = RedisNode::start(&redis_url(), &key, handlers).await;
    let (red, mut seen_red) = client(&tether.url()).await;
    let (_other, mut seen_other) = client(&tether.url()).await;
    join(&red, "red").await;

    let steps = json!([
        { "op": "emit", "event": "everyone", "args": ["hi"], "binary": true },
        { "op": "emit", "event": "to red", "to": "red" },
        { "op": "emit", "event": "except red", "except": "red" },
        { "op": "join", "to": "red", "rooms": ["blue"] },
        { "op": "emit", "event": "to blue", "to": "blue" },
        { "op": "serverSideEmit", "args": ["hello", "from node"] },
        { "op": "emit", "event": "marker" },
    ]);
    run_emitter(&key, steps).await;
    let (order, everyone) = until_all(&mut seen_red, &["marker", "server said"]).await;
    assert_eq!(order, ["everyone", "to red", "to blue", "marker"]);
    assert_eq!(everyone, hi_and_bytes());
    let (order, _) = until_all(&mut seen_other, &["marker", "server said"]).await;
    assert_eq!(order, ["everyone", "except red", "marker"]);

    run_emitter(
        &key,
        json!([{ "op": "disconnect", "to": "blue", "close": true }]),
    )
    .await;
    within(red.disconnected()).await;
    tether.stop().await;
}

/// Runs `@socket.io/redis-emitter` through `steps` on channel prefix `key`.
async fn run_emitter(key: &str, steps: serde_json::Value) {
    let env = [
        ("REDIS_URL", redis_url()),
        ("KEY", key.to_owned()),
        ("STEPS", steps.to_string()),
    ];
    let output = tokio::task::spawn_blocking(move || {
        run_script("node-redis-emitter.mjs", "@socket.io/redis-emitter", &env)
    })
    .await
    .unwrap();
    assert_eq!(output.trim(), "done");
}
