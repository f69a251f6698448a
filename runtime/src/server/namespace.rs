//! [`Namespace`]: a channel of the server with its own handlers, sockets and rooms.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::RwLock;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ack::AckStream;
use super::broadcast::BroadcastOperator;
use super::config::ServerConfig;
use super::event_middleware::{ErrorHandler, EventMiddleware, Middlewares};
use super::handler::{ConnectHandler, DisconnectHandler, EventHandler, Middleware};
use super::listeners::OutgoingHook;
use super::recovery::Recovery;
use super::registry::{ChildLink, Params};
use super::server_side::ServerEvents;
use super::socket::{Socket, SocketInner};
use crate::adapter::NamespaceLink;
use crate::engine::{Sid, Text};
use crate::peer::EmitError;
use crate::room::{IntoRooms, Room};

/// The handlers of one event (or the catch-alls), in the order they were added.
pub(crate) type EventHandlers = Arc<[Arc<dyn EventHandler>]>;

/// Event handlers by event name, plus catch-alls, event middlewares and error
/// handlers.
#[derive(Default)]
pub(crate) struct Listeners {
    /// Looked up for every incoming event, so with a fast hash; the keys are the
    /// names handlers were registered for, never what clients send.
    events: HashMap<Box<str>, EventHandlers, foldhash::fast::RandomState>,
    any: Option<Arc<[Arc<dyn EventHandler>]>>,
    middlewares: Option<Middlewares>,
    errors: Option<Arc<[Arc<dyn ErrorHandler>]>>,
    outgoing: Option<Arc<[OutgoingHook]>>,
}

fn appended_to<T: ?Sized>(list: Option<&Arc<[Arc<T>]>>, item: Arc<T>) -> Arc<[Arc<T>]> {
    list.into_iter()
        .flat_map(|list| list.iter().cloned())
        .chain(std::iter::once(item))
        .collect()
}

impl Listeners {
    pub(crate) fn add(&mut self, event: &str, handler: Arc<dyn EventHandler>) {
        let list = appended_to(self.events.get(event), handler);
        self.events.insert(event.into(), list);
    }

    pub(crate) fn add_any(&mut self, handler: Arc<dyn EventHandler>) {
        self.any = Some(appended_to(self.any.as_ref(), handler));
    }

    pub(crate) fn get(&self, event: &str) -> Option<Arc<[Arc<dyn EventHandler>]>> {
        self.events.get(event).cloned()
    }

    pub(crate) fn any(&self) -> Option<Arc<[Arc<dyn EventHandler>]>> {
        self.any.clone()
    }

    /// Removes every handler of `event`.
    pub(crate) fn remove(&mut self, event: &str) {
        self.events.remove(event);
    }

    /// Removes the handler of `event` at `handler`'s address.
    pub(crate) fn remove_one(&mut self, event: &str, handler: *const ()) {
        let Some(list) = self.events.get(event) else {
            return;
        };
        let kept: Arc<[Arc<dyn EventHandler>]> = list
            .iter()
            .filter(|listed| !std::ptr::addr_eq(Arc::as_ptr(listed), handler))
            .cloned()
            .collect();
        if kept.is_empty() {
            self.events.remove(event);
        } else {
            self.events.insert(event.into(), kept);
        }
    }

    /// Removes every catch-all.
    pub(crate) fn remove_any(&mut self) {
        self.any = None;
    }

    pub(crate) fn add_middleware(&mut self, middleware: Arc<dyn EventMiddleware>) {
        self.middlewares = Some(appended_to(self.middlewares.as_ref(), middleware));
    }

    pub(crate) fn middlewares(&self) -> Option<Middlewares> {
        self.middlewares.clone()
    }

    pub(crate) fn add_error_handler(&mut self, handler: Arc<dyn ErrorHandler>) {
        self.errors = Some(appended_to(self.errors.as_ref(), handler));
    }

    pub(crate) fn error_handlers(&self) -> Option<Arc<[Arc<dyn ErrorHandler>]>> {
        self.errors.clone()
    }

    pub(crate) fn add_outgoing(&mut self, hook: OutgoingHook) {
        self.outgoing = Some(appended_to(self.outgoing.as_ref(), hook));
    }

    pub(crate) fn remove_outgoing(&mut self) {
        self.outgoing = None;
    }

    pub(crate) fn outgoing(&self) -> Option<Arc<[OutgoingHook]>> {
        self.outgoing.clone()
    }
}

/// The namespace's handlers of one incoming event (see [`NamespaceHandlers::event_lists`]).
pub(crate) struct EventLists {
    pub(crate) middlewares: Option<Middlewares>,
    pub(crate) any: Option<EventHandlers>,
    pub(crate) specific: Option<EventHandlers>,
}

/// The handlers of a namespace; a dynamic namespace's children share their parent's.
///
/// The lists are copied on write behind a read-write lock, so a reader holds the
/// lock only to clone an `Arc`. `arc-swap` would spare the lock, but counted with
/// callgrind it costs more on the path every event takes: looking up an event's
/// list 307 instructions against 266 here, taking a whole list 68 against 30.
#[derive(Default)]
pub(crate) struct NamespaceHandlers {
    connect: RwLock<Arc<[Arc<dyn ConnectHandler>]>>,
    middlewares: RwLock<Arc<[Arc<dyn Middleware>]>>,
    listeners: RwLock<Listeners>,
    disconnect: RwLock<Arc<[Arc<dyn DisconnectHandler>]>>,
    /// Handlers of the events other server nodes send.
    pub(crate) server_events: ServerEvents,
}

fn push<T: ?Sized>(lock: &RwLock<Arc<[Arc<T>]>>, item: Arc<T>) {
    let mut list = lock.write();
    *list = list.iter().cloned().chain(std::iter::once(item)).collect();
}

impl NamespaceHandlers {
    pub(crate) fn connect(&self) -> Arc<[Arc<dyn ConnectHandler>]> {
        self.connect.read().clone()
    }

    pub(crate) fn middlewares(&self) -> Arc<[Arc<dyn Middleware>]> {
        self.middlewares.read().clone()
    }

    pub(crate) fn disconnect(&self) -> Arc<[Arc<dyn DisconnectHandler>]> {
        self.disconnect.read().clone()
    }

    pub(crate) fn listeners_for(&self, event: &str) -> Option<Arc<[Arc<dyn EventHandler>]>> {
        self.listeners.read().get(event)
    }

    /// What handles `event`, read under one lock: the event middlewares, the
    /// catch-alls and the event's own handlers.
    pub(crate) fn event_lists(&self, event: &str) -> EventLists {
        let listeners = self.listeners.read();
        EventLists {
            middlewares: listeners.middlewares(),
            any: listeners.any(),
            specific: listeners.get(event),
        }
    }

    pub(crate) fn add_event_middleware(&self, middleware: Arc<dyn EventMiddleware>) {
        self.listeners.write().add_middleware(middleware);
    }

    pub(crate) fn remove_listeners(&self, event: &str) {
        self.listeners.write().remove(event);
    }

    pub(crate) fn remove_any_listeners(&self) {
        self.listeners.write().remove_any();
    }

    pub(crate) fn add_connect(&self, handler: Arc<dyn ConnectHandler>) {
        push(&self.connect, handler);
    }

    pub(crate) fn add_middleware(&self, middleware: Arc<dyn Middleware>) {
        push(&self.middlewares, middleware);
    }

    pub(crate) fn prepend_middleware(&self, middleware: Arc<dyn Middleware>) {
        let mut list = self.middlewares.write();
        *list = std::iter::once(middleware)
            .chain(list.iter().cloned())
            .collect();
    }

    pub(crate) fn add_disconnect(&self, handler: Arc<dyn DisconnectHandler>) {
        push(&self.disconnect, handler);
    }

    pub(crate) fn add_listener(&self, event: &str, handler: Arc<dyn EventHandler>) {
        self.listeners.write().add(event, handler);
    }

    pub(crate) fn add_any(&self, handler: Arc<dyn EventHandler>) {
        self.listeners.write().add_any(handler);
    }
}

/// The sockets of each room, by room.
type RoomIndex = HashMap<Room, HashMap<Sid, Arc<SocketInner>>>;

/// Sockets of a namespace and the rooms they joined.
pub(crate) struct NamespaceInner {
    pub(crate) name: Text,
    pub(crate) ack_timeout: Duration,
    pub(crate) max_waiting_handlers: usize,
    pub(crate) handlers: Arc<NamespaceHandlers>,
    sockets: RwLock<HashMap<Sid, Arc<SocketInner>>>,
    rooms: RwLock<RoomIndex>,
    /// Sockets connecting to or connected to this namespace (see [`Self::hold`]).
    members: AtomicUsize,
    /// For a child of a dynamic namespace that is forgotten once empty: where to
    /// unregister it.
    child_of: Option<ChildLink>,
    /// Where broadcasts go to other server nodes, when the server has an adapter.
    pub(crate) adapter: Option<Box<dyn NamespaceLink>>,
    /// The events and sockets kept for connection state recovery, when it is on.
    pub(crate) recovery: Option<Recovery>,
    /// What the dynamic parent's pattern captured from the name (none for others).
    params: Params,
    /// The packet form of the server's clients.
    pub(crate) parser: super::Parser,
    /// What watches the whole server, when something does.
    pub(crate) observer: super::observer::ObserverSlot,
}

impl Drop for NamespaceInner {
    fn drop(&mut self) {
        crate::telemetry::with(|metrics| metrics.namespaces.decrement(1.0));
    }
}

impl NamespaceInner {
    pub(crate) fn new(
        name: Text,
        config: &ServerConfig,
        handlers: Arc<NamespaceHandlers>,
        child_of: Option<ChildLink>,
        adapter: Option<Box<dyn NamespaceLink>>,
    ) -> Self {
        crate::telemetry::with(|metrics| metrics.namespaces.increment(1.0));
        NamespaceInner {
            name,
            ack_timeout: config.ack_timeout,
            max_waiting_handlers: config.max_waiting_handlers,
            handlers,
            sockets: RwLock::new(HashMap::new()),
            rooms: RwLock::new(HashMap::new()),
            members: AtomicUsize::new(0),
            child_of,
            adapter,
            recovery: config.connection_state_recovery.clone().map(Recovery::new),
            params: Params::default(),
            parser: config.parser,
            observer: Arc::default(),
        }
    }

    /// Shares the server's observer slot.
    pub(crate) fn with_observer(mut self, observer: super::observer::ObserverSlot) -> Self {
        self.observer = observer;
        self
    }

    /// What watches the whole server, when something does.
    pub(crate) fn observer(&self) -> Option<&Arc<dyn super::observer::Observer>> {
        self.observer.get()
    }

    /// Sets what the dynamic parent's pattern captured from the name.
    pub(crate) fn with_params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }

    /// Counts a socket that starts connecting; the registry calls it while it holds
    /// its lock, so an empty child cannot be forgotten under a connecting socket.
    pub(crate) fn hold(&self) {
        self.members.fetch_add(1, Ordering::AcqRel);
    }

    /// Sockets connecting to or connected to this namespace.
    pub(crate) fn members(&self) -> usize {
        self.members.load(Ordering::Acquire)
    }

    /// Gives back the count [`Self::hold`] took; the last one out of an empty
    /// dynamic child unregisters it.
    fn release(&self) {
        let before = self
            .members
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_sub(1)
            });
        if before == Ok(1)
            && let Some(link) = &self.child_of
        {
            link.forget_if_empty(self);
        }
    }

    /// Registers a socket; fails when it was closed in the meantime.
    pub(crate) fn add(&self, socket: &Arc<SocketInner>) -> bool {
        let mut sockets = self.sockets.write();
        if !socket.is_connected() {
            return false;
        }
        sockets.insert(socket.id, socket.clone());
        if let Some(adapter) = &self.adapter {
            adapter.room_created(&Room::from(socket.id), true);
        }
        crate::telemetry::with(|metrics| {
            metrics.sockets_connected.increment(1.0);
            metrics.socket_connects.increment(1);
        });
        true
    }

    /// Removes a closed socket from its rooms and the namespace.
    pub(crate) fn remove(&self, socket: &Arc<SocketInner>) {
        {
            let mut index = self.rooms.write();
            let rooms = std::mem::take(&mut socket.local().rooms);
            for room in rooms {
                self.remove_member(&mut index, &room, socket.id);
            }
        }
        if self.sockets.write().remove(&socket.id).is_some() {
            crate::telemetry::with(|metrics| metrics.sockets_connected.decrement(1.0));
            if let Some(adapter) = &self.adapter {
                adapter.room_deleted(&Room::from(socket.id), true);
            }
        }
        self.release();
    }

    pub(crate) fn join(&self, socket: &Arc<SocketInner>, rooms: Vec<Room>) {
        let mut index = self.rooms.write();
        if !socket.is_connected() {
            return;
        }
        let mut local = socket.local();
        for room in rooms {
            // Every socket is in the room named by its id already.
            if room.as_str() != socket.id.as_str() && !local.rooms.contains(&room) {
                let members = index.entry(room.clone()).or_default();
                members.insert(socket.id, socket.clone());
                if members.len() == 1 {
                    crate::telemetry::with(|metrics| metrics.rooms.increment(1.0));
                    if let Some(adapter) = &self.adapter {
                        adapter.room_created(&room, false);
                    }
                }
                if let Some(observer) = self.observer() {
                    observer.room_joined(&self.name, &room, socket.id);
                }
                local.rooms.push(room);
            }
        }
    }

    pub(crate) fn leave(&self, socket: &Arc<SocketInner>, rooms: &[Room]) {
        let mut index = self.rooms.write();
        let mut local = socket.local();
        for room in rooms {
            if let Some(position) = local.rooms.iter().position(|joined| joined == room) {
                local.rooms.swap_remove(position);
                self.remove_member(&mut index, room, socket.id);
            }
        }
    }

    /// Takes socket `id` out of `room`, forgetting the room once empty.
    fn remove_member(&self, index: &mut RoomIndex, room: &Room, id: Sid) {
        if let Some(members) = index.get_mut(room) {
            if members.remove(&id).is_some()
                && let Some(observer) = self.observer()
            {
                observer.room_left(&self.name, room, id);
            }
            if members.is_empty() {
                index.remove(room);
                crate::telemetry::with(|metrics| metrics.rooms.decrement(1.0));
                if let Some(adapter) = &self.adapter {
                    adapter.room_deleted(room, false);
                }
            }
        }
    }

    pub(crate) fn socket(&self, id: &Sid) -> Option<Arc<SocketInner>> {
        self.sockets.read().get(id).cloned()
    }

    pub(crate) fn socket_count(&self) -> usize {
        self.sockets.read().len()
    }

    pub(crate) fn all_sockets(&self) -> Vec<Arc<SocketInner>> {
        self.sockets.read().values().cloned().collect()
    }

    /// Whether some socket joined `room`, or `room` is a connected socket's id.
    pub(crate) fn has_room(&self, room: &str) -> bool {
        self.rooms.read().contains_key(room)
            || Sid::parse(room).is_some_and(|sid| self.sockets.read().contains_key(&sid))
    }

    pub(crate) fn room_names(&self) -> Vec<Room> {
        self.rooms.read().keys().cloned().collect()
    }

    /// Calls `visit` for every socket the target selects, each once, while holding
    /// the namespace's read locks (so `visit` must not join, leave or disconnect).
    pub(crate) fn for_each_target(
        &self,
        rooms: &[Room],
        except_rooms: &[Room],
        except_socket: Option<Sid>,
        mut visit: impl FnMut(&Arc<SocketInner>),
    ) {
        let index = self.rooms.read();
        let sockets = self.sockets.read();
        let excluded = |socket: &SocketInner| {
            except_socket == Some(socket.id)
                || except_rooms.iter().any(|room| {
                    room.as_str() == socket.id.as_str()
                        || index
                            .get(room)
                            .is_some_and(|members| members.contains_key(&socket.id))
                })
        };
        let by_id = |room: &Room| Sid::parse(room.as_str()).and_then(|sid| sockets.get(&sid));
        match rooms {
            [] => sockets
                .values()
                .filter(|socket| !excluded(socket))
                .for_each(&mut visit),
            [room] => {
                index
                    .get(room)
                    .into_iter()
                    .flat_map(HashMap::values)
                    .chain(by_id(room))
                    .filter(|socket| !excluded(socket))
                    .for_each(&mut visit);
            }
            rooms => {
                let mut seen = std::collections::HashSet::new();
                for room in rooms {
                    index
                        .get(room)
                        .into_iter()
                        .flat_map(HashMap::values)
                        .chain(by_id(room))
                        .filter(|socket| !excluded(socket) && seen.insert(socket.id))
                        .for_each(&mut visit);
                }
            }
        }
    }
}

/// A namespace of the server: register its handlers, emit to its sockets.
///
/// ```no_run
/// use tether::server::{ConnectError, Server, ServerConfig, Socket};
///
/// let io = Server::new(ServerConfig::default());
/// let chat = io.of("/chat");
/// chat.use_middleware(|socket: Socket| async move {
///     match socket.auth_value().get("token") {
///         Some(_) => Ok(()),
///         None => Err(ConnectError::new("token required")),
///     }
/// });
/// chat.on_connection(|socket: Socket| async move {
///     socket.join("lobby");
/// });
/// ```
#[derive(Clone)]
pub struct Namespace {
    pub(crate) inner: Arc<NamespaceInner>,
}

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

impl Namespace {
    /// The namespace name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The value a placeholder or named group of the dynamic parent's pattern
    /// took in this namespace's name: `param("id")` is `Some("42")` in `/match-42`
    /// made by [`Server::of_pattern`](super::Server::of_pattern)`("/match-{id}")`,
    /// or by [`Server::of_regex`](super::Server::of_regex) with a group `(?P<id>…)`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.inner
            .params
            .iter()
            .find(|(key, _)| &**key == name)
            .map(|(_, value)| &**value)
    }

    /// Every captured parameter, in pattern order (see [`param`](Self::param)).
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .params
            .iter()
            .map(|(key, value)| (&**key, &**value))
    }

    /// Runs `handler` for each socket that joins (after its CONNECT answer went out).
    pub fn on_connection(&self, handler: impl ConnectHandler) {
        self.inner.handlers.add_connect(Arc::new(handler));
    }

    /// Adds a middleware run, in order, before a socket may join.
    pub fn use_middleware(&self, middleware: impl Middleware) {
        self.inner.handlers.add_middleware(Arc::new(middleware));
    }

    /// Adds a middleware run before every other one.
    pub(crate) fn prepend_middleware(&self, middleware: impl Middleware) {
        self.inner.handlers.prepend_middleware(Arc::new(middleware));
    }

    /// Handles `event` for every socket of the namespace.
    pub fn on(&self, event: &str, handler: impl EventHandler) {
        self.inner.handlers.add_listener(event, Arc::new(handler));
    }

    /// Handles every event of every socket of the namespace.
    pub fn on_any(&self, handler: impl EventHandler) {
        self.inner.handlers.add_any(Arc::new(handler));
    }

    /// Removes every namespace-wide handler of `event` (sockets' own stay).
    pub fn off(&self, event: &str) {
        self.inner.handlers.remove_listeners(event);
    }

    /// Removes every namespace-wide catch-all handler.
    pub fn off_any(&self) {
        self.inner.handlers.remove_any_listeners();
    }

    /// Adds an event middleware that sees every incoming event of every socket of
    /// the namespace, before the sockets' own middlewares and the handlers; see
    /// [`Socket::use_event_middleware`].
    pub fn use_event_middleware(&self, middleware: impl EventMiddleware) {
        self.inner
            .handlers
            .add_event_middleware(Arc::new(middleware));
    }

    /// Runs `handler` whenever a socket leaves the namespace.
    pub fn on_disconnect(&self, handler: impl DisconnectHandler) {
        self.inner.handlers.add_disconnect(Arc::new(handler));
    }

    /// The socket with this id, if it is connected here.
    pub fn socket(&self, id: Sid) -> Option<Socket> {
        self.inner.socket(&id).map(Socket::from_inner)
    }

    /// Every connected socket.
    pub fn sockets(&self) -> Vec<Socket> {
        self.inner
            .all_sockets()
            .into_iter()
            .map(Socket::from_inner)
            .collect()
    }

    /// How many sockets are connected.
    pub fn socket_count(&self) -> usize {
        self.inner.socket_count()
    }

    /// The rooms that have at least one member (socket-id rooms not included).
    pub fn rooms(&self) -> Vec<Room> {
        self.inner.room_names()
    }

    /// A broadcast to every socket of the namespace, to narrow down.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.inner.clone())
    }

    /// Emits to the sockets in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`Namespace::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Emits to every socket except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Emits to the sockets of this server only (matters with a multi-node adapter).
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// Emits that each client drops when it cannot take them right away.
    pub fn volatile(&self) -> BroadcastOperator {
        self.broadcast().volatile()
    }

    /// Broadcasts with acknowledgements waited for up to `timeout`.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.broadcast().timeout(timeout)
    }

    /// Emits to every socket of the namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.broadcast().emit(event, data)
    }

    /// Emits to every socket and collects their acknowledgements.
    pub fn emit_with_ack<R, T>(&self, event: &str, data: &T) -> AckStream<R>
    where
        R: DeserializeOwned + 'static,
        T: Serialize + ?Sized,
    {
        self.broadcast().emit_with_ack(event, data)
    }
}
