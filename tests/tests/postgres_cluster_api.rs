//! The cluster operations over Postgres, between two tether nodes and a Node.js
//! socket.io 4.8 server with `@socket.io/postgres-adapter` 0.5 on one database
//! (see `tether_tests::postgres`), official-protocol clients on each:
//! `fetchSockets`, `allRooms`, `socketsJoin`, `socketsLeave` and
//! `disconnectSockets` started from a tether node and from the Node.js node reach
//! exactly the selected sockets of every node; `serverSideEmitWithAck` and
//! `emitWithAck` gather the answers of every node, either way; a node killed
//! mid-request costs the asker its timeout; requests fail at once while the
//! database is unreachable.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value as Json, json};
use tether::adapter::ClusterError;
use tether::adapter::postgres::{PostgresAdapter, PostgresConfig};
use tether::client::{Client, Event};
use tether::server::Server;
use tether_tests::client::{names_until, reporting_client};
use tether_tests::postgres::{PostgresNode, config, node_postgres_server, unique_prefix};
use tether_tests::redis::{join, join_and_shout};
use tether_tests::{PATIENCE, within};

/// `join` and `shout`, cluster data `{from: "tether"}` on every socket, and the
/// server-side event `who(x)` answered with `{from: "tether", x}`.
fn handlers(io: &Server) {
    join_and_shout(&io.main());
    io.main()
        .on_connection(|socket: tether::server::Socket| async move {
            socket
                .set_cluster_data(&json!({ "from": "tether" }))
                .expect("JSON");
        });
    io.main()
        .on_server_event_with_ack("who", |args: tether::protocol::Args| async move {
            json!({ "from": "tether", "x": args.decode::<Json>(0).unwrap_or_default() })
        });
}

/// Runs a cluster operation on the Node.js server through its client.
async fn node_cluster(client: &Client, spec: Json) -> Json {
    let answer: Json = within(client.emit_with_ack("cluster", &spec))
        .await
        .expect("the Node.js server answers");
    assert!(answer.get("error").is_none(), "Node.js failed: {answer}");
    answer
}

/// Asks the Node.js node to fetch the sockets `spec` selects until it sees
/// exactly `wanted` (it counts a tether node once it heard its heartbeat).
async fn node_fetch_until(client: &Client, spec: Json, wanted: &BTreeSet<String>) -> Json {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let answer = node_cluster(client, spec.clone()).await;
        if &node_ids(&answer) == wanted {
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "Node.js fetched {answer}, not {wanted:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ids(sockets: &[tether::server::RemoteSocket]) -> BTreeSet<String> {
    sockets
        .iter()
        .map(|socket| socket.id().to_owned())
        .collect()
}

fn node_ids(answer: &Json) -> BTreeSet<String> {
    answer
        .as_array()
        .expect("an array of sockets")
        .iter()
        .map(|socket| socket["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn set<const N: usize>(items: [&String; N]) -> BTreeSet<String> {
    items.into_iter().cloned().collect()
}

/// Two tether nodes and a Node.js node on channel prefix `prefix`, each knowing
/// the other two.
async fn cluster(prefix: &str) -> (PostgresNode, PostgresNode, tether_tests::node::NodeServer) {
    let a = PostgresNode::start(config(prefix), handlers).await;
    let b = PostgresNode::start(config(prefix), handlers).await;
    let node = node_postgres_server(prefix).await;
    a.wait_for_nodes(2).await;
    b.wait_for_nodes(2).await;
    (a, b, node)
}

#[tokio::test]
async fn queries_from_either_side_see_every_node() {
    let prefix = unique_prefix("queries");
    let (a, b, node) = cluster(&prefix).await;
    let (_on_a, a_id, _) = reporting_client(&a.url()).await;
    let (on_b, b_id, _) = reporting_client(&b.url()).await;
    let (on_node, n_id, _) = reporting_client(node.url()).await;
    join(&on_b, "red").await;
    join(&on_node, "red").await;

    // From a tether node.
    let all = a.io().main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&all), set([&a_id, &b_id, &n_id]));
    assert_eq!(all.len(), 3, "each socket once");
    let red = a.io().to("red").fetch_sockets().await.unwrap();
    assert_eq!(ids(&red), set([&b_id, &n_id]));
    let from_node = red.iter().find(|socket| socket.id() == n_id).unwrap();
    assert_eq!(from_node.rooms(), [n_id.clone(), "red".to_owned()]);
    assert_eq!(from_node.handshake()["query"]["EIO"], "4");
    assert_eq!(from_node.data(), &json!({ "from": "node" }));
    let from_b = red.iter().find(|socket| socket.id() == b_id).unwrap();
    assert_eq!(from_b.data(), &json!({ "from": "tether" }));
    let not_red = a.io().except("red").fetch_sockets().await.unwrap();
    assert_eq!(ids(&not_red), set([&a_id]));
    let rooms: BTreeSet<String> = a
        .io()
        .main()
        .all_rooms()
        .await
        .unwrap()
        .iter()
        .map(|room| room.as_str().to_owned())
        .collect();
    for room in ["red", &a_id, &b_id, &n_id] {
        assert!(rooms.contains(room), "{room} missing from {rooms:?}");
    }

    // From the Node.js node: tether nodes are counted and answer.
    node_fetch_until(
        &on_node,
        json!({ "op": "fetch" }),
        &set([&a_id, &b_id, &n_id]),
    )
    .await;
    let red = node_fetch_until(
        &on_node,
        json!({ "op": "fetch", "to": "red" }),
        &set([&b_id, &n_id]),
    )
    .await;
    let b_seen = red
        .as_array()
        .unwrap()
        .iter()
        .find(|socket| socket["id"] == b_id.as_str())
        .unwrap();
    assert_eq!(b_seen["rooms"], json!([b_id, "red"]));
    assert_eq!(b_seen["data"], json!({ "from": "tether" }));
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn commands_from_tether_reach_tether_and_node_sockets() {
    let prefix = unique_prefix("commands");
    let (a, b, node) = cluster(&prefix).await;
    let (_on_a, _, mut seen_a) = reporting_client(&a.url()).await;
    let (on_b, _, mut seen_b) = reporting_client(&b.url()).await;
    let (on_node, n_id, mut seen_n) = reporting_client(node.url()).await;

    a.io()
        .main()
        .broadcast()
        .sockets_join("blue")
        .await
        .unwrap();
    // Each node hears a's messages in the order a sent them.
    a.io().to("blue").emit("to blue", &()).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    for seen in [&mut seen_a, &mut seen_b, &mut seen_n] {
        assert_eq!(names_until(seen, "marker").await, ["to blue", "marker"]);
    }

    a.io()
        .to(n_id.as_str())
        .sockets_leave("blue")
        .await
        .unwrap();
    a.io().to("blue").emit("blue again", &()).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    assert_eq!(
        names_until(&mut seen_b, "marker").await,
        ["blue again", "marker"]
    );
    assert_eq!(
        names_until(&mut seen_n, "marker").await,
        ["marker"],
        "left blue"
    );

    // A socket fetched from the Node.js node, reached through it.
    let fetched = a.io().to(n_id.as_str()).fetch_sockets().await.unwrap();
    let [remote] = fetched.as_slice() else {
        panic!("one socket, got {fetched:?}")
    };
    remote.emit("direct", &"hello").unwrap();
    remote.join("green").await.unwrap();
    a.io().to("green").emit("to green", &()).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    assert_eq!(
        names_until(&mut seen_n, "marker").await,
        ["direct", "to green", "marker"]
    );
    assert_eq!(names_until(&mut seen_b, "marker").await, ["marker"]);

    a.io().to("blue").disconnect_sockets(false).await.unwrap();
    within(on_b.disconnected()).await;
    assert!(on_node.state().is_connected(), "not in blue any more");
    let left = a.io().main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&left), set([&n_id]), "a's own client was in blue too");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn commands_from_node_reach_tether_sockets() {
    let prefix = unique_prefix("node_commands");
    let a = PostgresNode::start(config(&prefix), handlers).await;
    let node = node_postgres_server(&prefix).await;
    a.wait_for_nodes(1).await;
    let (on_a, a_id, mut seen_a) = reporting_client(&a.url()).await;
    let (_other_on_a, other_id, mut seen_other) = reporting_client(&a.url()).await;
    let (on_node, _, _) = reporting_client(node.url()).await;

    node_cluster(
        &on_node,
        json!({ "op": "join", "to": a_id, "rooms": ["green"] }),
    )
    .await;
    node_fetch_until(
        &on_node,
        json!({ "op": "fetch", "to": "green" }),
        &set([&a_id]),
    )
    .await;
    a.io().to("green").emit("to green", &()).unwrap();
    a.io().main().emit("marker", &()).unwrap();
    assert_eq!(
        names_until(&mut seen_a, "marker").await,
        ["to green", "marker"]
    );
    assert_eq!(names_until(&mut seen_other, "marker").await, ["marker"]);

    node_cluster(
        &on_node,
        json!({ "op": "leave", "to": a_id, "rooms": ["green"] }),
    )
    .await;
    node_fetch_until(
        &on_node,
        json!({ "op": "fetch", "to": "green" }),
        &BTreeSet::new(),
    )
    .await;

    node_cluster(
        &on_node,
        json!({ "op": "disconnect", "except": other_id, "close": true }),
    )
    .await;
    within(on_a.disconnected()).await;
    let left = a.io().main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&left), set([&other_id]));
    a.stop().await;
}

#[tokio::test]
async fn server_side_events_with_answers_cross_both_ways() {
    let prefix = unique_prefix("server_ack");
    let (a, b, node) = cluster(&prefix).await;
    let (on_node, _, _) = reporting_client(node.url()).await;

    let mut answers: Vec<Json> = a
        .io()
        .main()
        .server_side_emit_with_ack("who", &7)
        .await
        .unwrap();
    answers.sort_by_key(|answer| answer["from"].to_string());
    assert_eq!(
        answers,
        [
            json!({ "from": "node", "x": 7 }),
            json!({ "from": "tether", "x": 7 })
        ]
    );

    let deadline = Instant::now() + PATIENCE;
    loop {
        let answers: Json = within(on_node.emit_with_ack("ask servers", &"hi"))
            .await
            .expect("the Node.js server answers");
        let both = json!([
            { "from": "tether", "x": "hi" },
            { "from": "tether", "x": "hi" }
        ]);
        if answers == both {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "both tether nodes are counted and answer, got {answers}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    a.stop().await;
    b.stop().await;
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

#[tokio::test]
async fn broadcasts_with_acks_gather_answers_from_every_node_both_ways() {
    let prefix = unique_prefix("acks");
    let (a, b, node) = cluster(&prefix).await;
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
        ]
    );
    let from_b = answers
        .iter()
        .find_map(|(_, answer)| match answer {
            Ok((name, value)) if name == "tether b" => Some(value.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        from_b,
        tether::Value::Binary(Bytes::from_static(&[7, 8])),
        "binary answers cross as binary"
    );

    // Node's emitWithAck reaches tether's clients, whose answers come back.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let spec = json!({ "event": "question", "to": "red", "args": [1] });
        let answers: Vec<(String, tether::Value)> =
            within(on_node.emit_with_ack("ask everyone", &spec))
                .await
                .unwrap();
        let mut names: Vec<String> = answers.into_iter().map(|(name, _)| name).collect();
        names.sort();
        if names == ["node", "tether b"] {
            break;
        }
        assert!(Instant::now() < deadline, "Node.js gathered {names:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(on_a);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_node_killed_mid_request_costs_the_asker_its_timeout() {
    let prefix = unique_prefix("killed");
    let timeout = Duration::from_millis(1500);
    let a = PostgresNode::start(config(&prefix).with_requests_timeout(timeout), handlers).await;
    let b = PostgresNode::start(config(&prefix), handlers).await;
    let node = node_postgres_server(&prefix).await;
    a.wait_for_nodes(2).await;

    // The Node.js node never answers `never`; it is killed while a waits.
    let main = a.io().main();
    let asking = main.server_side_emit_with_ack::<Json, _>("never", &());
    let started = Instant::now();
    let killer = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(node);
    };
    let (result, ()) = tokio::join!(asking, killer);
    let waited = started.elapsed();
    assert!(
        matches!(
            result,
            Err(tether::server::ServerSideAckError::Cluster(
                ClusterError::Timeout {
                    expected: 2,
                    answered: 0,
                    ..
                }
            ))
        ),
        "{result:?}"
    );
    assert!(
        waited >= timeout && waited < timeout + Duration::from_secs(2),
        "{waited:?}"
    );

    // b answers; the killed node is still counted until its heartbeats are missed.
    let result = a.io().main().fetch_sockets().await;
    assert!(
        matches!(
            result,
            Err(ClusterError::Timeout {
                expected: 2,
                answered: 1,
                ..
            })
        ),
        "{result:?}"
    );
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn requests_fail_at_once_while_the_database_is_unreachable() {
    let port = tether_tests::redis::RedisProcess::free_port();
    let config = PostgresConfig::new(format!("postgres://postgres@127.0.0.1:{port}/none"))
        .with_reconnect(Duration::from_secs(3600), Duration::from_secs(3600));
    let adapter = PostgresAdapter::new(config).expect("a valid connection string");
    let io = Server::with_adapter(tether_tests::sio_config(), adapter.clone());
    let started = Instant::now();
    let result = io.main().fetch_sockets().await;
    assert!(
        matches!(result, Err(ClusterError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!adapter.is_listening());
    assert!(matches!(
        within(PostgresAdapter::connect(PostgresConfig::new(format!(
            "postgres://postgres@127.0.0.1:{port}/none"
        ))))
        .await,
        Err(tether::adapter::postgres::PostgresError::Postgres(_))
    ));
}
