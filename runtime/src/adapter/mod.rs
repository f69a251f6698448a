//! Adapters: how a namespace's broadcasts reach the sockets of other server nodes.
//!
//! Without an adapter (the default) rooms and broadcasts are local to one server:
//! the in-memory room index of each namespace is all there is. An [`Adapter`] given
//! to [`Server::with_adapter`](crate::server::Server::with_adapter) is told about
//! every namespace the server creates ([`Adapter::attach`]) and returns a
//! [`NamespaceLink`], to which each broadcast of that namespace is handed once,
//! already encoded, after its local delivery. Broadcasts flagged `local` stay on this
//! node. In the other direction the adapter delivers what other nodes broadcast with
//! [`LocalNamespace::deliver`], which encodes nothing and shares the bytes between
//! every local recipient.
//!
//! With the `redis` feature, `redis::RedisAdapter` connects nodes through Redis
//! pub/sub in the wire format of the Node.js `@socket.io/redis-adapter`, so tether
//! nodes and Node.js socket.io servers can share one cluster. With the `postgres`
//! feature, `postgres::PostgresAdapter` does the same through PostgreSQL
//! `LISTEN`/`NOTIFY`, in the wire format of `@socket.io/postgres-adapter`.
//!
//! With `redis::streams::RedisStreamsAdapter`, nodes share a Redis stream in the
//! format of the Node.js `@socket.io/redis-streams-adapter`, which also carries
//! connection state recovery across nodes: an adapter whose
//! [`NamespaceLink::keeps_sessions`] is true gives recoverable broadcasts their
//! offsets ([`NamespaceLink::publish_recoverable`], delivering them locally with
//! [`LocalNamespace::deliver_recoverable`]), stores the sessions of sockets that
//! lost their connection ([`NamespaceLink::persist_session`]) and gives them back
//! on any node ([`NamespaceLink::restore_session`], then
//! [`NamespaceLink::missed_events`]). Other adapters keep the defaults, and the
//! server keeps recovery in its own memory.
//!
//! The cluster operations (`fetch_sockets`, `sockets_join`, `sockets_leave`,
//! `disconnect_sockets`, `all_rooms`, `server_side_emit_with_ack`) travel as
//! [`ClusterRequest`]s through [`NamespaceLink::request`]; see [`cluster`].
//! Broadcasts with acknowledgements (`emit_with_ack`) go through
//! [`NamespaceLink::publish_with_ack`]. The synchronous selection helpers
//! (`sockets`, `join`, `leave`, `disconnect` on a broadcast) stay local. Adapters
//! that subscribe per room follow the room index through
//! [`NamespaceLink::room_created`] and [`NamespaceLink::room_deleted`].

pub mod cluster;
#[cfg(any(feature = "redis", feature = "postgres"))]
mod cluster_message;
mod local;
#[cfg(any(feature = "redis", feature = "postgres"))]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
mod msgpack;
#[cfg(any(feature = "redis", feature = "postgres"))]
mod pending;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(any(feature = "redis", feature = "postgres"))]
mod registry;

#[doc(hidden)]
pub use cluster::JsonSocket;
pub use cluster::{
    ClusterError, ClusterRequest, ClusterResponse, RemoteAck, RemoteAcks, Selector,
    SocketDescription,
};
pub(crate) use local::ServedNamespace;
pub use local::{LocalAcks, LocalNamespace};

use futures_util::future::BoxFuture;

use crate::engine::Sid;
use crate::protocol::Encoded;
use crate::room::Room;

/// Carries broadcasts between server nodes.
pub trait Adapter: Send + Sync + 'static {
    /// Links a namespace of this server, called once when the namespace is created
    /// (while the server's namespace registry is locked: it must not block). The
    /// link lives as long as the namespace; dropping it means the namespace is gone.
    fn attach(&self, ns: LocalNamespace) -> Box<dyn NamespaceLink>;
}

/// One namespace's side of an [`Adapter`].
pub trait NamespaceLink: Send + Sync + 'static {
    /// Hands a broadcast this node emitted to the other nodes. Called on the
    /// emitting task right after local delivery: it must not block or wait.
    fn publish(&self, broadcast: &Broadcast<'_>);

    /// Hands a server-side event (`packet`: the JSON array `[event, ...args]`) to
    /// the other nodes, for their [`LocalNamespace::deliver_server_event`]. It must
    /// not block or wait. Adapters that do not carry them keep this default, which
    /// drops it.
    fn server_side_emit(&self, packet: &str) {
        let _ = packet;
    }

    /// Hands a broadcast that waits for acknowledgements (`broadcast.encoded`
    /// carries no ack id; each node frames its own) to the other nodes, which
    /// answer until `timeout`. Returns where their reports arrive; the default,
    /// for adapters without other nodes, returns `None`. It must not block.
    fn publish_with_ack(
        &self,
        broadcast: &Broadcast<'_>,
        timeout: std::time::Duration,
    ) -> Option<RemoteAcks> {
        let _ = (broadcast, timeout);
        None
    }

    /// Carries a cluster request to the other nodes serving this namespace and
    /// resolves with their answers, one per node. For a command
    /// ([`ClusterRequest::expects_answers`] is false) it may resolve as soon as the
    /// request is sent, with no answers. It must bound its wait (a node that dies
    /// mid-request costs a timeout, never a hang) and must not block the caller.
    ///
    /// The default, for adapters without other nodes, answers at once with no
    /// answers.
    fn request(
        &self,
        request: ClusterRequest,
    ) -> BoxFuture<'static, Result<Vec<ClusterResponse>, ClusterError>> {
        let _ = request;
        Box::pin(std::future::ready(Ok(Vec::new())))
    }

    /// Whether this adapter gives broadcasts their connection state recovery
    /// offsets and keeps disconnected sessions itself (so that a client recovers
    /// on any node), rather than the server keeping them in memory. The default,
    /// `false`, keeps the server's own recovery; the other recovery methods below
    /// are then never called.
    fn keeps_sessions(&self) -> bool {
        false
    }

    /// Hands a broadcast that connection state recovery must be able to replay
    /// (neither volatile, nor `local`, nor waiting for acknowledgements) to the
    /// other nodes, and delivers it to this node's sockets itself, once it has its
    /// offset, in the order broadcasts were handed over. Returns `false` when it
    /// could not take it (the server then delivers it locally without offset). It
    /// must not block.
    fn publish_recoverable(&self, broadcast: &Broadcast<'_>) -> bool {
        let _ = broadcast;
        false
    }

    /// Keeps the session of a socket that lost its connection for `ttl`, for any
    /// node to restore. Returns `false` when it could not take it. It must not
    /// block.
    fn persist_session(&self, session: SessionState, ttl: std::time::Duration) -> bool {
        let _ = (session, ttl);
        false
    }

    /// Takes back the session kept under `pid` when the event at `offset` is still
    /// kept; `None` when either is gone (the client gets a new session). The
    /// session is removed either way.
    fn restore_session(&self, pid: &str, offset: &str) -> BoxFuture<'static, Option<SessionState>> {
        let _ = (pid, offset);
        Box::pin(std::future::ready(None))
    }

    /// The kept events after `offset` that a socket in `rooms` (its own id
    /// included) was meant to get, in order, each with its offset appended.
    fn missed_events(
        &self,
        offset: &str,
        rooms: &[Room],
    ) -> BoxFuture<'static, Result<Vec<MissedEvent>, ClusterError>> {
        let _ = (offset, rooms);
        Box::pin(std::future::ready(Ok(Vec::new())))
    }

    /// Told that `room` got its first local socket (`private`: it is a socket's
    /// own room, which exists from its connection), for adapters that subscribe
    /// per room. Called while the room index is locked: it must not block. The
    /// default does nothing.
    fn room_created(&self, room: &Room, private: bool) {
        let _ = (room, private);
    }

    /// Told that `room` lost its last local socket (see [`Self::room_created`]).
    fn room_deleted(&self, room: &Room, private: bool) {
        let _ = (room, private);
    }
}

/// A disconnected socket's state, as an adapter that keeps sessions stores it
/// (the `{sid, pid, rooms, data}` of Node's socket.io).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionState {
    /// The socket's id.
    pub sid: String,
    /// The private id the client names to recover it.
    pub pid: String,
    /// Its rooms, its own id included.
    pub rooms: Vec<String>,
    /// Its cluster data ([`Socket::set_cluster_data`](crate::server::Socket::set_cluster_data)).
    pub data: serde_json::Value,
}

impl SessionState {
    /// A session of socket `sid` with private id `pid`.
    pub fn new(
        sid: impl Into<String>,
        pid: impl Into<String>,
        rooms: Vec<String>,
        data: serde_json::Value,
    ) -> SessionState {
        SessionState {
            sid: sid.into(),
            pid: pid.into(),
            rooms,
            data,
        }
    }
}

/// An event a reconnecting socket missed, as an adapter that keeps sessions
/// replays it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MissedEvent {
    /// Its offset.
    pub offset: String,
    /// The event, its offset appended as its last argument.
    pub encoded: Encoded,
}

impl MissedEvent {
    /// The event `encoded` (offset appended) at `offset`.
    pub fn new(offset: String, encoded: Encoded) -> MissedEvent {
        MissedEvent { offset, encoded }
    }
}

/// A broadcast emitted on this node, as the other nodes should see it. Made by
/// the server; fields may be added in minor releases.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Broadcast<'a> {
    /// The packet, encoded as this node's sockets received it (no ack id).
    pub encoded: &'a Encoded,
    /// The event name.
    pub event: &'a str,
    /// The event's arguments as a sequence, for adapters that write them in a
    /// format of their own (such as MessagePack) rather than as `encoded`.
    pub args: &'a dyn erased_serde::Serialize,
    /// The rooms targeted; empty means every socket of the namespace.
    pub rooms: &'a [Room],
    /// The rooms (or socket ids) excluded.
    pub except: &'a [Room],
    /// A socket excluded too: the sender of a `socket.broadcast()` or `socket.to()`.
    pub except_socket: Option<Sid>,
    /// Whether each client may drop it when it cannot take it right away.
    pub volatile: bool,
}

/// A volatile broadcast of event `say` with arguments `data` in namespace
/// `/chat`, to room `r1` except room `r2` and `except_socket`, given to `check`.
#[cfg(all(test, any(feature = "redis", feature = "postgres")))]
pub(crate) fn with_test_broadcast(
    data: &(impl serde::Serialize + ?Sized),
    except_socket: Option<Sid>,
    check: impl FnOnce(&Broadcast<'_>),
) {
    let args = crate::protocol::EmitArgs::new(data);
    let encoded = crate::protocol::encode_event("/chat", "say", &args, None).unwrap();
    check(&Broadcast {
        encoded: &encoded,
        event: "say",
        args: &args,
        rooms: &[Room::new("r1")],
        except: &[Room::new("r2")],
        except_socket,
        volatile: true,
    });
}

impl std::fmt::Debug for Broadcast<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broadcast")
            .field("encoded", &self.encoded)
            .field("event", &self.event)
            .field("rooms", &self.rooms)
            .field("except", &self.except)
            .field("except_socket", &self.except_socket)
            .field("volatile", &self.volatile)
            .finish_non_exhaustive()
    }
}
