//! [`TypedBroadcast`] and [`TypedNamespace`]: emitting the events of one contract to
//! many sockets.

use std::time::Duration;

use super::descriptor::Contract;
use super::socket::TypedSocket;
use crate::engine::Sid;
use crate::server::{BroadcastOperator, IntoRooms, Namespace, RemoteSocket, Room};

/// A selection of sockets that may be sent the events of contract `C`.
///
/// Built from a [`TypedSocket`] or a [`TypedNamespace`]; `to`, `except`, `local`,
/// `volatile` and `timeout` narrow or flag it, and the emitter trait generated for
/// `C` sends. An event with an acknowledgement returns an
/// [`AckStream`](crate::server::AckStream) with one answer per socket.
pub struct TypedBroadcast<C> {
    operator: BroadcastOperator,
    _contract: std::marker::PhantomData<fn() -> C>,
}

typed_view!(TypedBroadcast {
    operator: BroadcastOperator
});

impl<C: Contract> TypedBroadcast<C> {
    /// A typed view of `operator`; nothing checks that its clients expect `C`.
    pub fn from_untyped(operator: BroadcastOperator) -> Self {
        Self::typed(operator)
    }

    /// The untyped operator.
    pub fn untyped(&self) -> &BroadcastOperator {
        &self.operator
    }

    fn map(self, f: impl FnOnce(BroadcastOperator) -> BroadcastOperator) -> Self {
        TypedBroadcast::from_untyped(f(self.operator))
    }

    /// Adds rooms to target.
    pub fn to(self, rooms: impl IntoRooms) -> Self {
        self.map(|operator| operator.to(rooms))
    }

    /// Same as [`TypedBroadcast::to`].
    pub fn within(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Excludes the sockets in these rooms.
    pub fn except(self, rooms: impl IntoRooms) -> Self {
        self.map(|operator| operator.except(rooms))
    }

    /// Targets this server's sockets only.
    pub fn local(self) -> Self {
        self.map(BroadcastOperator::local)
    }

    /// Each client drops the emit when it cannot take it right away.
    pub fn volatile(self) -> Self {
        self.map(BroadcastOperator::volatile)
    }

    /// Sets how long acknowledgements are waited for.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|operator| operator.timeout(timeout))
    }

    /// The selected sockets.
    pub fn sockets(&self) -> Vec<TypedSocket<C>> {
        self.operator
            .sockets()
            .into_iter()
            .map(TypedSocket::from_untyped)
            .collect()
    }

    /// Makes every selected socket join `rooms`.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.operator.join(rooms);
    }

    /// Makes every selected socket leave `rooms`.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.operator.leave(rooms);
    }

    /// Disconnects every selected socket.
    pub fn disconnect(&self) {
        self.operator.disconnect();
    }
}

/// A namespace bound to a handler, whose sockets may be sent the events of `C`.
///
/// Returned by `Namespace::bind`; use it to emit from outside handlers (timers,
/// other services). As an emitter it targets every socket of the namespace.
pub struct TypedNamespace<C> {
    ns: Namespace,
    _contract: std::marker::PhantomData<fn() -> C>,
}

typed_view!(TypedNamespace { ns: Namespace });

impl<C: Contract> TypedNamespace<C> {
    /// A typed view of `ns`; nothing checks that its clients expect `C`.
    pub fn from_untyped(ns: Namespace) -> Self {
        Self::typed(ns)
    }

    /// The untyped namespace.
    pub fn untyped(&self) -> &Namespace {
        &self.ns
    }

    /// The namespace name.
    pub fn name(&self) -> &str {
        self.ns.name()
    }

    /// Every socket of the namespace, as a broadcast to narrow down.
    pub fn broadcast(&self) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.ns.broadcast())
    }

    /// Emits to the sockets in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.ns.to(rooms))
    }

    /// Same as [`TypedNamespace::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> TypedBroadcast<C> {
        self.to(rooms)
    }

    /// Emits to every socket except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.ns.except(rooms))
    }

    /// Emits to this server's sockets only.
    pub fn local(&self) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.ns.local())
    }

    /// Emits that each client drops when it cannot take them right away.
    pub fn volatile(&self) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.ns.volatile())
    }

    /// Broadcasts with acknowledgements waited for up to `timeout`.
    pub fn timeout(&self, timeout: Duration) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.ns.timeout(timeout))
    }

    /// The socket with this id, if it is connected here.
    pub fn socket(&self, id: Sid) -> Option<TypedSocket<C>> {
        self.ns.socket(id).map(TypedSocket::from_untyped)
    }

    /// Every connected socket.
    pub fn sockets(&self) -> Vec<TypedSocket<C>> {
        self.ns
            .sockets()
            .into_iter()
            .map(TypedSocket::from_untyped)
            .collect()
    }

    /// How many sockets are connected.
    pub fn socket_count(&self) -> usize {
        self.ns.socket_count()
    }

    /// The rooms that have at least one member.
    pub fn rooms(&self) -> Vec<Room> {
        self.ns.rooms()
    }
}

impl RemoteSocket {
    /// The emitter of contract `C` for this socket, wherever it lives: the
    /// emitter trait generated for `C` sends it events, and an event with an
    /// acknowledgement yields its answer through the cluster.
    pub fn typed<C: Contract>(&self) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.operator())
    }
}
