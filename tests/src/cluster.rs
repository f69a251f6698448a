//! Cluster scenarios that every adapter must pass alike, run by the tests of each
//! (`redis/cluster_api.rs`, `postgres/cluster_api.rs`, ...) on nodes they started:
//! two tether nodes `a` and `b` and a Node.js node on one cluster, official-protocol
//! clients on each, the handlers of [`handlers`] on the tether nodes and those of
//! `tests/js/support/cluster-handlers.mjs` on the Node.js node.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value as Json, json};
use tether::adapter::Adapter;
use tether::client::{Client, Event};
use tether::protocol::Args;
use tether::server::{AckError, Server, ServerConfig};

use crate::client::reporting_client;
use crate::node::NodeServer;
use crate::redis::{join, join_and_shout};
use crate::{PATIENCE, Probe, Report, SioServer, within};

/// A tether server with a cluster adapter (`RedisNode`, `PostgresNode`,
/// `StreamsNode`), served on an ephemeral port.
pub struct AdapterNode<A> {
    /// The server, served.
    pub server: SioServer,
    /// Its adapter.
    pub adapter: A,
}

impl<A: Adapter + Clone> AdapterNode<A> {
    /// Serves a server with options `config` on `adapter`, its handlers set up by
    /// `setup`.
    pub async fn serve(adapter: A, config: ServerConfig, setup: impl FnOnce(&Server)) -> Self {
        AdapterNode {
            server: SioServer::with_adapter(config, adapter.clone(), setup).await,
            adapter,
        }
    }
}

impl<A> AdapterNode<A> {
    /// The URL clients connect to.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The server.
    pub fn io(&self) -> &Server {
        &self.server.io
    }

    /// Disconnects every client and stops listening.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// Two tether nodes, `a` and `b`, and a Node.js node on one cluster: what the
/// scenarios of this module run on.
pub struct Trio<A> {
    /// The tether node the scenarios start operations from.
    pub a: AdapterNode<A>,
    /// The other tether node.
    pub b: AdapterNode<A>,
    /// The Node.js node.
    pub node: NodeServer,
    /// Whether the Node.js node's adapter answers `allRooms` across nodes.
    pub node_all_rooms: bool,
    urls: [String; 3],
}

impl<A: Adapter + Clone> Trio<A> {
    /// The cluster of `a`, `b` and `node`.
    pub fn new(
        a: AdapterNode<A>,
        b: AdapterNode<A>,
        node: NodeServer,
        node_all_rooms: bool,
    ) -> Self {
        let urls = [a.url(), b.url(), node.url().to_owned()];
        Trio {
            a,
            b,
            node,
            node_all_rooms,
            urls,
        }
    }

    /// Stops the Node.js node and both tether nodes.
    pub async fn stop(self) {
        drop(self.node);
        self.a.stop().await;
        self.b.stop().await;
    }
}

impl<A> Trio<A> {
    /// The URLs of `a`, `b` and the Node.js node.
    pub fn urls(&self) -> [&str; 3] {
        self.urls.each_ref().map(String::as_str)
    }
}

/// Declares a test for each scenario of [`crate::cluster`], each on a [`Trio`]
/// that `$start(key)` starts (`key` names the test's channels) and stops after.
#[macro_export]
macro_rules! cluster_scenario_tests {
    ($start:expr) => {
        $crate::cluster_scenario_tests!($start;
            queries_from_either_side_see_every_node("queries") = queries_see_every_node,
            commands_from_tether_reach_tether_and_node_sockets("commands") = commands_from_tether_reach_every_node,
            commands_from_node_reach_tether_sockets("node_commands") = commands_from_node_reach_tether,
            server_side_events_with_answers_cross_both_ways("server_ack") = server_side_acks_cross_both_ways,
            broadcasts_with_acks_gather_answers_from_every_node("acks") = broadcast_acks_gather_every_node
        );
    };
    ($start:expr; $($test:ident($key:literal) = $scenario:ident),*) => {
        $(
            #[tokio::test]
            async fn $test() {
                let nodes = ($start)($key).await;
                $crate::cluster::$scenario(&nodes).await;
                nodes.stop().await;
            }
        )*
    };
}

/// Reports the first argument (a string) of every server-side event `name` that
/// reaches `io`'s main namespace.
pub fn report_server_event(io: &Server, name: &str, report: Report<String>) {
    io.on_server_event(name, move |args: Args| {
        let report = report.clone();
        async move { report.send(args.decode::<String>(0).unwrap_or_default()) }
    });
}

/// Asks the Node.js server, through `client`, for a broadcast described by
/// `spec` (`event`, `args`, `to`, `except`, `binary`).
pub async fn node_broadcast(client: &Client, spec: Json) {
    let () = within(client.emit_with_ack("broadcast", &spec))
        .await
        .expect("broadcast acknowledged");
}

/// What a probe reports of an event, by which its name is known.
pub trait Named: std::fmt::Debug {
    /// The event's name.
    fn name(&self) -> &str;
}

impl Named for String {
    fn name(&self) -> &str {
        self
    }
}

impl<T: std::fmt::Debug> Named for (String, T) {
    fn name(&self) -> &str {
        &self.0
    }
}

/// Asserts that the names of the events `seen` reports before the next `marker`
/// are `expected`.
///
/// # Panics
///
/// When they are not.
pub async fn expect_before_marker<E: Named>(seen: &mut Probe<E>, expected: &[&str]) {
    let mut names = Vec::new();
    loop {
        let event = seen.next().await;
        if event.name() == "marker" {
            break;
        }
        names.push(event.name().to_owned());
    }
    assert_eq!(names, expected, "before the marker");
}

/// A client of `url` reporting the first argument of every `event` it gets, as
/// `T` (its default when it does not decode).
///
/// # Panics
///
/// If it does not connect.
pub async fn first_arg_client<T>(url: &str, event: &str) -> (Client, Probe<T>)
where
    T: serde::de::DeserializeOwned + Default + Send + 'static,
{
    let (report, seen) = crate::probe();
    let client = Client::builder(url)
        .on(event, move |_client: Client, event: Event| {
            let report = report.clone();
            async move { report.send(event.arg::<T>(0).unwrap_or_default()) }
        })
        .connect()
        .await
        .expect("connected");
    (client, seen)
}

/// Asks the Node.js node, through `client`, to make the sockets `to` selects
/// `op` (`join` or `leave`) `room`, and waits until its `fetch` of `room` sees
/// exactly `wanted`.
pub async fn node_room_command(
    client: &Client,
    op: &str,
    to: &str,
    room: &str,
    wanted: &BTreeSet<String>,
) {
    node_cluster(client, json!({ "op": op, "to": to, "rooms": [room] })).await;
    node_fetch_until(client, json!({ "op": "fetch", "to": room }), wanted).await;
}

/// A server-side event of `tether` reaches the Node.js node at `node_url`, which
/// passes it on to its clients as `server said`, and one of the Node.js node
/// (`tell servers` from its client) reaches `tether`, whose handlers report
/// `from node` events to `from_node` (see [`report_server_event`]).
///
/// # Panics
///
/// When they do not.
pub async fn server_side_events_cross_both_ways(
    tether: &Server,
    node_url: &str,
    from_node: &mut Probe<String>,
) {
    let (controller, mut seen) = crate::client::values_client(node_url).await;
    tether
        .server_side_emit("hello", &("from tether", 7))
        .unwrap();
    assert_eq!(
        seen.next().await,
        (
            "server said".to_owned(),
            vec![tether::Value::from("from tether"), tether::Value::from(7)]
        )
    );
    controller.emit("tell servers", &"from node").unwrap();
    assert_eq!(from_node.next().await, "from node");
}

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
pub async fn queries_see_every_node<A>(nodes: &Trio<A>) {
    let a = nodes.a.io();
    let [a_url, b_url, node_url] = nodes.urls();
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
    if nodes.node_all_rooms {
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
pub async fn commands_from_tether_reach_every_node<A>(nodes: &Trio<A>) {
    let a = nodes.a.io();
    let [a_url, b_url, node_url] = nodes.urls();
    let (_on_a, _, mut seen_a) = reporting_client(a_url).await;
    let (on_b, _, mut seen_b) = reporting_client(b_url).await;
    let (on_node, n_id, mut seen_n) = reporting_client(node_url).await;

    a.main().broadcast().sockets_join("blue").await.unwrap();
    // Each node hears a's messages in the order a sent them.
    a.to("blue").emit("to blue", &()).unwrap();
    a.main().emit("marker", &()).unwrap();
    for seen in [&mut seen_a, &mut seen_b, &mut seen_n] {
        expect_before_marker(seen, &["to blue"]).await;
    }

    a.to(n_id.as_str()).sockets_leave("blue").await.unwrap();
    a.to("blue").emit("blue again", &()).unwrap();
    a.main().emit("marker", &()).unwrap();
    expect_before_marker(&mut seen_b, &["blue again"]).await;
    // The Node.js node's socket left blue.
    expect_before_marker(&mut seen_n, &[]).await;

    // A socket fetched from the Node.js node, reached through it.
    let fetched = a.to(n_id.as_str()).fetch_sockets().await.unwrap();
    let [remote] = fetched.as_slice() else {
        panic!("one socket, got {fetched:?}")
    };
    remote.emit("direct", &"hello").unwrap();
    remote.join("green").await.unwrap();
    a.to("green").emit("to green", &()).unwrap();
    a.main().emit("marker", &()).unwrap();
    expect_before_marker(&mut seen_n, &["direct", "to green"]).await;
    expect_before_marker(&mut seen_b, &[]).await;

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
pub async fn commands_from_node_reach_tether<A>(nodes: &Trio<A>) {
    let a = nodes.a.io();
    let [a_url, _, node_url] = nodes.urls();
    let (on_a, a_id, mut seen_a) = reporting_client(a_url).await;
    let (_other_on_a, other_id, mut seen_other) = reporting_client(a_url).await;
    let (on_node, _, _) = reporting_client(node_url).await;

    node_room_command(&on_node, "join", &a_id, "green", &set([&a_id])).await;
    a.to("green").emit("to green", &()).unwrap();
    a.main().emit("marker", &()).unwrap();
    expect_before_marker(&mut seen_a, &["to green"]).await;
    expect_before_marker(&mut seen_other, &[]).await;

    node_room_command(&on_node, "leave", &a_id, "green", &BTreeSet::new()).await;

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

/// `serverSideEmitWithAck` gathers one answer from every other node, started from
/// tether node `a` and from the Node.js node (whose two other nodes are tether's).
///
/// # Panics
///
/// When it does not.
pub async fn server_side_acks_cross_both_ways<A>(nodes: &Trio<A>) {
    let a = nodes.a.io();
    let [_, _, node_url] = nodes.urls();
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
pub async fn broadcast_acks_gather_every_node<A>(nodes: &Trio<A>) {
    let a = nodes.a.io();
    let [a_url, b_url, node_url] = nodes.urls();
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

/// A client of `url` whose handshake holds what a fetched socket must carry
/// unchanged: repeated query parameters and headers, escapes, a nested auth
/// payload.
pub async fn client_with_a_rich_handshake(url: &str) -> Client {
    Client::builder(url)
        .query("room", "a b")
        .query("tag", "x")
        .query("tag", "y&z")
        .header("x-team", "red")
        .header("x-team", "blue")
        .header("x-quote", "say \"hi\"")
        .auth(&json!({"token": "t", "nested": {"list": [1, "é", 2.5, null]}}))
        .connect()
        .await
        .expect("connected")
}

/// Finds socket `id` among `found` (fetched from another node) and checks that
/// it reads as `node`, its own node, shows it: the same handshake, holding what
/// [`client_with_a_rich_handshake`] sent, in no room but its own.
pub fn assert_fetched_as_shown<'a>(
    found: &'a [tether::server::RemoteSocket],
    node: &SioServer,
    id: &str,
) -> &'a tether::server::RemoteSocket {
    let seen = found
        .iter()
        .find(|socket| socket.id() == id)
        .expect("found");
    let shown = node.socket("/", id).handshake_json();
    assert_eq!(seen.handshake(), &shown);
    assert_rich_handshake(&shown);
    assert_eq!(seen.rooms(), [id.to_owned()]);
    seen
}

/// Checks that `shown`, a socket's handshake as its node shows it, kept what
/// [`client_with_a_rich_handshake`] sent.
fn assert_rich_handshake(shown: &Json) {
    assert_eq!(shown["query"]["tag"], json!(["x", "y&z"]));
    assert_eq!(shown["query"]["room"], "a b");
    assert_eq!(shown["headers"]["x-quote"], "say \"hi\"");
    assert_eq!(shown["headers"]["x-team"], "red, blue");
    assert_eq!(shown["auth"]["nested"]["list"], json!([1, "é", 2.5, null]));
}
