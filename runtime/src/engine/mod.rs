//! Engine.IO v4: the transport layer under Socket.IO, usable on its own.
//!
//! An [`Engine`] holds sessions opened over HTTP long-polling or WebSocket, upgrades
//! polling sessions to WebSocket, runs the heartbeat and hands every message to an
//! [`EngineHandler`]. The wire format is byte-compatible with the Node.js `engine.io`
//! 6.6 server, so the official `engine.io-client` connects as it would there.
//!
//! ```no_run
//! use tether::engine::{CloseReason, Connection, Engine, EngineConfig, EngineHandler, Message};
//!
//! struct Echo;
//!
//! impl EngineHandler for Echo {
//!     type Data = ();
//!     fn on_open(&self, _conn: &Connection<()>) {}
//!     fn on_message(&self, conn: &Connection<()>, message: Message) {
//!         let _ = match message {
//!             Message::Text(text) => conn.send_text(&text),
//!             Message::Binary(bytes) => conn.send_binary(bytes),
//!         };
//!     }
//!     fn on_close(&self, _conn: &Connection<()>, _reason: CloseReason) {}
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let engine = Engine::new(EngineConfig::default(), Echo);
//! tether::http::serve(engine, "127.0.0.1:3000").await
//! # }
//! ```

mod compression;
mod config;
mod connection;
mod cors;
#[cfg(feature = "ws-deflate")]
mod deflate;
mod direct;
mod error;
mod extensions;
mod frame_writer;
mod heartbeat;
mod hooks;
pub mod packet;
mod packet_v3;
mod polling;
mod query;
pub(crate) use query::grouped as query_grouped;
pub(crate) use query::to_json_map as query_to_json_map;

mod request;
mod server;
mod session;
mod sid;
pub(crate) mod upgrade_io;
mod wake;
mod websocket;
mod ws_io;

pub use crate::frame::{Frame, InvalidUtf8, Message, Text};
pub use compression::HttpCompression;
pub use config::{
    AllowRequest, AllowRequestFuture, EngineConfig, SameSite, SessionCookie, Transports,
};
pub use connection::{CloseReason, Connection, Handshake, SendError, Transport, WeakConnection};
pub use cors::{AllowOrigin, Cors, CorsError};
#[cfg(feature = "ws-deflate")]
pub use deflate::PerMessageDeflate;
pub use error::RequestError;
pub use extensions::{RemoteAddr, Tls};
pub use hooks::{ConnectionErrorHook, HeadersHook};
pub use packet::{DecodeError, Packet, PacketKind};
pub use request::BoxError;
pub use server::{Engine, EngineHandler};
pub use sid::Sid;
