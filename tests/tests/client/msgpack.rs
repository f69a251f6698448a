//! The Rust client with the msgpack parser (`ClientBuilder::parser`), against
//! tether and against the Node.js socket.io 4.8 server with
//! socket.io-msgpack-parser: auth, events and acknowledgements both ways with
//! binary, over WebSocket, polling and the upgrade.

use bytes::Bytes;
use serde_json::{Value, json};
use tether::client::{Client, TransportMode};
use tether::protocol::Args;
use tether::server::{Event as ServerEvent, Parser, Server, ServerConfig, Socket};
use tether_tests::{Report, probe};

use crate::support::{node_sio_server, report_as_text};

const MODES: [TransportMode; 3] = [
    TransportMode::WebSocket,
    TransportMode::Polling,
    TransportMode::PollingThenWebSocket,
];

/// Connects a msgpack client over `mode` with `auth`, reporting the greeting
/// `event` (a JSON value and bytes) to `report` as `"<event> <json> <bytes>"`.
async fn connect(
    url: &str,
    mode: TransportMode,
    auth: Value,
    event: &str,
    report: Report<String>,
) -> Client {
    Client::builder(url)
        .parser(Parser::MsgPack)
        .transport(mode)
        .auth(&auth)
        .on(event, report_as_text(report))
        .connect()
        .await
        .unwrap_or_else(|error| panic!("{mode:?}: {error}"))
}

#[tokio::test]
async fn talks_msgpack_to_tether_on_every_transport() {
    let io = Server::new(ServerConfig::default().with_parser(Parser::MsgPack));
    io.main().on(
        "echo",
        |_socket: Socket, mut event: ServerEvent| async move {
            let args = event.args().clone();
            event.ack(&args)
        },
    );
    io.main().on_connection(|socket: Socket| async move {
        let _ = socket.emit("hello", &(socket.auth_value(), Bytes::from_static(&[1, 2])));
    });
    let server = tether::bind(io.clone(), "127.0.0.1:0")
        .await
        .expect("bound");
    let url = format!("http://{}", server.local_addr());

    for mode in MODES {
        let (report, mut seen) = probe();
        let client = connect(&url, mode, json!({ "user": "ada" }), "hello", report).await;
        assert_eq!(
            seen.next().await,
            r#"hello {"user":"ada"} [1, 2]"#,
            "{mode:?}"
        );
        let echoed: Args = client
            .emit_with_ack("echo", &(1.5, "two", Bytes::from_static(&[3; 300])))
            .await
            .expect("an answer");
        assert_eq!(echoed.decode::<f64>(0).unwrap(), 1.5);
        assert_eq!(echoed.decode::<String>(1).unwrap(), "two");
        assert_eq!(
            echoed.decode::<Bytes>(2).unwrap(),
            Bytes::from_static(&[3; 300])
        );
        client.disconnect();
    }
    io.close(std::time::Duration::from_secs(1)).await;
    server.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test]
async fn talks_msgpack_to_the_node_server() {
    let server = node_sio_server(&[("PARSER", "msgpack")]).await;
    for mode in MODES {
        let (report, mut seen) = probe();
        let auth = json!({ "token": "secret" });
        let client = connect(server.url(), mode, auth, "welcome", report).await;
        assert_eq!(
            seen.next().await,
            r#"welcome {"token":"secret"} [1, 2, 3]"#,
            "{mode:?}"
        );
        let echoed: Args = client
            .emit_with_ack("echo", &("x", Bytes::from_static(&[7, 8])))
            .await
            .expect("node acknowledged");
        assert_eq!(echoed.decode::<String>(0).unwrap(), "x");
        assert_eq!(
            echoed.decode::<Bytes>(1).unwrap(),
            Bytes::from_static(&[7, 8])
        );
        client.disconnect();
    }
}
