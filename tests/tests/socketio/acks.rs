//! Acknowledgements both ways: handlers answering client emits (now or later, with
//! several arguments and binary), server emits waiting for the client's answer with
//! timeouts, disconnects and wrong types, and broadcasts collecting one answer per
//! socket through an `AckStream`.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;
use tether::engine::Sid;
use tether::protocol::Args;
use tether::server::{AckError, AckStream, Event, Server, Socket};
use tether_tests::{SioClient, SioServer, placeholder, sio_config};

use crate::support::{handling, reporting_events};

fn socket(server: &SioServer, sid: &str) -> Socket {
    server
        .io
        .socket(Sid::parse(sid).expect("a sid"))
        .expect("a connected socket")
}

/// A client of `server` joined to `/`, and its socket.
async fn client_of(server: &SioServer) -> (SioClient, Socket) {
    let (client, sid) = server.client("/").await;
    (client, socket(server, &sid))
}

/// The next answer of `stream`, which must come from a socket of this node: its
/// socket id and the answer.
async fn next_local(stream: &mut AckStream<String>) -> (String, Result<String, AckError>) {
    let (sid, result) = stream.next().await.expect("an answer");
    (sid.expect("a local socket").as_str().to_owned(), result)
}

#[tokio::test]
async fn a_handler_acknowledges_with_several_arguments_and_binary() {
    let server = SioServer::with(|io| {
        io.main()
            .on("ask", |_socket: Socket, mut event: Event| async move {
                event.ack(&(
                    1,
                    "two",
                    Bytes::from_static(&[3, 4]),
                    json!({ "five": [5] }),
                ))
            });
        io.of("/admin")
            .on("ask", |_socket: Socket, mut event: Event| async move {
                event.ack(&())
            });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    client.join_ok("/admin", None).await;
    let first = client.emit_with_ack("/", "ask", json!([])).await;
    let ack = client.expect_ack("/", first).await;
    assert_eq!(
        ack.text,
        format!(r#"61-{first}[1,"two",{{"_placeholder":true,"num":0}},{{"five":[5]}}]"#)
    );
    assert_eq!(ack.attachments, [vec![3, 4]]);
    let second = client.emit_with_ack("/admin", "ask", json!([])).await;
    assert_eq!(
        client.expect_ack("/admin", second).await.text,
        format!("3/admin,{second}[]")
    );
    server.stop().await;
}

#[tokio::test]
async fn an_acknowledgement_can_be_sent_later_from_another_task() {
    let server = SioServer::with(|io| {
        io.main()
            .on("slow", |_socket: Socket, mut event: Event| async move {
                let ack = event.take_ack().expect("the client asked for an ack");
                let id = ack.id();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = ack.send(&("late", id));
                });
            });
        io.main()
            .on("quick", |_socket: Socket, mut event: Event| async move {
                event.ack(&"quick")
            });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    let slow = client.emit_with_ack("/", "slow", json!([])).await;
    let quick = client.emit_with_ack("/", "quick", json!([])).await;
    assert_eq!(client.expect_ack("/", quick).await.args(), [json!("quick")]);
    assert_eq!(
        client.expect_ack("/", slow).await.args(),
        [json!("late"), json!(slow)]
    );
    server.stop().await;
}

#[tokio::test]
async fn an_event_without_an_ack_request_sends_no_ack() {
    let (server, mut seen) = reporting_events("plain", |socket, mut event, report| async move {
        report.send(event.wants_ack());
        event.ack(&"ignored")?;
        socket.emit("sentinel", &())
    })
    .await;
    let (mut client, _) = server.client("/").await;
    client.emit("/", "plain", json!([])).await;
    assert!(!seen.next().await);
    client.expect_event("/", "sentinel").await;
    server.stop().await;
}

#[tokio::test]
async fn a_server_emit_resolves_with_the_clients_answer() {
    let server = SioServer::with(|_| {}).await;
    let (mut client, socket) = client_of(&server).await;

    let number = tokio::spawn(socket.emit_with_ack::<u32, _>("question", &("how many?", 2)));
    let asked = client.expect_event("/", "question").await;
    assert_eq!(asked.text, r#"20["question","how many?",2]"#);
    client.ack("/", 0, json!([42, "ignored"])).await;
    assert_eq!(number.await.unwrap().unwrap(), 42);

    let all = tokio::spawn(socket.emit_with_ack::<Args, _>("all", &()));
    assert_eq!(client.expect_event("/", "all").await.id, Some(1));
    client
        .ack_binary(
            "/",
            1,
            json!(["a", placeholder(0), { "n": null }]),
            &[b"bin"],
        )
        .await;
    let args = all.await.unwrap().unwrap();
    assert_eq!(args.len(), 3);
    assert_eq!(args.decode::<Bytes>(1).unwrap(), Bytes::from_static(b"bin"));
    assert_eq!(args.raw(2), Some(r#"{"n":null}"#));

    let binary = tokio::spawn(socket.emit_with_ack::<Bytes, _>("file", &()));
    assert_eq!(client.expect_event("/", "file").await.id, Some(2));
    client
        .ack_binary("/", 2, json!([placeholder(0)]), &[&[9, 8, 7]])
        .await;
    assert_eq!(
        binary.await.unwrap().unwrap(),
        Bytes::from_static(&[9, 8, 7])
    );
    server.stop().await;
}

#[tokio::test]
async fn empty_and_mistyped_answers_are_reported() {
    let server = SioServer::with(|_| {}).await;
    let (mut client, socket) = client_of(&server).await;

    let unit = tokio::spawn(socket.emit_with_ack::<(), _>("a", &()));
    let optional = tokio::spawn(socket.emit_with_ack::<Option<u32>, _>("b", &()));
    let required = tokio::spawn(socket.emit_with_ack::<u32, _>("c", &()));
    let mistyped = tokio::spawn(socket.emit_with_ack::<u32, _>("d", &()));
    for (id, name) in ["a", "b", "c", "d"].iter().enumerate() {
        assert_eq!(client.expect_event("/", name).await.id, Some(id as u64));
    }
    client.ack("/", 0, json!([])).await;
    client.ack("/", 1, json!([])).await;
    client.ack("/", 2, json!([])).await;
    client.ack("/", 3, json!(["not a number"])).await;
    unit.await.unwrap().unwrap();
    assert_eq!(optional.await.unwrap().unwrap(), None);
    assert!(matches!(
        required.await.unwrap(),
        Err(AckError::NoArguments)
    ));
    assert!(matches!(mistyped.await.unwrap(), Err(AckError::Decode(_))));
    server.stop().await;
}

#[tokio::test]
async fn an_unanswered_emit_times_out_and_a_late_answer_is_ignored() {
    let io = Server::new(sio_config().with_ack_timeout(Duration::from_millis(150)));
    let server = SioServer::start(io).await;
    let (mut client, socket) = client_of(&server).await;

    let started = tokio::time::Instant::now();
    let default = tokio::spawn(socket.emit_with_ack::<u32, _>("q", &()));
    let shorter = tokio::spawn(
        socket
            .timeout(Duration::from_millis(50))
            .emit_with_ack::<u32, _>("q", &()),
    );
    assert!(matches!(shorter.await.unwrap(), Err(AckError::Timeout)));
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert!(matches!(default.await.unwrap(), Err(AckError::Timeout)));
    assert!(started.elapsed() >= Duration::from_millis(150));

    client.expect_event("/", "q").await;
    client.expect_event("/", "q").await;
    client.ack("/", 0, json!([1])).await;
    client.ack("/", 1, json!([1])).await;
    client.ack("/", 99, json!([1])).await;
    let again = tokio::spawn(socket.emit_with_ack::<u32, _>("again", &()));
    assert_eq!(client.expect_event("/", "again").await.id, Some(2));
    client.ack("/", 2, json!([7])).await;
    client.ack("/", 2, json!([8])).await;
    assert_eq!(again.await.unwrap().unwrap(), 7, "the first answer counts");
    assert!(socket.connected());
    server.stop().await;
}

#[tokio::test]
async fn a_disconnect_fails_the_pending_acks() {
    let server = SioServer::with(|_| {}).await;
    let (mut client, socket) = client_of(&server).await;
    let pending = tokio::spawn(
        socket
            .timeout(Duration::from_secs(30))
            .emit_with_ack::<u32, _>("q", &()),
    );
    client.expect_event("/", "q").await;
    client.leave("/").await;
    assert!(matches!(
        pending.await.unwrap(),
        Err(AckError::Disconnected)
    ));
    let after = socket.emit_with_ack::<u32, _>("q", &()).await;
    assert!(matches!(after, Err(AckError::Emit(_))), "{after:?}");
    server.stop().await;
}

/// Reads the next event `name` and answers it with `answer` (if any); returns its id.
async fn answer(client: &mut SioClient, name: &str, answer: Option<serde_json::Value>) -> u64 {
    let event = client.expect_event("/", name).await;
    let id = event.id.expect("an ack id");
    if let Some(args) = answer {
        client.ack("/", id, args).await;
    }
    id
}

#[tokio::test]
async fn a_broadcast_collects_one_result_per_socket() {
    let server = SioServer::with(|_| {}).await;
    let (mut a, sid_a) = server.client("/").await;
    let (mut b, sid_b) = server.client("/").await;
    let (mut silent, sid_silent) = server.client("/").await;
    let (mut outside, _) = server.client("/").await;
    for sid in [&sid_a, &sid_b, &sid_silent] {
        socket(&server, sid).join("voters");
    }
    // A socket's ack ids are its own: a prior emit makes `b` count from 1.
    let prior = tokio::spawn(socket(&server, &sid_b).emit_with_ack::<u32, _>("prior", &()));
    answer(&mut b, "prior", Some(json!([0]))).await;
    prior.await.unwrap().unwrap();

    let started = tokio::time::Instant::now();
    let mut stream = server
        .io
        .to("voters")
        .timeout(Duration::from_millis(300))
        .emit_with_ack::<String, _>("vote", "yes or no?");
    assert_eq!(stream.remaining(), 3);
    assert_eq!(answer(&mut b, "vote", Some(json!(["no"]))).await, 1);
    let (first, result) = next_local(&mut stream).await;
    assert_eq!((first, result.unwrap()), (sid_b, "no".to_owned()));
    assert_eq!(answer(&mut a, "vote", Some(json!(["yes"]))).await, 0);
    let (second, result) = next_local(&mut stream).await;
    assert_eq!((second, result.unwrap()), (sid_a, "yes".to_owned()));
    answer(&mut silent, "vote", None).await;
    let (third, result) = next_local(&mut stream).await;
    assert_eq!(third, sid_silent, "the silent one timed out");
    assert!(matches!(result, Err(AckError::Timeout)));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(stream.next().await.is_none());

    server.io.emit("sentinel", &()).unwrap();
    outside.expect_event("/", "sentinel").await;
    server.stop().await;
}

#[tokio::test]
async fn collect_all_waits_for_every_socket() {
    let server = handling("poll", |socket: Socket, mut event: Event| async move {
        let results = socket
            .broadcast()
            .timeout(Duration::from_millis(200))
            .emit_with_ack::<u32, _>("count", &())
            .collect_all()
            .await;
        let mut summary: Vec<String> = results
            .into_iter()
            .map(|(sid, result)| {
                let sid = sid.expect("a local socket");
                match result {
                    Ok(value) => format!("{sid}={value}"),
                    Err(error) => format!("{sid}:{error}"),
                }
            })
            .collect();
        summary.sort();
        event.ack(&summary)
    })
    .await;
    let (mut asker, _) = server.client("/").await;
    let (mut one, sid_one) = server.client("/").await;
    let (mut two, sid_two) = server.client("/").await;
    let id = asker.emit_with_ack("/", "poll", json!([])).await;
    answer(&mut one, "count", Some(json!([1]))).await;
    answer(&mut two, "count", None).await;
    let mut expected = vec![
        format!("{sid_one}=1"),
        format!("{sid_two}:acknowledgement timed out"),
    ];
    expected.sort();
    assert_eq!(asker.expect_ack("/", id).await.args(), [json!(expected)]);
    server.stop().await;
}

#[tokio::test]
async fn a_broadcast_with_no_target_yields_nothing() {
    let server = SioServer::with(|_| {}).await;
    let stream = server.io.to("empty").emit_with_ack::<u32, _>("x", &());
    assert_eq!(stream.remaining(), 0);
    assert!(stream.collect_all().await.is_empty());
    server.stop().await;
}

/// A null value is one `null` argument, as Node's `cb(null)`; only `()` sends none
/// (socket.io-client's `retries` takes a missing first argument for a failure).
#[tokio::test]
async fn a_null_answer_is_one_null_argument_and_only_unit_is_none() {
    let server = SioServer::with(|io| {
        let ns = io.main();
        ns.on(
            "json-null",
            |_socket: Socket, mut event: Event| async move { event.ack(&serde_json::Value::Null) },
        );
        ns.on("value-null", |_socket: Socket, mut event: Event| async move {
            event.ack(&tether::protocol::Value::Null)
        });
        ns.on("none", |_socket: Socket, mut event: Event| async move {
            event.ack(&None::<u8>)
        });
        ns.on("unit", |_socket: Socket, mut event: Event| async move {
            event.ack(&())
        });
        ns.on("emit-null", |socket: Socket, _event: Event| async move {
            socket.emit("null", &serde_json::Value::Null)?;
            let own_room = socket.id().as_str().to_owned();
            socket
                .namespace()
                .to(own_room)
                .emit("null", &serde_json::Value::Null)
        });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    for (event, args) in [
        ("json-null", "[null]"),
        ("value-null", "[null]"),
        ("none", "[null]"),
        ("unit", "[]"),
    ] {
        let id = client.emit_with_ack("/", event, json!([])).await;
        assert_eq!(
            client.expect_ack("/", id).await.text,
            format!("3{id}{args}")
        );
    }
    client.emit("/", "emit-null", json!([])).await;
    for _ in 0..2 {
        let packet = client.expect_event("/", "null").await;
        assert_eq!(packet.text, r#"2["null",null]"#);
    }
    server.stop().await;
}

#[tokio::test]
async fn acknowledgements_of_a_socket_with_an_outgoing_hook_arrive_in_order() {
    let (server, mut hooked) = crate::support::probed_server(|io, report| {
        io.on_connection(move |socket: Socket| {
            let report = report.clone();
            async move {
                socket.on_any_outgoing(move |_socket, event| report.send(event.name().to_owned()));
            }
        });
        io.main()
            .on("echo", |socket: Socket, mut event: Event| async move {
                let args = event.args().clone();
                socket.emit("echoing", &())?;
                event.ack(&args)
            });
    })
    .await;
    let (mut client, _) = server.client("/").await;
    let first = client.emit_with_ack("/", "echo", json!([1, "one"])).await;
    let second = client
        .emit_with_ack("/", "echo", json!([{ "two": 2 }]))
        .await;
    assert!(client.expect_event("/", "echoing").await.args().is_empty());
    assert_eq!(
        client.expect_ack("/", first).await.text,
        format!(r#"3{first}[1,"one"]"#)
    );
    assert!(client.expect_event("/", "echoing").await.args().is_empty());
    assert_eq!(
        client.expect_ack("/", second).await.text,
        format!(r#"3{second}[{{"two":2}}]"#)
    );
    // Acknowledgements are not events: the hook saw the two emits only.
    assert_eq!(hooked.take(2).await, ["echoing", "echoing"]);
    server.stop().await;
}
