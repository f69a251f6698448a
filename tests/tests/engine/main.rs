//! The Engine.IO layer: sessions over polling and WebSocket against in-process
//! engines, driven by raw HTTP and WebSocket clients.

mod axum_router;
mod close;
mod codec;
mod direct_writes;
mod eio3;
mod handshake;
mod heartbeat;
mod hooks;
mod http_tls;
mod limits;
mod options;
mod polling;
mod upgrade;
mod websocket;
