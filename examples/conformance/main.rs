//! The server the official Engine.IO and Socket.IO protocol test suites run against
//! (see `tether_examples::conformance`): an echo server at `/engine.io/` and the
//! socket.io-protocol suite's reference server at `/socket.io/`.
//!
//! On Ctrl-C or `SIGTERM` it closes every session cleanly before exiting.
//!
//! It runs on one thread, as the Node.js reference server does: the suites send
//! requests on separate connections a few milliseconds apart (a GET, then a second
//! one or the end of the first), and expect them handled in that order, which
//! worker threads on a busy machine do not keep.
//!
//! ```text
//! PORT=3000 cargo run --release --example conformance
//! ```

use std::time::Duration;

use tether_examples::conformance::{engine_echo, socket_io};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    let engine = engine_echo();
    let io = socket_io();
    let server = tether::bind((engine.clone(), io.clone()), tether_examples::listen_addr()).await?;
    tether_examples::announce(server.local_addr());
    tether_examples::shutdown_signal().await;
    engine.close_all(Duration::from_secs(2)).await;
    io.close(Duration::from_secs(2)).await;
    server.shutdown(Duration::from_secs(2)).await;
    Ok(())
}
