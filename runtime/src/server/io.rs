//! [`Server`]: the Socket.IO server, and [`ParentNamespace`] for dynamic namespaces.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ack::AckStream;
use super::broadcast::BroadcastOperator;
use super::client::SocketIoHandler;
use super::config::ServerConfig;
use super::handler::{
    ConnectHandler, DisconnectHandler, EventHandler, Middleware, ServerEventHandler,
};
use super::namespace::Namespace;
use super::registry::{self, DynamicNamespace, InvalidPattern, Matcher, NamePattern, Registry};
use super::socket::Socket;
use super::timeouts::ConnectTimeouts;
use crate::adapter::Adapter;
use crate::engine::{BoxError, Engine, Sid};
use crate::http::Endpoint;
use crate::peer::EmitError;
use crate::room::IntoRooms;

/// A Socket.IO v5 server, compatible with the official `socket.io-client`. Cheap to
/// clone; every clone is the same server.
///
/// # Examples
///
/// ```no_run
/// use tether::server::{Event, Server, ServerConfig, Socket};
///
/// # async fn run() -> std::io::Result<()> {
/// let io = Server::new(ServerConfig::default());
/// io.on_connection(|socket: Socket| async move {
///     socket.on("ping", |socket: Socket, mut event: Event| async move {
///         let _ = event.ack(&"pong");
///         let _ = socket.broadcast().emit("pinged", socket.id().as_str());
///     });
/// });
/// tether::serve(io, "127.0.0.1:3000").await
/// # }
/// ```
#[derive(Clone)]
pub struct Server {
    engine: Engine<SocketIoHandler>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("path", &self.engine.config().path)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with these options; the main namespace `/` always exists.
    pub fn new(config: ServerConfig) -> Server {
        Server::build(config, None)
    }

    /// A server whose broadcasts also reach, through `adapter`, the sockets of other
    /// server nodes, and which delivers theirs to its own sockets (see
    /// [`crate::adapter`]). Broadcasts flagged `local` stay on this node.
    pub fn with_adapter(config: ServerConfig, adapter: impl Adapter) -> Server {
        Server::build(config, Some(Arc::new(adapter)))
    }

    fn build(config: ServerConfig, adapter: Option<Arc<dyn Adapter>>) -> Server {
        crate::telemetry::init();
        let engine_config = config.engine.clone();
        let timeouts = ConnectTimeouts::new(config.connect_timeout);
        let registry = Arc::new(Registry::new(Arc::new(config), adapter));
        registry.of("/");
        Server {
            engine: Engine::new(engine_config, SocketIoHandler { registry, timeouts }),
        }
    }

    fn registry(&self) -> &Registry {
        &self.engine.handler().registry
    }

    /// The Socket.IO options.
    pub fn config(&self) -> &ServerConfig {
        &self.registry().config
    }

    /// The Engine.IO server underneath.
    pub fn engine(&self) -> &Engine<SocketIoHandler> {
        &self.engine
    }

    /// The namespace `name` (a leading `/` is added when missing), created if absent.
    pub fn of(&self, name: &str) -> Namespace {
        self.registry().of(name)
    }

    /// The main namespace `/`.
    pub fn main(&self) -> Namespace {
        self.of("/")
    }

    /// Every namespace created so far, dynamic children included.
    pub fn namespaces(&self) -> Vec<Namespace> {
        self.registry().namespaces()
    }

    /// Accepts every namespace whose name fits `pattern` (see [`NamePattern`]);
    /// children are created on first connection and share the parent's handlers.
    ///
    /// ```no_run
    /// # let io = tether::server::Server::new(Default::default());
    /// let matches = io.of_pattern("/match-{id}").expect("valid pattern");
    /// matches.on_connection(|socket: tether::server::Socket| async move {
    ///     println!("{} joined {}", socket.id(), socket.ns());
    /// });
    /// ```
    pub fn of_pattern(&self, pattern: &str) -> Result<ParentNamespace, InvalidPattern> {
        let pattern = NamePattern::new(pattern)?;
        Ok(ParentNamespace {
            inner: self.registry().add_dynamic(Matcher::Pattern(pattern)),
        })
    }

    /// Accepts every namespace whose whole name `regex` matches (Node's
    /// `io.of(/^\/dynamic-\d+$/)`); its named groups become the children's
    /// [`Namespace::param`]s.
    ///
    /// ```
    /// use tether::server::{Server, ServerConfig, Socket};
    ///
    /// let io = Server::new(ServerConfig::default());
    /// let boards = io.of_regex(regex::Regex::new(r"^/board-(?P<board>\d+)$").unwrap());
    /// boards.on_connection(|socket: Socket| async move {
    ///     let board = socket.namespace().param("board").map(str::to_owned);
    ///     tracing::info!(?board, "joined a board");
    /// });
    /// ```
    pub fn of_regex(&self, regex: regex::Regex) -> ParentNamespace {
        ParentNamespace {
            inner: self.registry().add_dynamic(Matcher::Regex(regex)),
        }
    }

    /// Accepts every namespace for which `check(name, auth)` resolves to `true`.
    pub fn of_dynamic<F, Fut>(&self, check: F) -> ParentNamespace
    where
        F: Fn(&str, &serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        ParentNamespace {
            inner: self
                .registry()
                .add_dynamic(Matcher::Check(registry::check(check))),
        }
    }

    /// Runs `handler` for each socket joining `/`.
    pub fn on_connection(&self, handler: impl ConnectHandler) {
        self.main().on_connection(handler);
    }

    /// Adds a middleware to `/`.
    pub fn use_middleware(&self, middleware: impl Middleware) {
        self.main().use_middleware(middleware);
    }

    /// The socket of `/` with this id.
    pub fn socket(&self, id: Sid) -> Option<Socket> {
        self.main().socket(id)
    }

    /// Emits to every socket of `/`.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.main().emit(event, data)
    }

    /// Emits to every socket of `/` and collects their acknowledgements.
    pub fn emit_with_ack<R, T>(&self, event: &str, data: &T) -> AckStream<R>
    where
        R: DeserializeOwned + 'static,
        T: Serialize + ?Sized,
    {
        self.main().emit_with_ack(event, data)
    }

    /// Sends a server-side event of `/` to the other server nodes (see
    /// [`Namespace::server_side_emit`]).
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        self.main().server_side_emit(event, data)
    }

    /// Handles a server-side event of `/` from the other server nodes (see
    /// [`Namespace::on_server_event`]).
    pub fn on_server_event(&self, event: &str, handler: impl ServerEventHandler) {
        self.main().on_server_event(event, handler);
    }

    /// Emits to the sockets of `/` in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.main().to(rooms)
    }

    /// Same as [`Server::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Emits to the sockets of `/` except those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.main().except(rooms)
    }

    /// Emits to this server's sockets of `/` only.
    pub fn local(&self) -> BroadcastOperator {
        self.main().local()
    }

    /// Volatile emits to `/`.
    pub fn volatile(&self) -> BroadcastOperator {
        self.main().volatile()
    }

    /// Broadcasts to `/` with acknowledgements waited for up to `timeout`.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.main().timeout(timeout)
    }

    /// Shuts down: new connections are refused from now on (`503`), every client
    /// is disconnected (reason `server shutting down` on the server side; clients
    /// see the connection close and may try to reconnect), queued packets are
    /// delivered first, and the call returns within `grace`.
    pub async fn close(&self, grace: Duration) {
        self.registry().close();
        self.engine.close_all(grace).await;
    }
}

impl Endpoint for Server {
    fn path(&self) -> &str {
        &self.engine.config().path
    }

    fn call<B>(&self, request: Request<B>) -> impl Future<Output = Response<Full<Bytes>>> + Send
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        use futures_util::future::{Either, ready};
        if self.registry().is_closed() && !names_session(request.uri()) {
            let origin = request.headers().get(http::header::ORIGIN);
            return Either::Left(ready(self.shutting_down(origin)));
        }
        // The engine's future as it is: wrapping it would keep the request twice.
        Either::Right(self.engine.respond(request))
    }
}

/// Whether a request belongs to an existing session (it carries a `sid`).
fn names_session(uri: &http::Uri) -> bool {
    uri.query().is_some_and(|query| {
        form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "sid")
    })
}

impl Server {
    /// The answer to a new connection once the server is closed: `503` with an
    /// Engine.IO error body.
    fn shutting_down(&self, origin: Option<&http::HeaderValue>) -> Response<Full<Bytes>> {
        let body = Bytes::from_static(br#"{"code":3,"message":"Server shutting down"}"#);
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        if let Some(cors) = &self.engine.config().cors {
            cors.apply(origin, response.headers_mut());
        }
        response
    }
}

/// A dynamic namespace: the handlers given here apply to every child it accepts.
#[derive(Clone)]
pub struct ParentNamespace {
    inner: Arc<DynamicNamespace>,
}

impl std::fmt::Debug for ParentNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParentNamespace").finish_non_exhaustive()
    }
}

impl ParentNamespace {
    /// Runs `handler` for each socket joining any child.
    pub fn on_connection(&self, handler: impl ConnectHandler) {
        self.inner.handlers.add_connect(Arc::new(handler));
    }

    /// Adds a middleware to every child.
    pub fn use_middleware(&self, middleware: impl Middleware) {
        self.inner.handlers.add_middleware(Arc::new(middleware));
    }

    /// Handles `event` in every child.
    pub fn on(&self, event: &str, handler: impl EventHandler) {
        self.inner.handlers.add_listener(event, Arc::new(handler));
    }

    /// Handles every event in every child.
    pub fn on_any(&self, handler: impl EventHandler) {
        self.inner.handlers.add_any(Arc::new(handler));
    }

    /// Adds an event middleware to every child (see
    /// [`Namespace::use_event_middleware`]).
    pub fn use_event_middleware(&self, middleware: impl super::EventMiddleware) {
        self.inner
            .handlers
            .add_event_middleware(Arc::new(middleware));
    }

    /// Runs `handler` when a socket leaves any child.
    pub fn on_disconnect(&self, handler: impl DisconnectHandler) {
        self.inner.handlers.add_disconnect(Arc::new(handler));
    }

    /// The children created so far.
    pub fn children(&self) -> Vec<Namespace> {
        self.inner.children.read().clone()
    }

    /// Emits to every socket of every child.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        for child in self.children() {
            child.emit(event, data)?;
        }
        Ok(())
    }
}
