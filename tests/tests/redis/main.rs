//! The Redis adapters (pub/sub, sharded, cluster, Sentinel, streams) and emitters
//! on the shared Redis (`REDIS_URL`, else `redis://127.0.0.1:6379`) and on
//! `redis-server` processes of the tests' own.

/// Runs the scenario `async fn $scenario(variant: Variant)` as two tests, in a
/// module named after it: `classic` with the pub/sub adapter and `sharded` with
/// the sharded one.
macro_rules! classic_and_sharded {
    ($scenario:ident) => {
        mod $scenario {
            use tether_tests::redis::Variant;

            #[tokio::test]
            async fn classic() {
                super::$scenario(Variant::Classic).await;
            }

            #[tokio::test]
            async fn sharded() {
                super::$scenario(Variant::Sharded).await;
            }
        }
    };
}

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
