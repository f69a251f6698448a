//! `Emitter::streams` writes what `@socket.io/redis-streams-emitter` 0.1.1
//! writes to the cluster's Redis stream (`REDIS_URL`, else
//! `redis://127.0.0.1:6379`; a stream of the test's own): a tether node and a
//! Node.js socket.io 4.8 server with `@socket.io/redis-streams-adapter` 0.3.1
//! deliver its events to everyone, to rooms and with exclusions (with a
//! recovery offset), carry out its commands and run its server-side events.

use serde_json::{Value as Json, json};
use tether::client::{Client, Event};
use tether::emitter::Emitter;
use tether_tests::redis::unique_key;
use tether_tests::redis_streams::{StreamsNode, ack, node_streams, streams_config};
use tether_tests::{Probe, probe, within};

/// A client of `url` reporting each event with its arguments (the offset too).
async fn client(url: &str) -> (Client, Probe<(String, Json)>) {
    let (report, seen) = probe();
    let client = Client::builder(url)
        .on_any(move |_client: Client, event: Event| {
            let report = report.clone();
            async move {
                let values = serde_json::to_value(event.values().unwrap_or_default()).unwrap();
                report.send((event.name().to_owned(), values));
            }
        })
        .connect()
        .await
        .expect("connected");
    (client, seen)
}

/// The arguments without the recovery offset, checking that there is one.
fn without_offset(mut args: Json) -> Json {
    let offset = args.as_array_mut().unwrap().pop().unwrap();
    let offset = offset.as_str().expect("an offset last");
    let (ms, seq) = offset.split_once('-').expect("a stream id");
    assert!(
        ms.parse::<u64>().is_ok() && seq.parse::<u64>().is_ok(),
        "{offset}"
    );
    args
}

#[tokio::test]
async fn emitted_events_and_commands_reach_tether_and_node_clients() {
    let stream = unique_key("streams-emitter");
    let tether = StreamsNode::on(&stream).await;
    let node = node_streams(&stream, 10_000).await;
    let (on_tether, mut seen_tether) = client(&tether.url()).await;
    let (on_node, mut seen_node) = client(node.url()).await;
    let () = ack(&on_node, "join", json!("red")).await;

    let emitter = within(Emitter::connect_streams(streams_config(&stream)))
        .await
        .unwrap();
    emitter
        .emit("everyone", &(1, "a", json!({"b": [true, null]})))
        .unwrap();
    emitter.to("red").emit("to red", &()).unwrap();
    emitter.except("red").emit("except red", &()).unwrap();
    emitter
        .server_side_emit("hello", &("from emitter", 2))
        .unwrap();
    emitter.to("red").sockets_join("blue").unwrap();
    emitter.to("blue").emit("to blue", &()).unwrap();
    within(emitter.flush()).await.unwrap();

    let everyone = json!([1, "a", {"b": [true, null]}]);
    for seen in [&mut seen_tether, &mut seen_node] {
        let (name, args) = seen.next().await;
        assert_eq!(
            (name.as_str(), without_offset(args)),
            ("everyone", everyone.clone())
        );
    }
    let (name, args) = seen_tether.next().await;
    assert_eq!(
        (name.as_str(), without_offset(args)),
        ("except red", json!([]))
    );
    assert_eq!(
        seen_tether.next().await,
        ("server said".to_owned(), json!([["from emitter", 2]]))
    );
    let (name, args) = seen_node.next().await;
    assert_eq!((name.as_str(), without_offset(args)), ("to red", json!([])));
    assert_eq!(
        seen_node.next().await,
        ("server said".to_owned(), json!(["from emitter", 2]))
    );
    let (name, args) = seen_node.next().await;
    assert_eq!(
        (name.as_str(), without_offset(args)),
        ("to blue", json!([]))
    );
    seen_tether.expect_silence().await;
    seen_node.expect_silence().await;
    drop(on_tether);
}
