//! HTTP long-polling: payloads both ways, waiting GETs, one GET at a time, and
//! malformed bodies.

use std::time::Duration;

use bytes::Bytes;
use tether::engine::{CloseReason, Message};
use tether_tests::engine_checks::reply_of;
use tether_tests::payload::{binary_record, join, split};
use tether_tests::server::quiet_config;
use tether_tests::{QUIET, TestServer};
use tokio::time::Instant;

fn text(message: &str) -> Message {
    Message::Text(tether::engine::Text::from(message.to_owned()))
}

#[tokio::test]
async fn a_posted_packet_is_echoed_on_the_next_get() {
    let (server, session) = TestServer::quiet_with_polling().await;

    let posted = session.post("4hello").await;
    assert_eq!(posted.status, 200);
    assert_eq!(posted.text(), "ok");
    assert_eq!(posted.header("content-type"), Some("text/html"));

    let polled = session.get().await;
    assert_eq!(polled.status, 200);
    assert_eq!(
        polled.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(polled.header("cache-control"), Some("no-store"));
    assert_eq!(polled.text(), "4hello");
    assert_eq!(server.recorder().messages(session.sid()), [text("hello")]);
    server.stop().await;
}

fn binary(bytes: &'static [u8]) -> Message {
    Message::Binary(Bytes::from_static(bytes))
}

/// Posted payloads reach the handler packet by packet, in order, and come back
/// byte-identical on the next GET.
#[tokio::test]
async fn posted_payloads_come_back_byte_identical() {
    let many: Vec<String> = (0..200).map(|i| format!("4m{i}")).collect();
    let cases = [
        (
            "several text packets",
            join(&["4test1", "4test2", "4test3"]),
            vec![text("test1"), text("test2"), text("test3")],
        ),
        (
            "text and binary packets",
            "4hello\x1ebAQIDBA==".to_owned(),
            vec![text("hello"), binary(&[1, 2, 3, 4])],
        ),
        (
            "unicode text and padded binary",
            join(&[
                "4€ünïcödé 😀".to_owned(),
                binary_record(&[0xff]),
                binary_record(&[0, 1]),
                binary_record(&[]),
                "4".to_owned(),
                "4{\"json\":[1,2,3]}".to_owned(),
            ]),
            vec![
                text("€ünïcödé 😀"),
                binary(&[0xff]),
                binary(&[0, 1]),
                binary(&[]),
                text(""),
                text("{\"json\":[1,2,3]}"),
            ],
        ),
        (
            "many packets",
            join(&many),
            (0..200).map(|i| text(&format!("m{i}"))).collect(),
        ),
    ];
    let server = TestServer::quiet().await;
    for (name, payload, messages) in cases {
        let session = server.open_polling().await;
        assert_eq!(session.post(payload.clone()).await.text(), "ok", "{name}");
        assert_eq!(
            server.recorder().messages(session.sid()),
            messages,
            "{name}"
        );
        assert_eq!(session.get().await.text(), payload, "{name}");
    }
    server.stop().await;
}

#[tokio::test]
async fn queued_server_messages_flush_as_one_payload() {
    let (server, session, conn) = TestServer::quiet_with_polling_connection().await;
    conn.send_text("first").unwrap();
    conn.send_binary(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]))
        .unwrap();
    conn.send_text("last").unwrap();

    let polled = session.get().await;
    assert_eq!(
        split(polled.text()),
        ["4first", "b3q2+7w==", "4last"],
        "binary is base64 with a b prefix, packets joined by \\x1e"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_get_waits_until_there_is_data() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let get = session.spawn_pending_get().await;

    server.connection(session.sid()).send_text("late").unwrap();
    let polled = reply_of(get).await;
    assert_eq!(polled.status, 200);
    assert_eq!(polled.text(), "4late");
    server.stop().await;
}

#[tokio::test]
async fn a_get_without_data_ends_with_the_next_ping() {
    let interval = Duration::from_millis(1_000);
    let config = quiet_config().with_heartbeat(interval, Duration::from_secs(20));
    let server = TestServer::start(config).await;
    let started = Instant::now();
    let session = server.open_polling().await;

    let get = session.spawn_pending_get().await;

    let polled = reply_of(get).await;
    assert_eq!(polled.text(), "2");
    assert!(
        started.elapsed() >= interval,
        "ping after {:?}, before the {interval:?} interval",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_second_concurrent_get_is_refused_and_closes_the_session() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let first = session.spawn_pending_get().await;

    let second = session
        .get_request()
        .header("x-burst", "1")
        .send(server.addr())
        .await;
    second.assert_error(400, 3, "Bad request");

    let first = reply_of(first).await;
    assert_eq!(first.status, 200);
    assert_eq!(
        first.text(),
        "1",
        "the pending GET is told the session closed"
    );

    server
        .expect_ended(&session, CloseReason::TransportError)
        .await;
    server.stop().await;
}

#[tokio::test]
async fn an_invalid_packet_closes_the_session() {
    let server = TestServer::quiet().await;
    for body in [&b"abc"[..], b"4ok\x1e9nine", b"bAQ!D", b"", b"4\xff\xfe"] {
        let session = server.open_polling().await;
        let reply = session.post(Bytes::copy_from_slice(body)).await;
        assert_eq!(reply.status, 400, "POST {body:?}");
        assert_eq!(
            server.closed(session.sid()).await,
            CloseReason::ParseError,
            "POST {body:?}"
        );
        session.expect_unknown().await;
    }
    server.stop().await;
}

#[tokio::test]
async fn a_binary_content_type_is_refused_and_closes_the_session() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let reply = session
        .post_request(Bytes::from_static(&[1, 2, 3]))
        .header("content-type", "application/octet-stream")
        .send(server.addr())
        .await;
    reply.assert_error(400, 3, "Bad request");
    server
        .expect_ended(&session, CloseReason::TransportError)
        .await;
    server.stop().await;
}

/// As the Node.js server does ("poll connection closed prematurely"), and the
/// official engine.io-protocol suite checks.
#[tokio::test]
async fn an_abandoned_get_closes_the_session() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let abandoned = session.spawn_pending_get().await;
    abandoned.abort();
    let _ = abandoned.await;
    server
        .expect_ended(&session, CloseReason::TransportError)
        .await;
    server.stop().await;
}

/// A GET whose connection ends right behind it: the server reads the request and
/// the end of the stream at once, and must still count the GET as abandoned (the
/// official engine.io-protocol suite cancels a GET this way).
#[tokio::test]
async fn a_get_read_together_with_the_end_of_its_connection_closes_the_session() {
    use tokio::io::AsyncWriteExt;
    let (server, session) = TestServer::quiet_with_polling().await;
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    // The server accepts the connection and finds nothing to read yet; then the
    // request and the end of the stream arrive together.
    tokio::time::sleep(QUIET).await;
    let request = format!("GET {} HTTP/1.1\r\nHost: localhost\r\n\r\n", session.path());
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    server
        .expect_closed(session.sid(), CloseReason::TransportError)
        .await;
    server.stop().await;
}
