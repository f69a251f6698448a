//! What the admin namespace is told of the server, and the task that sends it:
//! the changes as they happen, and the stats every 2 s.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;
use serde_json::Value as Json;
use tokio::sync::mpsc;

use super::messages::{self, Arg, EventBuffer, ServerIdentity, Spread, StatsSample};
use super::{AdminOptions, STATS_INTERVAL};
use crate::engine::{CloseReason, Connection, Sid, Transport};
use crate::protocol::{Args, Encoded};
use crate::server::{
    ClientState, DisconnectReason, Namespace, Observer, Room, Server, Socket, SocketInner,
};

/// Messages waiting for the admin namespace at most; more are dropped (and
/// said so once) rather than let a flood of changes grow memory.
const QUEUE_LEN: usize = 4096;

/// One message for the admin namespace.
pub(crate) struct Message {
    event: &'static str,
    args: Spread,
}

/// Records what happens on the server for the admin namespace. Its methods run
/// where things happen, some under the namespaces' locks: they only count and
/// queue; the task of [`run`] emits.
pub(crate) struct AdminObserver {
    admin_ns: String,
    development: bool,
    buffer: Mutex<EventBuffer>,
    queue: mpsc::Sender<Message>,
    overflowed: AtomicBool,
}

impl AdminObserver {
    pub(crate) fn new(admin_ns: &str, development: bool) -> (Self, mpsc::Receiver<Message>) {
        let (queue, receiver) = mpsc::channel(QUEUE_LEN);
        let observer = AdminObserver {
            admin_ns: admin_ns.to_owned(),
            development,
            buffer: Mutex::new(EventBuffer::default()),
            queue,
            overflowed: AtomicBool::new(false),
        };
        (observer, receiver)
    }

    fn count(&self, kind: &'static str, sub_kind: Option<&'static str>, count: u64) {
        self.buffer
            .lock()
            .push(SystemTime::now(), kind, sub_kind, count);
    }

    fn send(&self, event: &'static str, args: Vec<Arg>) {
        let message = Message {
            event,
            args: Spread(args),
        };
        let full = matches!(
            self.queue.try_send(message),
            Err(mpsc::error::TrySendError::Full(_))
        );
        if full && !self.overflowed.swap(true, Ordering::Relaxed) {
            tracing::warn!("admin UI messages dropped: the admin namespace cannot keep up");
        }
    }

    fn now() -> Arg {
        Arg::Json(Json::from(messages::js_date(SystemTime::now())))
    }

    /// `room_joined` or `room_left` (`event`), in development mode only.
    fn room_change(&self, event: &'static str, ns: &str, room: &Room, id: Sid) {
        if self.development {
            let args = vec![
                ns.into(),
                room.as_str().into(),
                id.as_str().into(),
                Self::now(),
            ];
            self.send(event, args);
        }
    }

    /// Writes the socket's client id and transport into its cluster data (`_admin`).
    pub(crate) fn tag(&self, socket: &Socket) {
        let inner = &socket.inner;
        let admin = messages::admin_data(inner.conn.id().as_str(), inner.conn.transport().as_str());
        let mut local = inner.local();
        let data = local.take_cluster_data();
        local.set_cluster_data(messages::with_admin_data(data, admin));
    }
}

/// A local socket as the UI lists it.
fn describe(socket: &Socket) -> Json {
    let rooms: Vec<String> = socket
        .rooms()
        .iter()
        .map(|room| room.as_str().to_owned())
        .collect();
    messages::describe_socket(
        socket.id().as_str(),
        socket.ns(),
        &socket.handshake_json(),
        &socket.cluster_data(),
        &rooms,
    )
}

impl Observer for AdminObserver {
    fn connection_opened(&self, transport: Transport) {
        let _ = transport;
        self.count("rawConnection", None, 1);
    }

    fn connection_upgraded(&self, conn: &Connection<ClientState>) {
        if !self.development {
            return;
        }
        for inner in conn.data().sockets() {
            let socket = Socket::from_inner(inner);
            self.tag(&socket);
            self.send(
                "socket_updated",
                vec![Arg::Json(serde_json::json!({
                    "id": socket.id().as_str(),
                    "nsp": socket.ns(),
                    "transport": Transport::WebSocket.as_str(),
                }))],
            );
        }
    }

    fn connection_closed(&self, reason: CloseReason) {
        self.count(
            "rawDisconnection",
            Some(DisconnectReason::from(reason).as_str()),
            1,
        );
    }

    fn message_received(&self, bytes: usize) {
        self.count("packetsIn", None, 1);
        self.count("bytesIn", None, bytes as u64);
    }

    fn socket_connected(&self, socket: &Socket) {
        if !self.development {
            return;
        }
        self.tag(socket);
        self.send(
            "socket_connected",
            vec![Arg::Json(describe(socket)), Self::now()],
        );
    }

    fn socket_disconnected(&self, socket: &Socket, reason: DisconnectReason) {
        if !self.development {
            return;
        }
        self.send(
            "socket_disconnected",
            vec![
                socket.ns().into(),
                socket.id().as_str().into(),
                reason.as_str().into(),
                Self::now(),
            ],
        );
    }

    fn socket_data_changed(&self, socket: &Socket) {
        if !self.development {
            return;
        }
        let data = socket.cluster_data();
        let admin_missing = data.get("_admin").is_none();
        if admin_missing {
            self.tag(socket);
        }
        self.send(
            "socket_updated",
            vec![Arg::Json(serde_json::json!({
                "id": socket.id().as_str(),
                "nsp": socket.ns(),
                "data": messages::user_data(&data),
            }))],
        );
    }

    fn event_received(&self, socket: &Socket, name: &str, args: &Args) {
        if !self.development || socket.ns() == self.admin_ns {
            return;
        }
        let values = args.to_values().unwrap_or_default();
        self.send(
            "event_received",
            vec![
                socket.ns().into(),
                socket.id().as_str().into(),
                messages::event_args(name, values),
                Self::now(),
            ],
        );
    }

    fn packet_sent(&self, socket: &Arc<SocketInner>, encoded: &Encoded) {
        self.count("packetsOut", None, 1);
        let bytes = encoded.text().len().saturating_sub(1)
            + encoded
                .attachments()
                .iter()
                .map(bytes::Bytes::len)
                .sum::<usize>();
        self.count("bytesOut", None, bytes as u64);
        if !self.development || *socket.ns.name == *self.admin_ns {
            return;
        }
        let Some((name, args)) = crate::protocol::decode_event(encoded) else {
            return;
        };
        let event: crate::server::Event = crate::server::Event::new(name, args, None);
        let values = event.values().unwrap_or_default();
        self.send(
            "event_sent",
            vec![
                (&*socket.ns.name).into(),
                socket.id.as_str().into(),
                messages::event_args(event.name(), values),
                Self::now(),
            ],
        );
    }

    fn room_joined(&self, ns: &str, room: &Room, id: Sid) {
        self.room_change("room_joined", ns, room, id);
    }

    fn room_left(&self, ns: &str, room: &Room, id: Sid) {
        self.room_change("room_left", ns, room, id);
    }
}

/// Every socket of every namespace, on every node, as the UI lists them
/// (`all_sockets`); a namespace whose nodes do not all answer is left out.
pub(crate) async fn all_sockets(server: &Server) -> Vec<Json> {
    let mut all = Vec::new();
    for ns in server.namespaces() {
        match ns.fetch_sockets().await {
            Ok(sockets) => all.extend(sockets.iter().map(|socket| {
                messages::describe_socket(
                    socket.id(),
                    ns.name(),
                    socket.handshake(),
                    socket.data(),
                    socket.rooms(),
                )
            })),
            Err(error) => {
                tracing::warn!(%error, ns = ns.name(), "sockets not listed for the admin UI")
            }
        }
    }
    all
}

/// Emits the queued messages to the admin namespace as they come, and the stats
/// every 2 s, until the server is closed.
pub(crate) async fn run(
    server: Server,
    admin: Namespace,
    observer: Arc<AdminObserver>,
    mut queue: mpsc::Receiver<Message>,
    options: AdminOptions,
) {
    let hostname = gethostname::gethostname().to_string_lossy().into_owned();
    let identity = ServerIdentity {
        server_id: options
            .server_id
            .clone()
            .unwrap_or_else(|| hostname.clone()),
        hostname,
        pid: std::process::id(),
    };
    let started = Instant::now();
    let registry = server.engine().handler().registry.clone();
    let mut ticks = tokio::time::interval(STATS_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = queue.recv() => {
                let Some(message) = message else { break };
                if let Err(error) = admin.emit(message.event, &message.args) {
                    tracing::debug!(%error, event = message.event, "admin message not sent");
                }
                observer.overflowed.store(false, Ordering::Relaxed);
            }
            _ = ticks.tick() => {
                if registry.is_closed() {
                    break;
                }
                let events = observer
                    .buffer
                    .lock()
                    .take();
                let mut namespaces: Vec<(String, usize)> = server
                    .namespaces()
                    .iter()
                    .map(|ns| (ns.name().to_owned(), ns.socket_count()))
                    .collect();
                namespaces.sort();
                let sample = StatsSample {
                    uptime: started.elapsed(),
                    clients: server.engine().connection_count(),
                    polling_clients: server.engine().polling_count(),
                    events,
                    namespaces,
                };
                let stats = messages::server_stats(&identity, sample);
                if let Err(error) = admin.emit("server_stats", &stats) {
                    tracing::debug!(%error, "admin stats not sent");
                }
            }
        }
    }
}
