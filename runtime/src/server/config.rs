//! Socket.IO server options.

use std::time::Duration;

use super::recovery::RecoveryConfig;
use crate::engine::{Cors, EngineConfig, HttpCompression, SessionCookie, Transports};
use crate::protocol::DEFAULT_MAX_ATTACHMENTS;
use crate::protocol::Parser;

/// Options of a Socket.IO [`Server`](super::Server): the Engine.IO options plus the
/// Socket.IO ones, built from [`ServerConfig::default`] with the `with_*` methods.
/// Every limit has a default, and each method says what it accepts; out-of-range
/// values are raised to the smallest accepted one.
///
/// ```
/// use std::time::Duration;
/// use tether::server::ServerConfig;
///
/// let config = ServerConfig::default()
///     .with_heartbeat(Duration::from_secs(25), Duration::from_secs(20))
///     .with_connect_timeout(Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The Engine.IO options; the path defaults to `/socket.io/`.
    pub(crate) engine: EngineConfig,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_attachments: usize,
    pub(crate) ack_timeout: Duration,
    pub(crate) max_waiting_handlers: usize,
    pub(crate) cleanup_empty_child_namespaces: bool,
    pub(crate) max_namespaces_per_client: usize,
    pub(crate) connection_state_recovery: Option<RecoveryConfig>,
    pub(crate) parser: Parser,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            engine: EngineConfig::default().with_path("/socket.io/"),
            connect_timeout: Duration::from_secs(45),
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
            ack_timeout: Duration::from_secs(10),
            max_waiting_handlers: 1024,
            cleanup_empty_child_namespaces: true,
            max_namespaces_per_client: 100,
            connection_state_recovery: None,
            parser: Parser::Default,
        }
    }
}

impl ServerConfig {
    /// Sets the request path (default `/socket.io/`).
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.engine = self.engine.with_path(path);
        self
    }

    /// Sets the ping interval and timeout (default 25 s and 20 s; each at least
    /// 1 ms).
    pub fn with_heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.engine = self.engine.with_heartbeat(interval, timeout);
        self
    }

    /// Sets the largest accepted message or polling body, in bytes (default
    /// 1,000,000; at least 1); see [`EngineConfig::with_max_payload`].
    pub fn with_max_payload(mut self, bytes: usize) -> Self {
        self.engine = self.engine.with_max_payload(bytes);
        self
    }

    /// Sets how many packets may wait for one client before it counts as too
    /// slow and is disconnected (default 4,096; at least 1).
    pub fn with_max_buffered_packets(mut self, packets: usize) -> Self {
        self.engine = self.engine.with_max_buffered_packets(packets);
        self
    }

    /// Restricts the accepted transports (default both).
    pub fn with_transports(mut self, transports: Transports) -> Self {
        self.engine = self.engine.with_transports(transports);
        self
    }

    /// Sets the CORS policy of polling requests (default none).
    pub fn with_cors(mut self, cors: Cors) -> Self {
        self.engine = self.engine.with_cors(cors);
        self
    }

    /// Sets the sticky-session cookie (default none).
    pub fn with_cookie(mut self, cookie: SessionCookie) -> Self {
        self.engine = self.engine.with_cookie(cookie);
        self
    }

    /// Sets how long an upgrade from polling to WebSocket may take (default 10 s).
    pub fn with_upgrade_timeout(mut self, timeout: Duration) -> Self {
        self.engine = self.engine.with_upgrade_timeout(timeout);
        self
    }

    /// Allows or forbids upgrades from polling to WebSocket (default allowed).
    pub fn with_upgrades(mut self, allow: bool) -> Self {
        self.engine = self.engine.with_upgrades(allow);
        self
    }

    /// Sets how many bytes are read from a WebSocket per read call (default
    /// 1,024; at least 256); see [`EngineConfig::with_ws_read_buffer_size`].
    pub fn with_ws_read_buffer_size(mut self, bytes: usize) -> Self {
        self.engine = self.engine.with_ws_read_buffer_size(bytes);
        self
    }

    /// Accepts or refuses each handshake before any session exists; see
    /// [`EngineConfig::with_allow_request`].
    pub fn with_allow_request<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(&http::request::Parts) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        self.engine = self.engine.with_allow_request(hook);
        self
    }

    /// Sets how long a connection may stay without joining a namespace (default
    /// 45 s); past it, the connection is closed.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the most binary attachments one packet may announce (default 10);
    /// zero refuses every packet with binary.
    pub fn with_max_attachments(mut self, attachments: usize) -> Self {
        self.max_attachments = attachments;
        self
    }

    /// Sets how long an emit waits for its acknowledgement unless `timeout` says
    /// otherwise (default 10 s).
    pub fn with_ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// Sets the most event handlers of one client that may wait at once, each in
    /// a task of its own (default 1,024; at least 1). A client that sends events
    /// faster than their handlers finish is disconnected (`transport error`)
    /// rather than left to grow the server's memory.
    pub fn with_max_waiting_handlers(mut self, handlers: usize) -> Self {
        self.max_waiting_handlers = handlers.max(1);
        self
    }

    /// Sets whether a child of a dynamic namespace is forgotten when its last
    /// socket leaves (default `true`), so that clients connecting to ever new
    /// names that a pattern accepts cannot grow the server's memory. A later
    /// connection to the same name creates the child afresh. Node.js calls this
    /// `cleanupEmptyChildNamespaces` (off there by default).
    pub fn with_cleanup_empty_child_namespaces(mut self, cleanup: bool) -> Self {
        self.cleanup_empty_child_namespaces = cleanup;
        self
    }

    /// Sets the most namespaces one connection may join or be joining at once
    /// (default 100; at least 1). A CONNECT past it is answered with the connect
    /// error `Too many namespaces`; the namespaces already joined stay.
    pub fn with_max_namespaces_per_client(mut self, namespaces: usize) -> Self {
        self.max_namespaces_per_client = namespaces.max(1);
        self
    }

    /// Turns connection state recovery on, with these options (default off): a
    /// client that lost its connection gets its socket back, with its rooms and
    /// data, and the events it missed. With it on, events sent without an
    /// acknowledgement carry an offset as their last argument, as with Node's
    /// `connectionStateRecovery` (socket.io-client and the Rust client hand it to
    /// listeners as an extra argument too). Sockets are kept on the node they
    /// were on.
    pub fn with_connection_state_recovery(mut self, recovery: RecoveryConfig) -> Self {
        self.connection_state_recovery = Some(recovery);
        self
    }

    /// Sets the compression of polling replies (default on above 1,024 bytes, as
    /// Node's `httpCompression`); `None` turns it off.
    pub fn with_http_compression(mut self, compression: Option<HttpCompression>) -> Self {
        self.engine = self.engine.with_http_compression(compression);
        self
    }

    /// Adds headers to every handshake response (Node's `initial_headers`); see
    /// [`EngineConfig::with_initial_headers`].
    pub fn with_initial_headers<F>(mut self, hook: F) -> Self
    where
        F: Fn(&mut http::HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    {
        self.engine = self.engine.with_initial_headers(hook);
        self
    }

    /// Adds headers to every polling and WebSocket handshake response (Node's
    /// `headers`); see [`EngineConfig::with_headers`].
    pub fn with_headers<F>(mut self, hook: F) -> Self
    where
        F: Fn(&mut http::HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    {
        self.engine = self.engine.with_headers(hook);
        self
    }

    /// Observes every refused request (Node's `connection_error`); see
    /// [`EngineConfig::with_connection_error`].
    pub fn with_connection_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&crate::engine::RequestError, &http::request::Parts) + Send + Sync + 'static,
    {
        self.engine = self.engine.with_connection_error(hook);
        self
    }

    /// Sets the packet form every client speaks (default [`Parser::Default`],
    /// socket.io-parser's), as Node's `parser` option: with
    /// [`Parser::MsgPack`] (feature `msgpack`), socket.io-clients created with
    /// `parser: require("socket.io-msgpack-parser")` connect.
    pub fn with_parser(mut self, parser: Parser) -> Self {
        self.parser = parser;
        self
    }

    /// Accepts socket.io-client 2.x (Engine.IO v3, Socket.IO v4 protocol), as
    /// Node's `allowEIO3`: such a client joins `/` on connecting, its socket ids
    /// are the connection's id, and refusals reach it as v2 `error` packets. Off
    /// by default. Works with the default parser only (the 2.x msgpack parser
    /// differs from the one `Parser::MsgPack` speaks).
    pub fn with_allow_eio3(mut self, allow: bool) -> Self {
        self.engine = self.engine.with_allow_eio3(allow);
        self
    }

    /// Compresses WebSocket messages with permessage-deflate when the client
    /// offers it (Node's `perMessageDeflate`, off by default; feature
    /// `ws-deflate`); see [`EngineConfig::with_per_message_deflate`].
    #[cfg(feature = "ws-deflate")]
    pub fn with_per_message_deflate(
        mut self,
        deflate: Option<crate::engine::PerMessageDeflate>,
    ) -> Self {
        self.engine = self.engine.with_per_message_deflate(deflate);
        self
    }

    /// Replaces the Engine.IO options wholesale (keep the path in mind).
    pub fn with_engine(mut self, engine: EngineConfig) -> Self {
        self.engine = engine;
        self
    }

    /// The Engine.IO options.
    pub fn engine(&self) -> &EngineConfig {
        &self.engine
    }

    /// The connection state recovery options, when it is on.
    pub fn connection_state_recovery(&self) -> Option<&RecoveryConfig> {
        self.connection_state_recovery.as_ref()
    }
}
