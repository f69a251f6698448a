//! The Rust client facing a misbehaving server (a scripted WebSocket peer): a
//! server that stops pinging is noticed, and input that is not Engine.IO or
//! Socket.IO ends that connection with a clear reason, never the process.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tether::client::{Client, ConnectError, DisconnectReason, Reconnect};
use tether_tests::within;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// An `open` packet with a 100 ms + 100 ms heartbeat.
const OPEN_QUICK: &str = r#"0{"sid":"AAAAAAAAAAAAAAAAAAAA","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000000}"#;

/// An `open` packet with the default 25 s + 20 s heartbeat.
const OPEN: &str = r#"0{"sid":"AAAAAAAAAAAAAAAAAAAA","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

/// A WebSocket peer for one client: sends `open`, and when `then` is given,
/// answers the CONNECT to `/` and sends `then`. It never pings, and reads until
/// the client goes away.
async fn scripted_server(
    open: &'static str,
    then: Option<Vec<Message>>,
) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
        ws.send(Message::text(open)).await.unwrap();
        if let Some(frames) = then {
            let connect = ws.next().await.unwrap().unwrap();
            assert_eq!(connect.to_text().unwrap(), "40");
            ws.send(Message::text(r#"40{"sid":"BBBBBBBBBBBBBBBBBBBB"}"#))
                .await
                .unwrap();
            for frame in frames {
                if ws.send(frame).await.is_err() {
                    return;
                }
            }
        }
        while let Some(Ok(_)) = ws.next().await {}
    });
    (addr, task)
}

async fn connect(addr: SocketAddr) -> Result<Client, ConnectError> {
    Client::builder(format!("http://{addr}"))
        .reconnect(Reconnect::disabled())
        .connect()
        .await
}

#[tokio::test]
async fn a_server_that_stops_pinging_is_noticed() {
    let (addr, server) = scripted_server(OPEN_QUICK, Some(Vec::new())).await;
    let client = connect(addr).await.expect("connected");
    assert_eq!(client.id().as_deref(), Some("BBBBBBBBBBBBBBBBBBBB"));
    assert_eq!(
        within(client.disconnected()).await,
        DisconnectReason::PingTimeout
    );
    within(server).await.expect("the peer ended cleanly");
}

#[tokio::test]
async fn a_bad_open_packet_fails_the_connect() {
    for open in [
        "0{}",
        "0not json",
        r#"0{"sid":"a&b","pingInterval":1,"pingTimeout":1}"#,
        "4hello",
        "x",
    ] {
        let (addr, server) = scripted_server(open, None).await;
        let error = connect(addr).await.expect_err("refused");
        assert!(
            matches!(error, ConnectError::Protocol(_)),
            "{open}: {error:?}"
        );
        server.abort();
    }
}

#[tokio::test]
async fn garbage_after_joining_ends_the_connection_as_a_parse_error() {
    let garbage = [
        Message::text("9"),
        Message::text(""),
        Message::text("4{not a packet"),
        Message::text(r#"42["connect"]"#),
        Message::text(r#"451-["x",{"_placeholder":true,"num":5}]"#),
        Message::binary(vec![1, 2, 3]),
    ];
    for frame in garbage {
        let shown = format!("{frame:?}");
        let (addr, server) = scripted_server(OPEN, Some(vec![frame])).await;
        let client = connect(addr).await.expect("connected");
        assert_eq!(
            within(client.disconnected()).await,
            DisconnectReason::ParseError,
            "{shown}"
        );
        within(server).await.expect("the peer ended cleanly");
    }
}
