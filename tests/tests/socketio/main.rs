//! The Socket.IO layer: namespaces, events, acknowledgements, rooms and recovery
//! on in-process servers, driven by raw Socket.IO clients and the Rust client.

mod acks;
mod cluster_api;
mod connect;
mod disconnect;
mod dynamic;
mod event_middleware;
mod events;
mod fanout;
mod limits;
mod polling;
mod protocol;
mod protocol_engine;
mod recovery;
mod rooms;
mod support;
