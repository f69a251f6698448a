//! Several namespaces over one connection (socket.io-client's `Manager`):
//! `Client::socket` joins another namespace over the client's Engine.IO
//! connection, with its own handlers, auth and state; reconnection joins every
//! namespace again; each namespace can be typed. Against tether and the Node.js
//! socket.io 4.8 server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tether::client::{Client, ClientBuilder, ConnectError, ConnectionState, DisconnectReason};
use tether::server::{Event as ServerEvent, Server, ServerConfig, Socket};
use tether_tests::client::{quick_retries, wait_for_state};
use tether_tests::{Probe, Report, SioServer, probe, sio_config, within};

use crate::support::{node_sio_server, reporter, restart_node, wait_until_reconnecting};

/// Events a client of `/admin` sends.
#[tether::events]
pub trait AdminApi {
    /// The namespace and auth the server sees.
    fn whoami() -> (String, Value);
}

/// A server whose `/` and `/admin` greet with `hello(nsp)`, answer `whoami` with
/// `(nsp, auth)`, report each connection as `(nsp, auth)`, and count Engine.IO
/// handshakes in `handshakes`.
fn two_namespaces(connections: Report<(String, Value)>, handshakes: Arc<AtomicUsize>) -> Server {
    let config: ServerConfig = sio_config().with_initial_headers(move |_headers, _request| {
        handshakes.fetch_add(1, Ordering::SeqCst);
    });
    let io = Server::new(config);
    for nsp in ["/", "/admin"] {
        let connections = connections.clone();
        io.of(nsp).on_connection(move |socket: Socket| {
            let connections = connections.clone();
            async move {
                connections.send((socket.ns().to_owned(), socket.auth_value()));
                let _ = socket.emit("hello", &(socket.ns(),));
            }
        });
        io.of(nsp).on(
            "whoami",
            |socket: Socket, mut event: ServerEvent| async move {
                let _ = event.ack(&((socket.ns(), socket.auth_value()),));
            },
        );
    }
    io
}

/// A builder reporting each `hello` it gets, tagged with `tag`.
fn greeted(builder: ClientBuilder, tag: &'static str, report: Report<String>) -> ClientBuilder {
    builder.on(
        "hello",
        reporter(report, move |event| {
            format!("{tag} got hello {}", event.arg::<String>(0).unwrap())
        }),
    )
}

/// A builder joining `/admin` over `main`'s connection, with the admin's auth.
fn admin_socket(main: &Client) -> ClientBuilder {
    main.socket("/admin").auth(&json!({ "role": "admin" }))
}

async fn sorted(seen: &mut Probe<String>, count: usize) -> Vec<String> {
    let mut items = seen.take(count).await;
    items.sort_unstable();
    items
}

#[tokio::test]
async fn two_namespaces_share_one_connection_and_come_back_together() {
    let (connections, mut joined) = probe();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let first = SioServer::start(two_namespaces(connections.clone(), handshakes.clone())).await;
    let addr = first.addr();
    let (report, mut hellos) = probe();
    let main = greeted(Client::builder(first.url()), "main", report.clone())
        .auth(&json!({ "user": "ada" }))
        .reconnect(quick_retries())
        .connect()
        .await
        .unwrap();
    let admin = greeted(main.socket("/admin"), "admin", report.clone())
        .auth_with(|| async { json!({ "role": "admin" }) })
        .connect()
        .await
        .unwrap();
    assert_eq!(admin.namespace(), "/admin");
    let mut both = joined.take(2).await;
    both.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        both,
        [
            ("/".to_owned(), json!({ "user": "ada" })),
            ("/admin".to_owned(), json!({ "role": "admin" }))
        ]
    );
    assert_eq!(
        sorted(&mut hellos, 2).await,
        ["admin got hello /admin", "main got hello /"]
    );
    assert_eq!(
        handshakes.load(Ordering::SeqCst),
        1,
        "one Engine.IO connection"
    );
    let (nsp, auth) = within(admin.typed::<AdminApi>().whoami()).await.unwrap();
    assert_eq!((nsp.as_str(), auth), ("/admin", json!({ "role": "admin" })));
    let (nsp, _): (String, Value) = within(main.emit_with_ack("whoami", &())).await.unwrap();
    assert_eq!(nsp, "/");
    assert!(matches!(
        main.socket("/admin").connect().await,
        Err(ConnectError::AlreadyJoined(_))
    ));

    first.stop().await;
    wait_until_reconnecting(&admin).await;
    let handshakes = Arc::new(AtomicUsize::new(0));
    let second = SioServer::start_on(two_namespaces(connections, handshakes.clone()), addr).await;
    let mut again = joined.take(2).await;
    again.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(again[1], ("/admin".to_owned(), json!({ "role": "admin" })));
    assert_eq!(
        sorted(&mut hellos, 2).await,
        ["admin got hello /admin", "main got hello /"]
    );
    wait_for_state(&admin, ConnectionState::is_connected).await;
    wait_for_state(&main, ConnectionState::is_connected).await;
    assert_eq!(
        handshakes.load(Ordering::SeqCst),
        1,
        "one Engine.IO connection"
    );

    // Leaving one namespace keeps the other on the connection.
    admin.disconnect();
    assert_eq!(
        within(admin.disconnected()).await,
        DisconnectReason::ClientDisconnect
    );
    let (nsp, _): (String, Value) = within(main.emit_with_ack("whoami", &())).await.unwrap();
    assert_eq!(nsp, "/");
    assert!(main.state().is_connected());
    main.disconnect();
    second.stop().await;
}

#[tokio::test]
async fn a_refused_namespace_leaves_the_connection_to_the_others() {
    let server = SioServer::with(|io| {
        io.of("/private").use_middleware(|_socket: Socket| async {
            Err(tether::server::ConnectError::new("no"))
        });
    })
    .await;
    let main = Client::builder(server.url()).connect().await.unwrap();
    let refused = main.socket("/private").connect().await;
    assert!(
        matches!(&refused, Err(ConnectError::Refused(error)) if error.message == "no"),
        "{refused:?}"
    );
    let unknown = main.socket("/nowhere").connect().await;
    assert!(
        matches!(unknown, Err(ConnectError::Refused(_))),
        "{unknown:?}"
    );
    assert!(main.state().is_connected());
    main.disconnect();
    within(main.disconnected()).await;
    let closed = main.socket("/late").connect().await;
    assert!(matches!(closed, Err(ConnectError::Closed)), "{closed:?}");
    server.stop().await;
}

#[tokio::test]
async fn two_namespaces_share_one_connection_to_node_and_come_back_together() {
    let first = node_sio_server(&[]).await;
    let (report, mut welcomes) = probe();
    let welcome = |tag: &'static str, report: Report<String>| {
        reporter(report, move |event| {
            format!("{tag} {}", event.arg::<Value>(0).unwrap())
        })
    };
    let main = Client::builder(first.url())
        .auth(&json!({ "token": "secret" }))
        .reconnect(quick_retries())
        .on("welcome", welcome("main", report.clone()))
        .connect()
        .await
        .unwrap();
    let admin = admin_socket(&main)
        .on("welcome", welcome("admin", report.clone()))
        .connect()
        .await
        .unwrap();
    assert_eq!(
        sorted(&mut welcomes, 2).await,
        [r#"admin {"role":"admin"}"#, r#"main {"token":"secret"}"#]
    );
    let engine: String = within(main.emit_with_ack("engine", &())).await.unwrap();
    let admin_engine: String = within(admin.emit_with_ack("engine", &())).await.unwrap();
    assert_eq!(engine, admin_engine, "one Engine.IO session");
    let refused = main.socket("/admin").auth(&json!({})).connect().await;
    assert!(
        matches!(refused, Err(ConnectError::AlreadyJoined(_))),
        "{refused:?}"
    );

    let _second = restart_node(first, &admin).await;
    assert_eq!(
        sorted(&mut welcomes, 2).await,
        [r#"admin {"role":"admin"}"#, r#"main {"token":"secret"}"#]
    );
    wait_for_state(&admin, ConnectionState::is_connected).await;
    wait_for_state(&main, ConnectionState::is_connected).await;
    let engine_again: String = within(main.emit_with_ack("engine", &())).await.unwrap();
    let admin_again: String = within(admin.emit_with_ack("engine", &())).await.unwrap();
    assert_eq!(engine_again, admin_again, "one Engine.IO session again");
    assert_ne!(engine_again, engine);
    main.disconnect();
    admin.disconnect();
}

#[tokio::test]
async fn namespaces_share_a_polling_or_upgraded_connection_too() {
    for mode in [
        tether::client::TransportMode::Polling,
        tether::client::TransportMode::PollingThenWebSocket,
    ] {
        let (connections, mut joined) = probe();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let server = SioServer::start(two_namespaces(connections, handshakes.clone())).await;
        let main = Client::builder(server.url())
            .transport(mode)
            .connect()
            .await
            .unwrap();
        let admin = admin_socket(&main).connect().await.unwrap();
        let _ = joined.take(2).await;
        let (nsp, auth) = within(admin.typed::<AdminApi>().whoami()).await.unwrap();
        assert_eq!(
            (nsp.as_str(), auth),
            ("/admin", json!({ "role": "admin" })),
            "{mode:?}"
        );
        let (nsp, _): (String, Value) = within(main.emit_with_ack("whoami", &())).await.unwrap();
        assert_eq!(nsp, "/", "{mode:?}");
        assert_eq!(
            handshakes.load(Ordering::SeqCst),
            1,
            "{mode:?}: one connection"
        );
        main.disconnect();
        admin.disconnect();
        assert_eq!(
            within(main.disconnected()).await,
            DisconnectReason::ClientDisconnect
        );
        server.stop().await;
    }
}
