//! Socket.IO server options.

use std::time::Duration;

use super::recovery::RecoveryConfig;
use crate::engine::{Cors, EngineConfig, HttpCompression, SessionCookie, Transports};
use crate::protocol::DEFAULT_MAX_ATTACHMENTS;
use crate::protocol::Parser;

/// Options of a Socket.IO [`Server`](super::Server): the Engine.IO options plus the
/// Socket.IO ones. Every limit has a default.
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
    pub engine: EngineConfig,
    /// How long a connection may stay without joining a namespace (default 45 s).
    pub connect_timeout: Duration,
    /// Most binary attachments one packet may announce (default 10).
    pub max_attachments: usize,
    /// How long an emit waits for its acknowledgement unless `timeout` says
    /// otherwise (default 10 s).
    pub ack_timeout: Duration,
    /// Most event handlers of one client that may wait at once, each in a task of
    /// its own (default 1,024). A client that sends events faster than their
    /// handlers finish is disconnected (`transport error`) rather than left to
    /// grow the server's memory.
    pub max_waiting_handlers: usize,
    /// Whether a child of a dynamic namespace is forgotten when its last socket
    /// leaves (default `true`), so that clients connecting to ever new names that a
    /// pattern accepts cannot grow the server's memory. A later connection to the
    /// same name creates the child afresh. Node.js calls this
    /// `cleanupEmptyChildNamespaces` (off there by default).
    pub cleanup_empty_child_namespaces: bool,
    /// Most namespaces one connection may join or be joining at once (default 100).
    /// A CONNECT past it is answered with the connect error `Too many namespaces`;
    /// the namespaces already joined stay.
    pub max_namespaces_per_client: usize,
    /// Connection state recovery (default off): a client that lost its connection
    /// gets its socket back, with its rooms and data, and the events it missed.
    /// With it on, events sent without an acknowledgement carry an offset as their
    /// last argument, as with Node's `connectionStateRecovery` (socket.io-client
    /// and the Rust client hand it to listeners as an extra argument too). Sockets
    /// are kept on the node they were on.
    pub connection_state_recovery: Option<RecoveryConfig>,
    /// The packet form every client of the server speaks (default
    /// [`Parser::Default`], socket.io-parser's).
    pub parser: Parser,
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

    /// Sets the ping interval and timeout (default 25 s and 20 s).
    pub fn with_heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.engine = self.engine.with_heartbeat(interval, timeout);
        self
    }

    /// Sets the largest accepted message, in bytes (default 1,000,000).
    pub fn with_max_payload(mut self, bytes: usize) -> Self {
        self.engine = self.engine.with_max_payload(bytes);
        self
    }

    /// Sets how many packets may wait for one client before it is disconnected.
    pub fn with_max_buffered_packets(mut self, packets: usize) -> Self {
        self.engine = self.engine.with_max_buffered_packets(packets);
        self
    }

    /// Restricts the accepted transports.
    pub fn with_transports(mut self, transports: Transports) -> Self {
        self.engine = self.engine.with_transports(transports);
        self
    }

    /// Sets the CORS policy.
    pub fn with_cors(mut self, cors: Cors) -> Self {
        self.engine = self.engine.with_cors(cors);
        self
    }

    /// Sets the sticky-session cookie.
    pub fn with_cookie(mut self, cookie: SessionCookie) -> Self {
        self.engine = self.engine.with_cookie(cookie);
        self
    }

    /// Sets the upgrade timeout (default 10 s).
    pub fn with_upgrade_timeout(mut self, timeout: Duration) -> Self {
        self.engine = self.engine.with_upgrade_timeout(timeout);
        self
    }

    /// Sets how long a connection may stay without joining a namespace.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the most binary attachments one packet may announce.
    pub fn with_max_attachments(mut self, attachments: usize) -> Self {
        self.max_attachments = attachments;
        self
    }

    /// Sets the default acknowledgement timeout.
    pub fn with_ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// Sets how many event handlers of one client may wait at once.
    pub fn with_max_waiting_handlers(mut self, handlers: usize) -> Self {
        self.max_waiting_handlers = handlers.max(1);
        self
    }

    /// Sets whether empty children of dynamic namespaces are forgotten (default `true`).
    pub fn with_cleanup_empty_child_namespaces(mut self, cleanup: bool) -> Self {
        self.cleanup_empty_child_namespaces = cleanup;
        self
    }

    /// Sets how many namespaces one connection may join at once (at least 1).
    pub fn with_max_namespaces_per_client(mut self, namespaces: usize) -> Self {
        self.max_namespaces_per_client = namespaces.max(1);
        self
    }

    /// Turns connection state recovery on, with these options.
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

    /// Sets the packet form clients speak, as Node's `parser` option: with
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
}
