//! Limits: `max_payload` on both transports and the bounded outbound queue.

use bytes::Bytes;
use tether::engine::{CloseReason, Connection, Frame, PacketKind, SendError};
use tether_tests::engine_checks::{WsEnding, reply_of};
use tether_tests::server::quiet_config;
use tether_tests::{PollingSession, TestServer, WsClient};

const MAX: usize = 100;

async fn small_server() -> TestServer {
    TestServer::start(quiet_config().with_max_payload(MAX)).await
}

/// A server that queues at most 8 packets for a client, with one polling session
/// open, and the server's connection of it.
async fn queue_of_eight() -> (TestServer, PollingSession, Connection<()>) {
    let server = TestServer::start(quiet_config().with_max_buffered_packets(8)).await;
    let session = server.open_polling().await;
    let conn = server.connection(session.sid());
    (server, session, conn)
}

/// Checks the server closed `ws`, the client of `sid`, with `1009` (message too
/// big) and nothing before it, and told the handler of a transport error.
async fn expect_too_big(server: &TestServer, ws: &mut WsClient, sid: &str) {
    let ending = server.websocket_ending(ws, sid).await;
    let too_big = WsEnding {
        code: Some(1009),
        before: vec![],
        reason: CloseReason::TransportError,
    };
    assert_eq!(ending, too_big);
}

#[tokio::test]
async fn the_default_max_payload_is_one_million_bytes() {
    let (server, session) = TestServer::quiet_with_polling().await;
    assert_eq!(session.open.max_payload, 1_000_000);
    let fits = format!("4{}", "x".repeat(999_999));
    assert_eq!(session.post(fits.clone()).await.text(), "ok");
    assert_eq!(session.get().await.text(), fits);
    let reply = session.post(format!("4{}", "x".repeat(1_000_000))).await;
    assert_eq!(reply.status, 413);
    server.stop().await;
}

#[tokio::test]
async fn a_polling_body_over_max_payload_gets_413() {
    let server = small_server().await;
    let session = server.open_polling().await;
    assert_eq!(session.open.max_payload, MAX as u64);

    let too_big = format!("4{}", "x".repeat(MAX));
    let reply = session.post(too_big.clone()).await;
    assert_eq!(reply.status, 413, "with a Content-Length");
    let reply = session
        .post_request(too_big)
        .chunked()
        .send(server.addr())
        .await;
    assert_eq!(reply.status, 413, "without a Content-Length");
    assert!(server.recorder().messages(session.sid()).is_empty());

    let exactly = format!("4{}", "y".repeat(MAX - 1));
    assert_eq!(session.post(exactly.clone()).await.text(), "ok");
    assert_eq!(session.get().await.text(), exactly);
    let chunked = session
        .post_request("4chunked")
        .chunked()
        .send(server.addr())
        .await;
    assert_eq!(chunked.text(), "ok");
    assert_eq!(session.get().await.text(), "4chunked");
    server.stop().await;
}

#[tokio::test]
async fn a_websocket_message_over_max_payload_closes_with_1009() {
    let server = small_server().await;
    let (mut ws, open) = server.open_websocket().await;
    let exactly = format!("4{}", "y".repeat(MAX - 1));
    ws.send_text(&exactly).await;
    assert_eq!(ws.expect_text().await, exactly);
    ws.send_binary(vec![1u8; MAX]).await;
    assert_eq!(ws.expect_binary().await, vec![1u8; MAX]);

    ws.send_text(&format!("4{}", "x".repeat(MAX))).await;
    expect_too_big(&server, &mut ws, &open.sid).await;
    server.stop().await;
}

#[tokio::test]
async fn a_binary_websocket_message_over_max_payload_closes_with_1009() {
    let server = small_server().await;
    let (mut ws, open) = server.open_websocket().await;
    ws.send_binary(vec![0u8; MAX + 1]).await;
    expect_too_big(&server, &mut ws, &open.sid).await;
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_read_is_disconnected_when_its_queue_is_full() {
    let (server, session, conn) = queue_of_eight().await;
    for i in 0..8 {
        conn.send_text(&format!("m{i}")).unwrap();
    }
    assert_eq!(conn.send_text("one too many"), Err(SendError::QueueFull));
    server
        .expect_closed(session.sid(), CloseReason::SlowClient)
        .await;
    assert_eq!(conn.send_text("after"), Err(SendError::Closed));
    server.expect_empty().await;
    server.stop().await;
}

/// Sending from a plain thread, outside any tokio runtime, to a client whose queue
/// is full does not panic: the session closes on the runtime it opened on.
#[tokio::test]
async fn a_plain_thread_overflowing_a_slow_client_does_not_panic() {
    for websocket in [false, true] {
        let server = TestServer::start(quiet_config().with_max_buffered_packets(8)).await;
        let (sid, _ws) = if websocket {
            // A WebSocket client that never reads: once the socket buffers are
            // full, frames stay queued.
            let (ws, open) = server.open_websocket().await;
            (open.sid, Some(ws))
        } else {
            (server.open_polling().await.sid().to_owned(), None)
        };
        let conn = server.connection(&sid);
        let sender = std::thread::spawn(move || {
            let payload = "x".repeat(64 * 1024);
            loop {
                match conn.send_text(&payload) {
                    Ok(()) => continue,
                    Err(error) => return error,
                }
            }
        });
        let error = tokio::task::spawn_blocking(move || sender.join())
            .await
            .unwrap()
            .expect("sending outside a runtime must not panic");
        assert_eq!(error, SendError::QueueFull);
        server.expect_closed(&sid, CloseReason::SlowClient).await;
        server.stop().await;
    }
}

#[tokio::test]
async fn frames_sent_together_are_queued_together_or_not_at_all() {
    let (server, session, conn) = queue_of_eight().await;
    let frames = |n: usize| (0..n).map(|i| Frame::text_packet(PacketKind::Message, &i.to_string()));
    conn.send_all(frames(3)).unwrap();
    conn.send_all([
        Frame::Binary(Bytes::from_static(b"\x01")),
        Frame::control(PacketKind::Noop),
    ])
    .unwrap();
    assert_eq!(session.get().await.text(), "40\x1e41\x1e42\x1ebAQ==\x1e6");

    assert_eq!(conn.send_all(frames(9)), Err(SendError::QueueFull));
    server
        .expect_closed(session.sid(), CloseReason::SlowClient)
        .await;
    server.stop().await;
}

#[tokio::test]
async fn volatile_frames_are_dropped_unless_the_transport_can_take_them() {
    let (server, session, conn) = TestServer::quiet_with_polling_connection().await;
    let frame = || [Frame::text_packet(PacketKind::Message, "volatile")];
    assert_eq!(conn.send_volatile(frame()), Ok(false), "no GET is waiting");

    let get = session.spawn_get();
    tether_tests::until("the GET becomes writable", || {
        conn.send_volatile(frame()) == Ok(true)
    })
    .await;
    let polled = reply_of(get).await;
    assert_eq!(polled.text(), "4volatile");
    server.stop().await;
}
