//! [`Engine`]: the Engine.IO server, its sessions and the handler it calls.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::RwLock;

use super::config::EngineConfig;
use super::connection::{CloseReason, Connection, Transport};
use crate::frame::Message;

use super::packet::Packet;
use super::session::{Session, SessionOwner, SessionTasks};
use super::sid::Sid;

/// What an Engine.IO server does with its connections.
///
/// Callbacks run on the task that read the packet, in the order packets arrived;
/// keep them short and hand long work to a task of your own.
///
/// # Examples
///
/// An echo server:
///
/// ```
/// use tether::engine::{CloseReason, Connection, EngineHandler, Message};
///
/// struct Echo;
///
/// impl EngineHandler for Echo {
///     type Data = ();
///     fn on_open(&self, _conn: &Connection<()>) {}
///     fn on_message(&self, conn: &Connection<()>, message: Message) {
///         let _ = match message {
///             Message::Text(text) => conn.send_text(&text),
///             Message::Binary(bytes) => conn.send_binary(bytes),
///         };
///     }
///     fn on_close(&self, _conn: &Connection<()>, _reason: CloseReason) {}
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an Engine.IO handler",
    note = "implement `tether::engine::EngineHandler` for `{Self}`"
)]
pub trait EngineHandler: Send + Sync + 'static {
    /// State kept with each connection, reachable through [`Connection::data`].
    type Data: Default + Send + Sync + 'static;

    /// A session opened; its handshake is already queued.
    fn on_open(&self, conn: &Connection<Self::Data>);

    /// A message arrived.
    fn on_message(&self, conn: &Connection<Self::Data>, message: Message);

    /// The session ended; called once.
    fn on_close(&self, conn: &Connection<Self::Data>, reason: CloseReason);

    /// The session moved from HTTP long-polling to WebSocket; nothing by default.
    fn on_upgrade(&self, _conn: &Connection<Self::Data>) {}
}

/// An Engine.IO server: the sessions and the handler. Cheap to clone.
///
/// Serve it with [`crate::http::serve`] or mount it as a tower service with
/// [`crate::http::EngineLayer`].
pub struct Engine<H: EngineHandler> {
    pub(crate) inner: Arc<EngineInner<H>>,
}

impl<H: EngineHandler> Clone for Engine<H> {
    fn clone(&self) -> Self {
        Engine {
            inner: self.inner.clone(),
        }
    }
}

pub(crate) struct EngineInner<H: EngineHandler> {
    pub(crate) config: Arc<EngineConfig>,
    pub(crate) handler: H,
    sessions: RwLock<HashMap<Sid, Arc<Session<H::Data>>>>,
    pub(crate) weak_self: Weak<EngineInner<H>>,
    /// Writes the sessions' WebSocket frames and keeps their heartbeat.
    pub(crate) tasks: SessionTasks<H::Data>,
}

impl<H: EngineHandler> Engine<H> {
    /// A server with these options, calling `handler`.
    pub fn new(config: EngineConfig, handler: H) -> Engine<H> {
        crate::telemetry::init();
        let tasks = SessionTasks::new(&config);
        let inner = Arc::new_cyclic(|weak_self| EngineInner {
            config: Arc::new(config),
            handler,
            sessions: RwLock::new(HashMap::new()),
            weak_self: weak_self.clone(),
            tasks,
        });
        Engine { inner }
    }

    /// The options the server runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.inner.handler
    }

    /// The live connection with this id.
    pub fn connection(&self, id: Sid) -> Option<Connection<H::Data>> {
        self.inner
            .read_sessions()
            .get(&id)
            .map(|session| Connection {
                session: session.clone(),
            })
    }

    /// How many sessions are open.
    pub fn connection_count(&self) -> usize {
        self.inner.read_sessions().len()
    }

    /// How many open sessions use HTTP long-polling.
    pub fn polling_count(&self) -> usize {
        self.inner
            .read_sessions()
            .values()
            .filter(|session| {
                let conn = Connection {
                    session: Arc::clone(session),
                };
                conn.transport() == super::connection::Transport::Polling
            })
            .count()
    }

    /// Closes every session (reason [`CloseReason::ServerShutdown`]) after
    /// delivering what is queued, and waits up to `grace` for them to be gone.
    pub async fn close_all(&self, grace: Duration) {
        let sessions: Vec<_> = self.inner.read_sessions().values().cloned().collect();
        for session in &sessions {
            session.close(CloseReason::ServerShutdown);
        }
        let deadline = tokio::time::Instant::now() + grace;
        while self.connection_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl<H: EngineHandler> EngineInner<H> {
    fn read_sessions(
        &self,
    ) -> parking_lot::RwLockReadGuard<'_, HashMap<Sid, Arc<Session<H::Data>>>> {
        self.sessions.read()
    }

    fn write_sessions(
        &self,
    ) -> parking_lot::RwLockWriteGuard<'_, HashMap<Sid, Arc<Session<H::Data>>>> {
        self.sessions.write()
    }

    pub(crate) fn session(&self, id: &Sid) -> Option<Arc<Session<H::Data>>> {
        self.read_sessions().get(id).cloned()
    }

    pub(crate) fn owner(&self) -> Weak<dyn SessionOwner<H::Data>> {
        self.weak_self.clone()
    }

    /// Registers a new session and tells the handler.
    pub(crate) fn open(&self, session: &Arc<Session<H::Data>>) {
        self.write_sessions().insert(session.id, session.clone());
        crate::telemetry::with(|metrics| metrics.connection_opened(session.transport()));
        self.handler.on_open(&Connection {
            session: session.clone(),
        });
    }
}

impl<H: EngineHandler> SessionOwner<H::Data> for EngineInner<H> {
    fn session_closed(&self, session: &Arc<Session<H::Data>>, reason: CloseReason, linger: bool) {
        if !linger {
            self.remove(session);
        } else if session.transport() == Transport::Polling {
            session.spawn(super::polling::linger(session.clone(), reason));
        }
        crate::telemetry::with(|metrics| {
            metrics.connection_closed(reason, session.transport());
            if reason == CloseReason::SlowClient {
                metrics.slow_client_disconnects.increment(1);
            }
        });
        self.handler.on_close(
            &Connection {
                session: session.clone(),
            },
            reason,
        );
    }

    fn remove(&self, session: &Arc<Session<H::Data>>) {
        let mut sessions = self.write_sessions();
        if sessions
            .get(&session.id)
            .is_some_and(|known| Arc::ptr_eq(known, session))
        {
            sessions.remove(&session.id);
        }
    }

    fn upgraded(&self, session: &Arc<Session<H::Data>>) {
        self.handler.on_upgrade(&Connection {
            session: session.clone(),
        });
    }

    fn message(&self, session: &Arc<Session<H::Data>>, packet: Packet) {
        let message = match packet {
            Packet::Message(text) => Message::Text(text),
            Packet::Binary(bytes) => Message::Binary(bytes),
            _ => return,
        };
        self.handler.on_message(
            &Connection {
                session: session.clone(),
            },
            message,
        );
    }
}
