//! The cluster operations of the server API (`fetch_sockets`, `sockets_join`,
//! `sockets_leave`, `disconnect_sockets`, `all_rooms`, and a fetched socket's
//! `emit`, `join`, `leave`, `disconnect`, and server-side events with answers)
//! across nodes of an in-process
//! cluster, with the Rust client connected to each: every operation started on
//! one node reaches exactly the selected sockets of both.

use std::collections::BTreeSet;

use serde_json::Value;
use tether::server::Server;
use tether_tests::client::reporting_client;
use tether_tests::cluster::{expect_before_marker, ids};
use tether_tests::loopback::LoopbackCluster;
use tether_tests::redis::{join, join_and_shout};
use tether_tests::{SioServer, sio_config, within};

/// `N` nodes of a new in-process cluster, each with the `join` and `shout`
/// handlers.
async fn nodes<const N: usize>() -> [SioServer; N] {
    let cluster = LoopbackCluster::new();
    let mut nodes = Vec::with_capacity(N);
    for _ in 0..N {
        let io = Server::with_adapter(sio_config(), cluster.node());
        join_and_shout(&io.main());
        nodes.push(SioServer::start(io).await);
    }
    nodes.try_into().expect("N nodes")
}

/// Stops every node of `nodes`.
async fn stop<const N: usize>(nodes: [SioServer; N]) {
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn fetch_sockets_finds_the_selected_sockets_of_every_node() {
    let [a, b] = nodes().await;
    let (_on_a, a_id, _) = reporting_client(&a.url()).await;
    let (on_b, b_id, _) = reporting_client(&b.url()).await;
    let (_other_on_b, other_id, _) = reporting_client(&b.url()).await;
    join(&on_b, "red").await;

    let all = a.io.main().fetch_sockets().await.unwrap();
    assert_eq!(
        ids(&all),
        BTreeSet::from([a_id.clone(), b_id.clone(), other_id.clone()])
    );
    let red = a.io.to("red").fetch_sockets().await.unwrap();
    assert_eq!(ids(&red), BTreeSet::from([b_id.clone()]));
    assert_eq!(red[0].rooms(), [b_id.clone(), "red".to_owned()]);
    assert!(!red[0].is_local());
    assert_eq!(red[0].handshake()["query"]["EIO"], Value::from("4"));
    let not_red = b.io.except("red").fetch_sockets().await.unwrap();
    assert_eq!(ids(&not_red), BTreeSet::from([a_id.clone(), other_id]));
    let local = a.io.local().fetch_sockets().await.unwrap();
    assert_eq!(ids(&local), BTreeSet::from([a_id]));
    assert!(local[0].is_local());
    stop([a, b]).await;
}

#[tokio::test]
async fn a_fetched_local_socket_reads_as_other_nodes_see_it_as_of_the_fetch() {
    let [a, b] = nodes().await;
    let (_on_a, a_id, _) = reporting_client(&a.url()).await;
    let socket = a.socket("/", &a_id);
    socket.join("green");
    socket
        .set_cluster_data(&serde_json::json!({"score": 1}))
        .unwrap();

    let here = a.io.local().fetch_sockets().await.unwrap();
    let there = b.io.main().fetch_sockets().await.unwrap();
    let seen_there = there.iter().find(|found| found.id() == a_id).unwrap();
    // What changes after the fetch does not show in it.
    socket.join("blue");
    socket
        .set_cluster_data(&serde_json::json!({"score": 2}))
        .unwrap();

    let [seen_here] = &here[..] else {
        panic!("one local socket: {here:?}");
    };
    assert_eq!(seen_here.id(), a_id);
    assert_eq!(seen_here.rooms(), [a_id.clone(), "green".to_owned()]);
    assert_eq!(seen_here.data()["score"], 1);
    assert_eq!(seen_here.data_as::<Value>().unwrap()["score"], 1);
    assert_eq!(seen_here.handshake(), &socket.handshake_json());
    assert_eq!(seen_here.description(), seen_there.description());
    stop([a, b]).await;
}

#[tokio::test]
async fn sockets_join_and_leave_reach_every_node() {
    let [a, b] = nodes().await;
    let (_on_a, _, mut seen_a) = reporting_client(&a.url()).await;
    let (_on_b, b_id, mut seen_b) = reporting_client(&b.url()).await;

    a.io.main().broadcast().sockets_join("blue").await.unwrap();
    b.io.to("blue").emit("to blue", &()).unwrap();
    a.io.to("blue").emit("marker", &()).unwrap();
    expect_before_marker(&mut seen_a, &["to blue"]).await;
    expect_before_marker(&mut seen_b, &["to blue"]).await;

    a.io.to(b_id.as_str()).sockets_leave("blue").await.unwrap();
    a.io.to("blue").emit("blue again", &()).unwrap();
    a.io.main().emit("marker", &()).unwrap();
    expect_before_marker(&mut seen_a, &["blue again"]).await;
    // The socket on b left blue.
    expect_before_marker(&mut seen_b, &[]).await;
    let rooms = a.io.main().all_rooms().await.unwrap();
    assert!(rooms.iter().any(|room| room.as_str() == "blue"));
    assert!(rooms.iter().any(|room| room.as_str() == b_id));
    stop([a, b]).await;
}

#[tokio::test]
async fn a_fetched_socket_is_reached_wherever_it_lives() {
    let [a, b] = nodes().await;
    let (target, target_id, mut seen_target) = reporting_client(&b.url()).await;
    let (_bystander, _, mut seen_bystander) = reporting_client(&b.url()).await;

    let fetched = a.io.to(target_id.as_str()).fetch_sockets().await.unwrap();
    let [remote] = fetched.as_slice() else {
        panic!("one socket, got {fetched:?}")
    };
    remote.emit("direct", &"hello").unwrap();
    remote.join("green").await.unwrap();
    a.io.to("green").emit("to green", &()).unwrap();
    a.io.main().emit("marker", &()).unwrap();
    expect_before_marker(&mut seen_target, &["direct", "to green"]).await;
    expect_before_marker(&mut seen_bystander, &[]).await;

    remote.disconnect(false).await.unwrap();
    within(target.disconnected()).await;
    let left = a.io.main().fetch_sockets().await.unwrap();
    assert!(!ids(&left).contains(&target_id), "disconnected on b");
    stop([a, b]).await;
}

#[tokio::test]
async fn disconnect_sockets_closes_the_selected_sockets_of_every_node() {
    let [a, b] = nodes().await;
    let (leaving_a, _, _) = reporting_client(&a.url()).await;
    let (leaving_b, _, _) = reporting_client(&b.url()).await;
    let (staying, staying_id, _) = reporting_client(&b.url()).await;
    join(&leaving_a, "gone").await;
    join(&leaving_b, "gone").await;

    a.io.to("gone").disconnect_sockets(true).await.unwrap();
    within(leaving_a.disconnected()).await;
    within(leaving_b.disconnected()).await;
    let left = b.io.main().fetch_sockets().await.unwrap();
    assert_eq!(ids(&left), BTreeSet::from([staying_id]));
    assert!(staying.state().is_connected());
    stop([a, b]).await;
}

#[tokio::test]
async fn server_side_events_are_answered_by_every_other_node() {
    let [a, b, c] = nodes().await;
    for (server, name) in [(&b, "b"), (&c, "c")] {
        server.io.main().on_server_event_with_ack(
            "whoami",
            move |args: tether::protocol::Args| async move {
                format!("{name}:{}", args.decode::<u32>(0).unwrap_or_default())
            },
        );
    }
    a.io.main()
        .on_server_event_with_ack("whoami", |_args: tether::protocol::Args| async { "a" });

    let mut answers: Vec<String> =
        a.io.main()
            .server_side_emit_with_ack("whoami", &7)
            .await
            .unwrap();
    answers.sort();
    assert_eq!(
        answers,
        ["b:7", "c:7"],
        "every other node answers, not the asker"
    );
    let refused =
        a.io.main()
            .server_side_emit_with_ack::<String, _>("connect", &())
            .await;
    assert!(refused.is_err(), "reserved names are refused");
    stop([a, b, c]).await;
}

/// What the server may send one client, for the typed remote socket.
#[tether::events]
pub trait Nudges {
    /// A nudge.
    fn nudge(times: u32);
    /// A question the client answers.
    fn quiz(question: String) -> String;
}

#[tokio::test]
async fn a_fetched_socket_is_typed_and_answers_through_the_cluster() {
    use tether::client::{Client, Event};

    let [a, b] = nodes().await;
    let (report, mut seen) = tether_tests::probe();
    let on_b = Client::builder(b.url())
        .on("nudge", move |_client: Client, event: Event| {
            let report = report.clone();
            async move { report.send(event.arg::<u32>(0).unwrap_or_default()) }
        })
        .on("quiz", |_client: Client, mut event: Event| async move {
            let question: String = event.arg(0).unwrap_or_default();
            event
                .ack(&format!("{question}? yes"))
                .expect("acknowledged");
        })
        .connect()
        .await
        .unwrap();
    let id = on_b.id().unwrap();

    let fetched = a.io.to(id.as_str()).fetch_sockets().await.unwrap();
    let typed = fetched[0].typed::<Nudges>();
    typed.nudge(3).unwrap();
    assert_eq!(seen.next().await, 3);
    let answers = within(typed.quiz("ready".to_owned()).collect_all()).await;
    let answers: Vec<String> = answers
        .into_iter()
        .map(|(sid, answer)| {
            assert!(sid.is_none(), "the socket is on the other node");
            answer.unwrap()
        })
        .collect();
    assert_eq!(answers, ["ready? yes"]);
    stop([a, b]).await;
}
