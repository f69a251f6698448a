//! The examples in a Postgres cluster: two `bench_server` processes started with
//! `TETHER_ADAPTER=postgres` on the tests' database (see `tether_tests::postgres`)
//! share broadcasts and room broadcasts between their clients.

use std::process::{Child, Command};
use std::time::Duration;

use serde_json::{Value as Json, json};
use tether_tests::cluster::first_arg_client;
use tether_tests::examples::{build_example, spawn_listening};
use tether_tests::postgres::{database_url, unique_prefix};
use tether_tests::{Probe, within};

/// A `bench_server` process in the Postgres cluster `prefix`, killed on drop.
struct Node {
    child: Child,
    url: String,
}

impl Node {
    fn start(prefix: &str) -> Node {
        let binary = build_example("bench_server");
        let mut command = Command::new(&binary);
        command
            .env_remove("REDIS_URL")
            .env("TETHER_ADAPTER", "postgres")
            .env("DATABASE_URL", database_url())
            .env("POSTGRES_PREFIX", prefix)
            .env("PORT", "0")
            .env("RUST_LOG", "error");
        let (child, url) = spawn_listening(command);
        Node { child, url }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends with `send` until `seen` reports something: a node may not listen to
/// the database yet when its first client connects.
async fn until_received(seen: &mut Probe<Json>, send: impl Fn()) -> Json {
    within(async {
        loop {
            send();
            if let Ok(payload) = tokio::time::timeout(Duration::from_millis(200), seen.next()).await
            {
                return payload;
            }
        }
    })
    .await
}

#[tokio::test]
async fn bench_servers_share_broadcasts_through_postgres() {
    let prefix = unique_prefix("examples");
    let (a, b) = {
        let prefix = prefix.clone();
        tokio::task::spawn_blocking(move || (Node::start(&prefix), Node::start(&prefix)))
            .await
            .unwrap()
    };
    let (on_a, mut seen_a) = first_arg_client::<Json>(&a.url, "bcast").await;
    let (on_b, mut seen_b) = first_arg_client::<Json>(&b.url, "bcast").await;
    let joined: bool = within(on_a.emit_with_ack("join", &"lobby")).await.unwrap();
    assert!(joined);

    let payload = until_received(&mut seen_a, || {
        on_b.emit("room_broadcast", &("lobby", json!({ "n": 1 })))
            .unwrap();
    })
    .await;
    assert_eq!(payload, json!({ "n": 1 }));
    let payload = until_received(&mut seen_b, || {
        on_a.emit("broadcast", &json!({ "n": 2 })).unwrap();
    })
    .await;
    assert_eq!(payload, json!({ "n": 2 }));
}
