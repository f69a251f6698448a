//! The methods every scale-out node type (a tether server with an adapter)
//! forwards to the [`crate::SioServer`] it serves.

/// Implements `url`, `io` and `stop` on node types that hold their served
/// [`crate::SioServer`] in a field `server`.
macro_rules! forward_to_served_server {
    ($($node:ty),+ $(,)?) => {$(
        impl $node {
            /// The URL clients connect to.
            pub fn url(&self) -> String {
                self.server.url()
            }

            /// The server.
            pub fn io(&self) -> &tether::server::Server {
                &self.server.io
            }

            /// Disconnects every client and stops listening.
            pub async fn stop(self) {
                self.server.stop().await;
            }
        }
    )+};
}

forward_to_served_server!(
    crate::postgres::PostgresNode,
    crate::redis::RedisNode,
    crate::redis_streams::StreamsNode,
);
