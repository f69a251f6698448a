//! Why connecting failed.

use std::time::Duration;

use super::transport::OpenError;
use crate::peer::{AckDecodeError, EmitError};
use crate::protocol::ArgError;

/// Why [`ClientBuilder::connect`](super::ClientBuilder::connect) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL could not be parsed, or names no host.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL scheme is not `http`, `ws`, `https` or `wss` (the last two need
    /// the `tls` feature).
    #[error("unsupported URL scheme `{0}`: use `http://`, `ws://`, `https://` or `wss://`")]
    UnsupportedScheme(String),
    /// The TLS options do not make a configuration (no certificate in the PEM,
    /// a key that does not match, no system roots).
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A header given to the builder has an invalid name or value.
    #[error("invalid header `{0}`")]
    InvalidHeader(String),
    /// The auth payload is not a JSON object, or failed to serialize.
    #[error("the auth payload must serialize as a JSON object: {0}")]
    InvalidAuth(String),
    /// The TCP connection failed.
    #[error("cannot reach the server: {0}")]
    Io(#[from] std::io::Error),
    /// The WebSocket handshake or connection failed (for instance an HTTP error
    /// from the server); the message says how.
    #[error("WebSocket failed: {0}")]
    WebSocket(String),
    /// An HTTP long-polling request failed (unreachable server, HTTP error).
    #[error("polling request failed: {0}")]
    Polling(String),
    /// The server broke the Engine.IO or Socket.IO handshake.
    #[error("protocol error during the handshake: {0}")]
    Protocol(String),
    /// The connection closed before the namespace was joined.
    #[error("the connection closed during the handshake")]
    Closed,
    /// The handshake did not complete in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The server refused to let the client join the namespace (`connect_error`):
    /// its `message`, and `data` when the server sent some. An unknown namespace is
    /// refused with the message `Invalid namespace`.
    #[error("the server refused the connection: {0}")]
    Refused(crate::peer::ConnectError),
    /// [`Client::socket`](super::Client::socket) named a namespace already joined
    /// over the connection; use its client.
    #[error("namespace `{0}` is already joined over this connection")]
    AlreadyJoined(String),
}

impl From<OpenError> for ConnectError {
    fn from(error: OpenError) -> Self {
        match error {
            OpenError::Io(error) => ConnectError::Io(error),
            OpenError::WebSocket(error) => ConnectError::from(error),
        }
    }
}

impl From<tokio_tungstenite::tungstenite::Error> for ConnectError {
    fn from(error: tokio_tungstenite::tungstenite::Error) -> Self {
        ConnectError::WebSocket(error.to_string())
    }
}

/// Why an acknowledgement from the server did not arrive as expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// The emit itself failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// No acknowledgement within the timeout (after the retries, when any).
    #[error("acknowledgement timed out")]
    Timeout,
    /// The client disconnected for good before the server acknowledged.
    #[error("disconnected before the acknowledgement")]
    Disconnected,
    /// The acknowledgement's arguments do not have the expected types.
    #[error("unexpected acknowledgement: {0}")]
    Decode(#[from] ArgError),
    /// The server acknowledged with no argument where one was expected.
    #[error("the acknowledgement carried no argument")]
    NoArguments,
}

impl From<AckDecodeError> for AckError {
    fn from(error: AckDecodeError) -> Self {
        match error {
            AckDecodeError::Decode(error) => AckError::Decode(error),
            AckDecodeError::NoArguments => AckError::NoArguments,
        }
    }
}
