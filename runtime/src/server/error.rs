//! Errors of the Socket.IO server API.

use crate::peer::{AckDecodeError, EmitError};
use crate::protocol::{ArgError, RESERVED_EVENTS};

/// Why an acknowledgement did not arrive as expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// The emit itself failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// No acknowledgement within the timeout.
    #[error("acknowledgement timed out")]
    Timeout,
    /// The socket disconnected before acknowledging.
    #[error("socket disconnected before acknowledging")]
    Disconnected,
    /// The acknowledgement's arguments do not have the expected types.
    #[error("unexpected acknowledgement: {0}")]
    Decode(#[from] ArgError),
    /// The client acknowledged with no argument where one was expected.
    #[error("the acknowledgement carried no argument")]
    NoArguments,
    /// The other server nodes could not be asked (their sockets' answers are
    /// missing); yielded once, with no socket id.
    #[error("the other nodes could not be asked: {0}")]
    Cluster(crate::adapter::ClusterError),
}

/// Fails for a reserved event name.
pub(crate) fn check_event_name(event: &str) -> Result<(), EmitError> {
    if RESERVED_EVENTS.contains(&event) {
        Err(EmitError::ReservedEvent(event.to_owned()))
    } else {
        Ok(())
    }
}

impl From<AckDecodeError> for AckError {
    fn from(error: AckDecodeError) -> Self {
        match error {
            AckDecodeError::Decode(error) => AckError::Decode(error),
            AckDecodeError::NoArguments => AckError::NoArguments,
        }
    }
}
