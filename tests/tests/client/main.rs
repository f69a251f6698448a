//! The Rust client against tether servers, scripted peers and the Node.js
//! socket.io server.

mod basics;
mod contract_version;
mod cookies;
mod delivery;
mod faults;
mod manager;
mod msgpack;
mod node;
mod polling;
mod reconnect;
mod recovery;
mod support;
mod tls;
mod typed;
