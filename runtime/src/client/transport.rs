//! The WebSocket transport: opening an Engine.IO session and joining the namespace.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use super::endpoint::Endpoint;
use super::error::ConnectError;
use crate::engine::{Frame, Packet as EnginePacket, PacketKind as EngineKind, Text};
use crate::protocol::{Body, Decoder, Encoded, Packet, try_encode_connect};
use crate::server;

/// The WebSocket to the server.
pub(crate) type Ws = WebSocketStream<TcpStream>;

/// An open Engine.IO session over WebSocket, joined to the namespace.
pub(crate) struct Link {
    pub(crate) ws: Ws,
    pub(crate) decoder: Decoder,
    /// No ping within this long means the connection is lost
    /// (`pingInterval + pingTimeout`).
    pub(crate) heartbeat: Duration,
    /// The socket id the server gave in its CONNECT answer.
    pub(crate) sid: String,
}

/// The handshake document of an Engine.IO `open` packet.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenInfo {
    ping_interval: u64,
    ping_timeout: u64,
}

/// The CONNECT answer's data.
#[derive(Deserialize)]
struct ConnectReply {
    sid: String,
}

/// The CONNECT_ERROR payload, as an object (a bare string is also accepted).
#[derive(Deserialize)]
struct Refusal {
    message: String,
    data: Option<serde_json::Value>,
}

/// Connects to `endpoint` over WebSocket and joins `nsp` with `auth`, all within
/// `timeout`.
pub(crate) async fn establish(
    endpoint: &Endpoint,
    nsp: &str,
    auth: Option<&serde_json::Value>,
    timeout: Duration,
) -> Result<Link, ConnectError> {
    tokio::time::timeout(timeout, handshake(endpoint, nsp, auth))
        .await
        .map_err(|_| ConnectError::Timeout(timeout))?
}

async fn handshake(
    endpoint: &Endpoint,
    nsp: &str,
    auth: Option<&serde_json::Value>,
) -> Result<Link, ConnectError> {
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
    stream.set_nodelay(true)?;
    let (mut ws, _response) =
        tokio_tungstenite::client_async(endpoint.websocket_url(), stream).await?;

    let heartbeat = match next_engine_packet(&mut ws).await? {
        EnginePacket::Open(json) => {
            let open: OpenInfo = serde_json::from_str(json.as_str())
                .map_err(|error| protocol_error(format!("bad open packet: {error}")))?;
            Duration::from_millis(open.ping_interval.saturating_add(open.ping_timeout))
        }
        other => {
            return Err(protocol_error(format!(
                "expected an open packet, got {other:?}"
            )));
        }
    };

    let connect = try_encode_connect(nsp, auth)
        .map_err(|error| ConnectError::InvalidAuth(error.to_string()))?;
    send_encoded(&mut ws, &connect).await?;

    let mut decoder = Decoder::default();
    loop {
        let packet = match next_engine_packet(&mut ws).await? {
            EnginePacket::Ping(_) => {
                ws.send(to_ws(Frame::control(EngineKind::Pong))).await?;
                continue;
            }
            EnginePacket::Message(text) => decoder.decode_text(text),
            EnginePacket::Binary(bytes) => decoder.decode_binary(bytes),
            EnginePacket::Close => return Err(ConnectError::Closed),
            _ => continue,
        };
        let packet = packet.map_err(|error| protocol_error(error.to_string()))?;
        if let Some(Packet {
            nsp: from, body, ..
        }) = packet
        {
            if from.as_str() != nsp {
                continue;
            }
            match body {
                Body::Connect(Some(data)) => {
                    let reply: ConnectReply = serde_json::from_str(data.as_str())
                        .map_err(|error| protocol_error(format!("bad CONNECT answer: {error}")))?;
                    return Ok(Link {
                        ws,
                        decoder,
                        heartbeat,
                        sid: reply.sid,
                    });
                }
                Body::Connect(None) => {
                    return Err(protocol_error("CONNECT answer without a sid".to_owned()));
                }
                Body::ConnectError(json) => return Err(ConnectError::Refused(refusal(&json))),
                _ => {}
            }
        }
    }
}

/// Reads the server's `connect_error` payload: `{"message","data"}` or a string.
fn refusal(json: &Text) -> server::ConnectError {
    if let Ok(Refusal { message, data }) = serde_json::from_str(json.as_str()) {
        let error = server::ConnectError::new(message);
        return match data {
            Some(data) => error.with_data(data),
            None => error,
        };
    }
    match serde_json::from_str::<String>(json.as_str()) {
        Ok(message) => server::ConnectError::new(message),
        Err(_) => server::ConnectError::new(json.as_str()),
    }
}

fn protocol_error(message: String) -> ConnectError {
    ConnectError::Protocol(message)
}

/// The next Engine.IO packet; WebSocket control frames are skipped.
async fn next_engine_packet(ws: &mut Ws) -> Result<EnginePacket, ConnectError> {
    loop {
        match ws.next().await {
            Some(Ok(message)) => match from_ws(message) {
                Incoming::Packet(packet) => return Ok(packet),
                Incoming::Invalid(message) => return Err(protocol_error(message)),
                Incoming::Closed => return Err(ConnectError::Closed),
                Incoming::Skip => {}
            },
            Some(Err(error)) => return Err(error.into()),
            None => return Err(ConnectError::Closed),
        }
    }
}

/// What one WebSocket message means to Engine.IO.
pub(crate) enum Incoming {
    /// An Engine.IO packet.
    Packet(EnginePacket),
    /// A text frame that is not an Engine.IO packet.
    Invalid(String),
    /// The server closed the WebSocket.
    Closed,
    /// A WebSocket control frame, handled by the library.
    Skip,
}

pub(crate) fn from_ws(message: WsMessage) -> Incoming {
    match message {
        WsMessage::Text(text) => match EnginePacket::decode_text(Text::from_validated(text.into()))
        {
            Ok(packet) => Incoming::Packet(packet),
            Err(error) => Incoming::Invalid(error.to_string()),
        },
        WsMessage::Binary(bytes) => Incoming::Packet(EnginePacket::Binary(bytes)),
        WsMessage::Close(_) => Incoming::Closed,
        WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => Incoming::Skip,
    }
}

/// An Engine.IO frame as a WebSocket message.
pub(crate) fn to_ws(frame: Frame) -> WsMessage {
    match frame {
        Frame::Text(text) => WsMessage::Frame(WsFrame::message(
            text.into_bytes(),
            OpCode::Data(Data::Text),
            true,
        )),
        Frame::Binary(bytes) => WsMessage::Binary(bytes),
    }
}

/// Writes an encoded Socket.IO packet: its text frame, then each attachment.
pub(crate) async fn send_encoded(
    ws: &mut Ws,
    encoded: &Encoded,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    for frame in encoded.frames() {
        ws.feed(to_ws(frame)).await?;
    }
    ws.flush().await
}
