//! [`Emit`]: what the generated emitter traits are implemented for.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::broadcast::{TypedBroadcast, TypedNamespace};
use super::descriptor::Contract;
use super::socket::{TypedSocket, TypedSocketEmitter};
use crate::server::{AckFuture, AckStream, EmitError};

/// The wire name of an event, as generated code passes it to [`Emit`].
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct EventName(&'static str);

impl EventName {
    #[doc(hidden)]
    pub const fn __new(name: &'static str) -> Self {
        EventName(name)
    }

    pub(crate) fn as_str(self) -> &'static str {
        self.0
    }
}

/// A target that may send the events of contract `C`: a [`TypedSocket<C>`], a
/// [`TypedBroadcast<C>`], a [`TypedNamespace<C>`] or a [`TypedSocketEmitter<C>`];
/// with the `client` feature, also the Rust client's `TypedClient<C>`.
///
/// Every `T: Emit<C>` gets the emitter trait `#[tether::events]` generated for `C`
/// (`ChatServerEmitter` for `ChatServer`): one method per event, taking the event's
/// arguments. An event without acknowledgement returns `Result<(), EmitError>`; an
/// event acknowledged with `R` returns [`Emit::Ack<R>`](Emit::Ack): an
/// [`AckFuture<R>`] for one socket, an [`AckStream<R>`] for a broadcast (and the
/// client's own `AckFuture<R>` for the Rust client).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot emit the events of `{C}`",
    label = "not an emitter of `{C}`",
    note = "the events of `{C}` are emitted by `TypedSocket<{C}>`, `TypedBroadcast<{C}>` and `TypedNamespace<{C}>`",
    note = "a handler's sockets emit the contract its handler impl names in `type Emits`"
)]
pub trait Emit<C: Contract> {
    /// What an emit that waits for acknowledgements (decoded as `R`) returns.
    type Ack<R: DeserializeOwned + 'static>;

    /// Sends event `event` with `args` (a tuple, one element per argument).
    #[doc(hidden)]
    fn __emit<A: Serialize + ?Sized>(&self, event: EventName, args: &A) -> Result<(), EmitError>;

    /// Sends event `event` with `args` and waits for acknowledgements.
    #[doc(hidden)]
    fn __emit_with_ack<R: DeserializeOwned + 'static, A: Serialize + ?Sized>(
        &self,
        event: EventName,
        args: &A,
    ) -> Self::Ack<R>;
}

/// The items of an [`Emit`] impl for a typed target that delegates to its untyped
/// emitter (`emit`'s result mapped to `()`), whose acknowledgement type is `$ack`.
/// Only the items come from the macro: the impl headers stay written out, as the
/// compiler quotes them when a target is used with the wrong contract.
macro_rules! delegate_to_untyped {
    ($ack:ident) => {
        type Ack<R: DeserializeOwned + 'static> = $ack<R>;

        fn __emit<A: Serialize + ?Sized>(
            &self,
            event: EventName,
            args: &A,
        ) -> Result<(), EmitError> {
            self.untyped().emit(event.as_str(), args).map(drop)
        }

        fn __emit_with_ack<R: DeserializeOwned + 'static, A: Serialize + ?Sized>(
            &self,
            event: EventName,
            args: &A,
        ) -> $ack<R> {
            self.untyped().emit_with_ack(event.as_str(), args)
        }
    };
}

impl<C: Contract> Emit<C> for TypedSocket<C> {
    delegate_to_untyped!(AckFuture);
}

impl<C: Contract> Emit<C> for TypedSocketEmitter<C> {
    delegate_to_untyped!(AckFuture);
}

impl<C: Contract> Emit<C> for TypedBroadcast<C> {
    delegate_to_untyped!(AckStream);
}

impl<C: Contract> Emit<C> for TypedNamespace<C> {
    delegate_to_untyped!(AckStream);
}
