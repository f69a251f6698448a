//! Engine.IO server options.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::compression::HttpCompression;
use super::cors::Cors;
use super::error::RequestError;
use super::hooks::Hooks;

/// The boxed future an [`AllowRequest`] hook returns.
pub type AllowRequestFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A hook that accepts or refuses a handshake request before any session exists.
///
/// Returning `Err(message)` answers `403 Forbidden` with
/// `{"code":4,"message":<message>}`, as the Node.js server's `allowRequest` does.
pub type AllowRequest = Arc<dyn Fn(&http::request::Parts) -> AllowRequestFuture + Send + Sync>;

/// The transports a server accepts: both (the default), or only one of them.
///
/// ```
/// use tether::engine::{EngineConfig, Transports};
///
/// let config = EngineConfig::default().with_transports(Transports::websocket_only());
/// assert!(!config.transports().polling());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transports {
    polling: bool,
    websocket: bool,
}

impl Default for Transports {
    fn default() -> Self {
        Transports::all()
    }
}

impl Transports {
    /// HTTP long-polling and WebSocket, directly or as an upgrade from polling.
    pub fn all() -> Transports {
        Transports {
            polling: true,
            websocket: true,
        }
    }

    /// HTTP long-polling only: WebSocket handshakes and upgrades are refused.
    pub fn polling_only() -> Transports {
        Transports {
            polling: true,
            websocket: false,
        }
    }

    /// WebSocket only: polling requests are refused.
    pub fn websocket_only() -> Transports {
        Transports {
            polling: false,
            websocket: true,
        }
    }

    /// Whether HTTP long-polling is accepted.
    pub fn polling(&self) -> bool {
        self.polling
    }

    /// Whether WebSocket is accepted.
    pub fn websocket(&self) -> bool {
        self.websocket
    }
}

/// The `io` cookie set on the handshake response, used by load balancers for sticky
/// sessions; written through the `cookie` crate.
///
/// ```
/// use tether::engine::{SameSite, SessionCookie};
///
/// let cookie = SessionCookie::default()
///     .with_name("lb")
///     .with_path("/rt")
///     .with_same_site(Some(SameSite::Strict));
/// assert_eq!(cookie.name(), "lb");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    name: String,
    path: String,
    http_only: bool,
    same_site: Option<SameSite>,
}

/// The `SameSite` attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only with requests from the cookie's own site.
    Strict,
    /// Also sent when the user navigates to the site from elsewhere.
    Lax,
    /// Sent with cross-site requests too; the cookie is then marked `Secure`.
    None,
}

impl Default for SessionCookie {
    fn default() -> Self {
        SessionCookie {
            name: "io".into(),
            path: "/".into(),
            http_only: true,
            same_site: Some(SameSite::Lax),
        }
    }
}

impl SessionCookie {
    /// Sets the cookie name (default `io`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the `Path` attribute (default `/`).
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Adds `HttpOnly` or not (default true).
    pub fn with_http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// Sets the `SameSite` attribute, or leaves it out with `None` (default `Lax`).
    pub fn with_same_site(mut self, same_site: Option<SameSite>) -> Self {
        self.same_site = same_site;
        self
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `Path` attribute.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the cookie is `HttpOnly`.
    pub fn http_only(&self) -> bool {
        self.http_only
    }

    /// The `SameSite` attribute, if any.
    pub fn same_site(&self) -> Option<SameSite> {
        self.same_site
    }

    /// The `Set-Cookie` header value giving a session `sid` this cookie.
    pub(crate) fn header_value(&self, sid: &str) -> String {
        let same_site = self.same_site.map(|same_site| match same_site {
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::None => cookie::SameSite::None,
        });
        let mut cookie = cookie::Cookie::new(self.name.as_str(), sid);
        cookie.set_path(self.path.as_str());
        cookie.set_http_only(self.http_only.then_some(true));
        cookie.set_same_site(same_site);
        cookie.to_string()
    }
}

#[cfg(test)]
mod session_cookie_tests {
    use super::*;

    #[test]
    fn writes_the_attributes_it_is_given() {
        assert_eq!(
            SessionCookie::default().header_value("abc"),
            "io=abc; HttpOnly; SameSite=Lax; Path=/"
        );
        let cookie = SessionCookie::default()
            .with_name("lb")
            .with_path("/rt")
            .with_http_only(false)
            .with_same_site(None);
        assert_eq!(cookie.header_value("abc"), "lb=abc; Path=/rt");
        let cross_site = SessionCookie::default().with_same_site(Some(SameSite::None));
        assert_eq!(
            cross_site.header_value("abc"),
            "io=abc; HttpOnly; SameSite=None; Secure; Path=/"
        );
    }
}

/// Options of an Engine.IO server, built from [`EngineConfig::default`] with the
/// `with_*` methods. Every limit has a default, and each method says what it
/// accepts; out-of-range values are raised to the smallest accepted one.
///
/// ```
/// use std::time::Duration;
/// use tether::engine::EngineConfig;
///
/// let config = EngineConfig::default()
///     .with_path("/realtime")
///     .with_heartbeat(Duration::from_secs(10), Duration::from_secs(5))
///     .with_max_payload(64 * 1024);
/// assert_eq!(config.path(), "/realtime/");
/// ```
#[derive(Clone)]
pub struct EngineConfig {
    /// Request path the server answers, with trailing slash (default `/engine.io/`;
    /// the Socket.IO server uses `/socket.io/`).
    pub(crate) path: String,
    /// How often the server pings each client (default 25 s).
    pub(crate) ping_interval: Duration,
    /// How long the server waits for the pong before closing (default 20 s).
    pub(crate) ping_timeout: Duration,
    /// How long an upgrade from polling to WebSocket may take (default 10 s).
    pub(crate) upgrade_timeout: Duration,
    /// Largest message or polling body accepted, in bytes (default 1,000,000).
    /// A bigger polling body gets `413`; a bigger WebSocket message closes the
    /// connection with code 1009.
    pub(crate) max_payload: usize,
    /// Most packets queued for one client before it counts as too slow and is
    /// disconnected (default 4,096).
    pub(crate) max_buffered_packets: usize,
    /// Accepted transports (default both).
    pub(crate) transports: Transports,
    /// Whether polling sessions may upgrade to WebSocket (default true).
    pub(crate) allow_upgrades: bool,
    /// CORS policy for polling requests (default none: no CORS headers).
    pub(crate) cors: Option<Cors>,
    /// Session cookie for sticky load balancing (default none).
    pub(crate) cookie: Option<SessionCookie>,
    /// Hook run before each handshake (default none: every request is accepted).
    pub(crate) allow_request: Option<AllowRequest>,
    /// Bytes read from a WebSocket per read call (default 1,024). Every connection
    /// keeps a buffer this size, so a small value keeps idle connections light;
    /// raise it when clients routinely send messages of many kilobytes.
    pub(crate) ws_read_buffer_size: usize,
    /// Compression of polling replies (default on for replies of 1,024 bytes and
    /// more, as Node's `httpCompression`); `None` turns it off.
    pub(crate) http_compression: Option<HttpCompression>,
    /// Whether Engine.IO v3 clients (`EIO=3`, socket.io-client 2.x) are accepted
    /// (default false: they are refused with code 5, as Node's `allowEIO3`).
    pub(crate) allow_eio3: bool,
    /// WebSocket permessage-deflate (default none, as Node's `perMessageDeflate`).
    #[cfg(feature = "ws-deflate")]
    pub(crate) per_message_deflate: Option<super::deflate::PerMessageDeflate>,
    /// Header and error hooks (default none; see [`EngineConfig::with_headers`]).
    pub(crate) hooks: Hooks,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            path: "/engine.io/".into(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            max_buffered_packets: 4096,
            transports: Transports::default(),
            allow_upgrades: true,
            cors: None,
            cookie: None,
            allow_request: None,
            ws_read_buffer_size: 1024,
            http_compression: Some(HttpCompression::default()),
            allow_eio3: false,
            #[cfg(feature = "ws-deflate")]
            per_message_deflate: None,
            hooks: Hooks::default(),
        }
    }
}

/// The shortest ping interval and ping timeout accepted: shorter ones would
/// make the heartbeat a busy loop.
const MIN_HEARTBEAT: Duration = Duration::from_millis(1);

impl EngineConfig {
    /// Sets the request path (default `/engine.io/`); a leading and a trailing
    /// slash are added when missing.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        self.path = path;
        self
    }

    /// Sets how often the server pings each client and how long it waits for
    /// the pong before closing (default 25 s and 20 s); each at least 1 ms.
    pub fn with_heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.ping_interval = interval.max(MIN_HEARTBEAT);
        self.ping_timeout = timeout.max(MIN_HEARTBEAT);
        self
    }

    /// Sets how long an upgrade from polling to WebSocket may take (default
    /// 10 s); an upgrade not finished in time is dropped and the session stays
    /// on polling.
    pub fn with_upgrade_timeout(mut self, timeout: Duration) -> Self {
        self.upgrade_timeout = timeout;
        self
    }

    /// Sets the largest accepted message or polling body, in bytes (default
    /// 1,000,000; at least 1). A bigger polling body gets `413`; a bigger
    /// WebSocket message closes the connection with code 1009.
    pub fn with_max_payload(mut self, bytes: usize) -> Self {
        self.max_payload = bytes.max(1);
        self
    }

    /// Sets how many packets may wait for one client before it counts as too
    /// slow and is disconnected (default 4,096; at least 1).
    pub fn with_max_buffered_packets(mut self, packets: usize) -> Self {
        self.max_buffered_packets = packets.max(1);
        self
    }

    /// Restricts the accepted transports (default both).
    pub fn with_transports(mut self, transports: Transports) -> Self {
        self.transports = transports;
        self
    }

    /// Allows or forbids upgrades from polling to WebSocket (default allowed).
    pub fn with_upgrades(mut self, allow: bool) -> Self {
        self.allow_upgrades = allow;
        self
    }

    /// Sets the CORS policy of polling requests (default none: no CORS headers).
    pub fn with_cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Sets the sticky-session cookie (default none).
    pub fn with_cookie(mut self, cookie: SessionCookie) -> Self {
        self.cookie = Some(cookie);
        self
    }

    /// Sets how many bytes are read from a WebSocket per read call (default
    /// 1,024; at least 256). Every connection keeps a buffer this size, so a
    /// small value keeps idle connections light; raise it when clients routinely
    /// send messages of many kilobytes.
    pub fn with_ws_read_buffer_size(mut self, bytes: usize) -> Self {
        self.ws_read_buffer_size = bytes.max(256);
        self
    }

    /// Sets the compression of polling replies (default on for replies of 1,024
    /// bytes and more, as Node's `httpCompression`); `None` turns it off.
    pub fn with_http_compression(mut self, compression: Option<HttpCompression>) -> Self {
        self.http_compression = compression;
        self
    }

    /// Accepts Engine.IO v3 clients (Node's `allowEIO3`): socket.io-client 2.x
    /// speaks v3 (client pings, `<length>:<packet>` polling payloads, binary
    /// frames led by a type byte). Off by default: they are refused with code 5.
    pub fn with_allow_eio3(mut self, allow: bool) -> Self {
        self.allow_eio3 = allow;
        self
    }

    /// Compresses WebSocket messages with permessage-deflate when the client
    /// offers it (Node's `perMessageDeflate`; feature `ws-deflate`). `None`, the
    /// default, never negotiates it.
    ///
    /// ```
    /// use tether::engine::{EngineConfig, PerMessageDeflate};
    ///
    /// let config = EngineConfig::default()
    ///     .with_per_message_deflate(Some(PerMessageDeflate::default().with_threshold(256)));
    /// ```
    #[cfg(feature = "ws-deflate")]
    pub fn with_per_message_deflate(
        mut self,
        deflate: Option<super::deflate::PerMessageDeflate>,
    ) -> Self {
        self.per_message_deflate = deflate;
        self
    }

    /// Installs a hook that accepts (`Ok(())`) or refuses (`Err(message)`) each handshake.
    ///
    /// ```
    /// use tether::engine::EngineConfig;
    ///
    /// let config = EngineConfig::default().with_allow_request(|parts| {
    ///     let allowed = parts.headers.contains_key("x-api-key");
    ///     async move { if allowed { Ok(()) } else { Err("api key required".into()) } }
    /// });
    /// ```
    pub fn with_allow_request<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(&http::request::Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.allow_request = Some(Arc::new(move |parts| Box::pin(hook(parts))));
        self
    }

    /// Runs `hook` on the headers of every handshake response, polling or
    /// WebSocket, before they go out (Node's `initial_headers` event), e.g. to set
    /// a cookie of the application's.
    ///
    /// ```
    /// use tether::engine::EngineConfig;
    ///
    /// let config = EngineConfig::default().with_initial_headers(|headers, _request| {
    ///     headers.insert("set-cookie", "region=eu; Path=/".parse().unwrap());
    /// });
    /// ```
    pub fn with_initial_headers<F>(mut self, hook: F) -> Self
    where
        F: Fn(&mut http::HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    {
        self.hooks.initial_headers = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` on the headers of every response to a polling request or a
    /// WebSocket handshake, handshakes included, after the
    /// [`with_initial_headers`](Self::with_initial_headers) hook (Node's `headers`
    /// event). Refused requests get their error reply as it is.
    pub fn with_headers<F>(mut self, hook: F) -> Self
    where
        F: Fn(&mut http::HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    {
        self.hooks.headers = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` for every request the engine refuses, with Node's code and
    /// message in the [`RequestError`] (Node's `connection_error` event).
    ///
    /// ```
    /// use tether::engine::EngineConfig;
    ///
    /// let config = EngineConfig::default().with_connection_error(|error, request| {
    ///     eprintln!("refused {} {}: {} ({})", request.method, request.uri, error, error.code());
    /// });
    /// ```
    pub fn with_connection_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&RequestError, &http::request::Parts) + Send + Sync + 'static,
    {
        self.hooks.connection_error = Some(Arc::new(hook));
        self
    }
}

impl EngineConfig {
    /// The request path the server answers, with leading and trailing slash.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The accepted transports.
    pub fn transports(&self) -> Transports {
        self.transports
    }
}

impl fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("EngineConfig");
        #[cfg(feature = "ws-deflate")]
        debug.field("per_message_deflate", &self.per_message_deflate);
        debug
            .field("path", &self.path)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("upgrade_timeout", &self.upgrade_timeout)
            .field("max_payload", &self.max_payload)
            .field("max_buffered_packets", &self.max_buffered_packets)
            .field("transports", &self.transports)
            .field("allow_upgrades", &self.allow_upgrades)
            .field("cors", &self.cors)
            .field("cookie", &self.cookie)
            .field("allow_request", &self.allow_request.is_some())
            .field("ws_read_buffer_size", &self.ws_read_buffer_size)
            .field("http_compression", &self.http_compression)
            .field("allow_eio3", &self.allow_eio3)
            .field("hooks", &self.hooks)
            .finish()
    }
}
