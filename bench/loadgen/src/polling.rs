//! HTTP long-polling clients: the Engine.IO handshake, sending and receiving
//! payloads, and the upgrade to WebSocket.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::time::timeout;

use crate::conn::{Error, Target, err, lossy, next_text};
use crate::eio;
use crate::ws::Ws;

/// How long a GET may wait for data before the client gives up on the session.
/// Servers answer within their ping interval (25 s by default).
const POLL_TIMEOUT: Duration = Duration::from_secs(60);

/// One keep-alive HTTP/1.1 connection.
struct Channel {
    sender: SendRequest<Full<Bytes>>,
}

impl Channel {
    async fn open(target: &Target, index: usize) -> Result<Self, Error> {
        let stream = target.tcp(index).await?;
        let (sender, conn) = timeout(
            target.step_timeout,
            hyper::client::conn::http1::handshake(TokioIo::new(stream)),
        )
        .await
        .map_err(|_| err("http handshake timed out"))??;
        // The connection task ends when the sender is dropped or the peer closes.
        tokio::task::spawn_local(conn);
        Ok(Self { sender })
    }

    async fn request(
        &mut self,
        method: Method,
        uri: &str,
        host: &str,
        body: Bytes,
        limit: Duration,
    ) -> Result<Bytes, Error> {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(hyper::header::HOST, host)
            .header(hyper::header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(Full::new(body))?;
        let exchange = async {
            self.sender.ready().await?;
            let resp = self.sender.send_request(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, Error>((status, body))
        };
        let (status, body) = timeout(limit, exchange)
            .await
            .map_err(|_| err(format!("{uri}: timed out")))??;
        if status != StatusCode::OK {
            return Err(err(format!("{uri}: HTTP {status}: {body:?}")));
        }
        Ok(body)
    }
}

/// A Socket.IO client on HTTP long-polling, connected to `/`.
pub struct Polling {
    target: Target,
    index: usize,
    host: String,
    sid: String,
    get: Channel,
    /// The connection POSTs go over once GETs may be pending; until then (the
    /// handshake, whose requests follow one another) they share the GET connection,
    /// as a browser reuses its one keep-alive connection.
    post: Option<Channel>,
}

impl Polling {
    /// Performs the polling handshake and the Socket.IO CONNECT to `/`.
    pub async fn connect(target: &Target, index: usize) -> Result<Self, Error> {
        let host = target.authority();
        let mut get = Channel::open(target, index).await?;
        let open = get
            .request(
                Method::GET,
                "/socket.io/?EIO=4&transport=polling",
                &host,
                Bytes::new(),
                target.step_timeout,
            )
            .await?;
        let first = eio::split_payload(&open).next().unwrap_or_default();
        let sid = eio::open_sid(first)
            .ok_or_else(|| err(format!("expected an open packet, got {open:?}")))?
            .to_string();
        let mut client = Self {
            target: target.clone(),
            index,
            host,
            sid,
            get,
            post: None,
        };
        let uri = client.uri();
        client
            .get
            .request(
                Method::POST,
                &uri,
                &client.host,
                Bytes::from_static(eio::SIO_CONNECT.as_bytes()),
                target.step_timeout,
            )
            .await?;
        loop {
            let payload = client.poll(target.step_timeout).await?;
            if eio::split_payload(&payload).any(eio::is_connect_ok) {
                return Ok(client);
            }
        }
    }

    fn uri(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    /// POSTs one payload, over a connection of its own (opened on first use).
    pub async fn send(&mut self, payload: Bytes) -> Result<(), Error> {
        let uri = self.uri();
        let step = self.target.step_timeout;
        let post = post_channel(&mut self.post, &self.target, self.index).await?;
        post.request(Method::POST, &uri, &self.host, payload, step)
            .await
            .map(drop)
    }

    /// POSTs `payload` (unless empty) while a GET waits for the next payload,
    /// as a browser client keeps its GET pending while it sends; returns what
    /// the GET brought.
    pub async fn exchange(&mut self, payload: Bytes) -> Result<Bytes, Error> {
        let uri = self.uri();
        let step = self.target.step_timeout;
        let post = post_channel(&mut self.post, &self.target, self.index).await?;
        let send = async {
            if payload.is_empty() {
                return Ok(Bytes::new());
            }
            post.request(Method::POST, &uri, &self.host, payload, step)
                .await
        };
        let get = self
            .get
            .request(Method::GET, &uri, &self.host, Bytes::new(), POLL_TIMEOUT);
        let (_, got) = tokio::try_join!(send, get)?;
        Ok(got)
    }

    /// GETs the next payload, waiting at most `limit`.
    pub async fn poll(&mut self, limit: Duration) -> Result<Bytes, Error> {
        let uri = self.uri();
        self.get
            .request(Method::GET, &uri, &self.host, Bytes::new(), limit)
            .await
    }

    /// GETs the next payload with the long-poll timeout.
    pub async fn poll_long(&mut self) -> Result<Bytes, Error> {
        self.poll(POLL_TIMEOUT).await
    }

    /// Emits `join(room)` with an ack and waits for the ack.
    pub async fn join(&mut self, room: &str) -> Result<(), Error> {
        self.send(Bytes::from(eio::join(1, room))).await?;
        loop {
            let payload = self.poll(self.target.step_timeout).await?;
            if eio::split_payload(&payload).any(|p| matches!(eio::parse_ack(p), Some((1, _)))) {
                return Ok(());
            }
        }
    }

    /// Upgrades the session to WebSocket: `2probe`, `3probe`, `5`.
    pub async fn upgrade(self) -> Result<Ws, Error> {
        let mut ws = self.target.websocket(self.index, Some(&self.sid)).await?;
        ws.send_text(eio::PROBE.as_bytes()).await?;
        let reply = next_text(&mut ws, self.target.step_timeout).await?;
        if reply != eio::PROBE_REPLY {
            return Err(err(format!("expected 3probe, got {}", lossy(&reply))));
        }
        ws.send_text(eio::UPGRADE.as_bytes()).await?;
        Ok(ws)
    }
}

/// Opens a Socket.IO connection by polling, then upgrades it to WebSocket.
pub async fn connect_upgraded(target: &Target, index: usize) -> Result<Ws, Error> {
    let polling = Polling::connect(target, index).await?;
    polling.upgrade().await
}

/// The connection POSTs go over, opened on first use.
async fn post_channel<'a>(
    post: &'a mut Option<Channel>,
    target: &Target,
    index: usize,
) -> Result<&'a mut Channel, Error> {
    match post {
        Some(post) => Ok(post),
        None => Ok(post.insert(Channel::open(target, index).await?)),
    }
}
