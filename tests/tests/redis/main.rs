//! The Redis adapters (pub/sub, sharded, cluster, Sentinel, streams) and emitters
//! on the shared Redis (`REDIS_URL`, else `redis://127.0.0.1:6379`) and on
//! `redis-server` processes of the tests' own.

mod acks;
mod broadcast;
mod cluster;
mod cluster_api;
mod emitter;
mod node;
mod sentinel;
mod server_side;
mod sharded;
mod streams_cluster;
mod streams_emitter;
mod streams_recovery;
mod tls_auth;
