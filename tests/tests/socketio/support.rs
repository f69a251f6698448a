//! What several files of this binary share: the `conformance` example's server,
//! and probes of the disconnect reasons a namespace reports.

use tether::server::{DisconnectReason, Event, EventHandler, HandlerResult, Server, Socket};
use tether_examples::conformance::socket_io;
use tether_tests::{Probe, Report, SioServer, probe};

/// The `conformance` example's Socket.IO server, served in-process.
pub async fn conformance_server() -> SioServer {
    SioServer::start(socket_io()).await
}

/// Opens a session on the `conformance` server, sends `frame` as it is, and
/// expects the connection to close with nothing sent before.
pub async fn conformance_closes_after(frame: &str) {
    let server = conformance_server().await;
    let mut client = server.open().await;
    client.send_raw(frame).await;
    assert_eq!(client.expect_closed().await, [], "after {frame:?}");
    server.stop().await;
}

/// The queries of an Engine.IO handshake on `transport` that a server refuses:
/// no version, a bad version, no transport, an unknown transport.
pub fn bad_handshake_queries(transport: &str) -> [String; 4] {
    [
        format!("transport={transport}"),
        format!("EIO=abc&transport={transport}"),
        "EIO=4".to_owned(),
        "EIO=4&transport=abc".to_owned(),
    ]
}

/// Reports the reason of every socket leaving `io`'s main namespace.
pub fn disconnect_reasons(io: &Server) -> Probe<DisconnectReason> {
    let (report, seen) = probe();
    io.main()
        .on_disconnect(move |_socket: Socket, reason: DisconnectReason| {
            let report = report.clone();
            async move { report.send(reason) }
        });
    seen
}

/// A server with [`tether_tests::sio_config`], its handlers set up by `setup`,
/// which is handed the reporting half of the probe returned with it.
pub async fn probed_server<T>(setup: impl FnOnce(&Server, Report<T>)) -> (SioServer, Probe<T>) {
    let (report, seen) = probe();
    let server = SioServer::with(|io| setup(io, report)).await;
    (server, seen)
}

/// A server whose connection handler on `/` is `handler`, handed with each
/// socket the reporting half of the probe returned with the server.
pub async fn reporting_connections<T, F, Fut>(handler: F) -> (SioServer, Probe<T>)
where
    T: Send + 'static,
    F: Fn(Socket, Report<T>) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerResult,
{
    probed_server(|io, report| {
        io.on_connection(move |socket: Socket| handler(socket, report.clone()));
    })
    .await
}

/// A server whose handler of `event` on `/` is `handler`, handed with each event
/// the reporting half of the probe returned with the server.
pub async fn reporting_events<T, F, Fut>(event: &str, handler: F) -> (SioServer, Probe<T>)
where
    T: Send + 'static,
    F: Fn(Socket, Event, Report<T>) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerResult,
{
    probed_server(|io, report| {
        io.main().on(event, move |socket: Socket, event: Event| {
            handler(socket, event, report.clone())
        });
    })
    .await
}

/// A server whose only handler is `handler`, of `event` on `/`.
pub async fn handling(event: &str, handler: impl EventHandler) -> SioServer {
    SioServer::with(|io| io.main().on(event, handler)).await
}
