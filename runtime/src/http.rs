//! Serving tether over HTTP: a standalone server ([`serve`], [`bind`]) and a tower
//! [`EngineLayer`] to mount beside other routes in axum or hyper.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{Either, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::upgrade_io::HoldUpgrade;
pub use crate::engine::{RemoteAddr, Tls};
use head_timeout::Activity;

use crate::engine::{BoxError, Engine, EngineHandler};

mod head_timeout;
#[cfg(test)]
mod tests;

/// How accepted connections are read: as they are, or through TLS.
#[derive(Clone)]
enum Wrap {
    Plain,
    #[cfg(feature = "tls")]
    Tls(tokio_rustls::TlsAcceptor),
}

/// How long a client may take over its TLS handshake.
#[cfg(feature = "tls")]
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Something that answers the HTTP requests under one path: an Engine.IO
/// [`Engine`] or a Socket.IO server.
pub trait Endpoint: Clone + Send + Sync + 'static {
    /// The path it answers, with trailing slash, such as `/socket.io/`.
    fn path(&self) -> &str;

    /// Answers one request under [`Endpoint::path`].
    fn call<B>(&self, request: Request<B>) -> impl Future<Output = Response<Full<Bytes>>> + Send
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>;

    /// Whether a request path belongs to this endpoint (`/socket.io/...`, or the path
    /// without its trailing slash).
    fn matches(&self, request_path: &str) -> bool {
        let path = self.path();
        request_path.starts_with(path) || request_path == path.trim_end_matches('/')
    }
}

impl<H: EngineHandler> Endpoint for Engine<H> {
    fn path(&self) -> &str {
        &self.config().path
    }

    fn call<B>(&self, request: Request<B>) -> impl Future<Output = Response<Full<Bytes>>> + Send
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        self.respond(request)
    }
}

/// Two endpoints on one listener, such as an Engine.IO and a Socket.IO server under
/// different paths: a request goes to the first whose path matches.
impl<A: Endpoint, B: Endpoint> Endpoint for (A, B) {
    fn path(&self) -> &str {
        self.0.path()
    }

    fn matches(&self, request_path: &str) -> bool {
        self.0.matches(request_path) || self.1.matches(request_path)
    }

    fn call<Req>(&self, request: Request<Req>) -> impl Future<Output = Response<Full<Bytes>>> + Send
    where
        Req: Body + Send + 'static,
        Req::Data: Send,
        Req::Error: Into<BoxError>,
    {
        let first = self.0.matches(request.uri().path());
        let (a, b) = self.clone();
        async move {
            if first {
                a.call(request).await
            } else {
                b.call(request).await
            }
        }
    }
}

/// A tower layer that answers an endpoint's path and passes every other request on.
///
/// # Examples
///
/// ```no_run
/// use tether::engine::{CloseReason, Connection, Engine, EngineConfig, EngineHandler, Message};
/// use tether::http::EngineLayer;
///
/// # struct Echo;
/// # impl EngineHandler for Echo {
/// #     type Data = ();
/// #     fn on_open(&self, _: &Connection<()>) {}
/// #     fn on_message(&self, _: &Connection<()>, _: Message) {}
/// #     fn on_close(&self, _: &Connection<()>, _: CloseReason) {}
/// # }
/// # async fn run() -> std::io::Result<()> {
/// let engine = Engine::new(EngineConfig::default(), Echo);
/// let app = axum::Router::new()
///     .route("/health", axum::routing::get(|| async { "ok" }))
///     .layer(EngineLayer::new(engine));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EngineLayer<E> {
    endpoint: E,
}

impl<E> EngineLayer<E> {
    /// A layer serving `endpoint`.
    pub fn new(endpoint: E) -> Self {
        EngineLayer { endpoint }
    }
}

impl<E: Clone, S> tower_layer::Layer<S> for EngineLayer<E> {
    type Service = EngineService<E, S>;

    fn layer(&self, inner: S) -> Self::Service {
        EngineService {
            endpoint: self.endpoint.clone(),
            inner,
        }
    }
}

/// The service made by [`EngineLayer`].
#[derive(Debug, Clone)]
pub struct EngineService<E, S> {
    endpoint: E,
    inner: S,
}

impl<E, S> EngineService<E, S> {
    /// A service answering `endpoint`'s path and passing other requests to `inner`.
    pub fn new(endpoint: E, inner: S) -> Self {
        EngineService { endpoint, inner }
    }
}

impl<E, S, B, ResBody> tower_service::Service<Request<B>> for EngineService<E, S>
where
    E: Endpoint,
    S: tower_service::Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Either<Full<Bytes>, ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if self.endpoint.matches(request.uri().path()) {
            let endpoint = self.endpoint.clone();
            Box::pin(async move { Ok(endpoint.call(request).await.map(Either::Left)) })
        } else {
            let future = self.inner.call(request);
            Box::pin(async move { Ok(future.await?.map(Either::Right)) })
        }
    }
}

/// A server started by [`bind`]: its address, and a way to stop it.
#[derive(Debug)]
pub struct Serving {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Serving {
    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets open HTTP requests finish for up to `grace`, then returns.
    ///
    /// WebSocket connections are not HTTP requests any more; close them through the
    /// endpoint (`Engine::close_all`, or the Socket.IO server's `close`).
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(grace, self.task).await;
    }

    /// Waits until the server stops (it only stops through [`Serving::shutdown`];
    /// dropping the handle leaves it running).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Binds `addr` and serves `endpoint` in a background task; other paths get `404`.
///
/// # Examples
///
/// ```no_run
/// # use tether::engine::{CloseReason, Connection, Engine, EngineConfig, EngineHandler, Message};
/// # struct Echo;
/// # impl EngineHandler for Echo {
/// #     type Data = ();
/// #     fn on_open(&self, _: &Connection<()>) {}
/// #     fn on_message(&self, _: &Connection<()>, _: Message) {}
/// #     fn on_close(&self, _: &Connection<()>, _: CloseReason) {}
/// # }
/// # async fn run() -> std::io::Result<()> {
/// let engine = Engine::new(EngineConfig::default(), Echo);
/// let server = tether::http::bind(engine, "127.0.0.1:0").await?;
/// println!("listening on {}", server.local_addr());
/// server.wait().await;
/// # Ok(())
/// # }
/// ```
pub async fn bind<E: Endpoint>(endpoint: E, addr: impl ToSocketAddrs) -> io::Result<Serving> {
    bind_wrapped(endpoint, addr, Wrap::Plain).await
}

/// Binds `addr` and serves `endpoint` over HTTPS (HTTP/1.1 over TLS, for polling
/// and WebSocket alike) in a background task, with `tls` (a rustls server
/// configuration, such as [`tls_config_from_pem`] makes). Handshakes read as
/// [`secure`](crate::engine::Handshake::secure). A client that does not finish
/// its TLS handshake within 10 s is dropped.
///
/// Terminating TLS at a proxy in front of [`bind`], or mounting
/// [`EngineLayer`] in an axum server that does TLS, work as well.
///
/// # Examples
///
/// ```no_run
/// # async fn run(io: tether::server::Server) -> std::io::Result<()> {
/// let tls = tether::http::tls_config_from_pem("cert.pem", "key.pem")?;
/// let server = tether::http::bind_tls(io, "0.0.0.0:443", tls).await?;
/// server.wait().await;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "tls")]
pub async fn bind_tls<E: Endpoint>(
    endpoint: E,
    addr: impl ToSocketAddrs,
    tls: std::sync::Arc<rustls::ServerConfig>,
) -> io::Result<Serving> {
    bind_wrapped(
        endpoint,
        addr,
        Wrap::Tls(tokio_rustls::TlsAcceptor::from(tls)),
    )
    .await
}

/// Binds `addr` and serves `endpoint` over HTTPS until the process ends; see
/// [`bind_tls`].
#[cfg(feature = "tls")]
pub async fn serve_tls<E: Endpoint>(
    endpoint: E,
    addr: impl ToSocketAddrs,
    tls: std::sync::Arc<rustls::ServerConfig>,
) -> io::Result<()> {
    bind_tls(endpoint, addr, tls).await?.wait().await;
    Ok(())
}

/// A rustls server configuration from a PEM certificate chain (leaf first) and a
/// PEM private key (PKCS #8, PKCS #1 or SEC1), for [`bind_tls`]; it offers
/// HTTP/1.1 through ALPN.
///
/// # Errors
///
/// When a file cannot be read, holds no certificate or no key, or the key does
/// not match the certificate (an error of kind `InvalidData` naming the file).
#[cfg(feature = "tls")]
pub fn tls_config_from_pem(
    cert_path: impl AsRef<std::path::Path>,
    key_path: impl AsRef<std::path::Path>,
) -> io::Result<std::sync::Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let cert_path = cert_path.as_ref();
    let key_path = key_path.as_ref();
    let invalid = |path: &std::path::Path, what: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    let certs = CertificateDer::pem_file_iter(cert_path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| invalid(cert_path, error.to_string()))?;
    if certs.is_empty() {
        return Err(invalid(cert_path, "no certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|error| invalid(key_path, error.to_string()))?;
    let provider = tls_provider();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| invalid(cert_path, error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| invalid(key_path, error.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(std::sync::Arc::new(config))
}

/// The process's rustls crypto provider when the application installed one (to
/// get post-quantum key exchange from `aws-lc-rs`, say), else `ring`, which
/// builds with a C compiler alone; rustls deprecates `ring` for its lack of
/// post-quantum key exchange, which the classic exchanges it offers make up for
/// with every client today.
#[cfg(feature = "tls")]
#[allow(deprecated)]
pub(crate) fn tls_provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| std::sync::Arc::new(rustls::crypto::ring::default_provider()))
}

async fn bind_wrapped<E: Endpoint>(
    endpoint: E,
    addr: impl ToSocketAddrs,
    wrap: Wrap,
) -> io::Result<Serving> {
    let listener = listen(addr).await?;
    let local_addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, endpoint, stopped, wrap));
    Ok(Serving {
        local_addr,
        stop,
        task,
    })
}

/// Connections waiting to be accepted (the kernel caps it at `somaxconn`): deep
/// enough that a burst of connects is queued rather than refused.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds the first address of `addr` that works, with a deep accept queue.
async fn listen(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        match socket
            .bind(addr)
            .and_then(|()| socket.listen(LISTEN_BACKLOG))
        {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
}

/// Binds `addr` and serves `endpoint` until the process ends.
pub async fn serve<E: Endpoint>(endpoint: E, addr: impl ToSocketAddrs) -> io::Result<()> {
    bind(endpoint, addr).await?.wait().await;
    Ok(())
}

async fn accept_loop<E: Endpoint>(
    listener: TcpListener,
    endpoint: E,
    mut stopped: watch::Receiver<bool>,
    wrap: Wrap,
) {
    let (alive, _) = watch::channel(());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = stop_requested(&mut stopped) => break,
        };
        let _ = stream.set_nodelay(true);
        let (endpoint, stopped, alive) = (endpoint.clone(), stopped.clone(), alive.subscribe());
        match &wrap {
            Wrap::Plain => {
                let io = TokioIo::new(HoldUpgrade::new(stream));
                tokio::spawn(serve_connection(io, peer, None, endpoint, stopped, alive));
            }
            #[cfg(feature = "tls")]
            Wrap::Tls(acceptor) => {
                let accept = acceptor.accept(stream);
                tokio::spawn(async move {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, accept).await {
                        Ok(Ok(stream)) => {
                            let io = TokioIo::new(stream);
                            serve_connection(io, peer, Some(Tls), endpoint, stopped, alive).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    drop(listener);
    alive.closed().await;
}

/// Polls `future` once at once, then leaves the rest to the caller. hyper drops a
/// request's future without polling it when it reads the end of the connection
/// together with the request; the engine must still see that request (a polling
/// GET the client abandoned closes its session, as on the Node.js server). The
/// first poll has a no-op waker: the later polls bring hyper's.
fn started<F>(future: F) -> impl Future<Output = F::Output> + Send
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    let mut future = Box::pin(future);
    let first = future
        .as_mut()
        .poll(&mut Context::from_waker(std::task::Waker::noop()));
    async move {
        match first {
            Poll::Ready(output) => output,
            Poll::Pending => future.await,
        }
    }
}

/// Resolves once [`Serving::shutdown`] is called; never when the handle was dropped.
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    while !*stopped.borrow_and_update() {
        if stopped.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Serves one HTTP/1.1 connection until it ends, an upgrade takes it over, the
/// client takes longer than 30 s to send a request head (from the connection's
/// start or its previous request's end), or the server stops (then in-flight
/// requests finish first).
async fn serve_connection<E, I>(
    io: I,
    peer: SocketAddr,
    tls: Option<Tls>,
    endpoint: E,
    mut stopped: watch::Receiver<bool>,
    _alive: watch::Receiver<()>,
) where
    E: Endpoint,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let activity = Activity::new();
    let requests = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        let answering = requests.begin();
        request.extensions_mut().insert(RemoteAddr(peer));
        if let Some(tls) = tls {
            request.extensions_mut().insert(tls);
        }
        let endpoint = endpoint.clone();
        started(async move {
            let _answering = answering;
            let response = if endpoint.matches(request.uri().path()) {
                endpoint.call(request).await
            } else {
                let mut response = Response::new(Full::new(Bytes::from_static(b"Not Found")));
                *response.status_mut() = StatusCode::NOT_FOUND;
                response
            };
            Ok::<_, std::convert::Infallible>(response)
        })
    });
    // A reply's head and body go out copied into one buffer: polling replies are
    // small, and one flat write costs less than queueing the body beside its head.
    // The header-read timeout is this module's (one timer per connection), not
    // hyper's (one per request).
    let connection = http1::Builder::new()
        .header_read_timeout(None)
        .writev(false)
        .serve_connection(io, service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let probe = stopped.clone();
    let mut stop = std::pin::pin!(stop_requested(&mut stopped));
    let mut head_timer = std::pin::pin!(tokio::time::sleep_until(activity.first_check()));
    let mut last_waker: Option<Waker> = None;
    let mut stopping = false;
    // The stop signal and the timer keep the waker they were last polled with (the
    // task's): they are polled again only when it changed or they may be ready,
    // not on each of the connection's many wake-ups.
    let result = std::future::poll_fn(|cx| {
        let fresh = !last_waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if fresh {
            last_waker = Some(cx.waker().clone());
        }
        if !stopping
            && (fresh || probe.has_changed().unwrap_or(false))
            && stop.as_mut().poll(cx).is_ready()
        {
            connection.as_mut().graceful_shutdown();
            stopping = true;
        }
        if fresh || head_timer.is_elapsed() {
            while head_timer.as_mut().poll(cx).is_ready() {
                match activity.next_check(tokio::time::Instant::now()) {
                    Some(next) => head_timer.as_mut().reset(next),
                    None => return Poll::Ready(None),
                }
            }
        }
        connection.as_mut().poll(cx).map(Some)
    })
    .await;
    match result {
        Some(Ok(())) => {}
        Some(Err(error)) => tracing::debug!(%error, "http connection ended with an error"),
        None => tracing::debug!(%peer, "request head not received in time"),
    }
}
