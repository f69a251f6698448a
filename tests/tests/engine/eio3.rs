//! Engine.IO v3 sessions (`allow_eio3`) on an echoing engine: WebSocket frames
//! with the type byte, `<length>:<packet>` polling payloads, client pings, the
//! upgrade, and that a session keeps the protocol it opened with.

use std::time::Duration;

use tether::engine::EngineConfig;
use tether_tests::engine_checks::{BAD_REQUEST, Via};
use tether_tests::server::quiet_config;
use tether_tests::{OpenPacket, TestServer, WsClient, WsEvent};

fn v3_config() -> EngineConfig {
    quiet_config().with_allow_eio3(true)
}

/// Splits a v3 text payload, checking that each length is the packet's in UTF-16
/// units.
fn packets(payload: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let (length, tail) = rest.split_once(':').expect("a length");
        let units: usize = length.parse().expect("a decimal length");
        let mut taken = 0;
        let end = tail
            .char_indices()
            .find_map(|(at, c)| {
                if taken == units {
                    return Some(at);
                }
                taken += c.len_utf16();
                None
            })
            .unwrap_or(tail.len());
        out.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    out
}

#[tokio::test]
async fn websocket_frames_carry_the_type_byte_and_the_client_pings() {
    let server = TestServer::start(v3_config()).await;
    let mut ws = WsClient::connect(server.addr(), &server.path("EIO=3&transport=websocket")).await;
    let open = OpenPacket::parse(&ws.expect_text().await);
    assert_eq!(server.connection(&open.sid).protocol(), 3);
    ws.send_text("2").await;
    assert_eq!(ws.expect_text().await, "3");
    ws.send_binary(vec![4, 1, 2, 3]).await;
    assert_eq!(ws.expect_binary().await, vec![4, 1, 2, 3]);
    // A binary message sent as base64 text (clients with `forceBase64`).
    ws.send_text("b4AQI=").await;
    assert_eq!(ws.expect_binary().await, vec![4, 1, 2]);
    ws.send_text("4héllo").await;
    assert_eq!(ws.expect_text().await, "4héllo");
    let messages = server.recorder().messages(&open.sid);
    assert_eq!(messages.len(), 3, "{messages:?}");
    // A binary frame that is not a message breaks the protocol.
    ws.send_binary(vec![2]).await;
    assert!(matches!(ws.next().await, WsEvent::Closed(_)));
    server.stop().await;
}

#[tokio::test]
async fn polling_payloads_count_utf16_units() {
    let server = TestServer::start(v3_config()).await;
    let reply = server.get("EIO=3&transport=polling").await;
    assert_eq!(reply.status, 200);
    let open_packets = packets(reply.text());
    let open = OpenPacket::parse(&open_packets[0]);
    let path = format!("EIO=3&transport=polling&sid={}", open.sid);
    let body = "4€😀";
    let reply = server
        .post(&path, format!("{}:{body}1:2", body.encode_utf16().count()))
        .await;
    assert_eq!(reply.text(), "ok");
    assert_eq!(server.get(&path).await.text(), "4:4€😀1:3");
    // A length that does not match closes the session.
    let reply = server.post(&path, "5:4ab").await;
    assert_eq!(reply.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn sessions_keep_their_protocol_version() {
    let server = TestServer::start(v3_config()).await;
    let v4 = server.open_polling().await;
    let reply = server.get("EIO=3&transport=polling").await;
    let v3 = OpenPacket::parse(&packets(reply.text())[0]);
    for (via, query) in [
        (
            Via::Get,
            format!("EIO=3&transport=polling&sid={}", v4.sid()),
        ),
        (Via::Get, format!("EIO=4&transport=polling&sid={}", v3.sid)),
        (
            Via::WebSocket,
            format!("EIO=4&transport=websocket&sid={}", v3.sid),
        ),
    ] {
        server.expect_refused(via, &query, BAD_REQUEST).await;
    }
    server.assert_open(v4.sid()).await;
    server.assert_open(&v3.sid).await;
    server.stop().await;
}

#[tokio::test]
async fn a_v3_polling_session_upgrades() {
    let server = TestServer::start(v3_config()).await;
    let reply = server.get("EIO=3&transport=polling").await;
    let open = OpenPacket::parse(&packets(reply.text())[0]);
    assert_eq!(open.upgrades, ["websocket"]);
    let path = format!("EIO=3&transport=polling&sid={}", open.sid);
    let mut ws = WsClient::connect(
        server.addr(),
        &server.path(&format!("EIO=3&transport=websocket&sid={}", open.sid)),
    )
    .await;
    ws.send_text("2probe").await;
    assert_eq!(ws.expect_text().await, "3probe");
    assert_eq!(server.get(&path).await.text(), "1:6");
    ws.send_text("5").await;
    ws.send_binary(vec![4, 7]).await;
    assert_eq!(ws.expect_binary().await, vec![4, 7]);
    ws.send_text("2").await;
    assert_eq!(ws.expect_text().await, "3");
    server.stop().await;
}

#[tokio::test]
async fn a_silent_v3_client_times_out() {
    let config = v3_config().with_heartbeat(Duration::from_millis(100), Duration::from_millis(150));
    let server = TestServer::start(config).await;
    let mut ws = WsClient::connect(server.addr(), &server.path("EIO=3&transport=websocket")).await;
    let open = OpenPacket::parse(&ws.expect_text().await);
    // Pinging keeps it open past several deadlines.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(120)).await;
        ws.send_text("2").await;
        assert_eq!(ws.expect_text().await, "3");
    }
    assert!(server.is_live(&open.sid));
    assert!(server.recorder().close_of(&open.sid).is_none());
    // No ping from here: closed within interval + timeout, never pinged by the server.
    let reason = server.closed(&open.sid).await;
    assert_eq!(reason, tether::engine::CloseReason::PingTimeout);
    server.stop().await;
}
