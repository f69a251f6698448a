//! Joining a cluster from the environment, for the chat, game and bench servers:
//! with `REDIS_URL` set, a server shares broadcasts and cluster operations with
//! every other node on that Redis (tether's and Node.js socket.io's with
//! `@socket.io/redis-adapter`), on channels prefixed `REDIS_PREFIX` (default
//! `socket.io`, as in Node.js). Without it, the server stands alone.
//! `TETHER_ADAPTER` picks the adapter: `redis` (`REDIS_URL`); `redis-streams`,
//! where the nodes share a Redis stream instead (tether's and Node.js socket.io's
//! with `@socket.io/redis-streams-adapter`), named `REDIS_PREFIX` (default
//! `socket.io`), which also carries connection state recovery across nodes; or
//! `postgres`, which joins the nodes on the PostgreSQL database `DATABASE_URL`
//! (tether's and Node.js socket.io's with `@socket.io/postgres-adapter`), channel
//! prefix `POSTGRES_PREFIX` (default `socket.io`). `RECOVERY=1` turns connection
//! state recovery on ([`with_recovery_from_env`]).
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 PORT=3001 cargo run --example chat
//! REDIS_URL=redis://127.0.0.1:6379 PORT=3002 cargo run --example chat
//! TETHER_ADAPTER=postgres DATABASE_URL=postgres://postgres@127.0.0.1/app PORT=3003 cargo run --example chat
//! ```

use tether::adapter::postgres::{PostgresAdapter, PostgresConfig};
use tether::adapter::redis::streams::{RedisStreamsAdapter, RedisStreamsConfig};
use tether::adapter::redis::{RedisAdapter, RedisConfig};
use tether::server::{RecoveryConfig, Server, ServerConfig};

/// Why the cluster named by the environment cannot be joined.
pub type ClusterEnvError = Box<dyn std::error::Error + Send + Sync>;

/// A server configured by `config`, in the cluster `TETHER_ADAPTER` and
/// `REDIS_URL` or `DATABASE_URL` name. Call it inside the Tokio runtime (the
/// adapter starts its tasks there).
///
/// # Errors
///
/// When the adapter is unknown, its URL is missing, or the URL is invalid.
pub fn server_from_env(config: ServerConfig) -> Result<Server, ClusterEnvError> {
    let adapter = crate::env_nonempty("TETHER_ADAPTER");
    match adapter.as_deref() {
        None | Some("redis" | "redis-streams") => {}
        Some("postgres") => {
            let url = crate::env_nonempty("DATABASE_URL")
                .ok_or("TETHER_ADAPTER=postgres needs DATABASE_URL")?;
            let prefix =
                crate::env_nonempty("POSTGRES_PREFIX").unwrap_or_else(|| "socket.io".to_owned());
            let adapter =
                PostgresAdapter::new(PostgresConfig::new(url).with_channel_prefix(prefix.clone()))?;
            tracing::info!(%prefix, uid = adapter.uid(), "joined the Postgres cluster");
            return Ok(Server::with_adapter(config, adapter));
        }
        Some(other) => return Err(format!("unknown TETHER_ADAPTER `{other}`").into()),
    }
    let Some(url) = std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        return Ok(Server::new(config));
    };
    let key = std::env::var("REDIS_PREFIX")
        .ok()
        .filter(|key| !key.is_empty())
        .unwrap_or_else(|| "socket.io".to_owned());
    if adapter.as_deref() == Some("redis-streams") {
        let config_streams = RedisStreamsConfig::new(url)
            .with_stream_name(key.clone())
            .with_channel_prefix(key.clone());
        let adapter = RedisStreamsAdapter::new(config_streams)?;
        tracing::info!(stream = %key, uid = adapter.uid(), "joined the Redis streams cluster");
        return Ok(Server::with_adapter(config, adapter));
    }
    let adapter = RedisAdapter::new(RedisConfig::new(url).with_key(key.clone()))?;
    tracing::info!(%key, uid = adapter.uid(), "joined the Redis cluster");
    Ok(Server::with_adapter(config, adapter))
}

/// [`server_from_env`] for a `main` returning `std::io::Result`.
///
/// # Errors
///
/// As [`server_from_env`], as an I/O error of kind `InvalidInput`.
pub fn io_server_from_env(config: ServerConfig) -> std::io::Result<Server> {
    server_from_env(config)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))
}

/// `config` with connection state recovery on when `RECOVERY=1`.
pub fn with_recovery_from_env(config: ServerConfig) -> ServerConfig {
    if std::env::var("RECOVERY").is_ok_and(|recovery| recovery == "1") {
        config.with_connection_state_recovery(RecoveryConfig::default())
    } else {
        config
    }
}
