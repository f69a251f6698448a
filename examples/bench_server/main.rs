//! The server the benchmarks drive: a fixed contract any load generator can speak.
//!
//! Namespace `/`:
//! - `echo(...args)` with an ack: acknowledged with the same arguments;
//! - `broadcast(obj)`: `bcast(obj)` to every socket of `/`, the sender included;
//! - `join(room)` with an ack: joins `room`, acknowledged with `true`;
//! - `room_broadcast(room, obj)`: `bcast(obj)` to the sockets in `room`;
//! - `fetch()` with an ack: gathers the sockets of `/` on every node of the
//!   cluster (`fetch_sockets`), acknowledged with their number.
//!
//! ```text
//! PORT=3000 THREADS=1 cargo run --release --example bench_server
//! ```
//!
//! `THREADS` sets the tokio worker threads (default: the number of cores);
//! `TOKIO_SCHEDULER=current` runs tokio's current-thread scheduler instead.
//! `PING_INTERVAL_MS` and `PING_TIMEOUT_MS` set the heartbeat (default 25 s and
//! 20 s, as the Node.js server's), `CONNECT_TIMEOUT_MS` the connect timeout
//! (default 45 s); `REDIS_URL` (and `REDIS_PREFIX`) joins a cluster (see
//! `tether_examples::cluster`, which also reads `TETHER_ADAPTER`), `RECOVERY=1`
//! turns connection state recovery on; `PARSER=msgpack` speaks
//! socket.io-msgpack-parser's MessagePack.
//!
//! Ctrl-C or `SIGTERM` stops it gracefully: every socket leaves with `server
//! shutting down`, so an adapter that keeps sessions (Redis Streams) stores
//! them for the clients to recover on another node.

use tether::protocol::Value;
use tether::server::{Server, ServerConfig};

/// The server's configuration: the defaults, with the heartbeat and connect
/// timeout from the environment when set.
fn config() -> ServerConfig {
    let millis =
        |name: &str| tether_examples::env_parse(name).map(std::time::Duration::from_millis);
    let mut config = ServerConfig::default().with_parser(tether_examples::parser_from_env());
    if let Some(timeout) = millis("CONNECT_TIMEOUT_MS") {
        config = config.with_connect_timeout(timeout);
    }
    match (millis("PING_INTERVAL_MS"), millis("PING_TIMEOUT_MS")) {
        (None, None) => config,
        (interval, timeout) => config.with_heartbeat(
            interval.unwrap_or(std::time::Duration::from_secs(25)),
            timeout.unwrap_or(std::time::Duration::from_secs(20)),
        ),
    }
}

fn bench_server() -> std::io::Result<Server> {
    let config = tether_examples::cluster::with_recovery_from_env(config());
    let io = tether_examples::cluster::io_server_from_env(config)?;
    let main = io.main();
    tether_examples::on_echo_and_join(&main);
    tether_examples::on_with_server(&main, &io, "broadcast", |io, event| async move {
        let payload = event
            .args()
            .raw(0)
            .map(|_| event.arg::<Value>(0))
            .transpose()?;
        io.emit("bcast", &payload.unwrap_or(Value::Null))?;
        Ok(())
    });
    tether_examples::on_with_server(&main, &io, "room_broadcast", |io, event| async move {
        let room: String = event.arg(0)?;
        let payload: Value = event.arg(1)?;
        io.to(room).emit("bcast", &payload)?;
        Ok(())
    });
    tether_examples::on_with_server(&main, &io, "fetch", |io, mut event| async move {
        let sockets = io.main().fetch_sockets().await?;
        event.ack(&sockets.len())?;
        Ok(())
    });
    Ok(io)
}

/// How long a graceful stop waits for the connections to close.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    let threads = tether_examples::env_parse("THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    // TOKIO_SCHEDULER=current: tokio's current-thread scheduler (one thread)
    // instead of the multi-thread one with THREADS workers.
    let runtime = if std::env::var("TOKIO_SCHEDULER").as_deref() == Ok("current") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async {
        let io = bench_server()?;
        let server = tether::bind(io.clone(), tether_examples::listen_addr()).await?;
        tether_examples::announce(server.local_addr());
        tether_examples::shutdown_signal().await;
        io.close(SHUTDOWN_GRACE).await;
        server.shutdown(SHUTDOWN_GRACE).await;
        // Session stores are written by tasks of their own; give the last ones
        // a moment before the runtime stops.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        Ok(())
    })
}
