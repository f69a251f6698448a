//! Cheap packets in bulk: a client flooding the server with packets that cost it
//! nothing to send must not make the server keep anything per packet.
//!
//! This file holds a single test, so the process's resident memory is the server's
//! and this one client's alone.

use std::time::Duration;

use tether_tests::server::quiet_config;
use tether_tests::{Event, PATIENCE, TestServer, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How many pongs each transport sends.
const PONGS: usize = 400_000;
/// The memory the flood may leave behind. Keeping one 24-byte deadline per pong, as
/// the server once did, holds about 20 MB.
const ALLOWED_GROWTH_KIB: u64 = 6 * 1024;

/// The process's resident set, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// A WebSocket session opened by hand; returns the stream and its sid.
async fn open_raw_websocket(server: &TestServer) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let request = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\n\
                   Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let sid = loop {
        let n = within(stream.read(&mut buf)).await.unwrap();
        assert!(n > 0, "closed during the handshake");
        received.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&received);
        if let Some(at) = text.find("{\"sid\":\"") {
            let rest = &text[at + 8..];
            if let Some(end) = rest.find('"') {
                break rest[..end].to_string();
            }
        }
    };
    (stream, sid)
}

/// `count` masked WebSocket text frames, each holding the pong packet `3`.
fn pong_frames(count: usize) -> Vec<u8> {
    let frame = [0x81, 0x81, 0, 0, 0, 0, b'3'];
    frame.repeat(count)
}

/// A polling payload of `count` pong packets.
fn pong_payload(count: usize) -> String {
    vec!["3"; count].join("\u{1e}")
}

#[tokio::test]
async fn floods_of_pongs_leave_nothing_behind() {
    let config = quiet_config().with_heartbeat(Duration::from_millis(50), Duration::from_secs(20));
    let server = TestServer::start(config).await;

    // Warm up both transports, so the allocator's pools exist before the baseline.
    let (mut ws, ws_sid) = open_raw_websocket(&server).await;
    ws.write_all(&pong_frames(1_000)).await.unwrap();
    let polling = server.open_polling().await;
    polling.post(pong_payload(1_000)).await;
    let baseline = rss_kib();

    // Over WebSocket, with the server's pings going out meanwhile.
    let (mut reader, mut writer) = ws.into_split();
    let drain = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    let per_write = 10_000;
    let frames = pong_frames(per_write);
    for _ in 0..PONGS / per_write {
        within(writer.write_all(&frames)).await.unwrap();
    }
    // Over polling, in payloads of at most `max_payload`.
    let per_post = 400_000;
    for _ in 0..PONGS / per_post {
        let reply = polling.post(pong_payload(per_post)).await;
        assert_eq!(reply.text(), "ok");
    }
    // A message after the flood: once it is echoed, every pong before it was read.
    writer.write_all(&[0x81, 0x86, 0, 0, 0, 0]).await.unwrap();
    writer.write_all(b"4after").await.unwrap();
    server
        .recorder()
        .wait_for(PATIENCE, |events| {
            events
                .iter()
                .any(|event| matches!(event, Event::Message(sid, _) if sid.to_string() == ws_sid))
                .then_some(())
        })
        .await
        .expect("the message after the flood arrives");

    let grown = rss_kib().saturating_sub(baseline);
    assert!(
        grown < ALLOWED_GROWTH_KIB,
        "the server grew by {grown} KiB over {} pongs",
        2 * PONGS
    );
    server.assert_open(&ws_sid).await;
    server.assert_open(polling.sid()).await;
    drain.abort();
    server.stop().await;
}
