//! The bounded queue from client handles to the connection task.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use crate::peer::EmitError;
use crate::protocol::Encoded;

/// How many packets may wait to be written, including those emitted while the
/// client is reconnecting; past it, emits fail with [`EmitError::QueueFull`].
/// Packets resent until acknowledged (`retries`) count apart, up to as many per
/// namespace.
pub const MAX_BUFFERED_PACKETS: usize = 1024;

/// A packet for the connection task.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// An event of namespace `nsp`; `ack_id` when it asks for an acknowledgement.
    Emit {
        nsp: Arc<str>,
        encoded: Encoded,
        ack_id: Option<u64>,
    },
    /// An event of namespace `nsp` resent until acknowledged (`retries`), after
    /// the ones queued before it are.
    Reliable {
        nsp: Arc<str>,
        encoded: Encoded,
        ack_id: u64,
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
