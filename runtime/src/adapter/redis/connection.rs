//! From a [`RedisConfig`] to connections of the `redis` crate: the URL read as
//! users write it, TLS with the system's roots or a given CA, RESP3 (pub/sub
//! messages arrive as pushes on a connection that also answers PING), one server,
//! a Redis Cluster, or the master a Sentinel names.

use std::time::Duration;

use ::redis::aio::{AsyncPushSender, ConnectionLike, MultiplexedConnection};
use ::redis::cluster::ClusterClientBuilder;
use ::redis::cluster_async::ClusterConnection;
use ::redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use ::redis::{
    AsyncConnectionConfig, Client, Cmd, ConnectionAddr, IntoConnectionInfo, Pipeline,
    ProtocolVersion, RedisFuture, TlsCertificates, TlsMode, Value,
};

use super::{RedisConfig, RedisError};

/// The URL with its password replaced by `***`, for errors and logs.
pub(crate) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split_once(':').map_or("", |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// The client every connection of the adapter is opened from; checks the URL
/// and the CA certificate up front.
pub(crate) fn client(config: &RedisConfig) -> Result<Client, RedisError> {
    let invalid = |reason: String| RedisError::InvalidUrl {
        url: redacted(&config.url),
        reason,
    };
    let scheme = config.url.split_once("://").map(|(scheme, _)| scheme);
    if !matches!(scheme, Some("redis" | "rediss")) {
        return Err(invalid(
            "the scheme must be redis:// or rediss://".to_owned(),
        ));
    }
    let info = config
        .url
        .as_str()
        .into_connection_info()
        .map_err(|error| invalid(error.to_string()))?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    let info = info.set_redis_settings(settings);
    let tls = matches!(info.addr(), ConnectionAddr::TcpTls { .. });
    match &config.tls_ca {
        None => Client::open(info).map_err(|error| invalid(error.to_string())),
        Some(_) if !tls => Err(invalid(
            "a CA certificate is given, but the URL is not rediss://".to_owned(),
        )),
        Some(ca) => {
            let certificates = ::redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(ca.clone()),
            };
            Client::build_with_tls(info, certificates)
                .map_err(|error| RedisError::Tls(error.to_string()))
        }
    }
}

/// Where the adapter's connections go: one Redis server, a Redis Cluster
/// discovered from the node the URL names, or the master a Sentinel names.
pub(crate) enum Source {
    /// One server (or a proxy in front of several).
    Single(Client),
    /// A Redis Cluster.
    Cluster(Client),
    /// The current master of a set monitored by Sentinel: asked for at each
    /// connection, so that a failover is followed.
    Sentinel(tokio::sync::Mutex<SentinelClient>),
}

impl Source {
    /// Checks the URL and the CA certificate of `config`.
    pub(crate) fn new(config: &RedisConfig) -> Result<Source, RedisError> {
        let client = client(config)?;
        if let Some(master) = &config.sentinel {
            return sentinel(config, &client, master).map(Source::Sentinel);
        }
        Ok(if config.cluster {
            Source::Cluster(client)
        } else {
            Source::Single(client)
        })
    }

    /// Opens a connection, bounded by the connect timeout; its commands are
    /// bounded by the same timeout. Pub/sub pushes go to `push`.
    pub(crate) async fn open(
        &self,
        config: &RedisConfig,
        push: Option<impl AsyncPushSender>,
    ) -> Result<Connection, RedisError> {
        let connecting = async {
            match self {
                Source::Single(client) => open(client, config, push).await.map(Connection::Single),
                Source::Sentinel(sentinel) => {
                    let master = sentinel
                        .lock()
                        .await
                        .async_get_client()
                        .await
                        .map_err(classify)?;
                    open(&master, config, push).await.map(Connection::Single)
                }
                Source::Cluster(seed) => {
                    let mut builder =
                        ClusterClientBuilder::new([seed.get_connection_info().clone()])
                            .use_protocol(ProtocolVersion::RESP3)
                            .connection_timeout(config.connect_timeout)
                            .response_timeout(config.connect_timeout);
                    if let Some(ca) = &config.tls_ca {
                        builder = builder.certs(TlsCertificates {
                            client_tls: None,
                            root_cert: Some(ca.clone()),
                        });
                    }
                    if let Some(push) = push {
                        builder = builder.push_sender(push);
                    }
                    let cluster = builder.build().map_err(classify)?;
                    cluster
                        .get_async_connection()
                        .await
                        .map(|connection| Connection::Cluster(Box::new(connection)))
                        .map_err(classify)
                }
            }
        };
        // Connecting includes TLS, HELLO and AUTH (and discovering a cluster).
        let total = config
            .connect_timeout
            .saturating_mul(2)
            .max(Duration::from_millis(10));
        tokio::time::timeout(total, connecting)
            .await
            .map_err(|_| RedisError::Timeout)?
    }
}

/// A client of the Sentinel at the URL (no credentials of its own) for the
/// master named `master`, to which the URL's credentials, database and TLS apply.
fn sentinel(
    config: &RedisConfig,
    client: &Client,
    master: &str,
) -> Result<tokio::sync::Mutex<SentinelClient>, RedisError> {
    let info = client.get_connection_info();
    let settings = info.redis_settings();
    let invalid = |error: ::redis::RedisError| RedisError::InvalidUrl {
        url: redacted(&config.url),
        reason: error.to_string(),
    };
    let mut builder =
        SentinelClientBuilder::new([info.addr().clone()], master, SentinelServerType::Master)
            .map_err(invalid)?
            .set_client_to_redis_protocol(ProtocolVersion::RESP3)
            .set_client_to_redis_db(settings.db());
    if let Some(username) = settings.username() {
        builder = builder.set_client_to_redis_username(username);
    }
    if let Some(password) = settings.password() {
        builder = builder.set_client_to_redis_password(password);
    }
    if matches!(info.addr(), ConnectionAddr::TcpTls { .. }) {
        builder = builder
            .set_client_to_redis_tls_mode(TlsMode::Secure)
            .set_client_to_sentinel_tls_mode(TlsMode::Secure);
        if let Some(ca) = &config.tls_ca {
            let certificates = || TlsCertificates {
                client_tls: None,
                root_cert: Some(ca.clone()),
            };
            builder = builder
                .set_client_to_redis_certificates(certificates())
                .set_client_to_sentinel_certificates(certificates());
        }
    }
    builder
        .build()
        .map(tokio::sync::Mutex::new)
        .map_err(invalid)
}

/// A connection to one server or to a cluster; clones share it.
#[derive(Clone)]
pub(crate) enum Connection {
    /// To one server.
    Single(MultiplexedConnection),
    /// To a Redis Cluster: commands go to the node of their key's slot.
    Cluster(Box<ClusterConnection>),
}

impl Connection {
    /// Subscribes to the channels matching `pattern`.
    pub(crate) async fn psubscribe(&mut self, pattern: &str) -> ::redis::RedisResult<()> {
        match self {
            Connection::Single(connection) => connection.psubscribe(pattern).await,
            Connection::Cluster(connection) => connection.psubscribe(pattern).await,
        }
    }

    /// Subscribes to exactly these channels.
    pub(crate) async fn subscribe(&mut self, channels: &[&String]) -> ::redis::RedisResult<()> {
        match self {
            Connection::Single(connection) => connection.subscribe(channels).await,
            Connection::Cluster(connection) => connection.subscribe(channels).await,
        }
    }

    /// Unsubscribes from these channels.
    pub(crate) async fn unsubscribe(&mut self, channels: &[&String]) -> ::redis::RedisResult<()> {
        match self {
            Connection::Single(connection) => connection.unsubscribe(channels).await,
            Connection::Cluster(connection) => connection.unsubscribe(channels).await,
        }
    }

    /// Subscribes to the shard channel `channel`.
    pub(crate) async fn ssubscribe(&mut self, channel: &str) -> ::redis::RedisResult<()> {
        match self {
            // One channel per command: its one confirmation is its reply.
            Connection::Single(connection) => {
                ::redis::cmd("SSUBSCRIBE")
                    .arg(channel)
                    .exec_async(connection)
                    .await
            }
            Connection::Cluster(connection) => connection.ssubscribe(channel).await,
        }
    }

    /// Unsubscribes from the shard channel `channel`. On one server, `anchor`
    /// (a shard channel the connection keeps) is subscribed to twice in the same
    /// pipeline: redis-rs takes a `sunsubscribe` push for a reply only to its own
    /// `sunsubscribe` method, which it offers on cluster connections alone
    /// (redis-rs issue 2533), so the two confirmations of `anchor` stand for the
    /// pipeline's two replies, and the unsubscription is confirmed by the time it
    /// returns (Redis answers in order).
    pub(crate) async fn sunsubscribe(
        &mut self,
        channel: &str,
        anchor: &str,
    ) -> ::redis::RedisResult<()> {
        match self {
            Connection::Single(connection) => {
                let mut pipeline = ::redis::pipe();
                pipeline
                    .cmd("SUNSUBSCRIBE")
                    .arg(channel)
                    .cmd("SSUBSCRIBE")
                    .arg(anchor)
                    .arg(anchor);
                pipeline.exec_async(connection).await
            }
            Connection::Cluster(connection) => connection.sunsubscribe(channel).await,
        }
    }

    /// Whether several commands may go in one pipeline (a cluster spreads them
    /// over nodes by key).
    pub(crate) fn pipelines(&self) -> bool {
        matches!(self, Connection::Single(_))
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(connection) => connection.req_packed_command(cmd),
            Connection::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
            Connection::Cluster(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(connection) => connection.get_db(),
            Connection::Cluster(connection) => connection.get_db(),
        }
    }
}

/// A failure to connect, a TLS one told apart.
fn classify(error: ::redis::RedisError) -> RedisError {
    match tls_failure(&error) {
        Some(reason) => RedisError::Tls(reason),
        None => RedisError::from(error),
    }
}

/// Installs the `ring` provider as rustls' process default unless one is set,
/// so that TLS connections never depend on which providers other crates enable.
/// `ring` builds with a C compiler alone; its lack of post-quantum key exchange
/// (the reason rustls deprecates it) is acceptable for a link to one's own Redis.
#[allow(deprecated)]
pub(crate) fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may install one first: either way one is in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Opens one multiplexed connection to a single server.
async fn open(
    client: &Client,
    config: &RedisConfig,
    push: Option<impl AsyncPushSender>,
) -> Result<MultiplexedConnection, RedisError> {
    let mut options = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.connect_timeout));
    if let Some(push) = push {
        options = options.set_push_sender(push);
    }
    // Connecting includes TLS, HELLO and AUTH: bound the whole of it.
    let total = config
        .connect_timeout
        .saturating_mul(2)
        .max(Duration::from_millis(10));
    tokio::time::timeout(
        total,
        client.get_multiplexed_async_connection_with_config(&options),
    )
    .await
    .map_err(|_| RedisError::Timeout)?
    .map_err(classify)
}

/// The TLS failure behind `error` (such as a certificate of an unknown
/// authority), if that is what it is.
fn tls_failure(error: &::redis::RedisError) -> Option<String> {
    type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        // The redis crate names its cause as an `Arc` of it.
        let current = match current.downcast_ref::<Shared>() {
            Some(shared) => &**shared as &(dyn std::error::Error + 'static),
            None => current,
        };
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        // An I/O error carries its cause as its content, not as its source.
        if let Some(tls) = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls.to_string());
        }
        cause = current.source();
    }
    None
}

/// Opens a connection and checks that it answers a PING.
pub(crate) async fn check(source: &Source, config: &RedisConfig) -> Result<(), RedisError> {
    let mut connection = source.open(config, None::<PushSink>).await?;
    ::redis::cmd("PING")
        .exec_async(&mut connection)
        .await
        .map_err(RedisError::from)
}

/// The push sender of a connection that subscribes to nothing.
pub(crate) type PushSink = tokio::sync::mpsc::UnboundedSender<::redis::PushInfo>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redacted("redis://user:se%40cret@host:6379/2"),
            "redis://user:***@host:6379/2"
        );
        assert_eq!(redacted("rediss://:pw@host"), "rediss://:***@host");
        assert_eq!(redacted("redis://host:6379"), "redis://host:6379");
    }

    #[test]
    fn urls_are_read_as_users_write_them() {
        let config = RedisConfig::new("redis://us%3Aer:p%40ss@example.com:6380/3");
        let opened = client(&config).unwrap();
        let info = opened.get_connection_info();
        let settings = info.redis_settings();
        assert_eq!(settings.username(), Some("us:er"));
        assert_eq!(settings.password(), Some("p@ss"));
        assert_eq!(settings.db(), 3);
        assert_eq!(
            info.addr(),
            &ConnectionAddr::Tcp("example.com".to_owned(), 6380)
        );
        let tls = client(&RedisConfig::new("rediss://example.com")).unwrap();
        assert!(matches!(
            tls.get_connection_info().addr(),
            ConnectionAddr::TcpTls { port: 6379, .. }
        ));
    }

    #[test]
    fn bad_urls_say_why() {
        for url in [
            "http://example.com",
            "example.com:6379",
            "redis://",
            "redis://example.com:port",
            "redis://example.com/notadb",
        ] {
            let error = client(&RedisConfig::new(url)).unwrap_err();
            assert!(
                matches!(error, RedisError::InvalidUrl { .. }),
                "{url}: {error:?}"
            );
        }
        let error = client(&RedisConfig::new("redis://:secret@host:x")).unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
        let error = client(&RedisConfig::new("redis://host").with_tls_ca(b"PEM".to_vec()));
        assert!(matches!(error, Err(RedisError::InvalidUrl { .. })));
    }
}
