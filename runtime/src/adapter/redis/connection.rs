//! From a [`RedisConfig`] to connections of the `redis` crate: the URL read as
//! users write it, TLS with the system's roots or a given CA, RESP3 (pub/sub
//! messages arrive as pushes on a connection that also answers PING).

use std::time::Duration;

use ::redis::aio::{AsyncPushSender, MultiplexedConnection};
use ::redis::{AsyncConnectionConfig, Client, ConnectionAddr, IntoConnectionInfo, ProtocolVersion};

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

/// Opens one multiplexed connection, bounded by the connect timeout; its
/// commands are bounded by the same timeout. Pub/sub pushes go to `push`.
pub(crate) async fn open(
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
    .map_err(|error| match tls_failure(&error) {
        Some(reason) => RedisError::Tls(reason),
        None => RedisError::from(error),
    })
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
pub(crate) async fn check(client: &Client, config: &RedisConfig) -> Result<(), RedisError> {
    let mut connection = open(client, config, None::<PushSink>).await?;
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
