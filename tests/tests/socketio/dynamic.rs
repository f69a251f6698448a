//! Dynamic namespaces: children accepted by a name pattern or by a function of the
//! name and the auth payload, sharing their parent's handlers and middlewares.

use std::time::Duration;

use serde_json::{Value, json};
use tether::server::{ConnectError, DisconnectReason, Event, NamePattern, Socket};
use tether_tests::SioServer;

use crate::support::probed_server;

#[tokio::test]
async fn a_pattern_accepts_matching_names_and_its_children_share_handlers() {
    let (server, mut seen) = probed_server(|io, report| {
        let parent = io.of_pattern("/match-{id}").expect("valid pattern");
        let connected = report.clone();
        parent.on_connection(move |socket: Socket| {
            let report = connected.clone();
            async move { report.send(format!("connect {}", socket.ns())) }
        });
        parent.on("move", |socket: Socket, event: Event| async move {
            let step: u32 = event.arg(0)?;
            socket.emit("moved", &(socket.ns(), step))?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
        let left = report.clone();
        parent.on_disconnect(move |socket: Socket, reason: DisconnectReason| {
            let report = left.clone();
            async move { report.send(format!("left {} {reason}", socket.ns())) }
        });
    })
    .await;
    let mut client = server.open().await;
    client.join_ok("/match-42", None).await;
    client.join_ok("/match-7", None).await;
    assert_eq!(
        seen.take(2).await,
        ["connect /match-42", "connect /match-7"]
    );
    client.emit("/match-7", "move", json!([3])).await;
    assert_eq!(
        client.expect_event("/match-7", "moved").await.args(),
        [json!("/match-7"), json!(3)]
    );

    for refused in ["/match-", "/match-4/2", "/other"] {
        assert_eq!(
            client.join(refused, None).await,
            Err(json!({ "message": "Invalid namespace" })),
            "{refused}"
        );
    }
    client.leave("/match-42").await;
    assert_eq!(
        seen.next().await,
        "left /match-42 client namespace disconnect"
    );
    server.stop().await;
}

#[tokio::test]
async fn parent_middlewares_apply_to_every_child() {
    let server = SioServer::with(|io| {
        let parent = io.of_pattern("/org/{org}/chat").expect("valid pattern");
        parent.use_middleware(|socket: Socket| async move {
            match socket.auth_value()["banned"].as_bool() {
                Some(true) => {
                    Err(ConnectError::new("banned").with_data(json!({ "ns": socket.ns() })))
                }
                _ => Ok(()),
            }
        });
    })
    .await;
    let mut client = server.open().await;
    assert_eq!(
        client
            .join("/org/acme/chat", Some(json!({ "banned": true })))
            .await,
        Err(json!({ "message": "banned", "data": { "ns": "/org/acme/chat" } }))
    );
    client.join_ok("/org/acme/chat", None).await;
    let mut other = server.open().await;
    assert!(
        other
            .join("/org/b/chat", Some(json!({ "banned": true })))
            .await
            .is_err()
    );
    other.join_ok("/org/b/chat", None).await;
    server.stop().await;
}

#[tokio::test]
async fn children_are_namespaces_of_the_server_with_their_own_sockets() {
    let server = SioServer::with(|io| {
        io.of_pattern("/game-{id}").expect("valid pattern");
    })
    .await;
    let mut one = server.open().await;
    one.join_ok("/game-1", None).await;
    let mut two = server.open().await;
    two.join_ok("/game-2", None).await;
    two.join_ok("/", None).await;
    assert_eq!(server.namespace_names(), ["/", "/game-1", "/game-2"]);

    server.io.of("/game-1").emit("only", "game-1").unwrap();
    server.io.of("/game-2").emit("only", "game-2").unwrap();
    assert_eq!(one.expect_event("/game-1", "only").await.arg(0), "game-1");
    assert_eq!(two.expect_event("/game-2", "only").await.arg(0), "game-2");
    one.expect_silence().await;
    server.stop().await;
}

#[tokio::test]
async fn the_children_of_a_parent_are_listed_and_reached_by_its_emit() {
    let (server, mut seen) = probed_server(|io, report| {
        let parent = io.of_pattern("/room-{id}").expect("valid pattern");
        io.on_connection(move |_socket: Socket| {
            let parent = parent.clone();
            let report = report.clone();
            async move {
                let mut names: Vec<String> = parent
                    .children()
                    .iter()
                    .map(|ns| ns.name().to_owned())
                    .collect();
                names.sort();
                report.send(names);
                parent.emit("to-all-rooms", &(1, 2)).unwrap();
            }
        });
    })
    .await;
    let mut a = server.open().await;
    a.join_ok("/room-a", None).await;
    let mut b = server.open().await;
    b.join_ok("/room-b", None).await;
    let (mut main, _) = server.client("/").await;
    assert_eq!(seen.next().await, ["/room-a", "/room-b"]);
    assert_eq!(
        a.expect_event("/room-a", "to-all-rooms").await.args(),
        [json!(1), json!(2)]
    );
    assert_eq!(
        b.expect_event("/room-b", "to-all-rooms").await.args(),
        [json!(1), json!(2)]
    );
    server.io.emit("sentinel", &()).unwrap();
    main.expect_event("/", "sentinel").await;
    server.stop().await;
}

#[tokio::test]
async fn a_function_decides_from_the_name_and_the_auth_payload() {
    let (server, mut seen) = probed_server(|io, report| {
        let checked = report.clone();
        let parent = io.of_dynamic(move |name: &str, auth: &Value| {
            checked.send(format!("check {name} {auth}"));
            let accept = name.starts_with("/tenant-") && auth["key"] == "open";
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                accept
            }
        });
        parent.on_connection(|socket: Socket| async move { socket.emit("welcome", socket.ns()) });
    })
    .await;
    let mut client = server.open().await;
    assert_eq!(
        client
            .join("/tenant-a", Some(json!({ "key": "closed" })))
            .await,
        Err(json!({ "message": "Invalid namespace" }))
    );
    assert_eq!(seen.next().await, r#"check /tenant-a {"key":"closed"}"#);
    assert!(
        client
            .join("/other", Some(json!({ "key": "open" })))
            .await
            .is_err()
    );
    assert_eq!(seen.next().await, r#"check /other {"key":"open"}"#);
    assert!(client.join("/tenant-b", None).await.is_err());
    assert_eq!(seen.next().await, "check /tenant-b {}");

    client
        .join_ok("/tenant-a", Some(json!({ "key": "open" })))
        .await;
    assert_eq!(seen.next().await, r#"check /tenant-a {"key":"open"}"#);
    assert_eq!(
        client.expect_event("/tenant-a", "welcome").await.arg(0),
        "/tenant-a"
    );

    // Once created, a child is an ordinary namespace: it is joined without a check,
    // as in Node.
    let mut later = server.open().await;
    later
        .join_ok("/tenant-a", Some(json!({ "key": "closed" })))
        .await;
    seen.expect_silence().await;
    server.stop().await;
}

#[tokio::test]
async fn a_static_namespace_wins_over_a_matching_pattern() {
    let server = SioServer::with(|io| {
        io.of("/match-0")
            .on_connection(|socket: Socket| async move { socket.emit("kind", "static") });
        io.of_pattern("/match-{id}")
            .expect("valid pattern")
            .on_connection(|socket: Socket| async move { socket.emit("kind", "dynamic") });
    })
    .await;
    let mut client = server.open().await;
    client.join_ok("/match-0", None).await;
    assert_eq!(
        client.expect_event("/match-0", "kind").await.arg(0),
        "static"
    );
    client.join_ok("/match-1", None).await;
    assert_eq!(
        client.expect_event("/match-1", "kind").await.arg(0),
        "dynamic"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_empty_child_is_forgotten_so_hostile_names_cannot_grow_the_server() {
    let (server, mut seen) = probed_server(|io, report| {
        let parent = io.of_pattern("/match-{id}").expect("valid pattern");
        parent.on_connection(move |socket: Socket| {
            let report = report.clone();
            async move { report.send(socket.ns().to_owned()) }
        });
    })
    .await;
    let mut client = server.open().await;
    for id in 0..50 {
        let name = format!("/match-{id}");
        client.join_ok(&name, None).await;
        assert_eq!(seen.next().await, name);
        client.leave(&name).await;
    }
    let mut other = server.open().await;
    other.join_ok("/match-a", None).await;
    client.join_ok("/match-a", None).await;
    assert_eq!(seen.take(2).await, ["/match-a", "/match-a"]);
    assert_eq!(server.namespace_names(), ["/", "/match-a"]);

    client.leave("/match-a").await;
    assert_eq!(
        server.namespace_names(),
        ["/", "/match-a"],
        "a child with a socket left is kept"
    );
    server.io.of("/match-a").emit("still", &()).unwrap();
    other.expect_event("/match-a", "still").await;
    other.leave("/match-a").await;
    tether_tests::until("the empty child is forgotten", || {
        server.namespace_names() == ["/"]
    })
    .await;

    client.join_ok("/match-a", None).await;
    assert_eq!(
        seen.next().await,
        "/match-a",
        "a new child has the parent's handlers"
    );
    server.stop().await;
}

#[tokio::test]
async fn empty_children_can_be_kept() {
    let io = tether::server::Server::new(
        tether_tests::sio_config().with_cleanup_empty_child_namespaces(false),
    );
    let parent = io.of_pattern("/match-{id}").expect("valid pattern");
    let server = SioServer::start(io).await;
    let mut client = server.open().await;
    client.join_ok("/match-1", None).await;
    client.leave("/match-1").await;
    client.join_ok("/match-2", None).await;
    let names: Vec<String> = parent
        .children()
        .iter()
        .map(|ns| ns.name().to_owned())
        .collect();
    assert_eq!(names, ["/match-1", "/match-2"]);
    server.stop().await;
}

#[test]
fn patterns_that_do_not_parse_are_refused() {
    assert!(NamePattern::new("/a{b}{c}").is_err());
    assert!(NamePattern::new("/x}{").is_err());
    let pattern = NamePattern::new("/v{n}-beta/{rest}").expect("valid pattern");
    assert!(pattern.matches("/v2-beta/anything"));
    assert!(!pattern.matches("/v-beta/anything"));
}

#[tokio::test]
async fn a_regex_accepts_whole_names_and_patterns_capture_parameters() {
    let server = SioServer::with(|io| {
        let boards =
            io.of_regex(regex::Regex::new(r"/board-(?P<board>\d+)(-(?P<lane>[a-z]+))?").unwrap());
        let games = io
            .of_pattern("/org/{org}/game-{game}")
            .expect("valid pattern");
        for parent in [boards, games] {
            parent.on("params", |socket: Socket, mut event: Event| async move {
                let ns = socket.namespace();
                let params: serde_json::Map<String, Value> = ns
                    .params()
                    .map(|(key, value)| (key.to_owned(), json!(value)))
                    .collect();
                event.ack(&params)
            });
        }
    })
    .await;
    let mut client = server.open().await;
    for (ns, expected) in [
        ("/board-12", json!({ "board": "12" })),
        ("/board-7-red", json!({ "board": "7", "lane": "red" })),
        ("/org/acme/game-3", json!({ "org": "acme", "game": "3" })),
    ] {
        client.join_ok(ns, None).await;
        let id = client.emit_with_ack(ns, "params", json!([])).await;
        assert_eq!(client.expect_ack(ns, id).await.args(), [expected], "{ns}");
    }
    for refused in ["/board-", "/board-12x", "/xboard-12", "/board-1-RED"] {
        assert_eq!(
            client.join(refused, None).await,
            Err(json!({ "message": "Invalid namespace" })),
            "a regex must match the whole name: {refused}"
        );
    }
    server.stop().await;
}

#[test]
fn name_patterns_report_their_parameters() {
    let pattern = NamePattern::new("/team-{team}/{}").unwrap();
    assert_eq!(
        pattern.params("/team-red/anything"),
        Some(vec![("team".to_owned(), "red".to_owned())])
    );
    assert_eq!(pattern.params("/team-/x"), None);
}
