//! The server the official Engine.IO and Socket.IO protocol test suites run against.
//!
//! `/engine.io/` echoes every message (ping 300 ms, timeout 200 ms, max payload 1e6,
//! CORS `*`), as the engine.io-protocol suite's reference server does. On Ctrl-C or
//! `SIGTERM` it closes every session cleanly before exiting.
//!
//! ```text
//! PORT=3000 cargo run --release --example conformance
//! ```

use std::time::Duration;

use tether::engine::{CloseReason, Connection, Cors, Engine, EngineConfig, EngineHandler, Message};

/// Echoes every message back to its sender.
struct Echo;

impl EngineHandler for Echo {
    type Data = ();

    fn on_open(&self, _conn: &Connection<()>) {}

    fn on_message(&self, conn: &Connection<()>, message: Message) {
        let _ = match message {
            Message::Text(text) => conn.send_text(&text),
            Message::Binary(bytes) => conn.send_binary(bytes),
        };
    }

    fn on_close(&self, _conn: &Connection<()>, _reason: CloseReason) {}
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    let config = EngineConfig::default()
        .with_path("/engine.io/")
        .with_heartbeat(Duration::from_millis(300), Duration::from_millis(200))
        .with_max_payload(1_000_000)
        .with_cors(Cors::any());
    let engine = Engine::new(config, Echo);
    let server = tether::bind(engine.clone(), tether_examples::listen_addr()).await?;
    tether_examples::announce(server.local_addr());
    tether_examples::shutdown_signal().await;
    engine.close_all(Duration::from_secs(2)).await;
    server.shutdown(Duration::from_secs(2)).await;
    Ok(())
}
