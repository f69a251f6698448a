//! The public face of a session: [`Connection`] and the types it hands out.

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Uri};

use super::packet::{Frame, PacketKind};
use super::session::Session;
use super::sid::Sid;

/// The transport a session currently uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

impl Transport {
    /// The name used in the `transport` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Transport> {
        match name {
            "polling" => Some(Transport::Polling),
            "websocket" => Some(Transport::WebSocket),
            _ => None,
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client closed the connection (a `1` packet, a WebSocket close frame, or
    /// the connection dropped).
    TransportClose,
    /// The connection failed (a write that failed or timed out, a protocol violation
    /// by the transport, a message over `max_payload`, overlapping polling requests).
    TransportError,
    /// No pong arrived within `ping_timeout` of a ping.
    PingTimeout,
    /// The client sent bytes that are not Engine.IO packets.
    ParseError,
    /// The client did not read fast enough: more than `max_buffered_packets` waited.
    SlowClient,
    /// The server closed the session.
    ForcedClose,
    /// The server is shutting down.
    ServerShutdown,
}

impl crate::telemetry::Label for Transport {
    const ALL: &'static [Transport] = &[Transport::Polling, Transport::WebSocket];

    fn index(self) -> usize {
        self as usize
    }

    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl crate::telemetry::Label for CloseReason {
    const ALL: &'static [CloseReason] = &[
        CloseReason::TransportClose,
        CloseReason::TransportError,
        CloseReason::PingTimeout,
        CloseReason::ParseError,
        CloseReason::SlowClient,
        CloseReason::ForcedClose,
        CloseReason::ServerShutdown,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The `reason` label of `tether_connections_closed_total`.
    fn label(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport_close",
            CloseReason::TransportError => "transport_error",
            CloseReason::PingTimeout => "ping_timeout",
            CloseReason::ParseError => "parse_error",
            CloseReason::SlowClient => "slow_client",
            CloseReason::ForcedClose => "forced_close",
            CloseReason::ServerShutdown => "server_shutdown",
        }
    }
}

impl CloseReason {
    /// Whether queued packets are still delivered before the session ends.
    pub(crate) fn flushes(self) -> bool {
        matches!(self, CloseReason::ForcedClose | CloseReason::ServerShutdown)
    }
}

/// Why a packet could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The session is closed.
    #[error("connection closed")]
    Closed,
    /// The client fell more than `max_buffered_packets` behind; it has been disconnected.
    #[error("client too slow: outbound queue full")]
    QueueFull,
}

/// What the client sent to open the session. Made by the server; fields may be
/// added in minor releases.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Handshake {
    /// Request headers.
    pub headers: HeaderMap,
    /// Request URI, with its query.
    pub uri: Uri,
    /// The peer's address, when the server knows it.
    pub remote_addr: Option<SocketAddr>,
    /// When the session was opened.
    pub issued: SystemTime,
    /// Whether the request came over TLS that this server terminated
    /// ([`bind_tls`](crate::http::bind_tls)).
    pub secure: bool,
}

impl Handshake {
    /// The value of one query parameter, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        super::query::get(self.uri.query().unwrap_or(""), name)
    }

    /// The whole query as Node's `socket.handshake.query` shows it: each name with
    /// its percent-decoded value, or the list of its values when it is repeated.
    pub fn query_map(&self) -> serde_json::Map<String, serde_json::Value> {
        super::query::to_json_map(self.uri.query().unwrap_or(""))
    }

    /// The peer's IP address (Node's `handshake.address`), when known.
    pub fn address(&self) -> Option<std::net::IpAddr> {
        self.remote_addr.map(|addr| addr.ip())
    }

    /// Whether the request came from another origin: it carries an `Origin`
    /// header (Node's `handshake.xdomain`).
    pub fn xdomain(&self) -> bool {
        self.headers.contains_key(http::header::ORIGIN)
    }

    /// Whether the connection to this server is encrypted (Node's
    /// `handshake.secure`): served by [`bind_tls`](crate::http::bind_tls). Behind a
    /// TLS-terminating proxy it is `false`; read the proxy's `X-Forwarded-Proto`.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// When the session was opened, in milliseconds since the Unix epoch (Node's
    /// `handshake.issued`).
    pub fn issued_ms(&self) -> u64 {
        self.issued
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            })
    }

    /// When the session was opened, as an HTTP date (`Mon, 07 Dec 2026 05:24:45
    /// GMT`; Node's `handshake.time` is the same instant in JavaScript's
    /// `Date.toString()` form).
    pub fn time(&self) -> String {
        httpdate::fmt_http_date(self.issued)
    }

    /// The request's path and query (Node's `handshake.url`).
    pub fn url(&self) -> String {
        self.uri.to_string()
    }
}

/// A live Engine.IO connection: send to it, close it, read what it was opened with.
///
/// Cheap to clone; every clone refers to the same session. `D` is the per-connection
/// data of the [`EngineHandler`](super::EngineHandler).
pub struct Connection<D> {
    pub(crate) session: Arc<Session<D>>,
}

impl<D> Clone for Connection<D> {
    fn clone(&self) -> Self {
        Connection {
            session: self.session.clone(),
        }
    }
}

impl<D> std::fmt::Debug for Connection<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.session.id)
            .finish_non_exhaustive()
    }
}

impl<D> Connection<D> {
    /// The session id.
    pub fn id(&self) -> Sid {
        self.session.id
    }

    /// The handler's data for this connection.
    pub fn data(&self) -> &D {
        &self.session.data
    }

    /// The transport in use now (polling until an upgrade completes).
    pub fn transport(&self) -> Transport {
        self.session.transport()
    }

    /// What the client sent to open the session.
    pub fn handshake(&self) -> &Handshake {
        &self.session.handshake
    }

    /// The runtime the session opened on, for work started outside any runtime.
    pub(crate) fn runtime(&self) -> Option<&tokio::runtime::Handle> {
        self.session.runtime()
    }

    /// The Engine.IO protocol revision the client speaks: 4, or 3 for a legacy
    /// client the server accepts with `allow_eio3` (as Node's `conn.protocol`).
    pub fn protocol(&self) -> u8 {
        if self.session.eio3 { 3 } else { 4 }
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    /// Sends a text message.
    pub fn send_text(&self, text: &str) -> Result<(), SendError>
    where
        D: Send + Sync + 'static,
    {
        self.send(Frame::text_packet(PacketKind::Message, text))
    }

    /// Sends a binary message.
    pub fn send_binary(&self, bytes: Bytes) -> Result<(), SendError>
    where
        D: Send + Sync + 'static,
    {
        self.send(Frame::Binary(bytes))
    }

    /// Queues one encoded frame (see [`Frame`]).
    pub fn send(&self, frame: Frame) -> Result<(), SendError>
    where
        D: Send + Sync + 'static,
    {
        self.session.push(std::iter::once(frame), false).map(|_| ())
    }

    /// Queues several frames atomically: nothing else is sent between them.
    pub fn send_all(&self, frames: impl IntoIterator<Item = Frame>) -> Result<(), SendError>
    where
        D: Send + Sync + 'static,
    {
        self.session.push(frames.into_iter(), false).map(|_| ())
    }

    /// Queues frames only if the transport can take them now; returns whether they
    /// were queued (`false`: dropped, as a volatile emit is).
    pub fn send_volatile(&self, frames: impl IntoIterator<Item = Frame>) -> Result<bool, SendError>
    where
        D: Send + Sync + 'static,
    {
        self.session.push(frames.into_iter(), true)
    }

    /// Queues frames that the WebSocket writer sends and flushes before anything
    /// queued after them.
    pub(crate) fn send_all_flushed(
        &self,
        frames: impl IntoIterator<Item = Frame>,
    ) -> Result<(), SendError>
    where
        D: Send + Sync + 'static,
    {
        self.session.push_flushed(frames.into_iter()).map(|_| ())
    }

    /// Closes the connection after delivering what is already queued.
    pub fn close(&self) {
        self.session.close(CloseReason::ForcedClose);
    }

    /// Closes the connection with the given reason.
    pub fn close_with(&self, reason: CloseReason) {
        self.session.close(reason);
    }

    /// A handle that does not keep the session alive.
    pub fn downgrade(&self) -> WeakConnection<D> {
        WeakConnection {
            session: Arc::downgrade(&self.session),
        }
    }
}

/// A [`Connection`] handle that does not keep the session alive.
pub struct WeakConnection<D> {
    session: Weak<Session<D>>,
}

impl<D> Clone for WeakConnection<D> {
    fn clone(&self) -> Self {
        WeakConnection {
            session: self.session.clone(),
        }
    }
}

impl<D> WeakConnection<D> {
    /// The connection, if its session still exists.
    pub fn upgrade(&self) -> Option<Connection<D>> {
        self.session.upgrade().map(|session| Connection { session })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::json;

    use super::*;

    fn handshake(uri: &str) -> Handshake {
        Handshake {
            headers: HeaderMap::new(),
            uri: uri.parse().unwrap(),
            remote_addr: Some("10.1.2.3:4567".parse().unwrap()),
            issued: SystemTime::UNIX_EPOCH + Duration::from_millis(1_796_620_285_123),
            secure: false,
        }
    }

    #[test]
    fn the_handshake_reads_as_node_shows_it() {
        let handshake = handshake("/socket.io/?EIO=4&tag=a%20b&tag=c&tag=d&solo=&x");
        assert_eq!(
            serde_json::Value::Object(handshake.query_map()),
            json!({ "EIO": "4", "tag": ["a b", "c", "d"], "solo": "", "x": "" })
        );
        assert_eq!(handshake.address(), Some("10.1.2.3".parse().unwrap()));
        assert!(!handshake.xdomain());
        assert_eq!(handshake.issued_ms(), 1_796_620_285_123);
        assert_eq!(handshake.time(), "Mon, 07 Dec 2026 05:11:25 GMT");
        assert_eq!(
            handshake.url(),
            "/socket.io/?EIO=4&tag=a%20b&tag=c&tag=d&solo=&x"
        );
    }

    #[test]
    fn metric_labels_are_listed_in_index_order() {
        use crate::telemetry::Label;
        for (index, transport) in Transport::ALL.iter().enumerate() {
            assert_eq!(transport.index(), index);
        }
        for (index, reason) in CloseReason::ALL.iter().enumerate() {
            assert_eq!(reason.index(), index);
        }
    }
}
