//! [`Socket`]: one client's membership of one namespace.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Event;
use super::ack::PendingAcks;
use super::broadcast::BroadcastOperator;
use super::client::ClientState;
use super::data::SocketData;
use super::event::AckSender;
use super::event_middleware::{self, EventRejection, IncomingEvent, Outcome, RejectedAck};
use super::handler::{self, DisconnectHandler};
use super::namespace::{Listeners, Namespace, NamespaceInner};
use super::reason::DisconnectReason;
use super::recovery::{self, Recovered};
use super::replay::Replay;
use crate::engine::{CloseReason, Connection, Frame, Handshake, Sid, Text, Transport};
use crate::peer::EmitError;
use crate::protocol::EmitArgs;
use crate::protocol::Parser;
use crate::protocol::{self, Args, Encoded};
use crate::room::{IntoRooms, Room};

/// A client connected to one namespace. Cheap to clone; every clone is the same socket.
///
/// Obtained in connection handlers, middlewares and event handlers.
#[derive(Clone)]
pub struct Socket {
    pub(crate) inner: Arc<SocketInner>,
}

pub(crate) struct SocketInner {
    pub(crate) id: Sid,
    pub(crate) ns: Arc<NamespaceInner>,
    pub(crate) conn: Connection<ClientState>,
    pub(crate) auth: Option<Text>,
    pub(crate) acks: PendingAcks,
    next_ack: AtomicU64,
    connected: AtomicBool,
    local: Mutex<SocketLocal>,
    /// The private id the client names to recover this socket, with connection
    /// state recovery on.
    pub(crate) pid: Option<Sid>,
    /// The socket took over one that had lost its connection.
    recovered: bool,
    /// For a socket recovered from an adapter's session: the recoverable events
    /// delivered to it while it waits for its missed events, then the last
    /// offset it was sent (see [`SocketInner::finish_replay`]).
    pub(crate) replay: Mutex<Option<Replay>>,
    /// Whether outgoing hooks watch this socket (checked on each send, so that an
    /// unwatched socket never takes its lock for them).
    pub(crate) watched: AtomicBool,
    /// The `socket` span (`sid`, `nsp`) its handlers run in.
    pub(crate) span: tracing::Span,
}

#[derive(Default)]
pub(crate) struct SocketLocal {
    pub(crate) rooms: Vec<Room>,
    pub(crate) listeners: Option<Box<Listeners>>,
    departure: Vec<Departure>,
    /// Values stored with the socket, created on first use.
    data: Option<SharedData>,
    /// What the other nodes see of the socket as its data (`fetch_sockets`);
    /// `None` for `null`. Boxed: most sockets never set it.
    cluster_data: Option<Box<serde_json::Value>>,
}

impl SocketLocal {
    /// What the other nodes see of the socket as its data (`null` until set).
    pub(crate) fn cluster_data(&self) -> serde_json::Value {
        self.cluster_data
            .as_deref()
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    }

    /// Replaces the socket's cluster data.
    pub(crate) fn set_cluster_data(&mut self, value: serde_json::Value) {
        self.cluster_data = (!value.is_null()).then(|| Box::new(value));
    }

    /// Takes the socket's cluster data out, leaving `null`.
    #[cfg(feature = "admin")]
    pub(crate) fn take_cluster_data(&mut self) -> serde_json::Value {
        self.cluster_data
            .take()
            .map_or(serde_json::Value::Null, |value| *value)
    }
}

/// A socket's values, shared so that a socket recovering a lost one takes them
/// over while the lost one's disconnect handlers can still read them.
pub(crate) type SharedData = Arc<SocketData>;

/// A handler of the socket's departure, and when it runs.
enum Departure {
    /// Before the socket leaves its rooms (`disconnecting` in Node's socket.io).
    Leaving(Arc<dyn DisconnectHandler>),
    /// Once it has left them (`disconnect`).
    Left(Arc<dyn DisconnectHandler>),
}

impl SocketInner {
    pub(crate) fn new(
        ns: Arc<NamespaceInner>,
        conn: Connection<ClientState>,
        auth: Option<Text>,
    ) -> Arc<SocketInner> {
        let pid = ns.recovery.is_some().then(Sid::random);
        let ids = (Sid::random(), pid);
        Arc::new(SocketInner::build(
            ns,
            conn,
            auth,
            ids,
            SocketLocal::default(),
            false,
        ))
    }

    /// The socket of a Socket.IO v4 protocol client (socket.io-client 2.x): its
    /// id is the connection's, as that client derives it, and it cannot recover.
    pub(crate) fn legacy(
        ns: Arc<NamespaceInner>,
        conn: Connection<ClientState>,
        auth: Option<Text>,
    ) -> Arc<SocketInner> {
        let ids = (conn.id(), None);
        Arc::new(SocketInner::build(
            ns,
            conn,
            auth,
            ids,
            SocketLocal::default(),
            false,
        ))
    }

    /// A socket that takes over a lost one (connection state recovery): its id,
    /// its private id and its data. It joins the rooms once registered.
    pub(crate) fn recovering(
        ns: Arc<NamespaceInner>,
        conn: Connection<ClientState>,
        auth: Option<Text>,
        recovered: &Recovered,
    ) -> Arc<SocketInner> {
        let local = SocketLocal {
            data: recovered.data.clone(),
            ..SocketLocal::default()
        };
        let ids = (recovered.id, Some(recovered.pid));
        Arc::new(SocketInner::build(ns, conn, auth, ids, local, true))
    }

    /// A socket that takes over a session an adapter kept (connection state
    /// recovery across nodes): its ids and cluster data, and the typed data this
    /// node kept of it, if it was here. It holds the recoverable events delivered
    /// to it until [`SocketInner::finish_replay`].
    pub(crate) fn restoring(
        ns: Arc<NamespaceInner>,
        conn: Connection<ClientState>,
        auth: Option<Text>,
        (id, pid): (Sid, Sid),
        cluster_data: serde_json::Value,
        data: Option<SharedData>,
    ) -> Arc<SocketInner> {
        let mut local = SocketLocal {
            data,
            ..SocketLocal::default()
        };
        local.set_cluster_data(cluster_data);
        let socket = SocketInner::build(ns, conn, auth, (id, Some(pid)), local, true);
        *socket.replay.lock() = Some(Replay::Holding(Vec::new()));
        Arc::new(socket)
    }

    fn build(
        ns: Arc<NamespaceInner>,
        conn: Connection<ClientState>,
        auth: Option<Text>,
        (id, pid): (Sid, Option<Sid>),
        local: SocketLocal,
        recovered: bool,
    ) -> SocketInner {
        // An observed server sees every packet sent (see `notify_outgoing`).
        let watched = AtomicBool::new(ns.observer().is_some());
        // A root span: a socket outlives whatever span its CONNECT arrived in.
        let span = tracing::info_span!(parent: None, "socket", sid = %id, nsp = %ns.name);
        SocketInner {
            span,
            id,
            ns,
            conn,
            auth,
            acks: PendingAcks::default(),
            next_ack: AtomicU64::new(0),
            connected: AtomicBool::new(true),
            local: Mutex::new(local),
            pid,
            recovered,
            replay: Mutex::new(None),
            watched,
        }
    }

    pub(crate) fn local(&self) -> MutexGuard<'_, SocketLocal> {
        self.local.lock()
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Queues an encoded packet for this socket's client, counting it in the
    /// metrics.
    pub(crate) fn send(
        self: &Arc<Self>,
        encoded: &Encoded,
        volatile: bool,
    ) -> Result<bool, EmitError> {
        let sent = self.deliver(encoded, volatile);
        if let Ok(true) = sent {
            crate::telemetry::with(|metrics| metrics.sent(1, self.ns.parser.wire_len(encoded)));
        }
        sent
    }

    /// Queues an encoded packet for this socket's client. The fan-out of a
    /// broadcast calls it once per recipient and counts them all at the end.
    pub(crate) fn deliver(
        self: &Arc<Self>,
        encoded: &Encoded,
        volatile: bool,
    ) -> Result<bool, EmitError> {
        if !self.is_connected() {
            return Err(EmitError::Disconnected);
        }
        let sent = match (self.ns.parser, volatile, encoded.attachments().is_empty()) {
            // The common case first, without the parser's frame list: this runs
            // once per recipient of every broadcast.
            (Parser::Default, false, true) => {
                self.conn.send(Frame::Text(encoded.text().clone()))?;
                true
            }
            (parser, false, _) => {
                self.conn.send_all(parser.frames(encoded)?)?;
                true
            }
            (parser, true, _) => self.conn.send_volatile(parser.frames(encoded)?)?,
        };
        if sent && self.watched.load(Ordering::Relaxed) {
            super::listeners::notify_outgoing(self, encoded);
        }
        Ok(sent)
    }

    /// Like [`deliver`](Self::deliver) (not volatile), for a packet nobody else
    /// holds: its text becomes the frame as it is, with no handle to share.
    pub(crate) fn deliver_owned(self: &Arc<Self>, encoded: Encoded) -> Result<bool, EmitError> {
        let plain = self.ns.parser == Parser::Default
            && encoded.attachments().is_empty()
            && !self.watched.load(Ordering::Relaxed);
        if !plain {
            return self.deliver(&encoded, false);
        }
        if !self.is_connected() {
            return Err(EmitError::Disconnected);
        }
        self.conn.send(Frame::Text(encoded.into_text()))?;
        Ok(true)
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.next_ack.fetch_add(1, Ordering::Relaxed)
    }

    /// Drops a socket that never joined (refused by a middleware, or its connection
    /// closed meanwhile): it leaves the rooms its middlewares made it join, and no
    /// disconnect handler runs.
    pub(crate) fn discard(self: &Arc<Self>) {
        if self.connected.swap(false, Ordering::AcqRel) {
            self.ns.remove(self);
            self.acks.clear();
        }
    }

    /// Leaves the namespace: the `disconnecting` handlers, then rooms, registries
    /// and pending acknowledgements, then the disconnect handlers. Runs once.
    pub(crate) fn close(self: &Arc<Self>, reason: DisconnectReason) {
        if !self.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        crate::telemetry::with(|metrics| metrics.socket_disconnected(reason));
        let departure = std::mem::take(&mut self.local().departure);
        let socket = Socket {
            inner: self.clone(),
        };
        for handler in departure.iter().filter_map(|departure| match departure {
            Departure::Leaving(handler) => Some(handler),
            Departure::Left(_) => None,
        }) {
            handler::run_on(
                handler::in_span(handler.call(socket.clone(), reason), &self.span),
                self.conn.runtime(),
            );
        }
        if let (Some(recovery), Some(pid)) = (&self.ns.recovery, self.pid)
            && recovery::recoverable(reason)
        {
            let (rooms, data, cluster_data) = {
                let local = self.local();
                (
                    local.rooms.clone(),
                    local.data.clone(),
                    local.cluster_data(),
                )
            };
            if let Some(adapter) = self.ns.adapter.as_ref().filter(|a| a.keeps_sessions()) {
                let all_rooms = std::iter::once(self.id.to_string())
                    .chain(rooms.iter().map(|room| room.as_str().to_owned()))
                    .collect();
                let session = crate::adapter::SessionState::new(
                    self.id.as_str(),
                    pid.as_str(),
                    all_rooms,
                    cluster_data,
                );
                if !adapter.persist_session(session, recovery.max_disconnection_duration()) {
                    tracing::warn!(sid = %self.id, "session not kept: the adapter refused it");
                }
            }
            recovery.keep_socket(pid, self.id, rooms, data);
        }
        self.ns.remove(self);
        self.conn.data().remove_socket(self);
        self.acks.clear();
        let left = departure.iter().filter_map(|departure| match departure {
            Departure::Left(handler) => Some(handler),
            Departure::Leaving(_) => None,
        });
        if let Some(observer) = self.ns.observer() {
            observer.socket_disconnected(&socket, reason);
        }
        for handler in left.chain(self.ns.handlers.disconnect().iter()) {
            handler::run_on(
                handler::in_span(handler.call(socket.clone(), reason), &self.span),
                self.conn.runtime(),
            );
        }
        tracing::debug!(sid = %self.id, ns = %self.ns.name, %reason, "socket disconnected");
    }
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.inner.id)
            .field("ns", &self.inner.ns.name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Socket {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Socket {}

impl Socket {
    pub(crate) fn from_inner(inner: Arc<SocketInner>) -> Socket {
        Socket { inner }
    }

    /// The socket id (20 characters, distinct from the Engine.IO session id).
    pub fn id(&self) -> Sid {
        self.inner.id
    }

    /// The namespace name, such as `/` or `/chat`.
    pub fn ns(&self) -> &str {
        &self.inner.ns.name
    }

    /// The namespace it belongs to, to emit to all of its sockets.
    pub fn namespace(&self) -> Namespace {
        Namespace {
            inner: self.inner.ns.clone(),
        }
    }

    /// The HTTP request that opened the connection: headers, URI, address, time.
    pub fn handshake(&self) -> &Handshake {
        self.inner.conn.handshake()
    }

    /// One query parameter of the opening request.
    pub fn query(&self, name: &str) -> Option<String> {
        self.handshake().query(name)
    }

    /// The auth payload the client sent with its CONNECT packet, as JSON text (`None`
    /// when it sent none).
    pub fn auth_raw(&self) -> Option<&str> {
        self.inner.auth.as_deref()
    }

    /// The auth payload decoded as `T` (an absent payload decodes from `{}`).
    pub fn auth<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.auth_raw().unwrap_or("{}"))
    }

    /// The auth payload as untyped JSON (`{}` when absent).
    pub fn auth_value(&self) -> serde_json::Value {
        self.auth()
            .unwrap_or_else(|_| serde_json::Value::Object(Default::default()))
    }

    /// The transport the client uses now.
    pub fn transport(&self) -> Transport {
        self.inner.conn.transport()
    }

    /// Whether the socket is still in its namespace.
    pub fn connected(&self) -> bool {
        self.inner.is_connected()
    }

    /// Whether this socket took over one whose connection was lost, with its id,
    /// rooms and data (connection state recovery, see
    /// [`ServerConfig::with_connection_state_recovery`](super::ServerConfig::with_connection_state_recovery)).
    pub fn recovered(&self) -> bool {
        self.inner.recovered
    }

    pub(crate) fn send_ack<T: Serialize + ?Sized>(
        &self,
        id: u64,
        data: &T,
    ) -> Result<(), EmitError> {
        let encoded = protocol::encode_ack(self.ns(), id, &EmitArgs::new(data))?;
        let parser = self.inner.ns.parser;
        // Measured before the packet is handed over, only when metrics are kept.
        let mut counted = None;
        crate::telemetry::with(|_| counted = Some(parser.wire_len(&encoded)));
        let sent = self.inner.deliver_owned(encoded);
        if let (Ok(true), Some(len)) = (&sent, counted) {
            crate::telemetry::with(|metrics| {
                metrics.sent(1, len);
                metrics.acks_sent.increment(1);
            });
        }
        sent.map(|_| ())
    }

    /// Joins one room or several.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.inner.ns.join(&self.inner, rooms.into_rooms());
    }

    /// Leaves one room or several.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.inner.ns.leave(&self.inner, &rooms.into_rooms());
    }

    /// Leaves every room it joined.
    pub fn leave_all(&self) {
        let rooms = self.inner.local().rooms.clone();
        self.inner.ns.leave(&self.inner, &rooms);
    }

    /// The rooms it is in: its own id first (every socket is in the room named by
    /// its id), then the rooms it joined.
    pub fn rooms(&self) -> Vec<Room> {
        let local = self.inner.local();
        let mut rooms = Vec::with_capacity(local.rooms.len() + 1);
        rooms.push(Room::from(self.inner.id));
        rooms.extend(local.rooms.iter().cloned());
        rooms
    }

    /// Emits to the sockets in `rooms`, this one excluded.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`Socket::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Emits to every other socket of the namespace except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Emits to every other socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.inner.ns.clone()).except_socket(self.inner.id)
    }

    /// Runs `handler` when this socket leaves its namespace, once it has left its
    /// rooms.
    pub fn on_disconnect(&self, handler: impl DisconnectHandler) {
        let handler = Departure::Left(Arc::new(handler));
        self.inner.local().departure.push(handler);
    }

    /// Runs `handler` when this socket starts to leave its namespace, before it
    /// leaves its rooms (Node's `disconnecting` event), and before the
    /// [`on_disconnect`](Self::on_disconnect) handlers.
    ///
    /// The handler is polled once right away: until its first `.await`,
    /// [`rooms`](Self::rooms) still lists the socket's rooms and
    /// [`to`](Self::to) still reaches the other sockets in them. The socket no
    /// longer counts as [`connected`](Self::connected) and can join no room.
    ///
    /// ```no_run
    /// # fn demo(socket: tether::server::Socket) {
    /// socket.on_disconnecting(|socket: tether::server::Socket, _reason| async move {
    ///     for room in socket.rooms() {
    ///         let _ = socket.to(room).emit("user left", socket.id().as_str());
    ///     }
    /// });
    /// # }
    /// ```
    pub fn on_disconnecting(&self, handler: impl DisconnectHandler) {
        let handler = Departure::Leaving(Arc::new(handler));
        self.inner.local().departure.push(handler);
    }

    /// The socket's values; created when `create` is set and there are none yet.
    fn data_map(&self, create: bool) -> Option<SharedData> {
        let mut local = self.inner.local();
        if create {
            return Some(local.data.get_or_insert_with(SharedData::default).clone());
        }
        local.data.clone()
    }

    /// Stores a value of type `T` with the socket, replacing any previous one.
    pub fn insert_data<T: Send + Sync + 'static>(&self, value: T) {
        if let Some(data) = self.data_map(true) {
            data.insert(value);
        }
    }

    /// A copy of the socket's value of type `T`, if one was stored.
    pub fn data<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.data_map(false)?.get()
    }

    /// Runs `f` on the socket's value of type `T`, if one was stored.
    ///
    /// No lock of the socket is held while `f` runs: it may use the socket and its
    /// other values. Inside `f`, the value `f` works on reads as absent
    /// (`data::<T>()` and `remove_data::<T>()` return `None`, `with_data::<T>` does
    /// not run), and a value of type `T` inserted meanwhile replaces it. Other
    /// threads wait for `f` to finish before they read or change the value.
    pub fn with_data<T: Send + Sync + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.data_map(false)?.with(f)
    }

    /// Removes and returns the socket's value of type `T`.
    pub fn remove_data<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.data_map(false)?.remove()
    }

    /// Makes the socket leave its namespace: the client gets a DISCONNECT packet
    /// (`io server disconnect`, so it does not reconnect on its own). The underlying
    /// connection stays open for its other namespaces.
    pub fn disconnect(&self) {
        if !self.connected() {
            return;
        }
        let _ = self
            .inner
            .send(&protocol::encode_disconnect(self.ns()), false);
        self.inner
            .close(DisconnectReason::ServerNamespaceDisconnect);
    }

    /// Disconnects every namespace of this client and closes the connection.
    pub fn disconnect_and_close(&self) {
        for socket in self.inner.conn.data().sockets() {
            Socket::from_inner(socket).disconnect();
        }
        self.disconnect();
        self.inner.conn.close();
    }

    /// Tells the error handlers and the client that a middleware rejected an event.
    fn rejected(&self, incoming: &IncomingEvent, rejection: &EventRejection, ack_id: Option<u64>) {
        tracing::debug!(sid = %self.inner.id, event = incoming.name(), %rejection, "event rejected");
        let handlers = self
            .inner
            .local()
            .listeners
            .as_ref()
            .and_then(|listeners| listeners.error_handlers());
        for handler in handlers.iter().flat_map(|list| list.iter()) {
            handler.call(self, rejection);
        }
        if let Some(id) = ack_id {
            let _ = self.send_ack(id, &RejectedAck::new(incoming.name(), rejection));
        }
    }

    /// Delivers an incoming event to the handlers: the catch-alls, then the event's
    /// own (this socket's if it has any, else the namespace's). The acknowledgement
    /// goes to the first specific handler, or the first catch-all when there is none.
    pub(crate) fn dispatch(&self, mut name: Text, mut args: Args, ack_id: Option<u64>) {
        let (mut own, own_any, own_middlewares) = match &self.inner.local().listeners {
            Some(listeners) => (
                listeners.get(&name),
                listeners.any(),
                listeners.middlewares(),
            ),
            None => (None, None, None),
        };
        let ns_lists = self.inner.ns.handlers.event_lists(&name);
        let mut ns_specific = ns_lists.specific;
        let ns_middlewares = ns_lists.middlewares;
        // The name and arguments stay where they are unless middlewares see them.
        if ns_middlewares.is_some() || own_middlewares.is_some() {
            let taken = std::mem::take(&mut args);
            let incoming = IncomingEvent::new(name.clone(), taken, ack_id.is_some());
            let lists = ns_middlewares.iter().chain(own_middlewares.iter());
            match event_middleware::run(lists, self, incoming) {
                Outcome::Pass(incoming) => {
                    let (renamed, passed) = incoming.into_parts();
                    if renamed != name {
                        own = self
                            .inner
                            .local()
                            .listeners
                            .as_ref()
                            .and_then(|listeners| listeners.get(&renamed));
                        ns_specific = self.inner.ns.handlers.listeners_for(&renamed);
                    }
                    name = renamed;
                    args = passed;
                }
                Outcome::Drop => return,
                Outcome::Rejected(incoming, rejection) => {
                    self.rejected(&incoming, &rejection, ack_id);
                    return;
                }
            }
        }
        if let Some(observer) = self.inner.ns.observer() {
            observer.event_received(self, &name, &args);
        }
        let specific = own.or(ns_specific);
        let ns_any = ns_lists.any;
        let catch_all_count = own_any
            .iter()
            .chain(ns_any.iter())
            .map(|list| list.len())
            .sum::<usize>();
        let specific_count = specific.as_ref().map_or(0, |list| list.len());
        let total = catch_all_count + specific_count;
        if total == 0 {
            tracing::debug!(sid = %self.inner.id, event = %name, "no handler for event");
            return;
        }
        let ack_index = if specific_count == 0 {
            0
        } else {
            catch_all_count
        };
        let mut ack = ack_id.map(|id| AckSender::new(self.clone(), id));
        let span = tracing::info_span!(parent: &self.inner.span, "event", event = %name);
        let handlers = own_any
            .iter()
            .chain(ns_any.iter())
            .chain(specific.iter())
            .flat_map(|list| list.iter());
        let waiting = self.inner.conn.data().waiting_handlers();
        let limit = self.inner.ns.max_waiting_handlers;
        let runtime = self.inner.conn.runtime();
        let run = handler::EventRun::new(&span, Some(waiting), runtime);
        let mut most = 0;
        for (index, handler) in handlers.enumerate() {
            let ack = if index == ack_index { ack.take() } else { None };
            if index + 1 == total {
                // The last handler takes the name and arguments, the others get copies.
                let event = Event::new(name, args, ack);
                most = most.max(handler.__dispatch(self.clone(), event, &run));
                break;
            }
            let event = Event::new(name.clone(), args.clone(), ack);
            most = most.max(handler.__dispatch(self.clone(), event, &run));
        }
        if most > limit {
            tracing::warn!(
                sid = %self.inner.id,
                limit,
                "client sends events faster than their handlers finish, closing"
            );
            self.inner.conn.close_with(CloseReason::SlowClient);
        }
    }
}
