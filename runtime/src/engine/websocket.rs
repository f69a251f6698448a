//! The WebSocket transport: one task per connection reads frames, writes queued
//! packets in batches and runs the heartbeat.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Frame as WsFrame};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

use super::config::EngineConfig;
use super::packet::{Frame, Packet, PacketKind};
use super::session::{CloseReason, Phase, Session};
use super::text::Text;

/// Bytes buffered before tungstenite writes to the socket while a batch is fed.
const WRITE_BUFFER: usize = 16 * 1024;

/// How often a pending polling request is released with a noop during an upgrade.
const UPGRADE_NOOP_INTERVAL: Duration = Duration::from_millis(100);

/// The tungstenite options for a server connection under `config`.
pub(crate) fn ws_config(config: &EngineConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(config.ws_read_buffer_size)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(Some(config.max_payload))
        .max_frame_size(Some(config.max_payload))
}

/// Wraps an upgraded connection as a server-side WebSocket.
pub(crate) async fn accept<S>(io: S, config: &EngineConfig) -> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    WebSocketStream::from_raw_socket(io, Role::Server, Some(ws_config(config))).await
}

fn to_ws(frame: Frame) -> WsMessage {
    match frame {
        Frame::Text(text) => WsMessage::Frame(WsFrame::message(
            text.into_bytes(),
            OpCode::Data(Data::Text),
            true,
        )),
        Frame::Binary(bytes) => WsMessage::Binary(bytes),
    }
}

enum Incoming {
    Continue,
    /// The peer is gone or broke the protocol; the close code to answer with.
    Stop(Option<CloseCode>),
}

fn on_incoming<D>(
    session: &Arc<Session<D>>,
    incoming: Option<Result<WsMessage, WsError>>,
) -> Incoming {
    match incoming {
        Some(Ok(WsMessage::Text(text))) => {
            match Packet::decode_text(Text::from_validated(text.into())) {
                Ok(packet) => session.on_packet(packet),
                Err(error) => {
                    tracing::debug!(sid = %session.id, %error, "bad websocket packet");
                    session.close(CloseReason::ParseError);
                }
            }
            Incoming::Continue
        }
        Some(Ok(WsMessage::Binary(bytes))) => {
            session.on_packet(Packet::Binary(bytes));
            Incoming::Continue
        }
        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {
            Incoming::Continue
        }
        Some(Ok(WsMessage::Close(_))) | None => {
            session.close(CloseReason::TransportClose);
            Incoming::Stop(None)
        }
        Some(Err(WsError::Capacity(error))) => {
            tracing::debug!(sid = %session.id, %error, "websocket message over max_payload");
            session.close(CloseReason::TransportError);
            Incoming::Stop(Some(CloseCode::Size))
        }
        Some(Err(error)) => {
            tracing::debug!(sid = %session.id, %error, "websocket error");
            session.close(CloseReason::TransportError);
            Incoming::Stop(Some(CloseCode::Protocol))
        }
    }
}

/// Writes a batch of frames with one flush, bounded by `limit`.
async fn write_batch<S>(
    ws: &mut WebSocketStream<S>,
    batch: &mut VecDeque<Frame>,
    limit: Duration,
) -> Result<(), ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let write = async {
        while let Some(frame) = batch.pop_front() {
            ws.feed(to_ws(frame)).await?;
        }
        ws.flush().await
    };
    match tokio::time::timeout(limit, write).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// Runs a WebSocket session until it ends: reads packets, writes what is queued,
/// and pings on schedule.
pub(crate) async fn drive<D: Send + Sync + 'static, S>(
    session: Arc<Session<D>>,
    mut ws: WebSocketStream<S>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let write_limit = session.config.ping_interval + session.config.ping_timeout;
    let mut batch = VecDeque::new();
    let mut close_code = Some(CloseCode::Normal);
    loop {
        let deadline = session.heartbeat_deadline();
        let mut stop = false;
        tokio::select! {
            biased;
            incoming = ws.next() => {
                if let Incoming::Stop(code) = on_incoming(&session, incoming) {
                    close_code = code;
                    stop = true;
                }
            }
            () = session.driver.notified() => {}
            () = tokio::time::sleep_until(deadline) => session.heartbeat_tick(),
        }
        if stop {
            break;
        }
        let closed = {
            let mut state = session.lock();
            match state.flush_after.take() {
                Some(last) if last + 1 < state.queue.len() => {
                    batch.extend(state.queue.drain(..=last));
                    session.driver.notify_one();
                }
                _ => std::mem::swap(&mut state.queue, &mut batch),
            }
            state.closed.is_some() && state.queue.is_empty()
        };
        if !batch.is_empty() && write_batch(&mut ws, &mut batch, write_limit).await.is_err() {
            batch.clear();
            session.close(CloseReason::TransportError);
            close_code = None;
            break;
        }
        if closed {
            break;
        }
    }
    if let Some(code) = close_code {
        let frame = CloseFrame {
            code,
            reason: "".into(),
        };
        let _ = tokio::time::timeout(write_limit, ws.close(Some(frame))).await;
    }
}

/// Takes a polling session over to WebSocket: answers `2probe` with `3probe`,
/// releases pending polling requests with noops, and switches on `5`. An upgrade
/// that does not complete within `upgrade_timeout` is dropped and the session
/// stays on polling.
pub(crate) async fn upgrade<D: Send + Sync + 'static, S>(
    session: Arc<Session<D>>,
    mut ws: WebSocketStream<S>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let may_upgrade = {
        let mut state = session.lock();
        let may_upgrade = state.phase == Phase::Polling && state.closed.is_none();
        if may_upgrade {
            state.phase = Phase::Upgrading;
        }
        may_upgrade
    };
    if !may_upgrade {
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
        return;
    }
    let deadline = Instant::now() + session.config.upgrade_timeout;
    let mut ticker = tokio::time::interval(UPGRADE_NOOP_INTERVAL);
    let mut probed = false;
    let upgraded = loop {
        tokio::select! {
            biased;
            incoming = ws.next() => match incoming {
                Some(Ok(WsMessage::Text(text))) if text.as_str() == "2probe" => {
                    let pong = to_ws(Frame::text_packet(PacketKind::Pong, "probe"));
                    if tokio::time::timeout_at(deadline, ws.send(pong)).await.is_err() {
                        break false;
                    }
                    probed = true;
                }
                Some(Ok(WsMessage::Text(text))) if text.as_str() == "5" && probed => break true,
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                _ => break false,
            },
            _ = ticker.tick() => {
                if session.is_closed() {
                    break false;
                }
                if probed {
                    let noop = Frame::control(PacketKind::Noop);
                    let _ = session.push(&mut std::iter::once(noop), true);
                }
            }
            () = tokio::time::sleep_until(deadline) => break false,
        }
    };
    let switched = {
        let mut state = session.lock();
        let switch = upgraded && state.closed.is_none();
        state.phase = if switch {
            Phase::WebSocket
        } else {
            Phase::Polling
        };
        switch
    };
    if !switched {
        tracing::debug!(sid = %session.id, "upgrade failed");
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
        return;
    }
    session.poll.notify_one();
    session.driver.notify_one();
    drive(session, ws).await;
}
