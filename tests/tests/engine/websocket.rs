//! The WebSocket transport: one packet per frame, binary frames for binary, and
//! what closes a WebSocket session.

use bytes::Bytes;
use tether::engine::{CloseReason, Message, Text};
use tether_tests::{TestServer, WsEvent};

#[tokio::test]
async fn a_text_packet_is_echoed_in_its_own_frame() {
    let (server, mut ws, open) = TestServer::quiet_with_websocket().await;
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
    let (server, mut ws, open) = TestServer::quiet_with_websocket().await;
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
    let (server, mut ws, _open, conn) = TestServer::quiet_with_websocket_connection().await;
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
    let (server, mut ws, _open) = TestServer::quiet_with_websocket().await;
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

/// What a client sends to end its session.
#[derive(Debug, Clone, Copy)]
enum Last {
    /// A text frame holding this packet.
    Packet(&'static str),
    /// A WebSocket close frame.
    CloseFrame,
}

/// Every way a client ends its WebSocket session: the client gets nothing more,
/// and the handler is told why.
#[tokio::test]
async fn what_a_client_sends_last_ends_its_session() {
    let cases = [
        (
            "a close packet",
            Last::Packet("1"),
            CloseReason::TransportClose,
        ),
        (
            "a WebSocket close frame",
            Last::CloseFrame,
            CloseReason::TransportClose,
        ),
        (
            "a ping from a v4 client",
            Last::Packet("2"),
            CloseReason::TransportError,
        ),
        (
            "no packet type",
            Last::Packet("abc"),
            CloseReason::ParseError,
        ),
        ("packet type 9", Last::Packet("9"), CloseReason::ParseError),
        ("an empty packet", Last::Packet(""), CloseReason::ParseError),
    ];
    let server = TestServer::quiet().await;
    for (name, last, reason) in cases {
        let (mut ws, open) = server.open_websocket().await;
        match last {
            Last::Packet(packet) => ws.send_text(packet).await,
            Last::CloseFrame => ws.close().await,
        }
        let ending = server.websocket_ending(&mut ws, &open.sid).await;
        assert_eq!((ending.before, ending.reason), (vec![], reason), "{name}");
        assert_eq!(server.engine.connection_count(), 0, "{name}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_goes_away_ends_its_session() {
    let (server, ws, open) = TestServer::quiet_with_websocket().await;
    drop(ws);
    server
        .expect_closed(&open.sid, CloseReason::TransportClose)
        .await;
    server.expect_empty().await;
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

/// A raw HTTP exchange: the status code, the lowercase header lines and the body.
struct RawReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl RawReply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends `head` (the request line and headers, without the blank line) on a new
/// TCP connection and reads the response head and its `Content-Length` body.
async fn raw_request(server: &TestServer, head: &str) -> RawReply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        stream
            .write_all(format!("{head}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let read = stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "the server closed before answering fully");
            received.extend_from_slice(&chunk[..read]);
            let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8(received[..end].to_vec()).unwrap();
            let mut lines = head.split("\r\n");
            let status = lines.next().unwrap()[9..12].parse().unwrap();
            let headers: Vec<(String, String)> = lines
                .filter_map(|line| line.split_once(':'))
                .map(|(key, value)| (key.trim().to_ascii_lowercase(), value.trim().to_owned()))
                .collect();
            let length = headers
                .iter()
                .find(|(key, _)| key == "content-length")
                .map_or(0, |(_, value)| value.parse::<usize>().unwrap());
            if received.len() >= end + 4 + length {
                let body = String::from_utf8(received[end + 4..end + 4 + length].to_vec()).unwrap();
                return RawReply {
                    status,
                    headers,
                    body,
                };
            }
        }
    };
    tether_tests::within(exchange).await
}

/// The opening handshake for `query` with `overrides` in place of its request line
/// (`request`) or headers: `None` leaves one out, and a name starting with `+` adds
/// another line of that header.
fn handshake_head(query: &str, overrides: &[(&str, Option<&str>)]) -> String {
    let mut lines = vec![
        ("request", Some(format!("GET /engine.io/?{query} HTTP/1.1"))),
        ("Host", Some("localhost".to_owned())),
        ("Upgrade", Some("websocket".to_owned())),
        ("Connection", Some("Upgrade".to_owned())),
        (
            "Sec-WebSocket-Key",
            Some("dGhlIHNhbXBsZSBub25jZQ==".to_owned()),
        ),
        ("Sec-WebSocket-Version", Some("13".to_owned())),
    ];
    for (name, value) in overrides {
        match name.strip_prefix('+') {
            Some(added) => lines.push((added, value.map(str::to_owned))),
            None => match lines.iter_mut().find(|(line, _)| line == name) {
                Some(line) => line.1 = value.map(str::to_owned),
                None => lines.push((name, value.map(str::to_owned))),
            },
        }
    }
    lines
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value?;
            Some(if name == "request" {
                value
            } else {
                format!("{name}: {value}")
            })
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// RFC 6455, section 4.2.1: every part of the opening handshake is checked; an
/// unsupported version gets `426` naming version 13, anything else `400`.
#[tokio::test]
async fn an_invalid_opening_handshake_is_refused() {
    let (server, session) = TestServer::quiet_with_polling().await;
    let upgrade_query = format!("EIO=4&transport=websocket&sid={}", session.sid());
    for query in ["EIO=4&transport=websocket", upgrade_query.as_str()] {
        for version in [Some("8"), Some("14"), Some("13, 8"), Some("abc"), None] {
            let head = handshake_head(query, &[("Sec-WebSocket-Version", version)]);
            let reply = raw_request(&server, &head).await;
            assert_eq!(reply.status, 426, "version {version:?} on {query}");
            assert_eq!(reply.header("sec-websocket-version"), Some("13"));
            assert_eq!(reply.body, r#"{"code":3,"message":"Bad request"}"#);
        }
        let bad_requests: [&[(&str, Option<&str>)]; 9] = [
            &[("Sec-WebSocket-Key", None)],
            &[("Sec-WebSocket-Key", Some("not base64!"))],
            // The base64 of 15 and 17 bytes.
            &[("Sec-WebSocket-Key", Some("AAAAAAAAAAAAAAAAAAAA"))],
            &[("Sec-WebSocket-Key", Some("AAAAAAAAAAAAAAAAAAAAAAA="))],
            &[("Sec-WebSocket-Key", Some("AAAAAAAAAAAAAAAAAAAAAAAAAA=="))],
            &[("+Sec-WebSocket-Key", Some("AAAAAAAAAAAAAAAAAAAAAA=="))],
            &[("Upgrade", Some("h2c"))],
            &[("Connection", Some("keep-alive"))],
            &[(
                "request",
                Some("GET /engine.io/?EIO=4&transport=websocket HTTP/1.0"),
            )],
        ];
        for overrides in bad_requests {
            let overrides: Vec<_> = overrides
                .iter()
                .map(|(name, value)| match *name {
                    "request" if query != "EIO=4&transport=websocket" => {
                        (*name, Some(format!("GET /engine.io/?{query} HTTP/1.0")))
                    }
                    _ => (*name, value.map(str::to_owned)),
                })
                .collect();
            let overrides: Vec<_> = overrides
                .iter()
                .map(|(name, value)| (*name, value.as_deref()))
                .collect();
            let head = handshake_head(query, &overrides);
            let reply = raw_request(&server, &head).await;
            assert_eq!(reply.status, 400, "{overrides:?} on {query}");
            assert_eq!(reply.body, r#"{"code":3,"message":"Bad request"}"#);
        }
    }
    // The refused upgrades left the polling session as it was, and opened none.
    assert_eq!(server.engine.connection_count(), 1);
    server.assert_open(session.sid()).await;
    let accepted = raw_request(&server, &handshake_head("EIO=4&transport=websocket", &[])).await;
    assert_eq!(accepted.status, 101);
    server.stop().await;
}
