//! [`Event`]: one event received, whichever side received it.

use serde::de::DeserializeOwned;

use crate::frame::Text;
use crate::protocol::{ArgError, Args, Value};

/// An event received from the other side: its name, its arguments and, when the
/// sender asked for one, the means to acknowledge it (`A`: the server's
/// [`AckSender`](crate::server::AckSender) for an event from a client; the Rust
/// client's own for an event from the server).
#[derive(Debug)]
pub struct Event<A> {
    name: Text,
    args: Args,
    ack: Option<A>,
}

impl<A> Event<A> {
    pub(crate) fn new(name: Text, args: Args, ack: Option<A>) -> Event<A> {
        Event { name, args, ack }
    }

    /// The event name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw arguments.
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// Decodes argument `index` (0-based) as `T`; binary attachments decode into
    /// `bytes::Bytes` fields.
    pub fn arg<T: DeserializeOwned>(&self, index: usize) -> Result<T, ArgError> {
        self.args.decode(index)
    }

    /// Every argument as an untyped [`Value`].
    pub fn values(&self) -> Result<Vec<Value>, ArgError> {
        self.args.to_values()
    }

    /// Whether the sender waits for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Takes the acknowledgement sender, if the sender asked for one.
    pub fn take_ack(&mut self) -> Option<A> {
        self.ack.take()
    }

    /// A copy with the acknowledgement sender `share` makes from this one's.
    #[cfg(feature = "client")]
    pub(crate) fn share_with(&self, share: impl FnOnce(&A) -> A) -> Event<A> {
        Event::new(
            self.name.clone(),
            self.args.clone(),
            self.ack.as_ref().map(share),
        )
    }
}
