//! The Rust client losing its connection: reconnecting with backoff to a server
//! restarted on the same port, joining again with the same auth, delivering what
//! was emitted meanwhile in order, failing acknowledgements of the lost
//! connection, bounding its buffer, and giving up after its attempts; and a
//! first connection that waits for the server when asked to.

use serde_json::{Value, json};
use tether::client::{
    AckError, Client, ConnectError, ConnectionState, DisconnectReason, EmitError,
    MAX_BUFFERED_PACKETS, Reconnect,
};
use tether::server::{Server, Socket};
use tether_tests::client::{quick_retries, wait_for_state};
use tether_tests::{PATIENCE, Report, SioServer, probe, sio_config, within};

use crate::support::{
    assert_gone, connection_reporter, reporting_server, server_reporter, wait_until_reconnecting,
};

/// A server that reports each connection's auth, and each `n` event's number.
fn numbering_server(connections: Report<Value>, numbers: Report<u64>) -> Server {
    let io = Server::new(sio_config());
    io.main()
        .on_connection(connection_reporter(connections, Socket::auth_value));
    io.main().on(
        "n",
        server_reporter(numbers, |event| event.arg::<u64>(0).unwrap_or(u64::MAX)),
    );
    io
}

#[tokio::test]
async fn comes_back_after_a_restart_and_sends_what_was_buffered_in_order() {
    let (connections, mut joined) = probe();
    let (numbers, mut received) = probe();
    let first = SioServer::start(numbering_server(connections.clone(), numbers.clone())).await;
    let addr = first.addr();
    let auth = json!({ "token": "t-1" });
    let client = Client::builder(first.url())
        .auth(&auth)
        .reconnect(quick_retries())
        .connect()
        .await
        .expect("connected");
    assert_eq!(joined.next().await, auth);
    let first_sid = client.id().expect("connected");
    client.emit("n", &(0,)).unwrap();
    assert_eq!(received.next().await, 0);

    first.stop().await;
    wait_until_reconnecting(&client).await;
    for n in 1..=50u64 {
        client
            .emit("n", &(n,))
            .expect("buffered while reconnecting");
    }

    let second = SioServer::start_on(numbering_server(connections, numbers), addr).await;
    assert_eq!(joined.next().await, auth, "joined again with the same auth");
    assert_eq!(received.take(50).await, (1..=50).collect::<Vec<u64>>());
    wait_for_state(&client, ConnectionState::is_connected).await;
    assert_ne!(client.id(), Some(first_sid));
    client.emit("n", &(51,)).unwrap();
    assert_eq!(received.next().await, 51);
    client.disconnect();
    second.stop().await;
}

#[tokio::test]
async fn acknowledgements_of_a_lost_connection_fail() {
    let (server, mut asked) =
        reporting_server(|io, report| io.main().on("hold", server_reporter(report, |_event| ())))
            .await;
    let client = Client::builder(server.url())
        .reconnect(quick_retries())
        .ack_timeout(PATIENCE * 2)
        .connect()
        .await
        .unwrap();
    let pending = client.emit_with_ack::<(), _>("hold", &());
    asked.next().await;
    server.stop().await;
    let outcome = within(pending).await;
    assert!(
        matches!(outcome, Err(AckError::Disconnected)),
        "{outcome:?}"
    );
    client.disconnect();
    assert_eq!(
        within(client.disconnected()).await,
        DisconnectReason::ClientDisconnect
    );
}

#[tokio::test]
async fn the_buffer_is_bounded_and_reconnection_gives_up() {
    let server = SioServer::with(|_| {}).await;
    let client = Client::builder(server.url())
        .reconnect(quick_retries().max_attempts(3))
        .connect()
        .await
        .unwrap();
    server.stop().await;
    wait_until_reconnecting(&client).await;
    for n in 0..MAX_BUFFERED_PACKETS {
        client.emit("n", &(n,)).expect("room in the buffer");
    }
    assert!(matches!(client.emit("n", &()), Err(EmitError::QueueFull)));
    assert_eq!(
        within(client.disconnected()).await,
        DisconnectReason::ReconnectFailed { attempts: 3 }
    );
    assert_gone(&client);
}

#[tokio::test]
async fn without_reconnection_a_lost_connection_ends_the_client() {
    let server = SioServer::with(|_| {}).await;
    let client = Client::builder(server.url())
        .reconnect(Reconnect::disabled())
        .connect()
        .await
        .unwrap();
    server.stop().await;
    let reason = within(client.disconnected()).await;
    assert!(
        matches!(
            reason,
            DisconnectReason::TransportClose | DisconnectReason::TransportError
        ),
        "{reason:?}"
    );
}

#[tokio::test]
async fn a_first_connection_may_wait_for_the_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}");
    let waiting = tokio::spawn(
        Client::builder(&url)
            .reconnect(quick_retries())
            .retry_first_connection(true)
            .connect(),
    );
    let at_once = Client::builder(&url).connect().await;
    assert!(matches!(at_once, Err(ConnectError::Io(_))), "{at_once:?}");
    let giving_up = Client::builder(&url)
        .reconnect(quick_retries().max_attempts(2))
        .retry_first_connection(true)
        .connect()
        .await;
    assert!(
        matches!(giving_up, Err(ConnectError::Io(_))),
        "{giving_up:?}"
    );

    let server = SioServer::start_on(Server::new(sio_config()), addr).await;
    let client = within(waiting)
        .await
        .expect("the task ran")
        .expect("connected once the server is up");
    assert!(client.state().is_connected());
    client.disconnect();
    server.stop().await;
}

#[tokio::test]
async fn an_auth_callback_gives_a_fresh_token_on_every_reconnection() {
    let (connections, mut joined) = probe();
    let (numbers, _received) = probe();
    let first = SioServer::start(numbering_server(connections.clone(), numbers.clone())).await;
    let addr = first.addr();
    let issued = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let client = Client::builder(first.url())
        .auth_with(move || {
            let issued = issued.clone();
            async move {
                let n = issued.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                json!({ "token": format!("t-{n}") })
            }
        })
        .reconnect(quick_retries())
        .connect()
        .await
        .expect("connected");
    assert_eq!(joined.next().await, json!({ "token": "t-1" }));

    first.stop().await;
    wait_until_reconnecting(&client).await;
    let second =
        SioServer::start_on(numbering_server(connections.clone(), numbers.clone()), addr).await;
    assert_eq!(joined.next().await, json!({ "token": "t-2" }));
    wait_for_state(&client, ConnectionState::is_connected).await;

    second.stop().await;
    wait_until_reconnecting(&client).await;
    let third = SioServer::start_on(numbering_server(connections, numbers), addr).await;
    assert_eq!(joined.next().await, json!({ "token": "t-3" }));
    client.disconnect();
    third.stop().await;
}
