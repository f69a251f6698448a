//! Opening connections: TCP from spread source addresses, the WebSocket upgrade,
//! and the Engine.IO open / Socket.IO connect exchange.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

use crate::cli::Common;
use crate::ws::{Outbox, Ws};
use crate::{clock, eio};

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

    /// The same target on another port (another server node on the same host).
    pub fn with_port(&self, port: u16) -> Self {
        let mut target = self.clone();
        target.server.set_port(port);
        target
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
    ///
    /// The upgrade request is written by hand with a fixed key, and the answer only
    /// checked for its status line and accept key: the generator must open
    /// connections faster than any server accepts them, so it skips what a general
    /// client library does (random keys, full header parsing).
    pub async fn websocket(&self, index: usize, sid: Option<&str>) -> Result<Ws, Error> {
        let mut stream = self.tcp(index).await?;
        let sid = sid.map(|sid| format!("&sid={sid}")).unwrap_or_default();
        let request = format!(
            "GET /socket.io/?EIO=4&transport=websocket{sid} HTTP/1.1\r\n\
             Host: {}\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Key: {WS_KEY}\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n",
            self.server
        );
        let leftover = timeout(self.step_timeout, upgrade(&mut stream, request.as_bytes()))
            .await
            .map_err(|_| err("websocket handshake timed out"))??;
        Ok(Ws::new(stream, leftover))
    }

    /// Opens a WebSocket-only Socket.IO connection to `/`: open packet, CONNECT, CONNECT reply.
    pub async fn socketio(&self, index: usize) -> Result<Ws, Error> {
        self.socketio_open(index).await.map(|(ws, _, _)| ws)
    }

    /// As [`Target::socketio`], also returning the Engine.IO open packet and
    /// when it arrived (microseconds on the generator's clock).
    pub async fn socketio_open(&self, index: usize) -> Result<(Ws, Vec<u8>, u64), Error> {
        let mut ws = self.websocket(index, None).await?;
        let open = next_text(&mut ws, self.step_timeout).await?;
        let opened_us = clock::now_us();
        if eio::open_sid(&open).is_none() {
            return Err(err(format!(
                "expected an open packet, got {}",
                lossy(&open)
            )));
        }
        ws.queue_packet(&eio::sio_connect());
        ws.flush().await?;
        expect_connect_ok(&mut ws, self.step_timeout).await?;
        Ok((ws, open, opened_us))
    }

    /// Emits `join(room)` with an ack and waits for the ack.
    pub async fn join(&self, ws: &mut Ws, room: &str) -> Result<(), Error> {
        ws.send_text(eio::join(1, room).as_bytes()).await?;
        loop {
            let frame = next_text(ws, self.step_timeout).await?;
            if let Some((1, _)) = eio::parse_ack(&frame) {
                return Ok(());
            }
        }
    }
}

/// The `Sec-WebSocket-Key` every connection sends (any 16 bytes, base64).
const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// The `Sec-WebSocket-Accept` a server answers [`WS_KEY`] with (RFC 6455).
const WS_ACCEPT: &[u8] = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// Sends the upgrade request and reads the answer up to the blank line; returns
/// the bytes read past it (frames the server sent right after).
async fn upgrade(stream: &mut TcpStream, request: &[u8]) -> Result<Vec<u8>, Error> {
    stream.write_all(request).await?;
    let mut answer = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(err("connection closed during the upgrade"));
        }
        answer.extend_from_slice(&chunk[..read]);
        if let Some(end) = answer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = &answer[..end];
            if !head.starts_with(b"HTTP/1.1 101")
                || !head
                    .windows(WS_ACCEPT.len())
                    .any(|window| window == WS_ACCEPT)
            {
                let status = String::from_utf8_lossy(&head[..head.len().min(40)]).into_owned();
                return Err(err(format!("upgrade refused: {status}")));
            }
            return Ok(answer.split_off(end + 4));
        }
        if answer.len() > 16 * 1024 {
            return Err(err("upgrade answer too long"));
        }
    }
}

/// Queues the Engine.IO pong if `payload` is an Engine.IO ping.
pub fn answer_ping(payload: &[u8], out: &mut Outbox) {
    if payload == eio::PING {
        out.text(eio::PONG.as_bytes());
    }
}

/// A frame for an error message, quoted, with invalid UTF-8 replaced.
pub fn lossy(frame: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(frame))
}

/// Waits for the Socket.IO CONNECT reply, answering pings meanwhile.
pub async fn expect_connect_ok(ws: &mut Ws, step: Duration) -> Result<(), Error> {
    let frame = next_text(ws, step).await?;
    if eio::is_connect_ok(&frame) {
        Ok(())
    } else {
        Err(err(format!(
            "expected a CONNECT reply, got {}",
            lossy(&frame)
        )))
    }
}

/// Next text frame that is not an Engine.IO ping (pings are answered), with a
/// timeout; WebSocket pings are answered and other frames skipped on the way.
pub async fn next_text(ws: &mut Ws, step: Duration) -> Result<Vec<u8>, Error> {
    loop {
        let frame = timeout(step, ws.next_text())
            .await
            .map_err(|_| err("timed out waiting for a frame"))??;
        if frame != eio::PING {
            return Ok(frame);
        }
        ws.send_text(eio::PONG.as_bytes()).await?;
    }
}
