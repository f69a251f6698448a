//! The Postgres adapter and emitter on the shared database (`DATABASE_URL`, see
//! `tether_tests::postgres`).

mod cluster_api;
mod emitter;
mod examples;
mod node;
mod reconnect;
