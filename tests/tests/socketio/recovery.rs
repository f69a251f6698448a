//! Connection state recovery: offsets on the wire, and a client that lost its
//! connection getting its socket (id, rooms, data) and the events it missed back,
//! within the limits (duration, kept events) and only for reasons it did not choose.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tether::server::{Event, RecoveryConfig, Server, ServerConfig, Socket};
use tether_tests::{SioClient, SioServer, sio_config};

use crate::support::handling;

/// A server with recovery on: `join(room)` joins and acks, `shout(text)` emits
/// `news(text)` to everyone, `tell(room, text)` emits `news(text)` to a room,
/// `remember(value)` stores a value with the socket and `recall` acks it, `ask`
/// emits `question` with an ack wanted, `whisper` emits `hint` as volatile.
/// Middlewares run are counted in `middlewares`.
async fn recovering_server(recovery: RecoveryConfig, middlewares: Arc<AtomicUsize>) -> SioServer {
    let io = Server::new(sio_config().with_connection_state_recovery(recovery));
    let main = io.main();
    main.use_middleware(move |_socket: Socket| {
        let middlewares = middlewares.clone();
        async move {
            middlewares.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    main.on("join", |socket: Socket, mut event: Event| async move {
        let room: String = event.arg(0)?;
        socket.join(room);
        event.ack(&true)?;
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    });
    let everyone = io.clone();
    main.on("shout", move |_socket: Socket, event: Event| {
        let io = everyone.clone();
        async move {
            let text: String = event.arg(0)?;
            io.emit("news", &text)?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }
    });
    let rooms = io.clone();
    main.on("tell", move |_socket: Socket, event: Event| {
        let io = rooms.clone();
        async move {
            let (room, text): (String, String) = (event.arg(0)?, event.arg(1)?);
            io.to(room).emit("news", &text)?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }
    });
    main.on("remember", |socket: Socket, mut event: Event| async move {
        let value: String = event.arg(0)?;
        socket.insert_data(value);
        event.ack(&true)?;
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    });
    main.on("recall", |socket: Socket, mut event: Event| async move {
        event.ack(&(socket.data::<String>(), socket.recovered()))?;
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    });
    main.on("ask", |socket: Socket, _event: Event| async move {
        let _answer = socket.emit_with_ack::<Value, _>("question", &1);
    });
    main.on("whisper", |socket: Socket, _event: Event| async move {
        socket.volatile().emit("hint", &2).map(|_queued| ())
    });
    SioServer::start(io).await
}

/// The offset an event carries as its last argument.
fn offset_of(args: &[Value]) -> String {
    args.last()
        .and_then(Value::as_str)
        .expect("an offset as the last argument")
        .to_owned()
}

/// A client that joined `/` (with recovery on, so the answer holds a pid).
async fn joined(server: &SioServer) -> SioClient {
    let mut client = server.open().await;
    client.join_recoverable("/", None).await;
    client
}

/// Reads `news` events until one says `text`: the server handled what was sent
/// before it.
async fn news_until(client: &mut SioClient, text: &str) {
    while client.expect_event("/", "news").await.args()[0] != json!(text) {}
}

/// A client that joined `/`, saw one event, then lost its connection (or left
/// the namespace, with `leave`); returns its socket id, pid and last offset.
async fn gone(server: &SioServer, leave: bool) -> (String, String, String) {
    let mut client = server.open().await;
    let (sid, pid) = client.join_recoverable("/", None).await;
    client.emit("/", "shout", json!(["seen"])).await;
    let last = offset_of(&client.expect_event("/", "news").await.args());
    let before = server.io.main().socket_count();
    if leave {
        client.leave("/").await;
    } else {
        client.close().await;
    }
    server.wait_for_sockets(before - 1).await;
    (sid, pid, last)
}

/// Reconnects with `pid` and `offset`; returns the new socket id and pid.
async fn reconnect(server: &SioServer, pid: &str, offset: &str) -> (SioClient, String, String) {
    let mut client = server.open().await;
    let auth = json!({ "pid": pid, "offset": offset, "token": "t" });
    let (sid, pid) = client.join_recoverable("/", Some(auth)).await;
    (client, sid, pid)
}

#[tokio::test]
async fn events_carry_offsets_and_the_connect_answer_a_pid() {
    let server = recovering_server(RecoveryConfig::default(), Arc::default()).await;
    let mut client = server.open().await;
    let (_sid, pid) = client.join_recoverable("/", None).await;
    assert_eq!(pid.len(), 20, "a private id like a socket id");
    client.emit("/", "shout", json!(["hello"])).await;
    let news = client.expect_event("/", "news").await;
    let args = news.args();
    assert_eq!(args[0], json!("hello"));
    assert_eq!(args.len(), 2, "the text, then the offset");
    client.emit("/", "shout", json!(["again"])).await;
    let second = client.expect_event("/", "news").await.args();
    assert_ne!(
        offset_of(&second),
        offset_of(&args),
        "every event its own offset"
    );

    client.emit("/", "ask", json!([])).await;
    let question = client.expect_event("/", "question").await;
    assert!(question.id.is_some());
    assert_eq!(
        question.args(),
        [json!(1)],
        "no offset when an ack is wanted"
    );
    client.emit("/", "whisper", json!([])).await;
    let hint = client.expect_event("/", "hint").await;
    assert_eq!(hint.args(), [json!(2)], "no offset on volatile events");
    server.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_gets_its_socket_and_the_missed_events_back() {
    let middlewares = Arc::new(AtomicUsize::new(0));
    let server = recovering_server(RecoveryConfig::default(), middlewares.clone()).await;
    let mut speaker = joined(&server).await;
    let mut listener = server.open().await;
    let (sid, pid) = listener.join_recoverable("/", None).await;
    listener.emit_with_ack("/", "join", json!(["red"])).await;
    listener.expect_ack("/", 0).await;
    listener
        .emit_with_ack("/", "remember", json!(["ada"]))
        .await;
    listener.expect_ack("/", 1).await;
    speaker.emit("/", "shout", json!(["seen"])).await;
    let seen = listener.expect_event("/", "news").await.args();
    let last = offset_of(&seen);
    listener.close().await;
    server.wait_for_sockets(1).await;

    speaker.emit("/", "tell", json!(["red", "to red"])).await;
    speaker.emit("/", "tell", json!(["blue", "to blue"])).await;
    speaker.emit("/", "shout", json!(["to all"])).await;
    news_until(&mut speaker, "to all").await;
    let (mut back, recovered_sid, recovered_pid) = reconnect(&server, &pid, &last).await;
    assert_eq!(recovered_sid, sid, "the same socket id");
    assert_eq!(recovered_pid, pid, "the same private id");
    let first = back.expect_event("/", "news").await.args();
    let second = back.expect_event("/", "news").await.args();
    assert_eq!(
        (&first[0], &second[0]),
        (&json!("to red"), &json!("to all"))
    );
    assert_eq!(middlewares.load(Ordering::SeqCst), 2, "skipped on recovery");

    back.emit_with_ack("/", "recall", json!([])).await;
    let recall = back.expect_ack("/", 0).await;
    assert_eq!(
        recall.args(),
        [json!("ada"), json!(true)],
        "data kept, recovered"
    );
    speaker.emit("/", "tell", json!(["red", "live"])).await;
    assert_eq!(
        back.expect_event("/", "news").await.args()[0],
        json!("live")
    );
    back.expect_silence().await;
    server.stop().await;
}

#[tokio::test]
async fn middlewares_run_again_when_asked() {
    let middlewares = Arc::new(AtomicUsize::new(0));
    let recovery = RecoveryConfig::default().with_skip_middlewares(false);
    let server = recovering_server(recovery, middlewares.clone()).await;
    let (sid, pid, last) = gone(&server, false).await;
    let (_back, recovered_sid, _) = reconnect(&server, &pid, &last).await;
    assert_eq!(recovered_sid, sid);
    assert_eq!(middlewares.load(Ordering::SeqCst), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_left_on_purpose_or_too_long_ago_starts_afresh() {
    let recovery =
        RecoveryConfig::default().with_max_disconnection_duration(Duration::from_millis(300));
    let server = recovering_server(recovery, Arc::default()).await;

    let (sid, pid, last) = gone(&server, true).await;
    let (_fresh, fresh_sid, fresh_pid) = reconnect(&server, &pid, &last).await;
    assert_ne!(fresh_sid, sid, "a client namespace disconnect is not kept");
    assert_ne!(fresh_pid, pid);

    let (sid, pid, last) = gone(&server, false).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_late, late_sid, _) = reconnect(&server, &pid, &last).await;
    assert_ne!(
        late_sid, sid,
        "kept no longer than max_disconnection_duration"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_offset_no_longer_kept_or_a_wrong_pid_gets_a_new_socket() {
    let recovery = RecoveryConfig::default().with_max_kept_events(2);
    let server = recovering_server(recovery, Arc::default()).await;
    let mut speaker = joined(&server).await;
    let (sid, pid, last) = gone(&server, false).await;
    for text in ["b", "c", "d"] {
        speaker.emit("/", "shout", json!([text])).await;
    }
    news_until(&mut speaker, "d").await;
    let (_back, back_sid, _) = reconnect(&server, &pid, &last).await;
    assert_ne!(back_sid, sid, "events were missed that are no longer kept");

    let (other_sid, other_pid, other_last) = gone(&server, false).await;
    let (_guess, guess_sid, _) = reconnect(&server, "AAAAAAAAAAAAAAAAAAAA", &other_last).await;
    assert_ne!(guess_sid, other_sid, "an unknown pid recovers nothing");
    let (_back, back_sid, _) = reconnect(&server, &other_pid, &other_last).await;
    assert_eq!(
        back_sid, other_sid,
        "the right pid and a kept offset still do"
    );
    server.stop().await;
}

#[tokio::test]
async fn without_recovery_nothing_changes_on_the_wire() {
    let server = handling("shout", |socket: Socket, event: Event| async move {
        let text: String = event.arg(0)?;
        socket.emit("news", &text)?;
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    })
    .await;
    assert!(
        ServerConfig::default()
            .connection_state_recovery()
            .is_none()
    );
    let (mut client, _) = server.client("/").await;
    client.emit("/", "shout", json!(["plain"])).await;
    let news = client.expect_event("/", "news").await;
    assert_eq!(news.text, r#"2["news","plain"]"#);
    server.stop().await;
}
