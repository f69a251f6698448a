//! Why a socket left its namespace.

use std::fmt;

use crate::engine::CloseReason;

/// Why a socket was disconnected, with the strings the Node.js server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The connection was closed by the client (`transport close`).
    TransportClose,
    /// The connection failed, or the client fell too far behind (`transport error`).
    TransportError,
    /// The client stopped answering pings (`ping timeout`).
    PingTimeout,
    /// The client sent an invalid packet (`parse error`).
    ParseError,
    /// The server is shutting down (`server shutting down`).
    ServerShuttingDown,
    /// The server closed the underlying connection (`forced server close`).
    ForcedServerClose,
    /// The client left the namespace (`client namespace disconnect`).
    ClientNamespaceDisconnect,
    /// The server disconnected the socket (`server namespace disconnect`).
    ServerNamespaceDisconnect,
}

impl DisconnectReason {
    /// The reason as the Node.js server names it.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ForcedServerClose => "forced server close",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
        }
    }
}

impl crate::telemetry::Label for DisconnectReason {
    const ALL: &'static [DisconnectReason] = &[
        DisconnectReason::TransportClose,
        DisconnectReason::TransportError,
        DisconnectReason::PingTimeout,
        DisconnectReason::ParseError,
        DisconnectReason::ServerShuttingDown,
        DisconnectReason::ForcedServerClose,
        DisconnectReason::ClientNamespaceDisconnect,
        DisconnectReason::ServerNamespaceDisconnect,
    ];

    fn index(self) -> usize {
        self as usize
    }

    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(reason: CloseReason) -> Self {
        match reason {
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError | CloseReason::SlowClient => {
                DisconnectReason::TransportError
            }
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::ParseError => DisconnectReason::ParseError,
            CloseReason::ForcedClose => DisconnectReason::ForcedServerClose,
            CloseReason::ServerShutdown => DisconnectReason::ServerShuttingDown,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::Label;

    #[test]
    fn metric_labels_are_listed_in_index_order() {
        for (index, reason) in DisconnectReason::ALL.iter().enumerate() {
            assert_eq!(reason.index(), index);
        }
    }
}
