//! The server side of the [Socket.IO Admin UI](https://socket.io/docs/v4/admin-ui/):
//! [`instrument`] a [`Server`] as Node's `instrument(io, options)` of
//! `@socket.io/admin-ui` 0.5 does, and the UI (the hosted one at
//! <https://admin.socket.io>, or its files served by [`AdminUi`]) shows its
//! sockets, rooms, namespaces and traffic, and can emit to, join, leave and
//! disconnect sockets.
//!
//! The UI connects to the admin namespace (`/admin` unless
//! [`AdminOptions::with_namespace`] says otherwise). On connection it is sent
//! `config` (the supported features), then, in development mode, `all_sockets`;
//! every 2 s each server node sends `server_stats`; in development mode socket,
//! room and event changes are sent as they happen (`socket_connected`,
//! `socket_updated`, `socket_disconnected`, `room_joined`, `room_left`,
//! `event_received`, `event_sent`). With an adapter every message goes through
//! it, so a UI connected to one node sees every node, and its actions reach
//! every node's sockets.
//!
//! ```no_run
//! use tether::admin::{AdminOptions, instrument};
//! use tether::server::{Server, ServerConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let io = Server::new(ServerConfig::default());
//! // A hash made with `bcrypt::hash("changeit", 10)` (or Node's bcryptjs).
//! let hash = "$2a$10$pWyxKSHBPmkl2TA/Gx4.Y.LBdO4FOL1gJGRw9pJNNj6NaXlBtB8ra";
//! instrument(&io, AdminOptions::with_basic_auth("admin", hash))?;
//! tether::serve(io, "127.0.0.1:3000").await?;
//! # Ok(())
//! # }
//! ```

mod auth;
mod messages;
mod observer;
mod ui;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value as Json;

use self::auth::{Credentials, Sessions};
use self::messages::{Arg, Feature, Spread};
use self::observer::AdminObserver;
use crate::protocol::Value;
use crate::server::{BroadcastOperator, ConnectError, Event, Namespace, Server, Socket};
pub use ui::AdminUi;

/// How much the admin namespace sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Everything: the sockets on connection, and every socket, room and event
    /// change as it happens (Node's default unless `NODE_ENV` says otherwise).
    #[default]
    Development,
    /// Only the server stats and aggregated counts: cheaper on a busy server.
    Production,
}

/// The options of [`instrument`]; authentication is always chosen explicitly.
#[derive(Debug, Clone)]
pub struct AdminOptions {
    namespace: String,
    credentials: Option<Credentials>,
    readonly: bool,
    server_id: Option<String>,
    mode: Mode,
}

impl AdminOptions {
    /// The UI must log in as `username` with the password whose bcrypt hash is
    /// `password_hash` (`$2a$`, `$2b$` or `$2y$`, as Node's bcryptjs makes).
    pub fn with_basic_auth(username: impl Into<String>, password_hash: impl Into<String>) -> Self {
        AdminOptions {
            credentials: Some(Credentials {
                username: username.into(),
                password_hash: password_hash.into(),
            }),
            ..AdminOptions::without_auth()
        }
    }

    /// Anyone who reaches the server may use the admin namespace: for local use
    /// only.
    pub fn without_auth() -> Self {
        AdminOptions {
            namespace: "/admin".to_owned(),
            credentials: None,
            readonly: false,
            server_id: None,
            mode: Mode::Development,
        }
    }

    /// The admin namespace's name (`/admin` by default).
    pub fn with_namespace(mut self, name: impl Into<String>) -> Self {
        self.namespace = name.into();
        self
    }

    /// With `true`, the UI may look but not act: no emit, join, leave or
    /// disconnect.
    pub fn read_only(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    /// The id this node shows in the UI (the host name by default).
    pub fn with_server_id(mut self, id: impl Into<String>) -> Self {
        self.server_id = Some(id.into());
        self
    }

    /// How much is sent (see [`Mode`]).
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }
}

/// Why a server could not be instrumented.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The password hash given to [`AdminOptions::with_basic_auth`] is not a
    /// bcrypt hash.
    #[error("the admin password must be a bcrypt hash")]
    InvalidPasswordHash,
    /// The server was instrumented already.
    #[error("the server is instrumented already")]
    AlreadyInstrumented,
    /// `instrument` was called outside a Tokio runtime.
    #[error("instrument must be called within a Tokio runtime")]
    NoRuntime,
}

/// Instruments `io` for the Admin UI: adds the admin namespace (with its
/// authentication), starts sending the server stats every 2 s, and in
/// development mode reports every socket, room and event change. Call it once,
/// within a Tokio runtime, before or after handlers are added.
///
/// In development mode each socket's cluster data (see
/// [`Socket::set_cluster_data`]) gets an `_admin` field with its client id and
/// transport, as Node's `socket.data._admin`, so that other nodes can show them.
///
/// # Errors
///
/// [`AdminError`] when the password hash is not a bcrypt hash, the server is
/// instrumented already, or no Tokio runtime runs.
pub fn instrument(io: &Server, options: AdminOptions) -> Result<(), AdminError> {
    if let Some(credentials) = &options.credentials
        && !Credentials::valid_hash(&credentials.password_hash)
    {
        return Err(AdminError::InvalidPasswordHash);
    }
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| AdminError::NoRuntime)?;
    let registry = io.engine().handler().registry.clone();
    if registry.observer.get().is_some() {
        return Err(AdminError::AlreadyInstrumented);
    }
    let admin = io.of(&options.namespace);
    let development = options.mode == Mode::Development;
    let (observer, queue) = AdminObserver::new(admin.name(), development);
    let observer = Arc::new(observer);
    registry
        .observer
        .set(observer.clone())
        .map_err(|_| AdminError::AlreadyInstrumented)?;
    // Sockets connected before now are watched from now on.
    for ns in io.namespaces() {
        for socket in ns.sockets() {
            socket
                .inner
                .watched
                .store(true, std::sync::atomic::Ordering::Relaxed);
            if development {
                observer.tag(&socket);
            }
        }
    }
    if let Some(credentials) = options.credentials.clone() {
        authenticate(&admin, credentials);
    }
    let features = messages::supported_features(options.readonly, development);
    let server = io.clone();
    admin.on_connection(move |socket: Socket| {
        let server = server.clone();
        let features = features.clone();
        async move { on_admin_connection(server, socket, features, development).await }
    });
    runtime.spawn(observer::run(io.clone(), admin, observer, queue, options));
    Ok(())
}

/// A session id to send a UI once its socket is connected.
#[derive(Clone)]
struct NewSession(String);

/// Checks the UI's session id or credentials before it joins the admin namespace.
fn authenticate(admin: &Namespace, credentials: Credentials) {
    let sessions = Arc::new(Sessions::default());
    let credentials = Arc::new(credentials);
    admin.use_middleware(move |socket: Socket| {
        let sessions = sessions.clone();
        let credentials = credentials.clone();
        async move {
            let auth = socket.auth_value();
            let text = |name: &str| auth.get(name).and_then(Json::as_str).map(str::to_owned);
            if let Some(session) = text("sessionId")
                && sessions.contains(&session)
            {
                return Ok(());
            }
            let (Some(username), Some(password)) = (text("username"), text("password")) else {
                return Err(ConnectError::new("invalid credentials"));
            };
            if credentials.check(&username, &password).await {
                socket.insert_data(NewSession(sessions.open()));
                Ok(())
            } else {
                Err(ConnectError::new("invalid credentials"))
            }
        }
    });
}

/// A UI joined: its new session, its actions, `config`, then (development mode)
/// `all_sockets`.
async fn on_admin_connection(
    server: Server,
    socket: Socket,
    features: Vec<Feature>,
    development: bool,
) {
    if let Some(NewSession(session)) = socket.remove_data::<NewSession>() {
        let _ = socket.emit("session", &session);
    }
    register_actions(&server, &socket, &features);
    let _ = socket.emit("config", &messages::config(&features));
    if development {
        let sockets = observer::all_sockets(&server).await;
        let _ = socket.emit("all_sockets", &sockets);
    }
}

/// The namespace an action names, if it exists (actions do not create any).
/// The sockets and the room a `join` or `leave` action names: its arguments are
/// the namespace, the room and an optional filter (a room or a socket id).
fn room_action(server: &Server, values: &[Value]) -> Option<(BroadcastOperator, String)> {
    let (nsp, room) = (text_arg(values, 0)?, text_arg(values, 1)?);
    let ns = existing_namespace(server, &nsp)?;
    Some((selected(&ns, values, 2), room))
}

fn existing_namespace(server: &Server, name: &str) -> Option<Namespace> {
    let name = if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    };
    server.namespaces().into_iter().find(|ns| ns.name() == name)
}

/// The string argument at `index`, if it is one.
fn text_arg(values: &[Value], index: usize) -> Option<String> {
    values.get(index).and_then(Value::as_str).map(str::to_owned)
}

/// The optional room filter at `index` (absent, `null` or empty: every socket).
fn filter_arg(values: &[Value], index: usize) -> Option<String> {
    text_arg(values, index).filter(|room| !room.is_empty())
}

/// One of the UI's actions, given the server and the action's arguments.
type Action = fn(Server, Vec<Value>) -> BoxFuture<'static, ()>;

/// The UI's actions on `socket`, those `features` allow.
fn register_actions(server: &Server, socket: &Socket, features: &[Feature]) {
    let actions: [(Feature, &str, Action); 4] = [
        (Feature::Emit, "emit", |server, values| {
            Box::pin(emit(server, values))
        }),
        (Feature::Join, "join", |server, values| {
            Box::pin(join_or_leave(server, values, true))
        }),
        (Feature::Leave, "leave", |server, values| {
            Box::pin(join_or_leave(server, values, false))
        }),
        (Feature::Disconnect, "_disconnect", |server, values| {
            Box::pin(disconnect(server, values))
        }),
    ];
    for (feature, event, act) in actions {
        if !features.contains(&feature) {
            continue;
        }
        let server = server.clone();
        socket.on(event, move |_: Socket, event: Event| {
            let action = event
                .values()
                .ok()
                .map(|values| act(server.clone(), values));
            async move {
                if let Some(action) = action {
                    action.await;
                }
            }
        });
    }
}

/// The sockets of `ns` that the optional filter at `index` selects (a room or a
/// socket id; none: every socket).
fn selected(ns: &Namespace, values: &[Value], index: usize) -> BroadcastOperator {
    match filter_arg(values, index) {
        Some(filter) => ns.to(filter),
        None => ns.broadcast(),
    }
}

/// `emit`: the namespace, the filter, the event name, then its arguments.
async fn emit(server: Server, values: Vec<Value>) {
    let (Some(nsp), Some(name)) = (text_arg(&values, 0), text_arg(&values, 2)) else {
        return;
    };
    let Some(ns) = existing_namespace(&server, &nsp) else {
        return;
    };
    let target = selected(&ns, &values, 1);
    let args = Spread(values.into_iter().skip(3).map(Arg::Value).collect());
    if let Err(error) = target.emit(&name, &args) {
        tracing::debug!(%error, "admin emit failed");
    }
}

/// `join` (or `leave` when not `join`): see [`room_action`].
async fn join_or_leave(server: Server, values: Vec<Value>, join: bool) {
    let Some((target, room)) = room_action(&server, &values) else {
        return;
    };
    let (done, action) = if join {
        (target.sockets_join(room).await, "join")
    } else {
        (target.sockets_leave(room).await, "leave")
    };
    if let Err(error) = done {
        tracing::debug!(%error, "admin {action} failed");
    }
}

/// `_disconnect`: the namespace, whether to close the connection, the filter.
async fn disconnect(server: Server, values: Vec<Value>) {
    let Some(nsp) = text_arg(&values, 0) else {
        return;
    };
    let close = values.get(1).and_then(Value::as_bool).unwrap_or(false);
    let Some(ns) = existing_namespace(&server, &nsp) else {
        return;
    };
    if let Err(error) = selected(&ns, &values, 2).disconnect_sockets(close).await {
        tracing::debug!(%error, "admin disconnect failed");
    }
}

/// The interval between two `server_stats`.
const STATS_INTERVAL: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ServerConfig;

    #[tokio::test]
    async fn a_server_is_instrumented_once_with_a_bcrypt_hash() {
        let io = Server::new(ServerConfig::default());
        assert!(matches!(
            instrument(&io, AdminOptions::with_basic_auth("admin", "not a hash")),
            Err(AdminError::InvalidPasswordHash)
        ));
        let hash = bcrypt::hash("s3cret", 4).expect("hashes");
        instrument(
            &io,
            AdminOptions::with_basic_auth("admin", hash).with_namespace("ops"),
        )
        .expect("instrumented");
        assert!(io.namespaces().iter().any(|ns| ns.name() == "/ops"));
        assert!(matches!(
            instrument(&io, AdminOptions::without_auth()),
            Err(AdminError::AlreadyInstrumented)
        ));
    }

    #[test]
    fn instrumenting_needs_a_runtime() {
        let io = Server::new(ServerConfig::default());
        assert!(matches!(
            instrument(&io, AdminOptions::without_auth()),
            Err(AdminError::NoRuntime)
        ));
    }

    #[test]
    fn action_arguments_are_read_leniently() {
        let values = vec![
            Value::String("/".into()),
            Value::Null,
            Value::String(String::new()),
            Value::Bool(true),
        ];
        assert_eq!(text_arg(&values, 0).as_deref(), Some("/"));
        assert_eq!(filter_arg(&values, 1), None);
        assert_eq!(filter_arg(&values, 2), None);
        assert_eq!(text_arg(&values, 3), None);
        assert_eq!(text_arg(&values, 9), None);
    }
}
