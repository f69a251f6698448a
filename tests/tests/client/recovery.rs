//! The Rust client recovering its connection state after the network dropped (a
//! proxy cuts its connection): from tether and from the Node.js `socket.io` 4.8
//! server with `connectionStateRecovery` (which replays the missed events before it
//! answers CONNECT), it gets its socket id and rooms back and the events it missed,
//! in order; and a client that joined a server without recovery starts afresh.

use std::time::Duration;

use serde_json::json;
use tether::client::{Client, ConnectionState};
use tether::server::{Event as ServerEvent, RecoveryConfig, Server, Socket};
use tether_tests::client::{quick_retries, wait_for_state};
use tether_tests::{Probe, Proxy, SioServer, probe, sio_config};

use crate::support::{node_sio_server, reporter, wait_until_reconnecting};

/// A tether server (recovery on or off): `join(room)` joins and acknowledges,
/// `tell(room, text)` emits `news(text)` to the room.
fn tether_server(recovery: bool) -> Server {
    let config = sio_config();
    let config = if recovery {
        config.with_connection_state_recovery(RecoveryConfig::default())
    } else {
        config
    };
    let io = Server::new(config);
    io.main().on(
        "join",
        |socket: Socket, mut event: ServerEvent| async move {
            let room: String = event.arg(0)?;
            socket.join(room);
            event.ack(&true)?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        },
    );
    let rooms = io.clone();
    io.main()
        .on("tell", move |_socket: Socket, event: ServerEvent| {
            let io = rooms.clone();
            async move {
                let (room, text): (String, String) = (event.arg(0)?, event.arg(1)?);
                io.to(room).emit("news", &text)?;
                Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
            }
        });
    io
}

/// A client through `proxy` that reports the first argument of each `news`.
async fn listener(proxy: &Proxy, auth: serde_json::Value) -> (Client, Probe<String>) {
    let (report, news) = probe();
    let client = Client::builder(proxy.url())
        .auth(&auth)
        .reconnect(quick_retries())
        .on(
            "news",
            reporter(report, |event| event.arg::<String>(0).unwrap_or_default()),
        )
        .connect()
        .await
        .expect("connected");
    let joined: bool = client
        .emit_with_ack::<bool, _>("join", &("red",))
        .await
        .expect("joined");
    assert!(joined);
    (client, news)
}

/// Takes the listener's network down, has `speaker` tell the room three things
/// while it is away, brings the network back and waits for the listener to
/// reconnect; returns its state then.
async fn drop_and_miss(
    proxy: &Proxy,
    client: &Client,
    speaker: &Client,
    news: &mut Probe<String>,
) -> ConnectionState {
    speaker.emit("tell", &("red", "before")).unwrap();
    assert_eq!(news.next().await, "before");
    proxy.go_down();
    wait_until_reconnecting(client).await;
    // The servers notice the cut at once; give them a moment all the same.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for text in ["one", "two", "three"] {
        speaker.emit("tell", &("red", text)).unwrap();
    }
    // Handled in order: once this is acknowledged, the three were sent.
    let synced: bool = speaker
        .emit_with_ack::<bool, _>("join", &("speakers",))
        .await
        .expect("acknowledged");
    assert!(synced);
    proxy.come_back();
    wait_for_state(client, ConnectionState::is_connected).await;
    client.state()
}

#[tokio::test]
async fn gets_its_socket_and_the_missed_events_back_from_tether() {
    let server = SioServer::start(tether_server(true)).await;
    let proxy = Proxy::start(server.addr()).await;
    let (client, mut news) = listener(&proxy, json!({ "token": "t" })).await;
    let sid = client.id().expect("connected");
    let speaker = Client::builder(server.url()).connect().await.unwrap();
    let state = drop_and_miss(&proxy, &client, &speaker, &mut news).await;
    assert_eq!(
        state,
        ConnectionState::Connected {
            sid: sid.clone(),
            recovered: true
        }
    );
    assert!(client.recovered());
    assert_eq!(news.take(3).await, ["one", "two", "three"], "in order");
    speaker.emit("tell", &("red", "after")).unwrap();
    assert_eq!(news.next().await, "after", "still in the room");
}

#[tokio::test]
async fn starts_afresh_with_a_server_without_recovery() {
    let server = SioServer::start(tether_server(false)).await;
    let proxy = Proxy::start(server.addr()).await;
    let (client, mut news) = listener(&proxy, json!({})).await;
    let sid = client.id().expect("connected");
    let speaker = Client::builder(server.url()).connect().await.unwrap();
    let state = drop_and_miss(&proxy, &client, &speaker, &mut news).await;
    let ConnectionState::Connected {
        sid: new_sid,
        recovered,
    } = state
    else {
        panic!("not connected: {state:?}");
    };
    assert!(!recovered);
    assert!(!client.recovered());
    assert_ne!(new_sid, sid);
    speaker.emit("tell", &("red", "after")).unwrap();
    news.expect_silence().await;
}

#[tokio::test]
async fn gets_its_socket_and_the_missed_events_back_from_node() {
    let server = node_sio_server(&[("RECOVERY_MS", "10000")]).await;
    let target = format!("127.0.0.1:{}", server.port()).parse().unwrap();
    let proxy = Proxy::start(target).await;
    let auth = json!({ "token": "secret" });
    let (client, mut news) = listener(&proxy, auth.clone()).await;
    let sid = client.id().expect("connected");
    let speaker = Client::builder(server.url())
        .auth(&auth)
        .connect()
        .await
        .unwrap();
    let state = drop_and_miss(&proxy, &client, &speaker, &mut news).await;
    assert_eq!(
        state,
        ConnectionState::Connected {
            sid,
            recovered: true
        }
    );
    assert_eq!(news.take(3).await, ["one", "two", "three"], "in order");
}
