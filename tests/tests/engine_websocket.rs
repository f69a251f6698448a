//! The WebSocket transport: one packet per frame, binary frames for binary, and
//! what closes a WebSocket session.

use bytes::Bytes;
use tether::engine::{CloseReason, Message, Text};
use tether_tests::{TestServer, WsEvent};

#[tokio::test]
async fn a_text_packet_is_echoed_in_its_own_frame() {
    let server = TestServer::quiet().await;
    let (mut ws, open) = server.open_websocket().await;
    ws.send_text("4hello").await;
    assert_eq!(ws.expect_text().await, "4hello");
    assert_eq!(
        server.recorder().messages(&open.sid),
        [Message::Text(Text::from("hello"))]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_binary_packet_is_echoed_as_a_raw_binary_frame() {
    let server = TestServer::quiet().await;
    let (mut ws, open) = server.open_websocket().await;
    ws.send_binary(vec![1, 2, 3, 4]).await;
    assert_eq!(ws.expect_binary().await, [1, 2, 3, 4], "no type prefix");
    assert_eq!(
        server.recorder().messages(&open.sid),
        [Message::Binary(Bytes::from_static(&[1, 2, 3, 4]))]
    );
    server.stop().await;
}

#[tokio::test]
async fn server_messages_are_one_frame_each() {
    let server = TestServer::quiet().await;
    let (mut ws, open) = server.open_websocket().await;
    let conn = server.connection(&open.sid);
    conn.send_text("one").unwrap();
    conn.send_binary(Bytes::from_static(b"\x00two")).unwrap();
    conn.send_text("thr\u{e9}e \u{1f600}").unwrap();
    conn.send_text("").unwrap();
    assert_eq!(ws.next().await, WsEvent::Text("4one".into()));
    assert_eq!(ws.next().await, WsEvent::Binary(b"\x00two".to_vec()));
    assert_eq!(
        ws.next().await,
        WsEvent::Text("4thr\u{e9}e \u{1f600}".into())
    );
    assert_eq!(ws.next().await, WsEvent::Text("4".into()));
    server.stop().await;
}

#[tokio::test]
async fn mixed_messages_are_echoed_in_order() {
    let server = TestServer::quiet().await;
    let (mut ws, _open) = server.open_websocket().await;
    for i in 0..300u16 {
        if i % 3 == 0 {
            ws.send_binary(i.to_be_bytes().to_vec()).await;
        } else {
            ws.send_text(&format!("4m{i}")).await;
        }
    }
    for i in 0..300u16 {
        let expected = if i % 3 == 0 {
            WsEvent::Binary(i.to_be_bytes().to_vec())
        } else {
            WsEvent::Text(format!("4m{i}"))
        };
        assert_eq!(ws.next().await, expected, "message {i}");
    }
    server.stop().await;
}

#[tokio::test]
async fn an_invalid_packet_closes_the_session() {
    let server = TestServer::quiet().await;
    for bad in ["abc", "9", ""] {
        let (mut ws, open) = server.open_websocket().await;
        ws.send_text(bad).await;
        let (_code, before) = ws.expect_closed().await;
        assert!(before.is_empty(), "{bad:?} got an answer: {before:?}");
        assert_eq!(
            server.closed(&open.sid).await,
            CloseReason::ParseError,
            "{bad:?}"
        );
    }
    server
        .expect_connection_count(0, tether_tests::PATIENCE)
        .await;
    server.stop().await;
}

#[tokio::test]
async fn a_ping_from_a_v4_client_is_an_error() {
    let server = TestServer::quiet().await;
    let (mut ws, open) = server.open_websocket().await;
    ws.send_text("2").await;
    ws.expect_closed().await;
    assert_eq!(server.closed(&open.sid).await, CloseReason::TransportError);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_goes_away_ends_its_session() {
    let server = TestServer::quiet().await;
    let (ws, open) = server.open_websocket().await;
    drop(ws);
    assert_eq!(server.closed(&open.sid).await, CloseReason::TransportClose);
    server
        .expect_connection_count(0, tether_tests::PATIENCE)
        .await;
    server.stop().await;
}

#[tokio::test]
async fn a_websocket_close_frame_ends_the_session() {
    let server = TestServer::quiet().await;
    let (mut ws, open) = server.open_websocket().await;
    ws.close().await;
    ws.expect_closed().await;
    assert_eq!(server.closed(&open.sid).await, CloseReason::TransportClose);
    server
        .expect_connection_count(0, tether_tests::PATIENCE)
        .await;
    server.stop().await;
}

/// The standalone server holds the `101` response back and sends it with the open
/// packet: the head comes whole, and the open packet right after it.
#[tokio::test]
async fn the_open_packet_follows_the_switching_response() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::quiet().await;
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let request = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\n\
                   Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                   Sec-WebSocket-Version: 13\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut first = vec![0u8; 4096];
    let read = tokio::time::timeout(tether_tests::PATIENCE, stream.read(&mut first))
        .await
        .expect("an answer")
        .unwrap();
    let first = &first[..read];
    let head_end = first
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("the whole response head")
        + 4;
    assert!(first.starts_with(b"HTTP/1.1 101 "));
    let frame = &first[head_end..];
    assert_eq!(frame.first(), Some(&0x81), "a text frame follows the head");
    assert_eq!(usize::from(frame[1]), frame.len() - 2, "the whole frame");
    assert!(frame[2..].starts_with(b"0{\"sid\":"), "the open packet");
    server.stop().await;
}
