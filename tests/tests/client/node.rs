//! The Rust client against the Node.js `socket.io` 4.8 server (from
//! `tests/js/node_modules`, installed by `npm ci` in `tests/js`): refusal with
//! data, auth, events and acknowledgements both ways with binary, the server's
//! heartbeat, a server-side disconnect, reconnecting to a restarted server, and
//! HTTP long-polling with and without the upgrade to WebSocket.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tether::client::{
    Client, ClientBuilder, ConnectionState, DisconnectReason, Event, TransportMode,
};
use tether::protocol::Args;
use tether_tests::client::{quick_retries, wait_for_state};
use tether_tests::{Report, probe, within};

use crate::support::{node_sio_server, refusal, report_as_text, reporter, restart_node};

/// An argument with binary inside.
#[derive(Serialize, Deserialize)]
struct Nested {
    bin: Bytes,
}

#[tokio::test]
async fn a_refusal_from_node_carries_message_and_data() {
    let server = node_sio_server(&[]).await;
    let wrong_token = Client::builder(server.url()).auth(&json!({ "token": "wrong" }));
    let refused = refusal(wrong_token, "a wrong token").await;
    assert_eq!(refused.message, "bad token");
    assert_eq!(refused.data, Some(json!({ "hint": "the token is secret" })));
}

#[tokio::test]
async fn talks_to_the_node_server_both_ways() {
    let server = node_sio_server(&[]).await;
    let (report, mut seen) = probe();
    let client = Client::builder(server.url())
        .auth(&json!({ "token": "secret" }))
        .on("welcome", report_as_text(report.clone()))
        .on(
            "echoed",
            reporter(report.clone(), |event| {
                let first: i64 = event.arg(0).unwrap();
                let second: String = event.arg(1).unwrap();
                let nested: Nested = event.arg(2).unwrap();
                format!("echoed {first} {second} {:?}", &nested.bin[..])
            }),
        )
        .on("question", |_client: Client, mut event: Event| async move {
            let question: String = event.arg(0)?;
            event.ack(&(question.len(), Bytes::from_static(&[4, 2])))?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        })
        .on(
            "answer",
            reporter(report, |event| {
                format!("answer {}", event.arg::<Value>(0).unwrap())
            }),
        )
        .connect()
        .await
        .expect("connected to node");
    assert_eq!(seen.next().await, r#"welcome {"token":"secret"} [1, 2, 3]"#);

    client
        .emit(
            "echo",
            &(
                1,
                "two",
                Nested {
                    bin: Bytes::from_static(&[9, 9]),
                },
            ),
        )
        .unwrap();
    assert_eq!(seen.next().await, "echoed 1 two [9, 9]");

    let echoed: Args = client
        .emit_with_ack("echo", &("x", Bytes::from_static(&[7])))
        .await
        .expect("node acknowledged");
    assert_eq!(echoed.decode::<String>(0).unwrap(), "x");
    assert_eq!(echoed.decode::<Bytes>(1).unwrap(), Bytes::from_static(&[7]));

    client.emit("ask me", &()).unwrap();
    assert_eq!(seen.next().await, "answer 15");

    // The heartbeat is 200 ms + 600 ms: staying connected for longer than that
    // shows the client answers pings (Node closes a connection that does not).
    let mut changes = client.state_changes();
    let lost = tokio::time::timeout(Duration::from_millis(1500), changes.changed()).await;
    assert!(lost.is_err(), "state changed: {:?}", client.state());

    client.emit("kick me", &()).unwrap();
    assert_eq!(
        within(client.disconnected()).await,
        DisconnectReason::ServerDisconnect
    );
}

/// `builder` reconnecting quickly, with a `welcome` handler reporting its first
/// argument to `report`.
fn restartable(builder: ClientBuilder, report: Report<Value>) -> ClientBuilder {
    builder.reconnect(quick_retries()).on(
        "welcome",
        reporter(report, |event| event.arg::<Value>(0).unwrap()),
    )
}

#[tokio::test]
async fn reconnects_to_a_restarted_node_server_with_the_same_auth() {
    let first = node_sio_server(&[]).await;
    let (report, mut welcomes) = probe();
    let client = restartable(Client::builder(first.url()), report)
        .auth(&json!({ "token": "secret" }))
        .connect()
        .await
        .expect("connected to node");
    assert_eq!(welcomes.next().await, json!({ "token": "secret" }));
    let first_sid = client.id();

    let _second = restart_node(first, &client).await;
    assert_eq!(welcomes.next().await, json!({ "token": "secret" }));
    wait_for_state(&client, ConnectionState::is_connected).await;
    assert_ne!(client.id(), first_sid);
    client.disconnect();
}

#[tokio::test]
async fn gives_up_on_a_node_server_that_stays_away() {
    let first = node_sio_server(&[]).await;
    let client = Client::builder(first.url())
        .auth(&json!({ "token": "secret" }))
        .reconnect(quick_retries().max_attempts(3))
        .connect()
        .await
        .expect("connected to node");
    drop(first);
    assert_eq!(
        within(client.disconnected()).await,
        DisconnectReason::ReconnectFailed { attempts: 3 }
    );
}

#[tokio::test]
async fn polls_and_upgrades_with_the_node_server() {
    let server = node_sio_server(&[]).await;
    for mode in [TransportMode::Polling, TransportMode::PollingThenWebSocket] {
        let (report, mut welcomes) = probe();
        let client = Client::builder(server.url())
            .transport(mode)
            .auth(&json!({ "token": "secret" }))
            .on(
                "welcome",
                reporter(report, |event| event.arg::<Bytes>(1).unwrap()),
            )
            .connect()
            .await
            .unwrap_or_else(|error| panic!("{mode:?}: {error}"));
        assert_eq!(welcomes.next().await, Bytes::from_static(&[1, 2, 3]));
        let echoed: Args = client
            .emit_with_ack("echo", &(mode_name(mode), Bytes::from_static(&[0, 7])))
            .await
            .unwrap_or_else(|error| panic!("{mode:?}: {error}"));
        assert_eq!(echoed.decode::<String>(0).unwrap(), mode_name(mode));
        assert_eq!(
            echoed.decode::<Bytes>(1).unwrap(),
            Bytes::from_static(&[0, 7])
        );
        client.emit("kick me", &()).unwrap();
        assert_eq!(
            within(client.disconnected()).await,
            DisconnectReason::ServerDisconnect
        );
    }
}

fn mode_name(mode: TransportMode) -> String {
    format!("{mode:?}")
}

#[tokio::test]
async fn an_auth_callback_gives_a_fresh_token_to_a_restarted_node_server() {
    let first = node_sio_server(&[]).await;
    let (report, mut welcomes) = probe();
    let issued = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let client = restartable(Client::builder(first.url()), report)
        .auth_with(move || {
            let issued = issued.clone();
            async move {
                let n = issued.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                json!({ "token": format!("secret-{n}") })
            }
        })
        .connect()
        .await
        .expect("connected to node");
    assert_eq!(welcomes.next().await, json!({ "token": "secret-1" }));
    let _second = restart_node(first, &client).await;
    // The callback runs once the Engine.IO session is open, so attempts made
    // while the server was away took no token.
    assert_eq!(welcomes.next().await, json!({ "token": "secret-2" }));
    client.disconnect();
}
