//! Shared helpers for tether's integration tests.
//!
//! Every test starts its own in-process server on `127.0.0.1:0` ([`TestServer`]),
//! talks to it with a small HTTP/1.1 client ([`http`]) and a WebSocket client
//! ([`ws`]), and stops it at the end, so tests run in parallel and leave nothing
//! behind.
//!
//! Waits are bounded by [`PATIENCE`], which is generous on purpose: a loaded 2-core
//! CI machine may be slow, and a bound is only there so a broken server fails the
//! test instead of hanging it.

pub mod certs;
pub mod client;
pub mod cluster;
pub mod engine_checks;
pub mod examples;
pub mod http;
pub mod loopback;
pub mod node;
pub mod payload;
pub mod postgres;
pub mod proxy;
pub mod redis;
pub mod redis_streams;
pub mod server;
pub mod sio;
pub mod sio_packet;
pub mod sio_polling;
pub mod sio_server;
pub mod ws;

use std::time::Duration;

pub use http::{HttpRequest, Reply};
pub use payload::OpenPacket;
pub use proxy::Proxy;
pub use server::{Event, PollingSession, Recorder, TestServer};
pub use sio::{SioClient, SioEvent};
pub use sio_packet::{SioPacket, placeholder};
pub use sio_polling::SioPolling;
pub use sio_server::{Probe, Report, SioServer, probe, sio_config};
pub use ws::{WsClient, WsEvent};

/// The longest a test waits for something that should happen.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Awaits `future`, failing the test when it takes longer than [`PATIENCE`].
///
/// # Panics
///
/// When `future` is not done within [`PATIENCE`].
pub async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .expect("done within the test's patience")
}

/// How long a test watches for something that should *not* happen (a request that
/// must stay pending, a message that must not arrive).
pub const QUIET: Duration = Duration::from_millis(300);

/// Waits until `condition` holds, checking every 10 ms, for at most [`PATIENCE`]:
/// for state the tests can read but not await (counts, flags).
///
/// # Panics
///
/// When `condition` still fails after [`PATIENCE`]; the message names `what`.
pub async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {PATIENCE:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
