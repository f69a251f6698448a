//! Frames for WebSocket sessions are written by flusher tasks while the sessions'
//! own tasks sleep: they still arrive whole and in order, beside the WebSocket
//! library's own frames, on full sockets, at a close, on either tokio scheduler,
//! and when queued from a thread outside the runtime.

use std::time::Duration;

use tether::engine::CloseReason;
use tether_tests::{TestServer, WsClient, WsEvent};
use tokio_tungstenite::tungstenite::Message;

/// Reads `count` text frames `4{prefix}{index}` in order.
async fn expect_numbered(ws: &mut WsClient, prefix: &str, range: std::ops::Range<usize>) {
    for index in range {
        assert_eq!(
            ws.expect_text().await,
            format!("4{prefix}{index}"),
            "in order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_pings_are_answered_while_packets_stream_out() {
    const ROUNDS: u8 = 20;
    const PER_ROUND: usize = 150;
    let (server, mut ws, _open, conn) = TestServer::quiet_with_websocket_connection().await;
    let sender = tokio::spawn(async move {
        for index in 0..usize::from(ROUNDS) * PER_ROUND {
            conn.send_text(&index.to_string()).unwrap();
            if index % 50 == 0 {
                tokio::task::yield_now().await;
            }
        }
    });
    for round in 0..ROUNDS {
        ws.try_send(Message::Ping(vec![round].into()))
            .await
            .unwrap();
        let start = usize::from(round) * PER_ROUND;
        expect_numbered(&mut ws, "", start..start + PER_ROUND).await;
    }
    sender.await.unwrap();
    // The echo of this packet leaves after the pong of the last ping.
    ws.send_text("4end").await;
    assert_eq!(ws.expect_text().await, "4end");
    let pongs = ws.pongs();
    assert_eq!(
        pongs.last(),
        Some(&vec![ROUNDS - 1]),
        "the last ping answered"
    );
    assert!(
        pongs.windows(2).all(|pair| pair[0] < pair[1]),
        "pongs answer pings in order: {pongs:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_socket_gets_every_packet_then_the_close_frame() {
    const MESSAGES: usize = 200;
    let (server, mut ws, open, conn) = TestServer::quiet_with_websocket_connection().await;
    // 64 KiB each: over twelve megabytes, more than the loopback buffers hold, so
    // writes to this socket stop halfway through frames.
    let pad = "y".repeat(64 * 1024);
    for index in 0..MESSAGES {
        conn.send_text(&format!("{index}:{pad}")).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    conn.close_with(CloseReason::ForcedClose);
    for index in 0..MESSAGES {
        assert_eq!(
            ws.expect_text().await,
            format!("4{index}:{pad}"),
            "whole and in order"
        );
    }
    let ending = server.websocket_ending(&mut ws, &open.sid).await;
    assert_eq!(ending.before, [], "nothing after the last packet");
    assert_eq!(
        (ending.code, ending.reason),
        (Some(1000), CloseReason::ForcedClose)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packets_queued_outside_the_runtime_arrive() {
    let (server, mut ws, _open, conn) = TestServer::quiet_with_websocket_connection().await;
    std::thread::spawn(move || {
        for index in 0..100 {
            conn.send_text(&format!("t{index}")).unwrap();
        }
    })
    .join()
    .unwrap();
    expect_numbered(&mut ws, "t", 0..100).await;
    server.stop().await;
}

#[tokio::test]
async fn broadcasts_on_the_current_thread_scheduler_reach_every_session_in_order() {
    const SESSIONS: usize = 40;
    const MESSAGES: usize = 200;
    let server = TestServer::quiet().await;
    let mut clients = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        clients.push(server.open_websocket().await);
    }
    let conns: Vec<_> = clients
        .iter()
        .map(|(_, open)| server.connection(&open.sid))
        .collect();
    for index in 0..MESSAGES {
        for conn in &conns {
            conn.send_text(&format!("b{index}")).unwrap();
        }
        if index % 20 == 0 {
            tokio::task::yield_now().await;
        }
    }
    for (ws, _) in &mut clients {
        expect_numbered(ws, "b", 0..MESSAGES).await;
    }
    for (ws, _) in &mut clients {
        ws.send_text("4still").await;
        assert_eq!(ws.next().await, WsEvent::Text("4still".into()));
    }
    server.stop().await;
}
