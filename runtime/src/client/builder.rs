//! [`ClientBuilder`]: where to connect, with what, and the handlers of server events.

use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::AtomicBool;

use futures_util::stream::FuturesUnordered;
use http::{HeaderName, HeaderValue};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use super::ack::PendingAcks;
use super::auth::AuthSource;
use super::connection::{Control, Driver, JoinRequest, MAX_PENDING_JOINS, Settings};
use super::endpoint::Endpoint;
use super::error::ConnectError;
use super::event::{EventHandler, Handlers};
use super::handshake::{Join, NspJoin, establish};
use super::listeners::Listeners;
use super::namespace::{Delivery, NspSocket, RetryQueue};
use super::outbox::MAX_BUFFERED_PACKETS;
use super::reconnect::Reconnect;
use super::recovery::Recovery;
use super::state::{ConnectionState, DisconnectReason};
use super::transport::TransportMode;
use super::{Client, ConnShared, Shared};

/// Configures and connects a [`Client`]; made by [`Client::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::client::{Client, Event, Reconnect};
/// use tether::server::{Server, ServerConfig, Socket};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let io = Server::new(ServerConfig::default());
/// io.of("/chat").on_connection(|socket: Socket| async move {
///     let _ = socket.emit("welcome", &("hello", 1));
/// });
/// let server = tether::bind(io, "127.0.0.1:0").await?;
///
/// let (tx, mut rx) = tokio::sync::mpsc::channel(1);
/// let client = Client::builder(format!("http://{}/chat", server.local_addr()))
///     .ack_timeout(Duration::from_secs(5))
///     .reconnect(Reconnect::default().max_attempts(5))
///     .on("welcome", move |_client: Client, event: Event| {
///         let tx = tx.clone();
///         async move {
///             let _ = tx.send(event.arg::<String>(0).unwrap_or_default()).await;
///         }
///     })
///     .connect()
///     .await?;
/// assert_eq!(client.namespace(), "/chat");
/// assert_eq!(rx.recv().await.as_deref(), Some("hello"));
/// # Ok(())
/// # }
/// ```
#[must_use = "a builder does nothing until `connect` is awaited"]
pub struct ClientBuilder {
    url: String,
    path: String,
    namespace: Option<String>,
    auth: AuthSource,
    contract_version: Option<String>,
    connect_timeout: Duration,
    ack_timeout: Duration,
    retries: u32,
    cookies: bool,
    reconnect: Reconnect,
    mode: TransportMode,
    retry_first_connection: bool,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    handlers: Handlers,
    parser: crate::protocol::Parser,
    #[cfg(feature = "tls")]
    tls: super::stream::TlsOptions,
    /// The connection to join the namespace over ([`Client::socket`]).
    attach: Option<Arc<ConnShared>>,
}

impl ClientBuilder {
    pub(crate) fn new(url: String) -> Self {
        ClientBuilder {
            url,
            path: "/socket.io/".to_owned(),
            namespace: None,
            auth: AuthSource::None,
            contract_version: None,
            connect_timeout: Duration::from_secs(20),
            ack_timeout: Duration::from_secs(10),
            retries: 0,
            cookies: true,
            reconnect: Reconnect::default(),
            mode: TransportMode::default(),
            retry_first_connection: false,
            query: Vec::new(),
            headers: Vec::new(),
            handlers: Handlers::default(),
            parser: crate::protocol::Parser::Default,
            #[cfg(feature = "tls")]
            tls: super::stream::TlsOptions::default(),
            attach: None,
        }
    }

    /// Joins over an existing connection instead of opening one.
    pub(crate) fn attach(mut self, conn: Arc<ConnShared>) -> Self {
        self.attach = Some(conn);
        self
    }

    /// The Engine.IO path the server listens on (default `/socket.io/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Presents the version of the namespace's contracts — the client sends
    /// `L`'s events and receives `E`'s — in the auth payload, under `contract`,
    /// beside what [`auth`](Self::auth) sets; a server negotiating versions
    /// refuses a version it does not serve with
    /// [`ConnectError::Refused`] (message `contract_mismatch`). See
    /// [`ContractVersions`](crate::contract::ContractVersions).
    pub fn contract<L: crate::contract::Contract, E: crate::contract::Contract>(mut self) -> Self {
        self.contract_version =
            Some(crate::contract::NamespaceDescriptor::new::<L, E>("/").contract_version());
        self
    }

    /// The namespace to join (default: the URL's path, or `/`).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The auth payload sent when joining the namespace (and again on every
    /// reconnection); the server reads it as `socket.handshake.auth`. It must
    /// serialize as a JSON object. Replaces an [`auth_with`](Self::auth_with)
    /// callback.
    pub fn auth<T: Serialize + ?Sized>(mut self, auth: &T) -> Self {
        self.auth = AuthSource::fixed(auth);
        self
    }

    /// Makes the auth payload with `make`, awaited before every connection and
    /// reconnection (socket.io-client's `auth: (cb) => ...`), so that a token can
    /// be refreshed: `|| async { json!({ "token": fresh_token().await }) }`. The
    /// value must serialize as a JSON object; it counts in the
    /// [`connect_timeout`](Self::connect_timeout). Replaces an [`auth`](Self::auth)
    /// payload.
    pub fn auth_with<F, Fut, T>(mut self, make: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        self.auth = AuthSource::dynamic(make);
        self
    }

    /// How long connecting and joining the namespace may take, per attempt
    /// (default 20 s, as the official client's `timeout`).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long [`Client::emit_with_ack`] waits for an answer by default (10 s);
    /// with [`retries`](Self::retries), how long each try waits (socket.io-client's
    /// `ackTimeout`).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// Resends each event up to `retries` times until the server acknowledges it
    /// (socket.io-client's `retries`; default 0, off). Every event then asks for
    /// an acknowledgement, even one sent with [`Client::emit`]; events go out in
    /// order, one at a time: the next waits until the previous one is
    /// acknowledged or given up. Each try waits
    /// [`ack_timeout`](Self::ack_timeout), connected or not, and a packet still
    /// unacknowledged after `retries + 1` tries fails with
    /// [`AckError::Timeout`](super::AckError::Timeout). A lost connection does not
    /// fail it: it is sent again once reconnected.
    ///
    /// Delivery is at least once: a server whose answer was late or lost sees the
    /// event again (every try carries the same ack id, so a late answer to an
    /// earlier try still settles it, once). Make such events idempotent.
    /// [`Client::emit_volatile`] events are never retried.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// How to reconnect after losing the connection (default: forever, backoff
    /// from 1 s to 5 s); [`Reconnect::disabled`] turns it off.
    pub fn reconnect(mut self, reconnect: Reconnect) -> Self {
        self.reconnect = reconnect;
        self
    }

    /// Makes [`connect`](Self::connect) retry a first connection that fails for
    /// want of a server (unreachable, timed out, closed, HTTP errors), with the
    /// [`reconnect`](Self::reconnect) policy's delays and attempts, as the
    /// official client does. Off by default: `connect` fails at once. A refusal
    /// or invalid settings are never retried.
    pub fn retry_first_connection(mut self, retry: bool) -> Self {
        self.retry_first_connection = retry;
        self
    }

    /// Adds a query parameter to every request (the server reads it from the
    /// handshake, as `socket.handshake.query` in Node.js); parameters of the URL
    /// are kept too.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Whether to keep the cookies the server sets (`Set-Cookie`) and send them
    /// back on every later request of the Engine.IO connection: polling requests
    /// and the WebSocket handshake (default on; socket.io-client's
    /// `withCredentials` in Node.js). That is how a balancer's sticky-session
    /// cookie, or the server's `io` cookie, keeps a polling client on its node.
    /// Each connection starts with an empty jar; `Path`, `Expires` and `Max-Age`
    /// are obeyed.
    pub fn cookies(mut self, keep: bool) -> Self {
        self.cookies = keep;
        self
    }

    /// Adds a header to every request, the WebSocket handshake included (such as
    /// `Authorization` or `Cookie`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Trusts the certificates in `pem` (one or more PEM `CERTIFICATE` blocks, such
    /// as a private CA) for `https://` and `wss://` URLs, instead of the system's
    /// root certificates, which are trusted by default. Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn tls_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.roots_pem = Some(pem.into());
        self
    }

    /// Shows the server this certificate chain (PEM, leaf first) and private key
    /// (PEM) when it asks for one (mutual TLS). Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn tls_client_identity_pem(
        mut self,
        chain: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.identity_pem = Some((chain.into(), key.into()));
        self
    }

    /// Uses this rustls configuration for `https://` and `wss://` URLs, in place of
    /// the one the other `tls_*` options describe. Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn tls_config(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.tls.config = Some(config);
        self
    }

    /// The packet form the server speaks (default socket.io-parser's); with
    /// [`Parser::MsgPack`](crate::protocol::Parser::MsgPack) (feature `msgpack`),
    /// the client talks to servers using socket.io-msgpack-parser, tether's or
    /// Node's.
    pub fn parser(mut self, parser: crate::protocol::Parser) -> Self {
        self.parser = parser;
        self
    }

    /// Which transports to use (default: WebSocket only); see [`TransportMode`].
    pub fn transport(mut self, mode: TransportMode) -> Self {
        self.mode = mode;
        self
    }

    /// Handles the server's event `event`: `|client: Client, event: Event| async
    /// move { ... }` (one handler per event name; registering another replaces
    /// it). An event the server wants acknowledged is answered with
    /// [`Event::ack`](super::Event::ack). Handlers run concurrently, on the client's
    /// task; at most [`MAX_RUNNING_HANDLERS`](super::MAX_RUNNING_HANDLERS) at once.
    pub fn on(mut self, event: &str, handler: impl EventHandler) -> Self {
        self.handlers.on(event, Arc::new(handler));
        self
    }

    /// Handles every event from the server, before the event's own handler. All
    /// handlers of an event may acknowledge it; the first answer goes out.
    pub fn on_any(mut self, handler: impl EventHandler) -> Self {
        self.handlers.on_any(Arc::new(handler));
        self
    }

    /// Connects, joins the namespace and starts the client's task; for a builder
    /// made by [`Client::socket`], joins the namespace over that client's
    /// connection.
    ///
    /// Fails on a bad URL or auth payload, when the server cannot be reached
    /// within the connect timeout, or when it refuses the namespace
    /// ([`ConnectError::Refused`] with its `message` and `data`). The first
    /// connection is retried only with
    /// [`retry_first_connection`](Self::retry_first_connection); reconnection
    /// applies once connected.
    pub async fn connect(mut self) -> Result<Client, ConnectError> {
        self.auth =
            std::mem::take(&mut self.auth).with_contract_version(self.contract_version.take());
        if let Some(conn) = self.attach.clone() {
            return self.join_over(conn).await;
        }
        let mut endpoint = Endpoint::parse(&self.url, &self.path)?;
        endpoint.parser = self.parser;
        if !self.cookies {
            endpoint.cookies = None;
        }
        #[cfg(feature = "tls")]
        if endpoint.secure {
            endpoint.tls = Some(self.tls.build().map_err(ConnectError::Tls)?);
        }
        for (name, value) in &self.query {
            endpoint.add_query(name, value);
        }
        for (name, value) in &self.headers {
            let invalid = || ConnectError::InvalidHeader(name.clone());
            let name = HeaderName::try_from(name.as_str()).map_err(|_| invalid())?;
            let value = HeaderValue::try_from(value.as_str()).map_err(|_| invalid())?;
            endpoint.headers.append(name, value);
        }
        self.auth.check()?;
        let nsp = self
            .namespace
            .clone()
            .or_else(|| endpoint.namespace.clone())
            .map(|nsp| normalize_namespace(&nsp))
            .unwrap_or_else(|| "/".to_owned());
        let join = || Join {
            endpoint: &endpoint,
            mode: self.mode,
            timeout: self.connect_timeout,
            namespaces: vec![NspJoin {
                nsp: &nsp,
                auth: &self.auth,
                resume: None,
            }],
        };
        let mut attempt = 0;
        let link = loop {
            let error = match establish(join()).await {
                Ok(link) => match link.joined.first() {
                    Some((_, Err(refusal))) => ConnectError::Refused(refusal.clone()),
                    _ => break link,
                },
                Err(error) => error,
            };
            attempt += 1;
            let retry = self.retry_first_connection
                && is_transient(&error)
                && self.reconnect.allows(attempt);
            if !retry {
                return Err(error);
            }
            tracing::debug!(attempt, %error, "first connection failed; retrying");
            tokio::time::sleep(self.reconnect.delay(attempt - 1)).await;
        };
        let sid = match link.joined.first() {
            Some((_, Ok(joined))) => joined.sid.clone(),
            _ => return Err(ConnectError::Closed),
        };

        let (outbox, outbox_receiver) = mpsc::channel(MAX_BUFFERED_PACKETS);
        let control = Arc::new(Control::default());
        let conn = Arc::new(ConnShared {
            outbox,
            control: control.clone(),
            connect_timeout: self.connect_timeout,
            url: self.url.clone(),
        });
        let settings = Settings {
            endpoint,
            mode: self.mode,
            connect_timeout: self.connect_timeout,
            reconnect: self.reconnect.clone(),
        };
        let (client, socket) = self.namespace_pair(
            conn,
            nsp,
            ConnectionState::Connected {
                sid,
                recovered: false,
            },
        );
        let driver = Driver {
            settings,
            control,
            outbox: outbox_receiver,
            sockets: vec![socket],
            generation: 0,
            running: FuturesUnordered::new(),
            to_send: Vec::new(),
            connected: false,
        };
        tokio::spawn(driver.run(link));
        Ok(client)
    }

    /// The handle and the connection task's side of namespace `nsp`.
    fn namespace_pair(
        self,
        conn: Arc<ConnShared>,
        nsp: String,
        state: ConnectionState,
    ) -> (Client, NspSocket) {
        let (state, state_receiver) = watch::channel(state);
        let acks = Arc::new(PendingAcks::default());
        let listeners = Arc::new(Listeners::new(self.handlers));
        let retry = RetryQueue::default();
        let nsp: Arc<str> = nsp.into();
        let shared = Arc::new(Shared {
            nsp: nsp.clone(),
            conn,
            acks: acks.clone(),
            state: state_receiver,
            leaving: AtomicBool::new(false),
            ack_timeout: self.ack_timeout,
            retries: self.retries,
            queued: retry.len.clone(),
            listeners: listeners.clone(),
        });
        let socket = NspSocket {
            nsp,
            auth: self.auth,
            shared: Arc::downgrade(&shared),
            acks,
            listeners,
            state,
            recovery: Recovery::default(),
            retry,
            delivery: Delivery {
                retries: self.retries,
                ack_timeout: self.ack_timeout,
            },
            joining: None,
        };
        (Client { shared }, socket)
    }

    /// Joins the namespace over the running connection `conn`.
    async fn join_over(self, conn: Arc<ConnShared>) -> Result<Client, ConnectError> {
        self.auth.check()?;
        if conn.outbox.is_closed() {
            return Err(ConnectError::Closed);
        }
        let nsp = normalize_namespace(self.namespace.as_deref().unwrap_or("/"));
        let timeout = conn.connect_timeout;
        let auth = tokio::time::timeout(timeout, self.auth.evaluate())
            .await
            .map_err(|_| ConnectError::Timeout(timeout))??;
        let control = conn.control.clone();
        let state = ConnectionState::Disconnected(DisconnectReason::TransportClose);
        let (client, socket) = self.namespace_pair(conn, nsp, state);
        let (reply, answer) = oneshot::channel();
        {
            let mut joins = control.joins.lock();
            if joins.len() >= MAX_PENDING_JOINS {
                return Err(ConnectError::Protocol(format!(
                    "over {MAX_PENDING_JOINS} namespaces waiting to be joined"
                )));
            }
            joins.push(JoinRequest {
                socket,
                auth,
                reply,
            });
        }
        control.wake.notify_one();
        // The connection task closes the outbox before it answers the last
        // joins: one pushed after that gets no answer.
        if client.shared.conn.outbox.is_closed() {
            return Err(ConnectError::Closed);
        }
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(Ok(()))) => Ok(client),
            Ok(Ok(Err(error))) => Err(error),
            Ok(Err(_)) => Err(ConnectError::Closed),
            Err(_) => Err(ConnectError::Timeout(timeout)),
        }
    }
}

/// Whether connecting may succeed later: the server was not there, not whether
/// it refused or the settings are wrong.
fn is_transient(error: &ConnectError) -> bool {
    matches!(
        error,
        ConnectError::Io(_)
            | ConnectError::WebSocket(_)
            | ConnectError::Polling(_)
            | ConnectError::Closed
            | ConnectError::Timeout(_)
    )
}

/// `admin` → `/admin`.
fn normalize_namespace(nsp: &str) -> String {
    if nsp.starts_with('/') {
        nsp.to_owned()
    } else {
        format!("/{nsp}")
    }
}
