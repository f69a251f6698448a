//! Opening connections: TCP from spread source addresses, the WebSocket upgrade,
//! and the Engine.IO open / Socket.IO connect exchange.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::cli::Common;
use crate::eio;

/// A WebSocket client connection.
pub type Ws = WebSocketStream<TcpStream>;

/// Any failure while connecting or talking to the server.
pub type Error = Box<dyn std::error::Error>;

/// Builds an error from a message.
pub fn err(msg: impl Into<String>) -> Error {
    msg.into().into()
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Target {
    server: SocketAddr,
    src_addrs: u8,
    /// Timeout of each protocol step.
    pub step_timeout: Duration,
}

impl Target {
    /// Builds the target from the shared command-line options.
    pub fn new(common: &Common) -> Self {
        Self {
            server: SocketAddr::V4(SocketAddrV4::new(common.host, common.port)),
            src_addrs: common.src_addrs.max(1),
            step_timeout: common.step_timeout(),
        }
    }

    /// `host:port` for the `Host` header.
    pub fn authority(&self) -> String {
        self.server.to_string()
    }

    /// Opens a TCP connection from 127.0.0.(1 + index % N), so that many
    /// connections do not exhaust the ephemeral ports of one source address.
    pub async fn tcp(&self, index: usize) -> Result<TcpStream, Error> {
        let octet = 1 + u8::try_from(index % usize::from(self.src_addrs)).unwrap_or(0);
        let source = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, octet), 0));
        let socket = TcpSocket::new_v4()?;
        if self.server.ip().is_loopback() {
            socket.bind(source)?;
        }
        let stream = timeout(self.step_timeout, socket.connect(self.server))
            .await
            .map_err(|_| err("tcp connect timed out"))??;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    /// Opens a WebSocket to the Engine.IO endpoint, joining session `sid` if given.
    pub async fn websocket(&self, index: usize, sid: Option<&str>) -> Result<Ws, Error> {
        let stream = self.tcp(index).await?;
        let mut url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", self.server);
        if let Some(sid) = sid {
            url.push_str("&sid=");
            url.push_str(sid);
        }
        let config = WebSocketConfig::default()
            .read_buffer_size(16 * 1024)
            .write_buffer_size(16 * 1024);
        let (ws, _) = timeout(
            self.step_timeout,
            tokio_tungstenite::client_async_with_config(url, stream, Some(config)),
        )
        .await
        .map_err(|_| err("websocket handshake timed out"))??;
        Ok(ws)
    }

    /// Opens a WebSocket-only Socket.IO connection to `/`: open packet, CONNECT, CONNECT reply.
    pub async fn socketio(&self, index: usize) -> Result<Ws, Error> {
        let mut ws = self.websocket(index, None).await?;
        let open = next_text(&mut ws, self.step_timeout).await?;
        if eio::open_sid(open.as_bytes()).is_none() {
            return Err(err(format!("expected an open packet, got {open:?}")));
        }
        ws.send(text(eio::SIO_CONNECT)).await?;
        expect_connect_ok(&mut ws, self.step_timeout).await?;
        Ok(ws)
    }

    /// Emits `join(room)` with an ack and waits for the ack.
    pub async fn join(&self, ws: &mut Ws, room: &str) -> Result<(), Error> {
        ws.send(Message::Text(eio::join(1, room).into())).await?;
        loop {
            let frame = next_text(ws, self.step_timeout).await?;
            if let Some((1, _)) = eio::parse_ack(frame.as_bytes()) {
                return Ok(());
            }
        }
    }
}

/// A text message from a static string.
pub fn text(s: &'static str) -> Message {
    Message::Text(Utf8Bytes::from_static(s))
}

/// Waits for the Socket.IO CONNECT reply, answering pings meanwhile.
pub async fn expect_connect_ok(ws: &mut Ws, step: Duration) -> Result<(), Error> {
    let frame = next_text(ws, step).await?;
    if eio::is_connect_ok(frame.as_bytes()) {
        Ok(())
    } else {
        Err(err(format!("expected a CONNECT reply, got {frame:?}")))
    }
}

/// Next text frame that is not a ping (pings are answered), with a timeout.
pub async fn next_text(ws: &mut Ws, step: Duration) -> Result<Utf8Bytes, Error> {
    loop {
        let msg = timeout(step, ws.next())
            .await
            .map_err(|_| err("timed out waiting for a frame"))?
            .ok_or_else(|| err("connection closed"))??;
        match msg {
            Message::Text(t) if t.as_bytes() == eio::PING => ws.send(text(eio::PONG)).await?,
            Message::Text(t) => return Ok(t),
            Message::Close(_) => return Err(err("connection closed by server")),
            _ => {}
        }
    }
}
