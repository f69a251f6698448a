//! A mixed cluster on one Redis stream (`REDIS_URL`, else
//! `redis://127.0.0.1:6379`; a stream of each test's own): two tether nodes with
//! `RedisStreamsAdapter` and a Node.js socket.io 4.8 server with
//! `@socket.io/redis-streams-adapter` 0.3.1. Broadcasts reach every client once,
//! whichever node sends them; every cluster request crosses both ways.

use std::time::Duration;

use serde_json::{Value as Json, json};
use tether::client::{Client, Event};
use tether_tests::cluster::{assert_fetched_as_shown, client_with_a_rich_handshake};
use tether_tests::redis::unique_key;
use tether_tests::redis_streams::{StreamsNode, ack, node_streams};
use tether_tests::{Probe, probe, within};

/// A client of `url` reporting each event as `name args`.
async fn client(url: &str) -> (Client, Probe<String>) {
    let (report, seen) = probe();
    let client = Client::builder(url)
        .on_any(move |_client: Client, event: Event| {
            let report = report.clone();
            async move {
                let mut values = event.values().unwrap_or_default();
                // Drop the recovery offset: a string that looks like a stream id.
                if values
                    .last()
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| s.contains('-'))
                {
                    values.pop();
                }
                let values = serde_json::to_string(&values).unwrap_or_default();
                report.send(format!("{} {values}", event.name()));
            }
        })
        .connect()
        .await
        .expect("connected");
    (client, seen)
}

/// Everything seen up to and including `marker`.
async fn until(seen: &mut Probe<String>, marker: &str) -> Vec<String> {
    let mut all = Vec::new();
    loop {
        let next = seen.next().await;
        let done = next.starts_with(marker);
        all.push(next);
        if done {
            return all;
        }
    }
}

/// Waits until the server says `client`'s socket is (or is not) in `room`.
async fn eventually_in(client: &Client, room: &str, inside: bool) {
    within(async {
        loop {
            let who: Json = ack(client, "whoami", json!(null)).await;
            if who["rooms"].as_array().unwrap().contains(&json!(room)) == inside {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn broadcasts_reach_every_client_once_both_ways() {
    let stream = unique_key("streams-broadcast");
    let first = StreamsNode::on(&stream).await;
    let second = StreamsNode::on(&stream).await;
    let node = node_streams(&stream, 10_000).await;
    let (on_first, mut seen_first) = client(&first.url()).await;
    let (on_second, mut seen_second) = client(&second.url()).await;
    let (on_node, mut seen_node) = client(node.url()).await;
    let () = ack(&on_second, "join", json!("red")).await;
    let () = ack(&on_node, "join", json!("red")).await;

    // From a tether node: everyone, a room, an exclusion, local only.
    let io = first.io();
    io.emit("everyone", &(1, "a")).unwrap();
    io.to("red").emit("to red", &()).unwrap();
    io.except("red").emit("except red", &()).unwrap();
    io.local().emit("local", &()).unwrap();
    io.emit("done", &()).unwrap();
    // A local broadcast goes out at once; the others once they are in the stream.
    let mut first_seen = until(&mut seen_first, "done").await;
    assert_eq!(first_seen.remove(0), "local []");
    assert_eq!(
        first_seen,
        ["everyone [1,\"a\"]", "except red []", "done []"]
    );
    assert_eq!(
        until(&mut seen_second, "done").await,
        ["everyone [1,\"a\"]", "to red []", "done []"]
    );
    assert_eq!(
        until(&mut seen_node, "done").await,
        ["everyone [1,\"a\"]", "to red []", "done []"]
    );

    // From the Node.js server, and from a socket of each kind (not to itself).
    let () = ack(
        &on_node,
        "broadcast",
        json!({"event": "from node", "to": "red", "args": [{"x": 1}]}),
    )
    .await;
    on_node.emit("shout", &"hi from node").unwrap();
    on_first.emit("shout", &"hi from tether").unwrap();
    // Sources race each other: each client's share, in any order.
    let sorted = |mut all: Vec<String>| {
        all.sort();
        all
    };
    assert_eq!(
        sorted(seen_first.take(1).await),
        ["shouted [\"hi from node\"]"]
    );
    assert_eq!(
        sorted(seen_second.take(3).await),
        [
            "from node [{\"x\":1}]",
            "shouted [\"hi from node\"]",
            "shouted [\"hi from tether\"]"
        ]
    );
    assert_eq!(
        sorted(seen_node.take(2).await),
        ["from node [{\"x\":1}]", "shouted [\"hi from tether\"]"]
    );
    seen_first.expect_silence().await;
    seen_second.expect_silence().await;
    seen_node.expect_silence().await;
    assert_eq!(first.adapter.dropped(), 0);
}

/// A client of `url` answering `ping(x)` with `pong <name> <x>`.
async fn answering(url: &str, name: &'static str) -> Client {
    Client::builder(url)
        .on(
            "ping",
            move |_client: Client, mut event: Event| async move {
                let x: Json = event.arg(0).unwrap_or_default();
                let _ = event.ack(&format!("pong {name} {x}"));
            },
        )
        .connect()
        .await
        .expect("connected")
}

#[tokio::test]
async fn broadcasts_with_acknowledgements_cross_both_ways() {
    let stream = unique_key("streams-acks");
    let tether = StreamsNode::on(&stream).await;
    let node = node_streams(&stream, 10_000).await;
    let _tether_client = answering(&tether.url(), "tether").await;
    let node_client = answering(node.url(), "node").await;

    let answers = within(
        tether
            .io()
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<String, _>("ping", &1)
            .collect_all(),
    )
    .await;
    let mut answers: Vec<String> = answers
        .into_iter()
        .map(|(_, answer)| answer.expect("answered"))
        .collect();
    answers.sort();
    assert_eq!(answers, ["pong node 1", "pong tether 1"]);

    let answers: Json = ack(
        &node_client,
        "ask everyone",
        json!({"event": "ping", "args": [2]}),
    )
    .await;
    let mut answers: Vec<String> =
        serde_json::from_value(answers.clone()).unwrap_or_else(|_| panic!("{answers}"));
    answers.sort();
    assert_eq!(answers, ["pong node 2", "pong tether 2"]);
}

#[tokio::test]
async fn cluster_requests_cross_both_ways() {
    let stream = unique_key("streams-requests");
    let tether = StreamsNode::on(&stream).await;
    let node = node_streams(&stream, 10_000).await;
    let (on_tether, _) = client(&tether.url()).await;
    let (on_node, mut seen_node) = client(node.url()).await;
    let () = ack(&on_node, "join", json!("blue")).await;
    let tether_id = on_tether.id().unwrap();
    let node_id = on_node.id().unwrap();
    let () = ack(&on_tether, "set data", json!({"from": "tether"})).await;

    // tether asks: fetch_sockets sees the Node socket with its rooms and data.
    let io = tether.io();
    let sockets = within(io.main().broadcast().fetch_sockets())
        .await
        .expect("fetched");
    let mut ids: Vec<String> = sockets.iter().map(|s| s.id().to_owned()).collect();
    ids.sort();
    let mut expected = vec![tether_id.clone(), node_id.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    let remote = sockets.iter().find(|s| s.id() == node_id).unwrap();
    assert!(remote.rooms().contains(&"blue".to_owned()));
    assert_eq!(remote.data(), &json!({"from": "node"}));

    // tether commands: join, leave, then a server-side event and its answers.
    io.main()
        .broadcast()
        .to("blue")
        .sockets_join("green")
        .await
        .unwrap();
    eventually_in(&on_node, "green", true).await;
    io.main().broadcast().sockets_leave("green").await.unwrap();
    eventually_in(&on_node, "green", false).await;
    let answers: Vec<Json> = within(io.main().server_side_emit_with_ack("who", &7))
        .await
        .unwrap();
    assert_eq!(answers, [json!({"from": "node", "x": 7})]);
    io.main().server_side_emit("hello", &"from tether").unwrap();
    assert_eq!(seen_node.next().await, "server said [\"from tether\"]");

    // Node asks: fetchSockets, serverSideEmitWithAck, emitWithAck, socketsJoin.
    let fetched: Json = ack(&on_node, "cluster", json!({"op": "fetch"})).await;
    let from_tether = fetched
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == json!(tether_id))
        .expect("the tether socket");
    assert_eq!(from_tether["data"], json!({"from": "tether"}));
    let answers: Json = ack(&on_node, "ask servers", json!(3)).await;
    assert_eq!(answers, json!([{"from": "tether", "x": 3}]));
    let () = ack(
        &on_node,
        "cluster",
        json!({"op": "join", "to": tether_id, "rooms": ["yellow"]}),
    )
    .await;
    eventually_in(&on_tether, "yellow", true).await;
    let () = ack(
        &on_node,
        "cluster",
        json!({"op": "disconnect", "to": tether_id}),
    )
    .await;
    tether_tests::until("disconnected by the Node.js node", || {
        on_tether.id().is_none()
    })
    .await;
}

#[tokio::test]
async fn several_streams_are_shared_as_node_spreads_namespaces() {
    let stream = unique_key("streams-count");
    // Node's hash puts `/` on `<name>-3` and `/orders` on `<name>-0` of 4.
    let tether = StreamsNode::start(
        tether_tests::redis_streams::streams_config(&stream).with_stream_count(4),
        tether_tests::redis_streams::recovering_config(Duration::from_secs(120)),
    )
    .await;
    tether.io().of("/orders");
    let node = tether_tests::redis_streams::node_streams_with(&stream, "STREAM_COUNT", 4).await;
    let (_on_tether, mut seen_tether) = client(&tether.url()).await;
    let (on_node, mut seen_node) = client(node.url()).await;
    let (_orders_tether, mut seen_orders) = client(&format!("{}/orders", tether.url())).await;
    let orders_node = Client::builder(format!("{}/orders", node.url()))
        .connect()
        .await
        .expect("connected");
    let () = ack(&on_node, "broadcast", json!({"event": "from node"})).await;
    assert_eq!(seen_tether.next().await, "from node []");
    assert_eq!(seen_node.next().await, "from node []");
    tether.io().emit("from tether", &()).unwrap();
    assert_eq!(seen_node.next().await, "from tether []");
    let () = ack(&orders_node, "broadcast", json!({"event": "order"})).await;
    assert_eq!(seen_orders.next().await, "order []");
}

/// What another node reads of a socket over the Streams adapter (its answer
/// written to MessagePack from the handshake's JSON, read back without a tree for
/// the whole message) is what the socket's own node shows.
#[tokio::test]
async fn a_fetched_socket_shows_the_handshake_its_node_shows() {
    let stream = unique_key("streams-handshake");
    let a = StreamsNode::on(&stream).await;
    let b = StreamsNode::on(&stream).await;
    let client = client_with_a_rich_handshake(&b.url()).await;
    let id = client.id().expect("an id once connected");
    let () = ack(&client, "set data", json!({"level": 3, "tags": ["a"]})).await;

    let found = within(a.io().main().fetch_sockets()).await.unwrap();
    let seen = assert_fetched_as_shown(&found, &b.server, &id);
    assert_eq!(seen.data(), &json!({"level": 3, "tags": ["a"]}));
    drop(client);
    a.stop().await;
    b.stop().await;
}
