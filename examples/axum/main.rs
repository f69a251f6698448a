//! Mounting an Engine.IO endpoint in an axum `Router`, beside ordinary routes.
//!
//! `/engine.io/` echoes every message; `/health` and `/` are plain axum handlers.
//!
//! ```text
//! PORT=3000 cargo run --example axum
//! curl 'http://127.0.0.1:3000/engine.io/?EIO=4&transport=polling'
//! curl http://127.0.0.1:3000/health
//! ```

use axum::Router;
use axum::routing::get;
use tether::engine::{CloseReason, Connection, Engine, EngineConfig, EngineHandler, Message};
use tether::http::EngineLayer;

/// Echoes every message back to its sender.
struct Echo;

impl EngineHandler for Echo {
    type Data = ();

    fn on_open(&self, conn: &Connection<()>) {
        tracing::info!(sid = %conn.id(), transport = ?conn.transport(), "open");
    }

    fn on_message(&self, conn: &Connection<()>, message: Message) {
        let _ = match message {
            Message::Text(text) => conn.send_text(&text),
            Message::Binary(bytes) => conn.send_binary(bytes),
        };
    }

    fn on_close(&self, conn: &Connection<()>, reason: CloseReason) {
        tracing::info!(sid = %conn.id(), ?reason, "close");
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tether_examples::init_tracing();
    let engine = Engine::new(EngineConfig::default().with_path("/engine.io/"), Echo);
    let app = Router::new()
        .route(
            "/",
            get(|| async { "tether Engine.IO endpoint at /engine.io/\n" }),
        )
        .route("/health", get(|| async { "ok" }))
        .layer(EngineLayer::new(engine));
    let listener = tokio::net::TcpListener::bind(tether_examples::listen_addr()).await?;
    tether_examples::announce(listener.local_addr()?);
    axum::serve(listener, app).await
}
