//! Cluster scenarios that every adapter must pass alike, run by the tests of each
//! (`redis/cluster_api.rs`, `postgres/cluster_api.rs`, ...) on nodes they started:
//! two tether nodes `a` and `b` and a Node.js node on one cluster, official-protocol
//! clients on each, the handlers of [`handlers`] on the tether nodes and those of
//! `tests/js/support/cluster-handlers.mjs` on the Node.js node.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value as Json, json};
use tether::client::{Client, Event};
use tether::server::{AckError, Server};

use crate::client::{names_until, reporting_client};
use crate::redis::{join, join_and_shout};
use crate::{PATIENCE, Probe, within};

/// `join` and `shout`, cluster data `{from: "tether"}` on every socket, and the
/// server-side event `who(x)` answered with `{from: "tether", x}`.
pub fn handlers(io: &Server) {
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

/// Emits `event` from tether node `a` to room `room`, then `marker` to everyone:
/// each client's [`names_until`] `marker` then shows whether it was in the room.
///
/// # Panics
///
/// If `a` cannot emit.
pub fn emit_to_room_then_marker(a: &Server, room: &str, event: &str) {
    a.to(room).emit(event, &()).unwrap();
    a.main().emit("marker", &()).unwrap();
}

/// Checks the client reporting to `seen` hears exactly `before`, in order, then
/// `marker`; `who` names it in the failure message.
pub async fn expect_heard_before_marker(seen: &mut Probe<String>, before: &[&str], who: &str) {
    let mut expected = before.to_vec();
    expected.push("marker");
    assert_eq!(names_until(seen, "marker").await, expected, "{who}");
}

/// Runs a cluster operation on the Node.js server through its client.
pub async fn node_cluster(client: &Client, spec: Json) -> Json {
    let answer: Json = within(client.emit_with_ack("cluster", &spec))
        .await
        .expect("the Node.js server answers");
    assert!(answer.get("error").is_none(), "Node.js failed: {answer}");
    answer
}

/// Asks the Node.js node to fetch the sockets `spec` selects until it sees
/// exactly `wanted` (it counts a tether node once it heard its heartbeat).
pub async fn node_fetch_until(client: &Client, spec: Json, wanted: &BTreeSet<String>) -> Json {
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

/// The ids of `sockets`.
pub fn ids(sockets: &[tether::server::RemoteSocket]) -> BTreeSet<String> {
    sockets
        .iter()
        .map(|socket| socket.id().to_owned())
        .collect()
}

/// The ids of the sockets the Node.js node's `fetch` answered.
pub fn node_ids(answer: &Json) -> BTreeSet<String> {
    answer
        .as_array()
        .expect("an array of sockets")
        .iter()
        .map(|socket| socket["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// `items` as a set.
pub fn set<const N: usize>(items: [&String; N]) -> BTreeSet<String> {
    items.into_iter().cloned().collect()
}

/// A client of `url` that answers `question(x)` with `[name, x]`, or with
/// `[name, <07 08>]` when `binary`.
pub async fn answering_client(url: &str, name: &'static str, binary: bool) -> Client {
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

/// Queries from a tether node (`fetch_sockets`, `all_rooms`) and from the Node.js
/// node (`fetchSockets`, and `allRooms` when `node_all_rooms`, for adapters that
/// carry it) see every socket of every node once, with its rooms and data.
///
/// # Panics
///
/// When they do not.
pub async fn queries_see_every_node(a: &Server, urls: [&str; 3], node_all_rooms: bool) {
    let [a_url, b_url, node_url] = urls;
    let (_on_a, a_id, _) = reporting_client(a_url).await;
    let (on_b, b_id, _) = reporting_client(b_url).await;
    let (on_node, n_id, _) = reporting_client(node_url).await;
    join(&on_b, "red").await;
    join(&on_node, "red").await;

    // From a tether node.
    let all = a.main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&all), set([&a_id, &b_id, &n_id]));
    assert_eq!(all.len(), 3, "each socket once");
    let red = a.to("red").fetch_sockets().await.unwrap();
    assert_eq!(ids(&red), set([&b_id, &n_id]));
    let from_node = red.iter().find(|socket| socket.id() == n_id).unwrap();
    assert_eq!(from_node.rooms(), [n_id.clone(), "red".to_owned()]);
    assert_eq!(from_node.handshake()["query"]["EIO"], "4");
    assert_eq!(from_node.data(), &json!({ "from": "node" }));
    let from_b = red.iter().find(|socket| socket.id() == b_id).unwrap();
    assert_eq!(from_b.data(), &json!({ "from": "tether" }));
    let not_red = a.except("red").fetch_sockets().await.unwrap();
    assert_eq!(ids(&not_red), set([&a_id]));
    let rooms: BTreeSet<String> = a
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
    if node_all_rooms {
        let rooms = node_cluster(&on_node, json!({ "op": "allRooms" })).await;
        let rooms: BTreeSet<&str> = rooms
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Json::as_str)
            .collect();
        for room in ["red", &a_id, &b_id, &n_id] {
            assert!(rooms.contains(room), "{room} missing from {rooms:?}");
        }
    }
}

/// `sockets_join`, `sockets_leave`, `disconnect_sockets` and a fetched remote
/// socket's `emit`/`join`, started from tether node `a`, reach exactly the
/// selected sockets of every node.
///
/// # Panics
///
/// When they do not.
pub async fn commands_from_tether_reach_every_node(a: &Server, urls: [&str; 3]) {
    let [a_url, b_url, node_url] = urls;
    let (_on_a, _, mut seen_a) = reporting_client(a_url).await;
    let (on_b, _, mut seen_b) = reporting_client(b_url).await;
    let (on_node, n_id, mut seen_n) = reporting_client(node_url).await;

    a.main().broadcast().sockets_join("blue").await.unwrap();
    // Each node hears a's messages in the order a sent them.
    emit_to_room_then_marker(a, "blue", "to blue");
    for (seen, who) in [(&mut seen_a, "a"), (&mut seen_b, "b"), (&mut seen_n, "n")] {
        expect_heard_before_marker(seen, &["to blue"], who).await;
    }

    a.to(n_id.as_str()).sockets_leave("blue").await.unwrap();
    emit_to_room_then_marker(a, "blue", "blue again");
    expect_heard_before_marker(&mut seen_b, &["blue again"], "b").await;
    expect_heard_before_marker(&mut seen_n, &[], "n left blue").await;

    // A socket fetched from the Node.js node, reached through it.
    let fetched = a.to(n_id.as_str()).fetch_sockets().await.unwrap();
    let [remote] = fetched.as_slice() else {
        panic!("one socket, got {fetched:?}")
    };
    remote.emit("direct", &"hello").unwrap();
    remote.join("green").await.unwrap();
    emit_to_room_then_marker(a, "green", "to green");
    expect_heard_before_marker(&mut seen_n, &["direct", "to green"], "n").await;
    expect_heard_before_marker(&mut seen_b, &[], "b").await;

    a.to("blue").disconnect_sockets(false).await.unwrap();
    within(on_b.disconnected()).await;
    assert!(on_node.state().is_connected(), "not in blue any more");
    let left = a.main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&left), set([&n_id]), "a's own client was in blue too");
}

/// `socketsJoin`, `socketsLeave` and `disconnectSockets` started from the Node.js
/// node reach the selected sockets of tether node `a`.
///
/// # Panics
///
/// When they do not.
pub async fn commands_from_node_reach_tether(a: &Server, a_url: &str, node_url: &str) {
    let (on_a, a_id, mut seen_a) = reporting_client(a_url).await;
    let (_other_on_a, other_id, mut seen_other) = reporting_client(a_url).await;
    let (on_node, _, _) = reporting_client(node_url).await;

    node_moves_socket(&on_node, "join", &a_id, "green", &set([&a_id])).await;
    emit_to_room_then_marker(a, "green", "to green");
    expect_heard_before_marker(&mut seen_a, &["to green"], "a").await;
    expect_heard_before_marker(&mut seen_other, &[], "the other client of a").await;

    node_moves_socket(&on_node, "leave", &a_id, "green", &BTreeSet::new()).await;

    node_cluster(
        &on_node,
        json!({ "op": "disconnect", "except": other_id, "close": true }),
    )
    .await;
    within(on_a.disconnected()).await;
    // The Node.js node disconnects its own sockets after it sent the command.
    within(on_node.disconnected()).await;
    let left = a.main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&left), set([&other_id]));
}

/// Has the Node.js node make socket `id` `op` (`join` or `leave`) room `room`
/// through its client `on_node`, then waits until it fetches exactly `members` in
/// the room.
async fn node_moves_socket(
    on_node: &Client,
    op: &str,
    id: &str,
    room: &str,
    members: &BTreeSet<String>,
) {
    node_cluster(on_node, json!({ "op": op, "to": id, "rooms": [room] })).await;
    node_fetch_until(on_node, json!({ "op": "fetch", "to": room }), members).await;
}

/// `serverSideEmitWithAck` gathers one answer from every other node, started from
/// tether node `a` and from the Node.js node (whose two other nodes are tether's).
///
/// # Panics
///
/// When it does not.
pub async fn server_side_acks_cross_both_ways(a: &Server, node_url: &str) {
    let (on_node, _, _) = reporting_client(node_url).await;

    let mut answers: Vec<Json> = a.main().server_side_emit_with_ack("who", &7).await.unwrap();
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
}

/// An acknowledged broadcast of tether node `a` gathers the answers of every
/// node's sockets (binary ones as binary); a silent socket on another node costs
/// the timeout; `local` stays on `a`.
///
/// # Panics
///
/// When it does not.
pub async fn broadcast_acks_gather_every_node(a: &Server, urls: [&str; 3]) {
    let [a_url, b_url, node_url] = urls;
    let on_a = answering_client(a_url, "tether a", false).await;
    let on_b = answering_client(b_url, "tether b", true).await;
    let on_node = answering_client(node_url, "node", false).await;
    join(&on_b, "red").await;
    join(&on_node, "red").await;

    let answers = within(
        a.timeout(Duration::from_secs(5))
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
        a.to("red")
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
    let _silent = Client::builder(b_url).connect().await.unwrap();
    let answers = within(
        a.timeout(Duration::from_millis(500))
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
        a.local()
            .emit_with_ack::<(String, tether::Value), _>("question", &2)
            .collect_all(),
    )
    .await;
    assert_eq!(local.len(), 1);
}
