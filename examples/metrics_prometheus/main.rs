//! A server whose metrics Prometheus scrapes: `metrics-exporter-prometheus` is
//! installed as the `metrics` recorder before the server is built, and its
//! rendering is served on `/metrics` on a port of its own.
//!
//! ```text
//! PORT=3000 METRICS_PORT=9000 cargo run --example metrics_prometheus
//! curl http://127.0.0.1:9000/metrics
//! ```
//!
//! Namespace `/`:
//! - `echo(...args)` with an ack: acknowledged with the same arguments;
//! - `shout(text)`: `news(text)` to every socket of `/`;
//! - `join(room)` with an ack: joins `room`, acknowledged with `true`;
//! - `ask()`: emits `question` to the sender, waiting 300 ms for its
//!   acknowledgement, then emits `answered(bool)` to it.
//!
//! It prints `metrics on http://ADDR/metrics`, then `listening on http://ADDR`.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusBuilder;
use tether::protocol::Value;
use tether::server::{Event, Server, ServerConfig, Socket};

/// How long a graceful stop waits for the connections to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

fn server() -> Server {
    let io = Server::new(ServerConfig::default());
    let main = io.main();
    tether_examples::on_echo_and_join(&main);
    tether_examples::on_with_server(&main, &io, "shout", |io, event| async move {
        let text: String = event.arg(0)?;
        io.emit("news", &text)?;
        Ok(())
    });
    main.on("ask", |socket: Socket, _event: Event| async move {
        let answer = socket
            .timeout(Duration::from_millis(300))
            .emit_with_ack::<Value, _>("question", &())
            .await;
        socket.emit("answered", &answer.is_ok())?;
        tether_examples::HandlerResult::Ok(())
    });
    io
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    // The recorder first: the server resolves its metric handles when built.
    let prometheus = PrometheusBuilder::new()
        .install_recorder()
        .map_err(std::io::Error::other)?;
    let io = server();

    let metrics_port: u16 = tether_examples::env_parse("METRICS_PORT").unwrap_or(9000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", metrics_port)).await?;
    println!("metrics on http://{}/metrics", listener.local_addr()?);
    let routes = Router::new().route(
        "/metrics",
        get(move || {
            let prometheus = prometheus.clone();
            async move { prometheus.render() }
        }),
    );
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, routes).await {
            tracing::error!(%error, "the metrics endpoint stopped");
        }
    });

    let server = tether::bind(io.clone(), tether_examples::listen_addr()).await?;
    tether_examples::announce(server.local_addr());
    tether_examples::shutdown_signal().await;
    io.close(SHUTDOWN_GRACE).await;
    server.shutdown(SHUTDOWN_GRACE).await;
    Ok(())
}
