//! [`TypedSocket`]: a socket that may only emit the events of one contract.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::broadcast::{TypedBroadcast, TypedNamespace};
use super::descriptor::Contract;
use crate::engine::{Handshake, Sid, Transport};
use crate::server::{IntoRooms, Namespace, Room, Socket, SocketEmitter};

/// A connected client that may be sent the events of contract `C` only.
///
/// Handlers bound with `Namespace::bind` receive one per event. The emitter trait
/// generated for `C` gives it one method per event; `to`, `except`, `broadcast` and
/// `local` select other sockets of the namespace ([`TypedBroadcast<C>`]); rooms,
/// handshake, auth and per-socket data pass through to the untyped [`Socket`].
///
/// ```
/// # use tether::contract::TypedSocket;
/// #[tether::events]
/// pub trait Server {
///     fn message(text: String);
/// }
///
/// fn greet(socket: &TypedSocket<Server>) -> Result<(), tether::server::EmitError> {
///     socket.join("lobby");
///     socket.message("welcome")?;
///     socket.to("lobby").message("someone arrived")
/// }
/// ```
pub struct TypedSocket<C> {
    socket: Socket,
    _contract: std::marker::PhantomData<fn() -> C>,
}

typed_view!(TypedSocket { socket: Socket });

impl<C> PartialEq for TypedSocket<C> {
    fn eq(&self, other: &Self) -> bool {
        self.socket == other.socket
    }
}

impl<C> Eq for TypedSocket<C> {}

impl<C: Contract> TypedSocket<C> {
    /// A typed view of `socket`. Nothing checks that the client expects `C`: use it
    /// in untyped handlers that want the typed emitters.
    pub fn from_untyped(socket: Socket) -> Self {
        Self::typed(socket)
    }

    /// The untyped socket, for what the contract does not cover.
    pub fn untyped(&self) -> &Socket {
        &self.socket
    }

    /// The socket id.
    pub fn id(&self) -> Sid {
        self.socket.id()
    }

    /// The namespace name, such as `/chat`.
    pub fn ns(&self) -> &str {
        self.socket.ns()
    }

    /// The socket's namespace, to emit to all of its sockets (this one included).
    pub fn namespace(&self) -> TypedNamespace<C> {
        TypedNamespace::from_untyped(Namespace {
            inner: self.socket.inner.ns.clone(),
        })
    }

    /// The HTTP request that opened the connection.
    pub fn handshake(&self) -> &Handshake {
        self.socket.handshake()
    }

    /// The auth payload decoded as `A` (an absent payload decodes from `{}`).
    pub fn auth<A: DeserializeOwned>(&self) -> Result<A, serde_json::Error> {
        self.socket.auth()
    }

    /// The transport the client uses now.
    pub fn transport(&self) -> Transport {
        self.socket.transport()
    }

    /// Whether the socket is still connected to its namespace.
    pub fn connected(&self) -> bool {
        self.socket.connected()
    }

    /// Joins one room or several (strings, or a `#[derive(tether::Room)]` type).
    pub fn join(&self, rooms: impl IntoRooms) {
        self.socket.join(rooms);
    }

    /// Leaves one room or several.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.socket.leave(rooms);
    }

    /// Leaves every room it joined.
    pub fn leave_all(&self) {
        self.socket.leave_all();
    }

    /// Its rooms: its own id first, then the rooms it joined.
    pub fn rooms(&self) -> Vec<Room> {
        self.socket.rooms()
    }

    /// Whether it is in `room`.
    pub fn in_room(&self, room: impl Into<Room>) -> bool {
        let room = room.into();
        self.socket.rooms().contains(&room)
    }

    /// Emits to the sockets in `rooms`, this one excluded.
    pub fn to(&self, rooms: impl IntoRooms) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.socket.to(rooms))
    }

    /// Same as [`TypedSocket::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> TypedBroadcast<C> {
        self.to(rooms)
    }

    /// Emits to every other socket except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.socket.except(rooms))
    }

    /// Emits to every other socket of the namespace.
    pub fn broadcast(&self) -> TypedBroadcast<C> {
        TypedBroadcast::from_untyped(self.socket.broadcast())
    }

    /// Emits to every other socket of this server only (matters with a multi-node
    /// adapter).
    pub fn local(&self) -> TypedBroadcast<C> {
        self.broadcast().local()
    }

    /// Emits to this client, waiting up to `timeout` for acknowledgements.
    pub fn timeout(&self, timeout: Duration) -> TypedSocketEmitter<C> {
        TypedSocketEmitter::new(self.socket.timeout(timeout))
    }

    /// Emits to this client that are dropped when it cannot take them right away.
    pub fn volatile(&self) -> TypedSocketEmitter<C> {
        TypedSocketEmitter::new(self.socket.volatile())
    }

    /// Stores a value of type `T` with the socket, replacing any previous one.
    pub fn insert_data<T: Send + Sync + 'static>(&self, value: T) {
        self.socket.insert_data(value);
    }

    /// A copy of the socket's value of type `T`.
    pub fn data<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.socket.data()
    }

    /// Runs `f` on the socket's value of type `T`, holding no lock of the socket
    /// (see [`Socket::with_data`](crate::server::Socket::with_data)).
    pub fn with_data<T: Send + Sync + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.socket.with_data(f)
    }

    /// Removes and returns the socket's value of type `T`.
    pub fn remove_data<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.socket.remove_data()
    }

    /// Makes the socket leave its namespace (the client does not reconnect on its own).
    pub fn disconnect(&self) {
        self.socket.disconnect();
    }
}

/// Emits to one client with options (`timeout`, `volatile`), events of `C` only.
pub struct TypedSocketEmitter<C> {
    emitter: SocketEmitter,
    _contract: std::marker::PhantomData<fn() -> C>,
}

typed_view!(TypedSocketEmitter {
    emitter: SocketEmitter
});

impl<C: Contract> TypedSocketEmitter<C> {
    fn new(emitter: SocketEmitter) -> Self {
        Self::typed(emitter)
    }

    /// The untyped emitter.
    pub fn untyped(&self) -> &SocketEmitter {
        &self.emitter
    }

    /// Sets the acknowledgement timeout.
    pub fn timeout(self, timeout: Duration) -> Self {
        TypedSocketEmitter::new(self.emitter.timeout(timeout))
    }

    /// Drops the emit when the client cannot take it right away.
    pub fn volatile(self) -> Self {
        TypedSocketEmitter::new(self.emitter.volatile())
    }
}
