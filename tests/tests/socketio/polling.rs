//! Socket.IO over HTTP long-polling (attachments as `b<base64>` records), and
//! volatile emits, which go out only when the transport can take them at once.

use bytes::Bytes;
use tether::engine::Sid;
use tether::server::{Event, Socket};
use tether_tests::{SioPolling, SioServer, payload};

async fn joined(server: &SioServer) -> (SioPolling, Socket) {
    let client = SioPolling::open(server.addr(), &server.path()).await;
    client.post(&["40"]).await;
    let packets = client.get_packets().await;
    let answer = packets[0].strip_prefix("40").expect("a CONNECT answer");
    let sid: serde_json::Value = serde_json::from_str(answer).unwrap();
    let sid = Sid::parse(sid["sid"].as_str().unwrap()).unwrap();
    let socket = server.io.socket(sid).expect("the socket");
    (client, socket)
}

#[tokio::test]
async fn events_acks_and_attachments_travel_over_polling() {
    let server = SioServer::with(|io| {
        io.on_connection(|socket: Socket| async move { socket.emit("hello", &1) });
        io.main()
            .on("upload", |_socket: Socket, mut event: Event| async move {
                let data: Bytes = event.arg(0)?;
                let reversed: Vec<u8> = data.iter().rev().copied().collect();
                event.ack(&("stored", Bytes::from(reversed)))?;
                Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
            });
    })
    .await;
    let client = SioPolling::open(server.addr(), &server.path()).await;
    client.post(&["40"]).await;
    let packets = client.get_packets().await;
    assert_eq!(packets.len(), 2, "{packets:?}");
    assert!(packets[0].starts_with(r#"40{"sid":""#));
    assert_eq!(packets[1], r#"42["hello",1]"#);

    client
        .post(&[
            r#"451-7["upload",{"_placeholder":true,"num":0}]"#,
            &payload::binary_record(&[1, 2, 3]),
        ])
        .await;
    assert_eq!(
        client.get_packets().await,
        [
            r#"461-7["stored",{"_placeholder":true,"num":0}]"#.to_owned(),
            payload::binary_record(&[3, 2, 1]),
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_volatile_emit_is_dropped_unless_a_poll_is_waiting() {
    let server = SioServer::with(|_| {}).await;
    let (client, socket) = joined(&server).await;

    assert!(!socket.volatile().emit("dropped", &1).unwrap());
    socket.emit("sentinel", &()).unwrap();
    assert_eq!(client.get_packets().await, [r#"42["sentinel"]"#]);

    let pending = client.spawn_get();
    tether_tests::until("the poll arrives", || {
        socket.volatile().emit("kept", &2).unwrap()
    })
    .await;
    assert_eq!(pending.await.unwrap(), [r#"42["kept",2]"#]);
    server.stop().await;
}

#[tokio::test]
async fn a_volatile_broadcast_reaches_only_clients_ready_for_it() {
    let server = SioServer::with(|_| {}).await;
    let (polling, _) = joined(&server).await;
    let (mut ws, _) = server.client("/").await;
    server.io.volatile().emit("volatile", &"now").unwrap();
    server.io.emit("sentinel", &()).unwrap();
    ws.expect_event("/", "volatile").await;
    ws.expect_event("/", "sentinel").await;
    assert_eq!(polling.get_packets().await, [r#"42["sentinel"]"#]);
    server.stop().await;
}

#[tokio::test]
async fn disconnect_packets_arrive_one_poll_before_the_close() {
    let server = SioServer::with(|io| {
        io.of("/chat");
    })
    .await;
    let (client, socket) = joined(&server).await;
    client.post(&["40/chat,"]).await;
    assert!(client.get_packets().await[0].starts_with("40/chat,"));
    socket.disconnect_and_close();
    // The official client handles Socket.IO packets a tick after the payload that
    // carried them: a close in the same payload would overtake the DISCONNECTs, and
    // the client would see `transport close` (and reconnect) instead of
    // `io server disconnect`.
    assert_eq!(client.get().await, ["41", "41/chat,"]);
    assert_eq!(client.get().await, ["1"]);
    server.stop().await;
}
