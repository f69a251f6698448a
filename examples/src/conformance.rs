//! The servers the official Engine.IO and Socket.IO protocol test suites run
//! against, shared by the `conformance` example and the Rust conformance tests.
//!
//! - [`engine_echo`] (`/engine.io/`) echoes every message (ping 300 ms, timeout
//!   200 ms, max payload 1e6, CORS `*`), as the engine.io-protocol suite's reference
//!   server does.
//! - [`socket_io`] (`/socket.io/`) is the socket.io-protocol suite's reference
//!   server: on connection to `/` and `/custom` it emits `auth` with the handshake
//!   auth; on `/`, `message` is answered with `message-back` and the same
//!   arguments, and `message-with-ack` is acknowledged with the same arguments
//!   (same heartbeat and limits, connect timeout 1 s; `PARSER=msgpack` makes it
//!   speak socket.io-msgpack-parser's MessagePack). With `ALLOW_EIO3=1` both
//!   servers also accept Engine.IO v3 clients (socket.io-client 2.x).

use std::time::Duration;

use tether::engine::{CloseReason, Connection, Cors, Engine, EngineConfig, EngineHandler, Message};
use tether::server::{Event, Server, ServerConfig, Socket};

/// Echoes every message back to its sender.
#[derive(Debug)]
pub struct Echo;

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

/// The engine.io-protocol suite's echo server at `/engine.io/`.
pub fn engine_echo() -> Engine<Echo> {
    let config = EngineConfig::default()
        .with_path("/engine.io/")
        .with_heartbeat(Duration::from_millis(300), Duration::from_millis(200))
        .with_max_payload(1_000_000)
        .with_cors(Cors::any())
        .with_allow_eio3(crate::allow_eio3_from_env());
    Engine::new(config, Echo)
}

/// The socket.io-protocol suite's reference server at `/socket.io/`.
pub fn socket_io() -> Server {
    let config = ServerConfig::default()
        .with_heartbeat(Duration::from_millis(300), Duration::from_millis(200))
        .with_max_payload(1_000_000)
        .with_connect_timeout(Duration::from_millis(1000))
        .with_cors(Cors::any())
        .with_parser(crate::parser_from_env())
        .with_allow_eio3(crate::allow_eio3_from_env());
    let io = Server::new(config);
    let emit_auth = |socket: Socket| async move { socket.emit("auth", &socket.auth_value()) };
    io.on_connection(emit_auth);
    io.of("/custom").on_connection(emit_auth);
    let main = io.main();
    main.on("message", |socket: Socket, event: Event| async move {
        socket.emit("message-back", event.args())
    });
    main.on(
        "message-with-ack",
        |_socket: Socket, mut event: Event| async move {
            let args = event.args().clone();
            event.ack(&args)
        },
    );
    io
}
