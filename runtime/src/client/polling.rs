//! The HTTP long-polling transport: a GET waits for the server's packets, a POST
//! carries the client's, each on a keep-alive HTTP/1.1 connection of its own.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

use super::endpoint::Endpoint;
use super::transport::MAX_INCOMING_MESSAGE;
use crate::engine::packet::{decode_payload, encode_payload};
use crate::engine::{DecodeError, Frame, Packet as EnginePacket};

/// The server's largest accepted payload when its `open` packet names none (the
/// Node.js default, 1 MB).
const DEFAULT_MAX_PAYLOAD: usize = 1_000_000;

/// Why a polling request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PollError {
    #[error("cannot reach the server: {0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP error: {0}")]
    Http(#[from] hyper::Error),
    #[error("invalid request: {0}")]
    Request(#[from] http::Error),
    #[error("the server answered {0}")]
    Status(StatusCode),
    #[error("the response body is unreadable or larger than {MAX_INCOMING_MESSAGE} bytes")]
    Body,
    #[error("invalid payload: {0}")]
    Payload(#[from] DecodeError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the HTTP connection closed")]
    Closed,
}

/// One keep-alive HTTP/1.1 connection, driven only while a request is under way.
struct HttpConn {
    sender: http1::SendRequest<Full<Bytes>>,
    connection: Pin<Box<http1::Connection<TokioIo<super::stream::Stream>, Full<Bytes>>>>,
}

type Exchange = Pin<Box<dyn Future<Output = (Option<HttpConn>, Result<Bytes, PollError>)> + Send>>;

impl HttpConn {
    async fn open(endpoint: &Endpoint) -> Result<HttpConn, PollError> {
        let stream = super::stream::connect(endpoint).await?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        Ok(HttpConn {
            sender,
            connection: Box::pin(connection),
        })
    }

    /// `conn` if it can still serve a request, else a new connection.
    async fn reuse_or_open(
        conn: Option<HttpConn>,
        endpoint: &Endpoint,
    ) -> Result<HttpConn, PollError> {
        match conn {
            Some(conn) if !conn.sender.is_closed() => Ok(conn),
            _ => HttpConn::open(endpoint).await,
        }
    }

    /// Sends `request` and reads the whole `200` body; gives the connection back
    /// when it may serve another request.
    async fn exchange(
        mut self,
        request: Request<Full<Bytes>>,
        endpoint: &Endpoint,
    ) -> (Option<HttpConn>, Result<Bytes, PollError>) {
        let HttpConn { sender, connection } = &mut self;
        let work = async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            endpoint.store_cookies(response.headers());
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_INCOMING_MESSAGE)
                .collect()
                .await
                .map_err(|_| PollError::Body)?
                .to_bytes();
            if status == StatusCode::OK {
                Ok(body)
            } else {
                Err(PollError::Status(status))
            }
        };
        let outcome = tokio::select! {
            outcome = work => outcome,
            ended = connection.as_mut() => Err(match ended {
                Ok(()) => PollError::Closed,
                Err(error) => PollError::Http(error),
            }),
        };
        let reusable = outcome.is_ok() && !self.sender.is_closed();
        (reusable.then_some(self), outcome)
    }
}

/// An Engine.IO session over HTTP long-polling.
pub(crate) struct Polling {
    endpoint: Endpoint,
    sid: Option<String>,
    receiving: Option<HttpConn>,
    sending: Option<HttpConn>,
    pending_get: Option<Exchange>,
    request_timeout: Duration,
    max_payload: usize,
}

impl Polling {
    /// Opens a session with the handshake GET; returns the transport and the
    /// packets of the first payload (the `open` packet first).
    pub(crate) async fn open(
        endpoint: &Endpoint,
    ) -> Result<(Polling, Vec<EnginePacket>), PollError> {
        let conn = HttpConn::open(endpoint).await?;
        let request = request(Method::GET, endpoint, None, Bytes::new())?;
        let (conn, body) = conn.exchange(request, endpoint).await;
        let packets = decode_payload(body?)?;
        let polling = Polling {
            endpoint: endpoint.clone(),
            sid: None,
            receiving: conn,
            sending: None,
            pending_get: None,
            request_timeout: Duration::from_secs(20),
            max_payload: DEFAULT_MAX_PAYLOAD,
        };
        Ok((polling, packets))
    }

    /// Records the session id, heartbeat and largest payload of the `open` packet.
    pub(crate) fn opened(&mut self, sid: &str, heartbeat: Duration, max_payload: Option<usize>) {
        self.sid = Some(sid.to_owned());
        self.request_timeout = heartbeat;
        self.max_payload = max_payload.unwrap_or(DEFAULT_MAX_PAYLOAD);
    }

    /// Waits for the next payload from the server. Cancel safe: the GET under way
    /// is kept for the next call.
    pub(crate) async fn receive(&mut self) -> Result<Vec<EnginePacket>, PollError> {
        let pending = match &mut self.pending_get {
            Some(pending) => pending,
            None => {
                let request = request(
                    Method::GET,
                    &self.endpoint,
                    self.sid.as_deref(),
                    Bytes::new(),
                )?;
                let conn = self.receiving.take();
                let endpoint = self.endpoint.clone();
                self.pending_get.insert(Box::pin(async move {
                    match HttpConn::reuse_or_open(conn, &endpoint).await {
                        Ok(conn) => conn.exchange(request, &endpoint).await,
                        Err(error) => (None, Err(error)),
                    }
                }))
            }
        };
        let (conn, outcome) = pending.await;
        self.pending_get = None;
        self.receiving = conn;
        Ok(decode_payload(outcome?)?)
    }

    /// Sends `frames`, in as few POSTs as the server's `maxPayload` allows.
    pub(crate) async fn send(&mut self, frames: &[Frame]) -> Result<(), PollError> {
        let mut start = 0;
        while start < frames.len() {
            let mut end = start + 1;
            let mut size = frames[start].polling_len();
            while let Some(frame) = frames.get(end) {
                size += 1 + frame.polling_len();
                if size > self.max_payload {
                    break;
                }
                end += 1;
            }
            self.post(&frames[start..end]).await?;
            start = end;
        }
        Ok(())
    }

    async fn post(&mut self, frames: &[Frame]) -> Result<(), PollError> {
        let request = request(
            Method::POST,
            &self.endpoint,
            self.sid.as_deref(),
            encode_payload(frames),
        )?;
        let timeout = self.request_timeout;
        let exchange = async {
            let conn = HttpConn::reuse_or_open(self.sending.take(), &self.endpoint).await?;
            let (conn, outcome) = conn.exchange(request, &self.endpoint).await;
            self.sending = conn;
            outcome.map(drop)
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| PollError::Timeout(timeout))?
    }
}

/// A polling request for the session `sid` (none for the handshake).
fn request(
    method: Method,
    endpoint: &Endpoint,
    sid: Option<&str>,
    body: Bytes,
) -> Result<Request<Full<Bytes>>, PollError> {
    let transport = "polling";
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(endpoint.path_and_query(transport, sid))
        .header(header::HOST, endpoint.authority());
    if let Some(headers) = builder.headers_mut() {
        headers.extend(endpoint.headers.clone());
        endpoint.apply_cookies(headers);
    }
    if method == Method::POST {
        builder = builder.header(header::CONTENT_TYPE, "text/plain;charset=UTF-8");
    }
    Ok(builder.body(Full::new(body))?)
}
