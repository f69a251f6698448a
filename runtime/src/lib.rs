//! tether: typed real-time events over the Socket.IO protocol.
//!
//! The crate is layered, and each layer imports only the ones below it (the picture
//! and the rule are in `ARCHITECTURE.md` at the repository root): [`engine`] is
//! Engine.IO v4 (sessions over HTTP long-polling and WebSocket), [`protocol`] is the
//! Socket.IO v5 packet codec (beside the engine: neither names the other), [`server`]
//! is the Socket.IO server on both, [`adapter`] carries its broadcasts to other nodes,
//! [`peer`] holds what the server and the Rust client share, [`contract`] is the typed
//! layer `#[tether::events]` generates code for, and [`http`] serves an endpoint
//! standalone or inside axum/tower. With the `client` feature, `client` is the Rust
//! client for such servers (and for Node.js ones).
#![warn(missing_docs)]

extern crate self as tether;

pub mod adapter;
#[cfg(feature = "admin")]
pub mod admin;
#[cfg(any(feature = "client", feature = "redis", feature = "postgres"))]
mod backoff;
#[cfg(feature = "client")]
pub mod client;
pub mod contract;
#[cfg(feature = "emitter")]
pub mod emitter;
pub mod engine;
mod frame;
pub mod http;
pub mod peer;
pub mod protocol;
mod room;
pub mod server;
mod telemetry;

#[doc(hidden)]
pub mod __private;

pub use bytes::Bytes;
pub use http::{bind, serve};
pub use protocol::Value;
pub use tether_macros::{Room, events};

/// The README's examples, compiled as doctests so they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
