//! tether: typed real-time events over the Socket.IO protocol.
//!
//! The crate is layered: [`engine`] is Engine.IO v4 (sessions over HTTP long-polling
//! and WebSocket), [`protocol`] is the Socket.IO v5 packet codec on top of it, [`server`] is the
//! Socket.IO server, and
//! [`http`] serves an endpoint standalone or inside axum/tower.
#![warn(missing_docs)]

pub mod engine;
pub mod http;
pub mod protocol;
pub mod server;

pub use http::{bind, serve};
pub use protocol::Value;
