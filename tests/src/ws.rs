//! A WebSocket client for tests, on tokio-tungstenite.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Response;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::PATIENCE;
use crate::http::Reply;

/// Something a WebSocket client saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// The connection ended: with the close code of the server's close frame, or
    /// `None` when it went away without one.
    Closed(Option<u16>),
}

/// A connected WebSocket client.
#[derive(Debug)]
pub struct WsClient {
    stream: WebSocketStream<TcpStream>,
    /// The server's `101 Switching Protocols` response.
    pub response: Response,
    closed: bool,
    pongs: Vec<Vec<u8>>,
}

impl WsClient {
    /// Opens a WebSocket to `path_and_query` on `addr` with extra request headers.
    ///
    /// Returns the server's reply when it refuses the upgrade.
    ///
    /// # Panics
    ///
    /// If the server cannot be reached or the handshake fails for another reason.
    pub async fn connect_with(
        addr: SocketAddr,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Result<WsClient, Reply> {
        let mut request = format!("ws://{addr}{path_and_query}")
            .into_client_request()
            .expect("valid WebSocket URL");
        for (name, value) in headers {
            request.headers_mut().insert(
                http::header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                http::header::HeaderValue::from_str(value).expect("header value"),
            );
        }
        let handshake = async {
            let stream = TcpStream::connect(addr)
                .await
                .expect("connect to test server");
            tokio_tungstenite::client_async(request, stream).await
        };
        match tokio::time::timeout(PATIENCE, handshake).await {
            Ok(Ok((stream, response))) => Ok(WsClient {
                stream,
                response,
                closed: false,
                pongs: Vec::new(),
            }),
            Ok(Err(WsError::Http(response))) => {
                let (parts, body) = response.into_parts();
                Err(Reply {
                    status: parts.status,
                    headers: parts.headers,
                    body: Bytes::from(body.unwrap_or_default()),
                })
            }
            Ok(Err(error)) => panic!("WebSocket handshake to {path_and_query} failed: {error}"),
            Err(_) => panic!("WebSocket handshake to {path_and_query} took over {PATIENCE:?}"),
        }
    }

    /// Opens a WebSocket to `path_and_query` on `addr`.
    ///
    /// # Panics
    ///
    /// If the server refuses the upgrade.
    pub async fn connect(addr: SocketAddr, path_and_query: &str) -> WsClient {
        match WsClient::connect_with(addr, path_and_query, &[]).await {
            Ok(client) => client,
            Err(reply) => panic!(
                "WebSocket upgrade to {path_and_query} refused: {} {:?}",
                reply.status, reply.body
            ),
        }
    }

    /// Whether the server's handshake answered `101`.
    pub fn switched(&self) -> bool {
        self.response.status() == StatusCode::SWITCHING_PROTOCOLS
    }

    /// Sends a text frame.
    ///
    /// # Panics
    ///
    /// If the connection is gone.
    pub async fn send_text(&mut self, text: &str) {
        self.try_send(Message::text(text))
            .await
            .unwrap_or_else(|error| panic!("sending {text:?}: {error}"));
    }

    /// Sends a binary frame.
    ///
    /// # Panics
    ///
    /// If the connection is gone.
    pub async fn send_binary(&mut self, bytes: impl Into<Bytes>) {
        self.try_send(Message::Binary(bytes.into()))
            .await
            .unwrap_or_else(|error| panic!("sending binary: {error}"));
    }

    /// Sends a text frame to a socket the server may already have closed; returns
    /// whether it was written.
    pub async fn send_text_if_open(&mut self, text: &str) -> bool {
        self.try_send(Message::text(text)).await.is_ok()
    }

    /// Sends a message, returning the error if the connection is gone.
    pub async fn try_send(&mut self, message: Message) -> Result<(), WsError> {
        self.stream.send(message).await
    }

    /// Starts the closing handshake from the client side.
    pub async fn close(&mut self) {
        let _ = self.stream.close(None).await;
    }

    /// The payloads of the WebSocket-level pongs received so far, in order.
    pub fn pongs(&self) -> &[Vec<u8>] {
        &self.pongs
    }

    /// The next data frame or the end of the connection, waiting at most `within`;
    /// `None` if nothing arrived in time. WebSocket-level pings are skipped, pongs
    /// are recorded (see [`WsClient::pongs`]).
    pub async fn next_within(&mut self, within: Duration) -> Option<WsEvent> {
        if self.closed {
            return Some(WsEvent::Closed(None));
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            let event = match next {
                Some(Ok(Message::Text(text))) => WsEvent::Text(text.as_str().to_owned()),
                Some(Ok(Message::Binary(bytes))) => WsEvent::Binary(bytes.to_vec()),
                Some(Ok(Message::Close(frame))) => {
                    WsEvent::Closed(frame.map(|frame| u16::from(frame.code)))
                }
                Some(Ok(Message::Pong(payload))) => {
                    self.pongs.push(payload.to_vec());
                    continue;
                }
                Some(Ok(Message::Ping(_) | Message::Frame(_))) => continue,
                Some(Err(_)) | None => WsEvent::Closed(None),
            };
            if matches!(event, WsEvent::Closed(_)) {
                self.closed = true;
            }
            return Some(event);
        }
    }

    /// The next data frame or the end of the connection.
    ///
    /// # Panics
    ///
    /// If nothing arrives within [`PATIENCE`].
    pub async fn next(&mut self) -> WsEvent {
        self.next_within(PATIENCE)
            .await
            .unwrap_or_else(|| panic!("nothing received within {PATIENCE:?}"))
    }

    /// The next frame, which must be text.
    ///
    /// # Panics
    ///
    /// If it is something else, or nothing arrives within [`PATIENCE`].
    pub async fn expect_text(&mut self) -> String {
        match self.next().await {
            WsEvent::Text(text) => text,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next frame, which must be binary.
    ///
    /// # Panics
    ///
    /// If it is something else, or nothing arrives within [`PATIENCE`].
    pub async fn expect_binary(&mut self) -> Vec<u8> {
        match self.next().await {
            WsEvent::Binary(bytes) => bytes,
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    /// Reads until the connection ends, within `within`; returns the close code and
    /// the data frames received before it.
    ///
    /// # Panics
    ///
    /// If the connection is still open after `within`.
    pub async fn expect_closed_within(&mut self, within: Duration) -> (Option<u16>, Vec<WsEvent>) {
        let deadline = tokio::time::Instant::now() + within;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(WsEvent::Closed(code)) => return (code, before),
                Some(event) => before.push(event),
                None => panic!("connection still open after {within:?}; received {before:?}"),
            }
        }
    }

    /// Reads until the connection ends, within [`PATIENCE`].
    ///
    /// # Panics
    ///
    /// If the connection is still open after [`PATIENCE`].
    pub async fn expect_closed(&mut self) -> (Option<u16>, Vec<WsEvent>) {
        self.expect_closed_within(PATIENCE).await
    }
}
