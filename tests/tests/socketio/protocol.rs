//! Every Socket.IO case of the official socket.io-protocol test suite, against the
//! `conformance` example's server run in-process: the exact frames for connecting
//! (with and without auth, to `/` and `/custom`), refusals, leaving a namespace,
//! plain, binary and acknowledged messages, and malformed packets that close the
//! connection. Frames are compared byte for byte.

use std::time::Duration;

use tether_tests::sio_packet::{ACK, BINARY_ACK, BINARY_EVENT, CONNECT, EVENT};
use tether_tests::{SioClient, SioPacket, SioServer, payload};

use crate::support::{conformance_closes_after, conformance_server as server};

/// Reads the CONNECT answer for `nsp` and checks it holds exactly a fresh sid.
async fn expect_connect_answer(client: &mut SioClient, nsp: &str) -> SioPacket {
    let answer = client.next_packet().await;
    assert_eq!(
        (answer.kind, answer.nsp.as_str()),
        (CONNECT, nsp),
        "{}",
        answer.text
    );
    let prefix = if nsp == "/" {
        "0".to_owned()
    } else {
        format!("0{nsp},")
    };
    let json = answer
        .text
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("answer {:?} lacks the prefix {prefix:?}", answer.text));
    let handshake: serde_json::Value = serde_json::from_str(json).expect("JSON");
    let object = handshake.as_object().expect("an object");
    assert!(object.keys().eq(["sid"]), "exactly `sid`, no `pid`: {json}");
    let sid = object["sid"].as_str().expect("a string");
    assert!(payload::is_node_style_sid(sid), "sid {sid:?}");
    assert_ne!(
        sid, client.open.sid,
        "the socket id is not the Engine.IO id"
    );
    answer
}

/// Sends CONNECT for `/` and checks the answer.
async fn join_main(client: &mut SioClient) {
    client.send_raw("40").await;
    expect_connect_answer(client, "/").await;
}

/// Connecting to the main and a custom namespace, with and without a payload:
/// the CONNECT answer, then the `auth` event that echoes the payload.
#[tokio::test]
async fn connecting_is_answered_and_the_auth_payload_echoed() {
    for (case, connect, nsp, auth_frame) in [
        ("main", "40", "/", r#"2["auth",{}]"#),
        (
            "main with a payload",
            r#"40{"token":"123"}"#,
            "/",
            r#"2["auth",{"token":"123"}]"#,
        ),
        ("custom", "40/custom,", "/custom", r#"2/custom,["auth",{}]"#),
        (
            "custom with a payload",
            r#"40/custom,{"token":"abc"}"#,
            "/custom",
            r#"2/custom,["auth",{"token":"abc"}]"#,
        ),
    ] {
        let server = server().await;
        let mut client = server.open().await;
        client.send_raw(connect).await;
        expect_connect_answer(&mut client, nsp).await;
        assert_eq!(client.next_packet().await.text, auth_frame, "{case}");
        server.stop().await;
    }
}

#[tokio::test]
async fn an_unknown_namespace_is_refused_and_the_connection_kept() {
    let server = server().await;
    let mut client = server.open().await;
    client.send_raw("40/random").await;
    assert_eq!(
        client.next_packet().await.text,
        r#"4/random,{"message":"Invalid namespace"}"#
    );
    join_main(&mut client).await;
    server.stop().await;
}

#[tokio::test]
async fn an_invalid_handshake_closes_the_connection() {
    conformance_closes_after("4abc").await;
}

#[tokio::test]
async fn no_handshake_closes_the_connection_after_the_connect_timeout() {
    let server = server().await;
    let started = tokio::time::Instant::now();
    let mut client = server.open().await;
    assert_eq!(client.expect_closed().await, []);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(950),
        "closed after {elapsed:?}, before the 1 s connect timeout"
    );
    assert!(
        client.pings() >= 2,
        "pings were answered, so the heartbeat did not close it"
    );
    server.stop().await;
}

#[tokio::test]
async fn leaving_the_main_namespace_keeps_the_connection() {
    let (server, mut client) = joined_client().await;
    client.send_raw("41").await;
    client.expect_ping().await;
    assert_eq!(server.io.main().socket_count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_left_every_namespace_outlives_the_connect_timeout() {
    let (server, mut client) = joined_client().await;
    client.send_raw("41").await;
    let left = tokio::time::Instant::now();
    while left.elapsed() < Duration::from_millis(1500) {
        client.expect_ping().await;
    }
    join_main(&mut client).await;
    server.stop().await;
}

#[tokio::test]
async fn leaving_a_custom_namespace_keeps_the_main_one() {
    let (server, mut client) = joined_client().await;
    client.send_raw("40/custom").await;
    expect_connect_answer(&mut client, "/custom").await;
    assert_eq!(client.next_packet().await.text, r#"2/custom,["auth",{}]"#);
    client.send_raw("41/custom").await;
    client
        .send_raw(r#"42["message","message to main namespace"]"#)
        .await;
    assert_eq!(
        client.next_packet().await.text,
        r#"2["message-back","message to main namespace"]"#
    );
    assert_eq!(server.io.of("/custom").socket_count(), 0);
    server.stop().await;
}

/// A client that joined `/` and read its `auth` event.
async fn joined(server: &SioServer) -> SioClient {
    let mut client = server.open().await;
    join_main(&mut client).await;
    client.expect_event("/", "auth").await;
    client
}

/// The `conformance` server and a client [`joined`] to it.
async fn joined_client() -> (SioServer, SioClient) {
    let server = server().await;
    let client = joined(&server).await;
    (server, client)
}

/// Plain and binary messages, with and without an acknowledgement: what the
/// server sends back, byte for byte, with the attachments in order.
#[tokio::test]
async fn messages_come_back_and_are_acknowledged() {
    let both: &[&[u8]] = &[&[1, 2, 3], &[4, 5, 6]];
    for (case, frame, attachments, kind, answer) in [
        (
            "plain message",
            r#"42["message",1,"2",{"3":[true]}]"#,
            &[][..],
            EVENT,
            r#"2["message-back",1,"2",{"3":[true]}]"#,
        ),
        (
            "binary message",
            r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            both,
            BINARY_EVENT,
            r#"52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
        (
            "plain message with an ack",
            r#"42456["message-with-ack",1,"2",{"3":[false]}]"#,
            &[][..],
            ACK,
            r#"3456[1,"2",{"3":[false]}]"#,
        ),
        (
            "binary message with an ack",
            r#"452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            both,
            BINARY_ACK,
            r#"62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
    ] {
        let (server, mut client) = joined_client().await;
        client.send_raw(frame).await;
        for attachment in attachments {
            client.send_raw_binary(attachment).await;
        }
        let back = client.next_packet().await;
        assert_eq!((back.kind, back.text.as_str()), (kind, answer), "{case}");
        assert_eq!(back.attachments, attachments, "{case}");
        server.stop().await;
    }
}

/// An unknown packet type, an invalid payload and an invalid ack id each close
/// the connection that sent them; another connection carries on.
#[tokio::test]
async fn malformed_packets_close_the_connection() {
    for frame in [
        "4abc",
        "42{}",
        r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#,
    ] {
        let server = server().await;
        let mut client = joined(&server).await;
        let mut bystander = joined(&server).await;
        client.send_raw(frame).await;
        assert_eq!(client.expect_closed().await, [], "after {frame:?}");
        bystander.send_raw(r#"42["message","still here"]"#).await;
        assert_eq!(
            bystander.next_packet().await.text,
            r#"2["message-back","still here"]"#,
            "after {frame:?}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn frames_sent_together_are_all_read() {
    let (server, mut client) = joined_client().await;
    for index in 0..50 {
        client.send_raw(&format!(r#"42["message",{index}]"#)).await;
    }
    for index in 0..50 {
        let back = client.next_packet().await;
        assert_eq!(back.text, format!(r#"2["message-back",{index}]"#));
    }
    server.stop().await;
}
