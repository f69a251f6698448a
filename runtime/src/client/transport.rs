//! The Engine.IO transports under the client: WebSocket, or HTTP long-polling.

use std::collections::VecDeque;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

use super::endpoint::Endpoint;
use super::polling::{PollError, Polling};
use super::state::DisconnectReason;
use crate::engine::{Frame, Packet as EnginePacket, Text};

/// The largest WebSocket message or polling response the client reads (64 MiB).
pub(crate) const MAX_INCOMING_MESSAGE: usize = 64 << 20;

/// The WebSocket to the server.
pub(crate) type Ws = WebSocketStream<super::stream::Stream>;

/// Which transports the client uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportMode {
    /// WebSocket from the start (the default).
    #[default]
    WebSocket,
    /// HTTP long-polling only.
    Polling,
    /// HTTP long-polling first, then an upgrade to WebSocket when the server
    /// offers it (as the official client does by default); polling goes on if the
    /// upgrade fails.
    PollingThenWebSocket,
}

/// What reading the transport gave.
pub(crate) enum Incoming {
    /// An Engine.IO packet.
    Packet(EnginePacket),
    /// Data that is not an Engine.IO packet.
    Invalid(String),
    /// The server closed the connection.
    Closed,
    /// Nothing for the client (a WebSocket control frame).
    Skip,
    /// Reading failed.
    Lost(DisconnectReason),
}

/// Writing to the transport failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error(transparent)]
    WebSocket(#[from] WsError),
    #[error(transparent)]
    Polling(#[from] PollError),
}

impl SendError {
    pub(crate) fn reason(&self) -> DisconnectReason {
        match self {
            SendError::WebSocket(error) => lost(error),
            SendError::Polling(_) => DisconnectReason::TransportError,
        }
    }
}

/// An open Engine.IO connection: packets already received, then the transport.
pub(crate) struct Transport {
    backlog: VecDeque<EnginePacket>,
    kind: Kind,
}

enum Kind {
    WebSocket(Box<Ws>),
    Polling(Box<Polling>),
}

impl Transport {
    /// A WebSocket transport.
    pub(crate) fn websocket(ws: Ws) -> Transport {
        Transport {
            backlog: VecDeque::new(),
            kind: Kind::WebSocket(Box::new(ws)),
        }
    }

    /// A polling transport, with the packets its handshake already received.
    pub(crate) fn polling(polling: Polling, received: Vec<EnginePacket>) -> Transport {
        Transport {
            backlog: received.into(),
            kind: Kind::Polling(Box::new(polling)),
        }
    }

    /// The polling session, when the transport is polling.
    pub(crate) fn as_polling(&mut self) -> Option<&mut Polling> {
        match &mut self.kind {
            Kind::Polling(polling) => Some(polling),
            Kind::WebSocket(_) => None,
        }
    }

    /// Continues on `ws` (an upgrade); packets already received come first.
    pub(crate) fn switch_to(&mut self, ws: Ws) {
        self.kind = Kind::WebSocket(Box::new(ws));
    }

    /// The transport's name, as Engine.IO spells it.
    pub(crate) fn name(&self) -> &'static str {
        match self.kind {
            Kind::WebSocket(_) => "websocket",
            Kind::Polling(_) => "polling",
        }
    }

    /// The next thing received. Cancel safe.
    pub(crate) async fn next(&mut self) -> Incoming {
        loop {
            if let Some(packet) = self.backlog.pop_front() {
                return Incoming::Packet(packet);
            }
            match &mut self.kind {
                Kind::WebSocket(ws) => {
                    return match ws.next().await {
                        Some(Ok(message)) => from_ws(message),
                        Some(Err(error)) => Incoming::Lost(lost(&error)),
                        None => Incoming::Closed,
                    };
                }
                Kind::Polling(polling) => match polling.receive().await {
                    Ok(packets) => self.backlog.extend(packets),
                    Err(PollError::Payload(error)) => return Incoming::Invalid(error.to_string()),
                    Err(error) => {
                        tracing::debug!(%error, "polling request failed");
                        return Incoming::Lost(DisconnectReason::TransportError);
                    }
                },
            }
        }
    }

    /// Writes `frames`: one WebSocket message each, or one POST for them all.
    pub(crate) async fn send(&mut self, frames: &[Frame]) -> Result<(), SendError> {
        match &mut self.kind {
            Kind::WebSocket(ws) => {
                for frame in frames {
                    ws.feed(to_ws(frame.clone())).await?;
                }
                Ok(ws.flush().await?)
            }
            Kind::Polling(polling) => Ok(polling.send(frames).await?),
        }
    }

    /// Closes the connection: a WebSocket close, or a `close` packet over polling.
    pub(crate) async fn close(&mut self) {
        let _ = match &mut self.kind {
            Kind::WebSocket(ws) => WebSocketStream::close(ws, None)
                .await
                .map_err(SendError::from),
            Kind::Polling(polling) => polling
                .send(&[Frame::control(crate::engine::PacketKind::Close)])
                .await
                .map_err(SendError::from),
        };
    }
}

/// Opens a WebSocket to `endpoint`: a new session, or an upgrade of session `sid`.
pub(crate) async fn open_websocket(
    endpoint: &Endpoint,
    sid: Option<&str>,
) -> Result<Ws, OpenError> {
    let stream = super::stream::connect(endpoint).await?;
    let mut request = endpoint.websocket_url(sid).into_client_request()?;
    request.headers_mut().extend(endpoint.headers.clone());
    endpoint.apply_cookies(request.headers_mut());
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_INCOMING_MESSAGE))
        .max_frame_size(Some(MAX_INCOMING_MESSAGE));
    let (ws, response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    endpoint.store_cookies(response.headers());
    Ok(ws)
}

/// Opening a WebSocket failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    WebSocket(#[from] WsError),
}

/// What one WebSocket message means to Engine.IO.
pub(crate) fn from_ws(message: WsMessage) -> Incoming {
    match message {
        WsMessage::Text(text) => {
            // SAFETY: a WebSocket text message (`Utf8Bytes`) is UTF-8, checked by
            // tungstenite when it read the frame.
            #[allow(unsafe_code)]
            let text = unsafe { Text::from_utf8_unchecked(text.into()) };
            match EnginePacket::decode_text(text) {
                Ok(packet) => Incoming::Packet(packet),
                Err(error) => Incoming::Invalid(error.to_string()),
            }
        }
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

/// The reason for a failed WebSocket read or write.
pub(crate) fn lost(error: &WsError) -> DisconnectReason {
    match error {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            DisconnectReason::TransportClose
        }
        _ => DisconnectReason::TransportError,
    }
}
