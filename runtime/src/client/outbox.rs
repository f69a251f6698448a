//! The bounded queue from client handles to the connection task.

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use crate::protocol::Encoded;
use crate::server::EmitError;

/// How many packets may wait to be written, including those emitted while the
/// client is reconnecting; past it, emits fail with [`EmitError::QueueFull`].
pub const MAX_BUFFERED_PACKETS: usize = 1024;

/// A packet for the connection task.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// An event; `ack_id` when it asks for an acknowledgement.
    Emit {
        encoded: Encoded,
        ack_id: Option<u64>,
    },
    /// The answer to a server event that arrived on connection `generation`.
    Ack { encoded: Encoded, generation: u64 },
}

/// Queues `packet` without waiting.
pub(crate) fn push(outbox: &mpsc::Sender<Outgoing>, packet: Outgoing) -> Result<(), EmitError> {
    outbox.try_send(packet).map_err(|error| match error {
        TrySendError::Full(_) => EmitError::QueueFull,
        TrySendError::Closed(_) => EmitError::Disconnected,
    })
}
