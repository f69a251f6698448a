//! One Engine.IO connection seen by Socket.IO: its packet decoder, the sockets it
//! has in each namespace, and the connect flow (namespace, middlewares, answer).

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use parking_lot::{Mutex, MutexGuard};
use serde::Serialize;

use super::handler;
use super::reason::DisconnectReason;
use super::registry::Registry;
use super::socket::{Socket, SocketInner};
use super::timeouts::ConnectTimeouts;
use crate::engine::{CloseReason, Connection, EngineHandler, Message, Sid, Text};
use crate::protocol::{self, Body, Decoder, Packet};

/// Per-connection state, kept by the Engine.IO session.
#[derive(Default)]
pub struct ClientState {
    inner: Mutex<ClientInner>,
    /// Event handlers of this client that are waiting in tasks of their own.
    waiting: Arc<AtomicUsize>,
}

#[derive(Default)]
struct ClientInner {
    decoder: Option<Decoder>,
    sockets: Vec<Arc<SocketInner>>,
    connecting: Vec<Text>,
    /// A namespace was joined at least once: the connect timeout no longer applies.
    joined: bool,
    closed: bool,
}

impl ClientInner {
    /// Ends a namespace's connect; the list's memory goes back once no connect is
    /// pending, since nearly every connection keeps its state idle for long.
    fn forget_connecting(&mut self, nsp: &Text) {
        self.connecting.retain(|pending| pending != nsp);
        if self.connecting.is_empty() {
            self.connecting = Vec::new();
        }
    }
}

impl std::fmt::Debug for ClientState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientState").finish_non_exhaustive()
    }
}

impl ClientState {
    pub(crate) fn waiting_handlers(&self) -> &Arc<AtomicUsize> {
        &self.waiting
    }

    fn lock(&self) -> MutexGuard<'_, ClientInner> {
        self.inner.lock()
    }

    fn socket(&self, nsp: &str) -> Option<Arc<SocketInner>> {
        self.lock()
            .sockets
            .iter()
            .find(|socket| socket.ns.name.as_str() == nsp)
            .cloned()
    }

    /// The client's sockets, one per namespace it joined.
    pub(crate) fn sockets(&self) -> Vec<Arc<SocketInner>> {
        self.lock().sockets.clone()
    }

    pub(crate) fn remove_socket(&self, socket: &Arc<SocketInner>) {
        self.lock()
            .sockets
            .retain(|known| !Arc::ptr_eq(known, socket));
    }

    /// Marks a namespace as connecting, unless it already is or is joined, or the
    /// client already has `limit` namespaces joined or joining.
    fn start_connecting(&self, nsp: &Text, limit: usize) -> Joining {
        let mut inner = self.lock();
        let busy = inner.connecting.contains(nsp)
            || inner.sockets.iter().any(|socket| socket.ns.name == *nsp);
        if busy {
            return Joining::AlreadyBusy;
        }
        if inner.connecting.len() + inner.sockets.len() >= limit {
            return Joining::TooMany;
        }
        inner.connecting.push(nsp.clone());
        Joining::Started
    }

    fn stop_connecting(&self, nsp: &Text) {
        self.lock().forget_connecting(nsp);
    }

    /// Adds a socket that passed its middlewares; `false` when the connection closed.
    fn attach(&self, socket: &Arc<SocketInner>) -> bool {
        let mut inner = self.lock();
        inner.forget_connecting(&socket.ns.name);
        if inner.closed {
            return false;
        }
        inner.joined = true;
        inner.sockets.push(socket.clone());
        true
    }

    fn close_all(&self) -> Vec<Arc<SocketInner>> {
        let mut inner = self.lock();
        inner.closed = true;
        std::mem::take(&mut inner.sockets)
    }

    /// Whether a namespace was ever joined (leaving it later does not count).
    pub(crate) fn ever_joined(&self) -> bool {
        self.lock().joined
    }
}

/// What a CONNECT to a namespace starts.
enum Joining {
    Started,
    /// The namespace is being joined or was joined by this client.
    AlreadyBusy,
    /// The client reached `max_namespaces_per_client`.
    TooMany,
}

/// The private id and last offset a reconnecting client names in its CONNECT
/// payload to recover its socket; `None` unless both are strings.
fn recovery_ids(auth: Option<&str>) -> Option<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Ids {
        pid: Option<String>,
        offset: Option<String>,
    }
    let ids: Ids = serde_json::from_str(auth?).ok()?;
    Some((ids.pid?, ids.offset?))
}

/// Splits the namespace a Socket.IO v4 protocol client names (`/chat?token=abc`)
/// into the name and the auth its query stands for, as a JSON object of strings
/// (`{"token":"abc"}`; `{}` without a query), as Node's server reads it.
fn legacy_namespace(named: &Text) -> (Text, Text) {
    let Some(mark) = named.as_str().find('?') else {
        return (named.clone(), Text::from_static("{}"));
    };
    let name = named.get(0..mark).unwrap_or_else(|| named.clone());
    let auth = crate::engine::query_to_json_map(&named.as_str()[mark + 1..]);
    let json = serde_json::Value::Object(auth).to_string();
    (name, Text::from(json))
}

/// Closes a connection that sent a packet its namespace cannot take now (an
/// event for a namespace it has not joined, a CONNECT_ERROR from a client).
fn out_of_order(conn: &Connection<ClientState>, nsp: &Text, joined: bool) {
    tracing::debug!(
        sid = %conn.id(),
        %nsp,
        joined,
        "packet out of order for its namespace, closing"
    );
    conn.close();
}

/// The message of the CONNECT_ERROR a client gets past `max_namespaces_per_client`.
const TOO_MANY_NAMESPACES: &str = "Too many namespaces";

/// The Engine.IO handler of a Socket.IO server.
pub struct SocketIoHandler {
    pub(crate) registry: Arc<Registry>,
    pub(crate) timeouts: Arc<ConnectTimeouts>,
}

impl std::fmt::Debug for SocketIoHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoHandler").finish_non_exhaustive()
    }
}

impl EngineHandler for SocketIoHandler {
    type Data = ClientState;

    fn on_open(&self, conn: &Connection<ClientState>) {
        self.timeouts.watch(conn);
        if let Some(observer) = self.registry.observer.get() {
            observer.connection_opened(conn.transport());
        }
        if conn.protocol() == 3 {
            // A socket.io-client 2.x joins the main namespace without asking.
            self.connect(conn, Text::from_static("/"), Some(Text::from_static("{}")));
        }
    }

    fn on_upgrade(&self, conn: &Connection<ClientState>) {
        if let Some(observer) = self.registry.observer.get() {
            observer.connection_upgraded(conn);
        }
    }

    fn on_message(&self, conn: &Connection<ClientState>, message: Message) {
        let len = match &message {
            Message::Text(text) => text.len(),
            Message::Binary(bytes) => bytes.len(),
        };
        if let Some(observer) = self.registry.observer.get() {
            observer.message_received(len);
        }
        let decoded = {
            let mut inner = conn.data().lock();
            let max_attachments = self.registry.config.max_attachments;
            let decoder = inner
                .decoder
                .get_or_insert_with(|| Decoder::new(max_attachments));
            self.registry.config.parser.decode(decoder, message)
        };
        crate::telemetry::with(|metrics| {
            metrics.bytes_received.increment(len as u64);
            if let Ok(Some(_)) = decoded {
                metrics.packets_received.increment(1);
            }
        });
        match decoded {
            Ok(Some(packet)) => self.on_packet(conn, packet),
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(sid = %conn.id(), %error, "invalid socket.io packet");
                conn.close_with(CloseReason::ParseError);
            }
        }
    }

    fn on_close(&self, conn: &Connection<ClientState>, reason: CloseReason) {
        if let Some(observer) = self.registry.observer.get() {
            observer.connection_closed(reason);
        }
        let reason = DisconnectReason::from(reason);
        for socket in conn.data().close_all() {
            socket.close(reason);
        }
    }
}

impl SocketIoHandler {
    fn on_packet(&self, conn: &Connection<ClientState>, mut packet: Packet) {
        let mut legacy_auth = None;
        if conn.protocol() == 3 {
            // A 2.x client puts the CONNECT's auth in a query after the name.
            let (nsp, auth) = legacy_namespace(&packet.nsp);
            packet.nsp = nsp;
            legacy_auth = Some(auth);
        }
        let socket = conn.data().socket(&packet.nsp);
        // Matched on the body in place: a tuple of the socket and the body would be
        // one more copy of the body, for every packet.
        match packet.body {
            Body::Event { name, args } => match socket {
                Some(socket) => Socket::from_inner(socket).dispatch(name, args, packet.id),
                None => out_of_order(conn, &packet.nsp, false),
            },
            Body::Ack(args) => match (socket, packet.id) {
                (Some(socket), Some(id)) => socket.acks.resolve(id, args),
                (Some(_), None) => {}
                (None, _) => out_of_order(conn, &packet.nsp, false),
            },
            Body::Connect(auth) => match socket {
                None => self.connect(conn, packet.nsp, legacy_auth.or(auth)),
                Some(_) => {
                    tracing::debug!(sid = %conn.id(), nsp = %packet.nsp, "CONNECT for a joined namespace ignored");
                }
            },
            Body::Disconnect => match socket {
                Some(socket) => socket.close(DisconnectReason::ClientNamespaceDisconnect),
                None => out_of_order(conn, &packet.nsp, false),
            },
            Body::ConnectError(_) => out_of_order(conn, &packet.nsp, socket.is_some()),
        }
    }

    /// Joins a namespace: resolves it (static or dynamic), runs its middlewares,
    /// answers CONNECT (or CONNECT_ERROR), then runs its connection handlers.
    fn connect(&self, conn: &Connection<ClientState>, nsp: Text, auth: Option<Text>) {
        let legacy = conn.protocol() == 3;
        let limit = self.registry.config.max_namespaces_per_client;
        match conn.data().start_connecting(&nsp, limit) {
            Joining::Started => {}
            Joining::AlreadyBusy => {
                // The official client sends CONNECT again when `connect()` is called
                // on a socket that is still connecting; the first one is answered.
                tracing::debug!(sid = %conn.id(), %nsp, "CONNECT while connecting ignored");
                return;
            }
            Joining::TooMany => {
                tracing::warn!(sid = %conn.id(), %nsp, limit, "too many namespaces on one connection");
                let refusal = if legacy {
                    protocol::encode_legacy_error(&nsp, TOO_MANY_NAMESPACES, None)
                } else {
                    protocol::encode_connect_error(&nsp, TOO_MANY_NAMESPACES, None)
                };
                send_counted(conn, self.registry.config.parser, &refusal);
                return;
            }
        }
        let registry = self.registry.clone();
        let conn = conn.clone();
        handler::run(Box::pin(async move {
            let Some(ns) = registry.resolve(&nsp, auth.as_deref()).await else {
                conn.data().stop_connecting(&nsp);
                let refusal = protocol::encode_connect_error(&nsp, "Invalid namespace", None);
                send_counted(&conn, registry.config.parser, &refusal);
                return;
            };
            let ids = ns
                .recovery
                .as_ref()
                .filter(|_| !legacy)
                .and_then(|_| recovery_ids(auth.as_deref()));
            let keeping = ns.adapter.as_ref().filter(|a| a.keeps_sessions());
            let mut restored = None;
            let mut recovered = None;
            let asked_recovery = ids.is_some();
            match (ids, keeping) {
                (Some((pid, offset)), Some(adapter)) => {
                    restored = adapter
                        .restore_session(&pid, &offset)
                        .await
                        .and_then(|session| {
                            let ids = (Sid::parse(&session.sid)?, Sid::parse(&session.pid)?);
                            Some((session, ids, offset))
                        });
                }
                (Some((pid, offset)), None) => {
                    recovered = ns
                        .recovery
                        .as_ref()
                        .and_then(|recovery| recovery.recover(&pid, &offset));
                }
                (None, _) => {}
            }
            if asked_recovery {
                let hit = recovered.is_some() || restored.is_some();
                crate::telemetry::with(|metrics| match hit {
                    true => metrics.recovery_hits.increment(1),
                    false => metrics.recovery_misses.increment(1),
                });
            }
            let socket = match (&recovered, &restored) {
                (Some(recovered), _) => {
                    SocketInner::recovering(ns.clone(), conn.clone(), auth, recovered)
                }
                (None, Some((session, ids, _))) => {
                    let data = ns
                        .recovery
                        .as_ref()
                        .and_then(|recovery| recovery.take_data(&session.pid));
                    let cluster_data = match &session.data {
                        serde_json::Value::Object(map) if map.is_empty() => serde_json::Value::Null,
                        data => data.clone(),
                    };
                    SocketInner::restoring(ns.clone(), conn.clone(), auth, *ids, cluster_data, data)
                }
                (None, None) if legacy => SocketInner::legacy(ns.clone(), conn.clone(), auth),
                (None, None) => SocketInner::new(ns.clone(), conn.clone(), auth),
            };
            let skip_middlewares = (recovered.is_some() || restored.is_some())
                && ns
                    .recovery
                    .as_ref()
                    .is_some_and(|recovery| recovery.skips_middlewares());
            let middlewares = if skip_middlewares {
                None
            } else {
                Some(ns.handlers.middlewares())
            };
            for middleware in middlewares.iter().flat_map(|list| list.iter()) {
                let call = middleware.call(Socket::from_inner(socket.clone()));
                if let Err(error) = tracing::Instrument::instrument(call, socket.span.clone()).await
                {
                    conn.data().stop_connecting(&nsp);
                    socket.discard();
                    let refusal = if legacy {
                        protocol::encode_legacy_error(&nsp, &error.message, error.data.as_ref())
                    } else {
                        protocol::encode_connect_error(&nsp, &error.message, error.data.as_ref())
                    };
                    send_counted(&conn, registry.config.parser, &refusal);
                    return;
                }
            }
            if !conn.data().attach(&socket) {
                socket.discard();
                return;
            }
            if !ns.add(&socket) {
                conn.data().remove_socket(&socket);
                return;
            }
            if let Some(recovered) = &recovered {
                ns.join(&socket, recovered.rooms.clone());
            }
            if let Some((session, _, _)) = &restored {
                let rooms = session.rooms.iter().map(crate::room::Room::new).collect();
                ns.join(&socket, rooms);
            }
            #[derive(Serialize)]
            struct Accepted<'a> {
                sid: &'a str,
                #[serde(skip_serializing_if = "Option::is_none")]
                pid: Option<&'a str>,
            }
            let answer = if legacy {
                protocol::encode_connect(&nsp, None::<&()>)
            } else {
                protocol::encode_connect(
                    &nsp,
                    Some(&Accepted {
                        sid: socket.id.as_str(),
                        pid: socket.pid.as_ref().map(Sid::as_str),
                    }),
                )
            };
            if conn.send_all_flushed(registry.frames(&answer)).is_err() {
                socket.close(DisconnectReason::TransportClose);
                return;
            }
            crate::telemetry::with(|metrics| {
                metrics.sent(1, registry.config.parser.wire_len(&answer));
            });
            for missed in recovered
                .iter()
                .flat_map(|recovered| recovered.missed.iter())
            {
                if socket.send(missed, false).is_err() {
                    break;
                }
            }
            if let (Some((session, _, offset)), Some(adapter)) = (&restored, &ns.adapter) {
                let rooms: Vec<_> = session.rooms.iter().map(crate::room::Room::new).collect();
                match adapter.missed_events(offset, &rooms).await {
                    Ok(missed) => socket.finish_replay(&missed, offset),
                    Err(error) => {
                        // Never a silent gap: the client reconnects and tries again.
                        tracing::warn!(%error, sid = %socket.id, "missed events unreadable; closing");
                        conn.close();
                        return;
                    }
                }
            }
            let socket = Socket::from_inner(socket);
            if let Some(observer) = ns.observer() {
                observer.socket_connected(&socket);
            }
            for handler in ns.handlers.connect().iter() {
                handler::run(handler::in_span(
                    handler.call(socket.clone()),
                    &socket.inner.span,
                ));
            }
        }));
    }
}

/// Queues a packet that no socket sends (a CONNECT refusal), counting it.
fn send_counted(
    conn: &Connection<ClientState>,
    parser: super::Parser,
    encoded: &protocol::Encoded,
) {
    match parser.frames(encoded) {
        Ok(frames) => {
            if conn.send_all(frames).is_ok() {
                crate::telemetry::with(|metrics| metrics.sent(1, parser.wire_len(encoded)));
            }
        }
        Err(error) => tracing::warn!(%error, "a packet does not convert to the server's form"),
    }
}
