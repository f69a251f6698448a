//! Fixtures the client tests share: the Node.js socket.io server, tether servers
//! and handlers that report what they get to a probe, refusals, and waiting for
//! a reconnection.

use std::sync::Arc;

use tether::client::{
    Client, ClientBuilder, ConnectError, ConnectionState, EmitError, Event, EventHandler,
};
use tether::server::{self, ConnectError as Refusal, ConnectHandler, Server, Socket};
use tether_tests::client::wait_for_state;
use tether_tests::node::NodeServer;
use tether_tests::{Probe, Report, SioServer, probe};

/// The Node.js socket.io server of `tests/js/support/node-sio-server.mjs`, started
/// with `env` (on an ephemeral port unless `PORT` is given).
pub async fn node_sio_server(env: &[(&'static str, &str)]) -> NodeServer {
    let env: Vec<(&str, String)> = env
        .iter()
        .map(|&(name, value)| (name, value.to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || NodeServer::start("node-sio-server.mjs", "socket.io", &env))
        .await
        .expect("the Node.js server started")
}

/// The Node.js socket.io server on `port`.
pub async fn node_sio_server_on(port: u16) -> NodeServer {
    node_sio_server(&[("PORT", &port.to_string())]).await
}

/// Stops the Node.js `server`, waits until `client` is reconnecting, and starts
/// the server again on the same port.
pub async fn restart_node(server: NodeServer, client: &Client) -> NodeServer {
    let port = server.port();
    drop(server);
    wait_until_reconnecting(client).await;
    node_sio_server_on(port).await
}

/// A tether server `setup` prepares, given the report its handlers send to; returns
/// it with the probe that reads what they report.
pub async fn reporting_server<T>(setup: impl FnOnce(&Server, Report<T>)) -> (SioServer, Probe<T>) {
    let (report, seen) = probe();
    let server = SioServer::with(|io| setup(io, report)).await;
    (server, seen)
}

/// A server event handler sending what `describe` makes of each event to `report`.
pub fn server_reporter<T: Send + 'static>(
    report: Report<T>,
    describe: impl Fn(&server::Event) -> T + Send + Sync + 'static,
) -> impl server::EventHandler {
    let describe = Arc::new(describe);
    move |_socket: Socket, event: server::Event| {
        report_later(report.clone(), describe.clone(), event)
    }
}

/// A connection handler sending what `describe` makes of each new socket to
/// `report`.
pub fn connection_reporter<T: Send + 'static>(
    report: Report<T>,
    describe: impl Fn(&Socket) -> T + Send + Sync + 'static,
) -> impl ConnectHandler {
    let describe = Arc::new(describe);
    move |socket: Socket| report_later(report.clone(), describe.clone(), socket)
}

/// A client event handler sending what `describe` makes of each event to `report`.
pub fn reporter<T: Send + 'static>(
    report: Report<T>,
    describe: impl Fn(&Event) -> T + Send + Sync + 'static,
) -> impl EventHandler {
    let describe = Arc::new(describe);
    move |_client: Client, event: Event| report_later(report.clone(), describe.clone(), event)
}

/// What a reporting handler returns: a future sending what `describe` makes of
/// `subject` to `report`.
async fn report_later<S, T, F: Fn(&S) -> T>(report: Report<T>, describe: Arc<F>, subject: S) {
    report.send(describe(&subject));
}

/// A client event handler reporting each event as its name and its arguments,
/// as [`args_text`] shows them.
pub fn report_as_text(report: Report<String>) -> impl EventHandler {
    reporter(report, |event| {
        format!("{} {}", event.name(), args_text(event))
    })
}

/// An event's arguments as text, separated by spaces: compact JSON, and binary
/// as its bytes (`[1, 2]`).
///
/// # Panics
///
/// If an argument does not decode.
pub fn args_text(event: &Event) -> String {
    let values = event.values().expect("arguments that decode");
    let shown: Vec<String> = values
        .iter()
        .map(|value| match value.as_binary() {
            Some(bytes) => format!("{:?}", &bytes[..]),
            None => value.to_string(),
        })
        .collect();
    shown.join(" ")
}

/// Waits until `client` lost its connection and is trying to get it back.
pub async fn wait_until_reconnecting(client: &Client) {
    wait_for_state(client, |state| {
        matches!(state, ConnectionState::Reconnecting { .. })
    })
    .await;
}

/// Asserts `client` is gone for good: an emit fails as disconnected.
pub fn assert_gone(client: &Client) {
    let emitted = client.emit("late", &());
    assert!(
        matches!(emitted, Err(EmitError::Disconnected)),
        "{emitted:?}"
    );
}

/// Connects with `builder`, which the server must refuse (`what` names the case
/// in the failure); returns the refusal.
pub async fn refusal(builder: ClientBuilder, what: &str) -> Refusal {
    match builder.connect().await {
        Err(ConnectError::Refused(refusal)) => refusal,
        other => panic!("{what}: expected a refusal, got {other:?}"),
    }
}
