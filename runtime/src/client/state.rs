//! The client's connection state and why it disconnected.

use std::fmt;

use crate::peer;

/// Where a [`Client`](super::Client) stands; watch it with
/// [`Client::state_changes`](super::Client::state_changes).
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionState {
    /// Joined the namespace; `sid` is the socket id the server gave it.
    Connected {
        /// The socket id (a new one after each reconnection, unless recovered).
        sid: String,
        /// After a reconnection: the server gave the lost socket back, with its
        /// rooms, and replayed the events sent meanwhile (connection state
        /// recovery, when the server has it on).
        recovered: bool,
    },
    /// The connection was lost; the client is trying to connect again. Emits made
    /// meanwhile are buffered.
    Reconnecting {
        /// The attempt about to be made or under way, from 1.
        attempt: u32,
        /// Why the connection was lost.
        reason: DisconnectReason,
    },
    /// Disconnected for good: emits fail from now on.
    Disconnected(DisconnectReason),
}

impl ConnectionState {
    /// Whether the client is joined to its namespace.
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectionState::Connected { .. })
    }

    /// Whether the client has stopped for good.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, ConnectionState::Disconnected(_))
    }
}

/// Why the client lost its connection, with the strings the official JavaScript
/// client uses where it has one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The server made the socket leave the namespace (`io server disconnect`); the
    /// client does not reconnect on its own.
    ServerDisconnect,
    /// [`Client::disconnect`](super::Client::disconnect) was called, or every
    /// handle to the client was dropped (`io client disconnect`).
    ClientDisconnect,
    /// No ping arrived within `pingInterval + pingTimeout` (`ping timeout`).
    PingTimeout,
    /// The server closed the connection (`transport close`).
    TransportClose,
    /// The connection failed (`transport error`).
    TransportError,
    /// The server sent a packet that does not decode (`parse error`).
    ParseError,
    /// Reconnection gave up after this many attempts (`reconnect failed`).
    ReconnectFailed {
        /// How many attempts were made.
        attempts: u32,
    },
    /// On a reconnection, the server refused to let the client join the namespace
    /// again (`connect_error`).
    Refused(peer::ConnectError),
}

impl DisconnectReason {
    /// The reason as the official JavaScript client names it.
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectReason::ServerDisconnect => "io server disconnect",
            DisconnectReason::ClientDisconnect => "io client disconnect",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ReconnectFailed { .. } => "reconnect failed",
            DisconnectReason::Refused(_) => "connect_error",
        }
    }

    /// Whether the official client would reconnect after this reason: only when the
    /// connection was lost, not when either side disconnected on purpose.
    pub fn should_reconnect(&self) -> bool {
        matches!(
            self,
            DisconnectReason::PingTimeout
                | DisconnectReason::TransportClose
                | DisconnectReason::TransportError
                | DisconnectReason::ParseError
        )
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::ReconnectFailed { attempts } => {
                write!(formatter, "reconnect failed after {attempts} attempts")
            }
            DisconnectReason::Refused(error) => write!(formatter, "connect_error: {error}"),
            other => formatter.write_str(other.as_str()),
        }
    }
}
