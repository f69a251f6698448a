//! [`TypedEmitter`]: an [`Emitter`] restricted to the events of one contract.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Emitter;
use crate::contract::{Contract, Emit, EventName, typed_view};
use crate::server::{EmitError, IntoRooms};

/// An [`Emitter`] that sends the events of contract `C` only, through the emitter
/// trait `#[tether::events]` generates for `C`. Events declared with an
/// acknowledgement fail with [`EmitError::AckUnsupported`]: an emitter hears no
/// answers.
pub struct TypedEmitter<C> {
    emitter: Emitter,
    _contract: std::marker::PhantomData<fn() -> C>,
}

typed_view!(TypedEmitter { emitter: Emitter });

impl<C: Contract> TypedEmitter<C> {
    /// Wraps an untyped emitter.
    pub fn from_untyped(emitter: Emitter) -> Self {
        Self::typed(emitter)
    }

    /// The untyped emitter.
    pub fn untyped(&self) -> &Emitter {
        &self.emitter
    }

    /// The same emitter for namespace `nsp`.
    pub fn of(&self, nsp: &str) -> Self {
        TypedEmitter::from_untyped(self.emitter.of(nsp))
    }

    /// Adds rooms to target.
    pub fn to(&self, rooms: impl IntoRooms) -> Self {
        TypedEmitter::from_untyped(self.emitter.to(rooms))
    }

    /// Excludes the sockets in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> Self {
        TypedEmitter::from_untyped(self.emitter.except(rooms))
    }

    /// Lets each client drop the events when it cannot take them right away.
    pub fn volatile(&self) -> Self {
        TypedEmitter::from_untyped(self.emitter.volatile())
    }
}

impl<C: Contract> Emit<C> for TypedEmitter<C> {
    type Ack<R: DeserializeOwned + 'static> = Result<(), EmitError>;

    fn __emit<A: Serialize + ?Sized>(&self, event: EventName, args: &A) -> Result<(), EmitError> {
        self.emitter.emit(event.as_str(), args)
    }

    fn __emit_with_ack<R: DeserializeOwned + 'static, A: Serialize + ?Sized>(
        &self,
        _event: EventName,
        _args: &A,
    ) -> Result<(), EmitError> {
        Err(EmitError::AckUnsupported)
    }
}
