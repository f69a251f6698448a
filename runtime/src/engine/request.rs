//! Routing one HTTP request to the Engine.IO endpoint: verification in the order of
//! the Node.js server, handshakes, polling and WebSocket upgrades.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use futures_util::future::{Either, ready};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body::Body;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::compression;
use super::connection::{Handshake, Transport};
use super::direct::DirectTcp;
use super::error::RequestError;
use super::extensions::{RemoteAddr, Tls};
use super::hooks;
use super::polling::{self, PollingReply, PostHead};
use super::query::Query;
use super::server::{Engine, EngineHandler};
use super::session::Session;
use super::sid::Sid;
use super::upgrade_io::HoldUpgrade;
use super::websocket::{self, Ws};
use super::ws_io::SocketIo;
use reply::{reply, reply_polling, switching_protocols};

mod reply;

/// The error type request bodies must convert into.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What routing a request leaves to do.
enum Route<D, B> {
    /// Nothing: the answer, or the error to answer with.
    Done(Result<Response<Full<Bytes>>, RequestError>),
    /// A polling request of an open session, with the request's header map,
    /// emptied, for its answer.
    Polling(Arc<Session<D>>, PollingCall<B>, HeaderMap),
    /// A handshake (over a transport, v3 or not) that waits for `allow_request`.
    /// Boxed: it is rare, and the answer's future keeps the largest variant.
    Handshake(Box<Request<B>>, Transport, bool),
}

/// What a polling request of an open session keeps while it waits.
enum PollingCall<B> {
    /// A `GET`, with the coding its answer may be compressed with.
    Get(Option<compression::Coding>),
    /// A `POST`: what its head says of the body, and the body.
    Post(PostHead, B),
}

impl<B> PollingCall<B> {
    /// The call a polling request makes (only `GET` and `POST` are allowed), and
    /// the request's header map emptied: the answer's headers go in it, which
    /// spares allocating a map per request (hyper hands the answer's map back
    /// for the next request's headers).
    fn of(request: Request<B>) -> Result<(PollingCall<B>, HeaderMap), RequestError> {
        let (parts, body) = request.into_parts();
        let call = match parts.method {
            Method::GET => PollingCall::Get(compression::negotiate(&parts.headers)),
            Method::POST => PollingCall::Post(PostHead::of(&parts.headers), body),
            _ => return Err(RequestError::BadRequest),
        };
        let mut headers = parts.headers;
        headers.clear();
        Ok((call, headers))
    }
}

impl<H: EngineHandler> Engine<H> {
    /// Answers one HTTP request addressed to the Engine.IO path.
    ///
    /// WebSocket upgrades need the request to come from a hyper server (directly or
    /// through axum/tower), which provides the upgraded connection.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        self.respond(request).await
    }

    /// Routes a request at once and returns what is left to answer it: a future
    /// that keeps what waiting needs, not the request (it is moved at each await
    /// above it, and boxed by the HTTP server).
    pub(crate) fn respond<B>(
        &self,
        request: Request<B>,
    ) -> impl Future<Output = Response<Full<Bytes>>> + Send + '_
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        // Only a CORS policy reads the origin back.
        let origin = self
            .inner
            .config
            .cors
            .as_ref()
            .and_then(|_| request.headers().get(header::ORIGIN).cloned());
        let hooks = &self.inner.config.hooks;
        // Boxed: the parts are rarely kept, and this future is moved at each await
        // above it.
        let parts = hooks.any().then(|| Box::new(hooks::parts_of(&request)));
        // Routing decides synchronously; what is left to wait for keeps only what
        // it needs, in place (an async block would keep the route beside it), which
        // keeps this future small.
        let routed = match self.route(request) {
            Route::Done(result) => Either::Left(ready(result)),
            Route::Polling(session, call, headers) => {
                Either::Right(Either::Left(self.polling(session, call, headers)))
            }
            Route::Handshake(request, transport, eio3) => Either::Right(Either::Right(Box::pin(
                self.allowed_handshake(*request, transport, eio3),
            ))),
        };
        routed.map(move |routed| self.finish(routed, origin, parts.as_deref()))
    }

    /// The response to a routed request: its answer with the hooks' headers, or
    /// its error's; with the CORS headers either way.
    fn finish(
        &self,
        routed: Result<Response<Full<Bytes>>, RequestError>,
        origin: Option<HeaderValue>,
        parts: Option<&http::request::Parts>,
    ) -> Response<Full<Bytes>> {
        let hooks = &self.inner.config.hooks;
        let mut response = match routed {
            Ok(mut response) => {
                if let Some(parts) = parts {
                    let handshake = Query::parse(parts.uri.query().unwrap_or("")).sid.is_none();
                    let headers = response.headers_mut();
                    if handshake && let Some(hook) = &hooks.initial_headers {
                        hook(headers, parts);
                    }
                    if let Some(hook) = &hooks.headers {
                        hook(headers, parts);
                    }
                }
                response
            }
            Err(error) => {
                tracing::debug!(%error, "engine.io request refused");
                if let (Some(parts), Some(hook)) = (parts, &hooks.connection_error) {
                    hook(&error, parts);
                }
                error.into_response()
            }
        };
        if let Some(cors) = &self.inner.config.cors {
            cors.apply(origin.as_ref(), response.headers_mut());
        }
        response
    }

    /// Verifies and routes a request: answers it, or says what is left to wait for.
    fn route<B>(&self, request: Request<B>) -> Route<H::Data, B>
    where
        B: Body + Send + 'static,
    {
        let config = &self.inner.config;
        if request.method() == Method::OPTIONS
            && let Some(cors) = &config.cors
        {
            let mut response = reply(StatusCode::NO_CONTENT, None, Bytes::new());
            cors.apply_preflight(request.headers(), response.headers_mut());
            return Route::Done(Ok(response));
        }
        let query = Query::parse(request.uri().query().unwrap_or(""));
        // As Node's server: `EIO=4` is v4, anything else (even nothing) is v3.
        let eio3 = query.eio.as_deref() != Some("4");
        let sid = query.sid.as_deref().map(Sid::parse);
        let transport = query
            .transport
            .as_deref()
            .and_then(Transport::parse)
            .filter(|transport| match transport {
                Transport::Polling => config.transports.polling(),
                Transport::WebSocket => config.transports.websocket(),
            })
            .ok_or(RequestError::UnknownTransport);
        let transport = match transport {
            Ok(transport) => transport,
            Err(error) => return Route::Done(Err(error)),
        };
        if let Some(sid) = sid {
            return self.route_session(sid, request, transport, eio3);
        }
        if request.method() != Method::GET {
            return Route::Done(Err(RequestError::BadHandshakeMethod));
        }
        if transport == Transport::WebSocket
            && let Err(error) = websocket_key(&request)
        {
            return Route::Done(Err(error));
        }
        if config.allow_request.is_some() {
            return Route::Handshake(Box::new(request), transport, eio3);
        }
        Route::Done(self.handshake(request, transport, eio3))
    }

    /// Routes a request that names a session (`sid`, parsed or not).
    fn route_session<B>(
        &self,
        sid: Option<Sid>,
        request: Request<B>,
        transport: Transport,
        eio3: bool,
    ) -> Route<H::Data, B>
    where
        B: Body + Send + 'static,
    {
        let Some(session) = sid.and_then(|sid| self.inner.session(&sid)) else {
            return Route::Done(Err(RequestError::UnknownSid));
        };
        // As Node's `verify`: outside an upgrade the transport must be the
        // session's, and every request must speak the session's protocol.
        if session.transport() != transport && !is_websocket_upgrade(&request) {
            return Route::Done(Err(RequestError::BadRequest));
        }
        if eio3 != session.eio3 {
            return Route::Done(Err(RequestError::BadRequest));
        }
        match transport {
            Transport::Polling => match PollingCall::of(request) {
                Ok((call, headers)) => Route::Polling(session, call, headers),
                Err(error) => Route::Done(Err(error)),
            },
            // A closed session still listed only waits for its last GET.
            Transport::WebSocket if session.is_closed() => {
                Route::Done(Err(RequestError::UnknownSid))
            }
            Transport::WebSocket if self.inner.config.allow_upgrades => {
                Route::Done(self.websocket(request, Ok(session)))
            }
            Transport::WebSocket => Route::Done(Err(RequestError::BadRequest)),
        }
    }

    /// Opens a session once the application's `allow_request` agrees.
    async fn allowed_handshake<B>(
        &self,
        request: Request<B>,
        transport: Transport,
        eio3: bool,
    ) -> Result<Response<Full<Bytes>>, RequestError>
    where
        B: Body + Send + 'static,
    {
        let (parts, body) = request.into_parts();
        if let Some(hook) = &self.inner.config.allow_request {
            hook(&parts).await.map_err(RequestError::Forbidden)?;
        }
        self.handshake(Request::from_parts(parts, body), transport, eio3)
    }

    /// Opens a session over `transport`.
    fn handshake<B>(
        &self,
        request: Request<B>,
        transport: Transport,
        eio3: bool,
    ) -> Result<Response<Full<Bytes>>, RequestError>
    where
        B: Body + Send + 'static,
    {
        if eio3 && !self.inner.config.allow_eio3 {
            return Err(RequestError::UnsupportedProtocolVersion);
        }
        let sid = Sid::random();
        let mut response = match transport {
            Transport::Polling => self.polling_handshake(sid, request, eio3),
            Transport::WebSocket => self.websocket(request, Err((sid, eio3)))?,
        };
        self.set_cookie(sid, &mut response);
        Ok(response)
    }

    /// Answers a polling request of `session`.
    async fn polling<B>(
        &self,
        session: Arc<Session<H::Data>>,
        call: PollingCall<B>,
        headers: HeaderMap,
    ) -> Result<Response<Full<Bytes>>, RequestError>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let (reply, coding) = match call {
            PollingCall::Get(coding) => (polling::get(&session).await?, coding),
            PollingCall::Post(head, body) => (polling::post(&session, head, body).await?, None),
        };
        let (status, content_type, body) = reply.parts();
        let options = self.inner.config.http_compression.as_ref();
        let (body, encoding) = compression::compress_reply(options, coding, body);
        let mut response = reply_polling(status, content_type, body, headers);
        if let Some(encoding) = encoding {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, encoding);
        }
        Ok(response)
    }

    fn polling_handshake<B>(
        &self,
        sid: Sid,
        request: Request<B>,
        eio3: bool,
    ) -> Response<Full<Bytes>> {
        let session = self.new_session(sid, handshake_of(request), Transport::Polling, eio3);
        let reply = {
            let mut state = session.lock();
            let payload = session.encode_payload(state.queue.iter());
            state.queue.clear();
            PollingReply::Payload(payload)
        };
        let (status, content_type, body) = reply.parts();
        reply_polling(status, content_type, body, HeaderMap::new())
    }

    /// Creates a session, queues its open packet and tells the handler.
    fn new_session(
        &self,
        sid: Sid,
        handshake: Handshake,
        transport: Transport,
        eio3: bool,
    ) -> Arc<Session<H::Data>> {
        let session = Session::new(
            sid,
            H::Data::default(),
            handshake,
            self.inner.config.clone(),
            (transport, eio3),
            self.inner.owner(),
            &self.inner.tasks,
        );
        let open = session.open_packet(transport);
        let _ = session.push(std::iter::once(open), false);
        session.start_heartbeat();
        self.inner.open(&session);
        session
    }

    /// Accepts a WebSocket: an upgrade of `Ok(session)`, or a new session with the
    /// id and protocol (v3 or not) in `Err`.
    fn websocket<B>(
        &self,
        mut request: Request<B>,
        session: Result<Arc<Session<H::Data>>, (Sid, bool)>,
    ) -> Result<Response<Full<Bytes>>, RequestError>
    where
        B: Send + 'static,
    {
        let accept = derive_accept_key(websocket_key(&request)?.as_bytes());
        #[cfg(feature = "ws-deflate")]
        if let Some(deflate) = &self.inner.config.per_message_deflate
            && super::deflate::offered(request.headers())
        {
            let options = super::deflate::options(&self.inner.config, deflate);
            return Ok(self.websocket_deflate(request, session, options, &accept));
        }
        let on_upgrade = hyper::upgrade::on(&mut request);
        let engine = self.clone();
        let handshake = session.is_err().then(|| handshake_of(request));
        tokio::spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(error) => {
                    tracing::debug!(%error, "websocket upgrade failed");
                    return;
                }
            };
            let session = match (session, handshake) {
                (Ok(session), _) => Ok(session),
                (Err((sid, eio3)), Some(handshake)) => Err((sid, handshake, eio3)),
                (Err(_), None) => return,
            };
            let config = &engine.inner.config;
            let upgraded = match upgraded.downcast::<TokioIo<HoldUpgrade>>() {
                Ok(parts) => {
                    let (stream, held) = parts.io.into_inner().into_parts();
                    let stream = DirectTcp::new(stream);
                    let ws = websocket::accept(stream, parts.read_buf, config).await;
                    return engine.run_websocket(session, ws, held).await;
                }
                Err(upgraded) => upgraded,
            };
            match upgraded.downcast::<TokioIo<TcpStream>>() {
                Ok(parts) => {
                    let stream = DirectTcp::new(parts.io.into_inner());
                    let ws = websocket::accept(stream, parts.read_buf, config).await;
                    engine.run_websocket(session, ws, Vec::new()).await;
                }
                Err(upgraded) => {
                    let io = TokioIo::new(upgraded);
                    let ws = websocket::accept(io, Bytes::new(), config).await;
                    engine.run_websocket(session, ws, Vec::new()).await;
                }
            }
        });
        Ok(switching_protocols(&accept))
    }

    /// Accepts a WebSocket whose client offered permessage-deflate: negotiates the
    /// extension and runs the session on the compressing transport.
    #[cfg(feature = "ws-deflate")]
    fn websocket_deflate<B>(
        &self,
        mut request: Request<B>,
        session: Result<Arc<Session<H::Data>>, (Sid, bool)>,
        options: yawc::Options,
        accept: &str,
    ) -> Response<Full<Bytes>>
    where
        B: Send + 'static,
    {
        use super::deflate;
        let agreed = deflate::agree(request.headers(), &options);
        let on_upgrade = hyper::upgrade::on(&mut request);
        let engine = self.clone();
        let handshake = session.is_err().then(|| handshake_of(request));
        let extensions = agreed.clone();
        tokio::spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(error) => {
                    tracing::debug!(%error, "websocket upgrade failed");
                    return;
                }
            };
            let Some(ws) = deflate::accept(upgraded, extensions.as_ref(), options).await else {
                return;
            };
            match (session, handshake) {
                (Ok(session), _) => deflate::upgrade(session, ws).await,
                (Err((sid, eio3)), Some(handshake)) => {
                    let session = engine.new_session(sid, handshake, Transport::WebSocket, eio3);
                    drop(engine);
                    deflate::drive(session, ws).await;
                }
                (Err(_), None) => {}
            }
        });
        let mut response = switching_protocols(accept);
        if let Some(agreed) = agreed {
            response
                .headers_mut()
                .insert(header::SEC_WEBSOCKET_EXTENSIONS, agreed);
        }
        response
    }

    /// Runs an accepted WebSocket: an upgrade of `Ok(session)`, or a new session.
    /// `held` is the `101` response when it was held back to go out with the
    /// first frames.
    ///
    /// The session is driven by a task of its own: the task that set the connection
    /// up is as large as its largest await (the upgrade, the accept, the request's
    /// parts), and a session would otherwise keep all of it for its whole life.
    async fn run_websocket<S>(
        self,
        session: Result<Arc<Session<H::Data>>, NewSession>,
        ws: Ws<S>,
        held: Vec<u8>,
    ) where
        S: AsyncRead + AsyncWrite + SocketIo + Unpin + Send + 'static,
    {
        let (session, ws, held) = match session {
            Ok(session) => match websocket::upgrade(session, ws, held).await {
                Some((session, ws)) => (session, ws, Vec::new()),
                None => return,
            },
            Err((sid, handshake, eio3)) => {
                let session = self.new_session(sid, handshake, Transport::WebSocket, eio3);
                (session, ws, held)
            }
        };
        drop(self);
        tokio::spawn(websocket::drive(session, ws, held));
    }

    fn set_cookie(&self, sid: Sid, response: &mut Response<Full<Bytes>>) {
        let Some(cookie) = &self.inner.config.cookie else {
            return;
        };
        let value = cookie.header_value(sid.as_str());
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// A session a WebSocket opens: its id, handshake, and whether it speaks v3.
type NewSession = (Sid, Handshake, bool);

fn handshake_of<B>(request: Request<B>) -> Handshake {
    let (parts, _body) = request.into_parts();
    Handshake {
        remote_addr: parts.extensions.get::<RemoteAddr>().map(|addr| addr.0),
        headers: compact_headers(&parts.headers),
        uri: compact_uri(&parts.uri),
        issued: SystemTime::now(),
        secure: parts.extensions.get::<Tls>().is_some(),
    }
}

/// Copies the header values into one buffer of their own.
///
/// Values parsed by hyper share the connection's whole read buffer; keeping them
/// for the session's lifetime would keep that buffer too.
fn compact_headers(headers: &HeaderMap) -> HeaderMap {
    let mut buffer = BytesMut::with_capacity(headers.values().map(|value| value.len()).sum());
    for value in headers.values() {
        buffer.extend_from_slice(value.as_bytes());
    }
    let mut buffer = buffer.freeze();
    let mut compact = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let bytes = buffer.split_to(value.len());
        let copied = HeaderValue::from_maybe_shared(bytes).unwrap_or_else(|_| value.clone());
        compact.append(name.clone(), copied);
    }
    compact
}

/// The request URI without a reference to the connection's read buffer.
fn compact_uri(uri: &Uri) -> Uri {
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    Uri::try_from(path).unwrap_or_else(|_| uri.clone())
}

fn is_websocket_upgrade<B>(request: &Request<B>) -> bool {
    let has_token = |name: header::HeaderName, token: &str| {
        request.headers().get_all(name).iter().any(|value| {
            value
                .as_bytes()
                .split(|&byte| byte == b',')
                .any(|part| part.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        })
    };
    request.method() == Method::GET
        && has_token(header::UPGRADE, "websocket")
        && has_token(header::CONNECTION, "upgrade")
}

/// Checks what RFC 6455 (section 4.2.1) requires of a WebSocket opening handshake:
/// an HTTP/1.1 (or later) `GET` with `Upgrade: websocket`, `Connection: Upgrade`, one
/// `Sec-WebSocket-Key` that is the base64 of 16 bytes, and `Sec-WebSocket-Version: 13`.
/// Returns the key to answer.
fn websocket_key<B>(request: &Request<B>) -> Result<&HeaderValue, RequestError> {
    if !is_websocket_upgrade(request) || request.version() < Version::HTTP_11 {
        return Err(RequestError::BadRequest);
    }
    let headers = request.headers();
    let key = only_value(headers, &header::SEC_WEBSOCKET_KEY)
        .filter(|key| is_websocket_key(key.as_bytes()))
        .ok_or(RequestError::BadRequest)?;
    match only_value(headers, &header::SEC_WEBSOCKET_VERSION) {
        Some(version) if version.as_bytes() == b"13" => Ok(key),
        _ => Err(RequestError::UnsupportedWebSocketVersion),
    }
}

/// The value of a header that must appear exactly once.
fn only_value<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> Option<&'a HeaderValue> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

/// Whether `key` is the base64 encoding of 16 bytes, as a `Sec-WebSocket-Key` must be.
fn is_websocket_key(key: &[u8]) -> bool {
    use base64::Engine as _;
    // 16 bytes always encode to 24 characters; checking first bounds the work.
    key.len() == 24
        && base64::engine::general_purpose::STANDARD
            .decode(key)
            .is_ok_and(|nonce| nonce.len() == 16)
}
