//! Errors both sides report: a failed emit, a refused connection.

use crate::engine::SendError;
use crate::protocol::EncodeError;

/// A refusal sent to a connecting client as `connect_error` (`{"message", "data"}`).
///
/// ```
/// use tether::server::ConnectError;
///
/// let error = ConnectError::new("not authorized").with_data(serde_json::json!({ "retry": false }));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    /// The message the client sees as `err.message`.
    pub message: String,
    /// Extra details the client sees as `err.data`.
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with this message.
    pub fn new(message: impl Into<String>) -> Self {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds details for the client.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }
}

impl From<&str> for ConnectError {
    fn from(message: &str) -> Self {
        ConnectError::new(message)
    }
}

impl From<String> for ConnectError {
    fn from(message: String) -> Self {
        ConnectError::new(message)
    }
}

/// Why an emit failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The data could not be serialized.
    #[error("cannot encode the event: {0}")]
    Encode(#[from] EncodeError),
    /// The socket is disconnected (on the Rust client: disconnected for good).
    #[error("socket disconnected")]
    Disconnected,
    /// The outbound queue is full. On the server, the client fell too far behind
    /// and was disconnected; on the Rust client, `MAX_BUFFERED_PACKETS` packets
    /// already wait to be sent.
    #[error("outbound queue full")]
    QueueFull,
    /// The event name is reserved by Socket.IO.
    #[error("`{0}` is a reserved event name")]
    ReservedEvent(String),
    /// Binary data in a server-side emit, which carries JSON only (as in Node.js).
    #[error("server-side emits carry no binary data")]
    BinaryServerSideEmit,
    /// An emitter was asked for acknowledgements, which it cannot hear.
    #[error("an emitter cannot wait for acknowledgements")]
    AckUnsupported,
    /// The event could not be written in the adapter's format for the other nodes.
    #[error("cannot publish the event: {0}")]
    Unpublished(String),
}

impl From<SendError> for EmitError {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Closed => EmitError::Disconnected,
            SendError::QueueFull => EmitError::QueueFull,
        }
    }
}
