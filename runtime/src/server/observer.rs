//! [`Observer`]: what a tool watching the whole server (the admin UI's server side)
//! is told as it happens. At most one per server; without one, the server does not
//! look for it beyond a pointer check.

use std::sync::{Arc, OnceLock};

use super::reason::DisconnectReason;
use super::socket::{Socket, SocketInner};
use crate::engine::{CloseReason, Connection, Sid, Transport};
use crate::protocol::{Args, Encoded};
use crate::room::Room;

use super::client::ClientState;

/// Told of connections, sockets, rooms and packets. Every method is called where
/// the thing happens, some while the namespace's locks are held: implementations
/// only record or queue, they never join, leave, emit or block.
pub(crate) trait Observer: Send + Sync + 'static {
    /// An Engine.IO session opened on `transport`.
    fn connection_opened(&self, _transport: Transport) {}

    /// An Engine.IO session moved to WebSocket.
    fn connection_upgraded(&self, _conn: &Connection<ClientState>) {}

    /// An Engine.IO session closed.
    fn connection_closed(&self, _reason: CloseReason) {}

    /// A message of `bytes` bytes arrived on some session.
    fn message_received(&self, _bytes: usize) {}

    /// A socket joined a namespace (its CONNECT answer went out).
    fn socket_connected(&self, _socket: &Socket) {}

    /// A socket left its namespace.
    fn socket_disconnected(&self, _socket: &Socket, _reason: DisconnectReason) {}

    /// A socket's cluster data changed.
    fn socket_data_changed(&self, _socket: &Socket) {}

    /// An event of a socket passed its middlewares and goes to the handlers.
    fn event_received(&self, _socket: &Socket, _name: &str, _args: &Args) {}

    /// A packet was queued for a socket's client.
    fn packet_sent(&self, _socket: &Arc<SocketInner>, _encoded: &Encoded) {}

    /// Socket `id` of namespace `ns` joined `room`.
    fn room_joined(&self, _ns: &str, _room: &Room, _id: Sid) {}

    /// Socket `id` of namespace `ns` left `room`.
    fn room_left(&self, _ns: &str, _room: &Room, _id: Sid) {}
}

/// The server's observer slot, shared by the registry and every namespace.
pub(crate) type ObserverSlot = Arc<OnceLock<Arc<dyn Observer>>>;
