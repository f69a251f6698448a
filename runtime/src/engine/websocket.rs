//! The WebSocket transport: one task per connection reads frames and writes its
//! own answers; on a plain TCP stream, what other tasks
//! queue for it (broadcasts) is written by flusher tasks (see [`super::direct`]),
//! and the connection's task only takes over a socket that is full or closing.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use std::pin::Pin;
use std::task::Poll;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Frame as WsFrame};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

use super::config::EngineConfig;
use super::connection::CloseReason;
use super::direct::Driving;
use super::frame_writer::{self, Written};
use super::packet::{Frame, Packet, PacketKind};
use super::packet_v3;
use super::session::{Claim, Phase, Session};
use super::ws_io::{CaptureWrites, SocketIo};
use crate::frame::Text;

/// How often a pending polling request is released with a noop during an upgrade.
const UPGRADE_NOOP_INTERVAL: Duration = Duration::from_millis(100);

/// The tungstenite options for a server connection under `config`.
pub(crate) fn ws_config(config: &EngineConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(config.ws_read_buffer_size)
        .write_buffer_size(0)
        .max_message_size(Some(config.max_payload))
        .max_frame_size(Some(config.max_payload))
}

/// A server-side WebSocket over a connection, whose own frames the driver writes.
pub(crate) type Ws<S> = WebSocketStream<CaptureWrites<S>>;

/// Wraps an upgraded connection as a server-side WebSocket; `read` holds bytes
/// already read from it.
pub(crate) async fn accept<S>(io: S, read: Bytes, config: &EngineConfig) -> Ws<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let io = CaptureWrites::new(io);
    let config = Some(ws_config(config));
    if read.is_empty() {
        WebSocketStream::from_raw_socket(io, Role::Server, config).await
    } else {
        WebSocketStream::from_partially_read(io, read.to_vec(), Role::Server, config).await
    }
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

/// What a burst of reads left to do.
#[derive(Default)]
struct Burst {
    /// The connection must end, answering with this close code.
    stop: Option<Option<CloseCode>>,
    /// Reading stopped at the burst limit: complete frames may still be buffered.
    buffered: bool,
}

fn on_incoming<D: Send + Sync + 'static>(
    session: &Arc<Session<D>>,
    incoming: Option<Result<WsMessage, WsError>>,
) -> Incoming {
    match incoming {
        Some(Ok(WsMessage::Text(text))) => {
            // SAFETY: a WebSocket text message (`Utf8Bytes`) is UTF-8, checked by
            // tungstenite when it read the frame.
            #[allow(unsafe_code)]
            let text = unsafe { Text::from_utf8_unchecked(text.into()) };
            let decoded = if session.eio3 {
                packet_v3::decode_text(text)
            } else {
                Packet::decode_text(text)
            };
            match decoded {
                Ok(packet) => session.on_packet(packet),
                Err(error) => {
                    tracing::debug!(sid = %session.id, %error, "bad websocket packet");
                    session.close(CloseReason::ParseError);
                }
            }
            Incoming::Continue
        }
        Some(Ok(WsMessage::Binary(bytes))) if session.eio3 => {
            match packet_v3::decode_binary(bytes) {
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
        // The library answers pings itself; the pong waits in `CaptureWrites`.
        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {
            Incoming::Continue
        }
        Some(Ok(WsMessage::Close(_))) | None => {
            session.close(CloseReason::TransportClose);
            Incoming::Stop(None)
        }
        Some(Err(
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
            | WsError::ConnectionClosed
            | WsError::AlreadyClosed
            | WsError::Io(_),
        )) => {
            // The peer went away without a close frame: a closed transport, as the
            // Node.js server reports a dropped connection.
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

/// What woke the driver.
enum Event {
    /// Packets were queued, the session closed, or a flusher handed the socket over.
    Notified,
    /// Messages from the client (or the end of the stream) were handled.
    Read(Burst),
}

/// Wake-ups for writing served in a row before the socket is checked for reading
/// first, so a steady stream of outgoing packets cannot starve incoming ones.
const MAX_WRITE_STREAK: u32 = 8;

/// Most messages handled in a row before what they produced is written.
const READ_BURST: usize = 32;

/// Handles `first` and then every message already readable (up to [`READ_BURST`]),
/// so that the answers to a burst of messages go out in one write.
///
/// Reads with the driver's own `cx`: the WebSocket library registers the waker
/// of each read, and the same waker again costs less than another one.
fn read_available<D: Send + Sync + 'static, S>(
    session: &Arc<Session<D>>,
    ws: &mut Ws<S>,
    first: Option<Result<WsMessage, WsError>>,
    cx: &mut std::task::Context<'_>,
) -> Burst
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut burst = Burst::default();
    let mut incoming = first;
    let _driving = Driving::enter(session);
    for handled in 1.. {
        if let Incoming::Stop(code) = on_incoming(session, incoming) {
            burst.stop = Some(code);
            break;
        }
        if session.is_closed() {
            break;
        }
        if handled == READ_BURST {
            burst.buffered = true;
            break;
        }
        match ws.poll_next_unpin(cx) {
            Poll::Ready(next) => incoming = next,
            Poll::Pending => break,
        }
    }
    burst
}

/// Writes what the driver holds, in wire order: the end of a frame a flusher left
/// half written, the library's own frames (pongs), then `batch`. Bounded by
/// `limit`; the timer only starts when the socket cannot take it all at once.
///
/// The frames go straight to the socket (see [`frame_writer`]), from the shared
/// packet bytes. What the socket takes at once is written without a future; only
/// a full socket needs one, boxed, so that the session's own future stays small.
async fn write_owned<S>(
    ws: &mut Ws<S>,
    partial: &mut Vec<u8>,
    batch: &mut VecDeque<Frame>,
    limit: Duration,
) -> Result<(), ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let capture = ws.get_mut();
    if capture.has_captured() {
        let control = capture.take_captured();
        if partial.is_empty() {
            *partial = control;
        } else {
            partial.extend_from_slice(&control);
        }
    }
    let io = capture.io_mut();
    match write_now(io, partial, batch) {
        Ok(true) => return Ok(()),
        Ok(false) => {}
        Err(_) => return Err(()),
    }
    let write = async {
        if !partial.is_empty() {
            io.write_all(partial).await?;
            *partial = Vec::new();
        }
        frame_writer::write_frames(io, batch).await
    };
    Box::pin(tokio::time::timeout(limit, write))
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
        .map_err(|_| ())
}

/// Writes as much as `io` takes without waiting: `partial`, then `batch`, then a
/// flush. `Ok(true)` when all of it went out; what is left stays in `partial`
/// and `batch`.
fn write_now<S>(
    io: &mut S,
    partial: &mut Vec<u8>,
    batch: &mut VecDeque<Frame>,
) -> std::io::Result<bool>
where
    S: AsyncWrite + Unpin,
{
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    while !partial.is_empty() {
        match Pin::new(&mut *io).poll_write(&mut cx, partial) {
            Poll::Ready(Ok(0)) => return Err(std::io::ErrorKind::WriteZero.into()),
            Poll::Ready(Ok(written)) => {
                partial.drain(..written);
            }
            Poll::Ready(Err(error)) => return Err(error),
            Poll::Pending => return Ok(false),
        }
    }
    let written = frame_writer::try_write_frames(batch, |slices| {
        match Pin::new(&mut *io).poll_write_vectored(&mut cx, slices) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(std::io::ErrorKind::WouldBlock.into()),
        }
    });
    match written {
        Written::All => match Pin::new(&mut *io).poll_flush(&mut cx) {
            Poll::Ready(result) => result.map(|()| true),
            Poll::Pending => Ok(false),
        },
        Written::Partial(rest) => {
            *partial = rest;
            Ok(false)
        }
        Written::Blocked => Ok(false),
        Written::Failed => Err(std::io::Error::other("websocket write failed")),
    }
}

/// Runs a WebSocket session until it ends: reads packets and writes what is
/// queued (the engine's heartbeat task queues the pings). On a plain TCP stream, flushers write most of what is
/// queued (see [`super::direct`]); this task writes its own answers, and takes
/// the socket over when it is full or the session closes.
///
/// `held` holds bytes that must precede the first frame (the `101` response of the
/// upgrade, held back so that it leaves with the open packet in one write).
///
/// A plain function returning an `async move` block rather than an `async fn`:
/// an `async fn` keeps its arguments beside the locals they are moved into, and
/// every idle session would pay for the WebSocket twice.
#[allow(clippy::manual_async_fn)]
pub(crate) fn drive<D: Send + Sync + 'static, S>(
    session: Arc<Session<D>>,
    mut ws: Ws<S>,
    held: Vec<u8>,
) -> impl Future<Output = ()>
where
    S: AsyncRead + AsyncWrite + SocketIo + Unpin,
{
    async move {
        let write_limit = session.config.ping_interval + session.config.ping_timeout;
        let mut batch = VecDeque::new();
        let mut partial = Vec::new();
        let mut close_code = Some(CloseCode::Normal);
        let mut broken = false;
        // The first and the last writes are boxed: a future kept for the whole
        // session is as large as its largest await, and every idle session pays for it.
        if !held.is_empty()
            && Box::pin(write_held(&session, &mut ws, held, write_limit))
                .await
                .is_err()
        {
            session.close(CloseReason::TransportError);
            session.forget();
            return;
        }
        if let Some(stream) = ws.get_ref().shared_tcp() {
            session.attach_direct(stream);
        }
        // Frames read with the upgrade's last packet may already wait in the buffer.
        let mut buffered = true;
        let mut streak = 0;
        // Writes what is queued before each wait: after an upgrade, the buffer filled
        // while polling must go out at once, whatever woke this task.
        loop {
            let control = ws.get_ref().has_captured();
            if let Claim::Granted { drained } =
                session.claim_writes(&mut batch, &mut partial, control)
            {
                if !batch.is_empty() || !partial.is_empty() || control {
                    let written = write_owned(&mut ws, &mut partial, &mut batch, write_limit).await;
                    if written.is_err() {
                        batch.clear();
                        session.close(CloseReason::TransportError);
                        broken = true;
                        break;
                    }
                    session.release_writes();
                }
                if drained {
                    break;
                }
            }
            let prefer_writes = streak < MAX_WRITE_STREAK;
            let event = std::future::poll_fn(|cx| {
                if prefer_writes && session.driver.poll_notified(cx).is_ready() {
                    return Poll::Ready(Event::Notified);
                }
                if (buffered || ws.get_ref().poll_read_ready(cx).is_ready())
                    && let Poll::Ready(incoming) = ws.poll_next_unpin(cx)
                {
                    return Poll::Ready(Event::Read(read_available(
                        &session, &mut ws, incoming, cx,
                    )));
                }
                if !prefer_writes && session.driver.poll_notified(cx).is_ready() {
                    return Poll::Ready(Event::Notified);
                }
                Poll::Pending
            })
            .await;
            match event {
                Event::Notified if prefer_writes => streak += 1,
                Event::Notified => streak = 0,
                Event::Read(burst) => {
                    streak = 0;
                    buffered = burst.buffered;
                    if let Some(code) = burst.stop {
                        close_code = code;
                        break;
                    }
                }
            }
        }
        let code = if broken { None } else { Some(close_code) };
        Box::pin(finish(&session, &mut ws, code, write_limit)).await;
        session.forget();
    }
}

/// Takes the socket back from the flushers and ends the WebSocket: the end of a
/// half-written frame, the library's last frames and the close frame with `code`
/// (when there is one). `None` when the socket failed: nothing more is written.
async fn finish<D, S>(
    session: &Session<D>,
    ws: &mut Ws<S>,
    code: Option<Option<CloseCode>>,
    limit: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = Instant::now() + limit;
    let mut partial = loop {
        if let Some(partial) = session.retire_writes() {
            break partial;
        }
        if tokio::time::timeout_at(deadline, session.driver.notified())
            .await
            .is_err()
        {
            return;
        }
    };
    let Some(code) = code else {
        return;
    };
    if let Some(code) = code {
        let frame = CloseFrame {
            code,
            reason: "".into(),
        };
        let _ = ws.close(Some(frame)).await;
    }
    let mut nothing = VecDeque::new();
    let remaining = deadline.saturating_duration_since(Instant::now());
    let _ = write_owned(ws, &mut partial, &mut nothing, remaining).await;
}

/// Writes `held` and the frames queued so far (a new session's open packet) in one
/// write.
async fn write_held<D, S>(
    session: &Session<D>,
    ws: &mut Ws<S>,
    mut held: Vec<u8>,
    limit: Duration,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    {
        let mut state = session.lock();
        if state.flush_after.is_none() {
            frame_writer::append_frames(&mut held, state.queue.drain(..));
        }
    }
    write_raw(ws, &held, limit).await
}

/// Writes `bytes` straight to the connection, within `limit`.
async fn write_raw<S>(ws: &mut Ws<S>, bytes: &[u8], limit: Duration) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let write = async {
        let io = ws.get_mut().io_mut();
        io.write_all(bytes).await?;
        io.flush().await
    };
    tokio::time::timeout(limit, write)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

/// Sends a message of the WebSocket library's own (it goes through
/// `CaptureWrites`), within `limit`.
async fn send_now<S>(ws: &mut Ws<S>, message: WsMessage, limit: Duration) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let sent = match message {
        WsMessage::Close(frame) => ws.close(frame).await,
        message => ws.send(message).await,
    };
    sent.map_err(|error| std::io::Error::other(error.to_string()))?;
    let captured = ws.get_mut().take_captured();
    write_raw(ws, &captured, limit).await
}

/// Takes a polling session over to WebSocket: answers `2probe` with `3probe`,
/// releases pending polling requests with noops, and switches on `5`. An upgrade
/// that does not complete within `upgrade_timeout` is dropped and the session
/// stays on polling. `held` (the `101` response) is written first.
///
/// Returns the session and its WebSocket once switched, for [`drive`] to run.
pub(crate) async fn upgrade<D: Send + Sync + 'static, S>(
    session: Arc<Session<D>>,
    mut ws: Ws<S>,
    held: Vec<u8>,
) -> Option<(Arc<Session<D>>, Ws<S>)>
where
    S: AsyncRead + AsyncWrite + SocketIo + Unpin,
{
    let refuse = Duration::from_secs(1);
    if !held.is_empty()
        && write_raw(&mut ws, &held, session.config.upgrade_timeout)
            .await
            .is_err()
    {
        return None;
    }
    let may_upgrade = {
        let mut state = session.lock();
        let may_upgrade = state.phase == Phase::Polling && state.closed.is_none();
        if may_upgrade {
            state.phase = Phase::Upgrading;
        }
        may_upgrade
    };
    if !may_upgrade {
        let _ = send_now(&mut ws, WsMessage::Close(None), refuse).await;
        return None;
    }
    let deadline = Instant::now() + session.config.upgrade_timeout;
    let mut ticker = tokio::time::interval(UPGRADE_NOOP_INTERVAL);
    let mut probed = false;
    let upgraded = loop {
        tokio::select! {
            biased;
            incoming = ws.next() => match incoming {
                Some(Ok(WsMessage::Text(text))) if text.as_str() == "2probe" => {
                    session.lock().probed = true;
                    let pong = to_ws(Frame::text_packet(PacketKind::Pong, "probe"));
                    let limit = deadline.saturating_duration_since(Instant::now());
                    if send_now(&mut ws, pong, limit).await.is_err() {
                        break false;
                    }
                    probed = true;
                    // The client waits for its pending poll to return before it
                    // sends `5`: release it now rather than at the next tick.
                    let noop = Frame::control(PacketKind::Noop);
                    let _ = session.push(std::iter::once(noop), true);
                    ticker.reset();
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
                    let _ = session.push(std::iter::once(noop), true);
                }
            }
            () = tokio::time::sleep_until(deadline) => break false,
        }
    };
    let switched = session.finish_upgrade(upgraded);
    if !switched {
        tracing::debug!(sid = %session.id, "upgrade failed");
        let _ = send_now(&mut ws, WsMessage::Close(None), refuse).await;
        return None;
    }
    Some((session, ws))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::connection::{Handshake, Transport};
    use crate::engine::direct::DirectTcp;
    use crate::engine::session::{SessionOwner, SessionTasks};
    use crate::engine::sid::Sid;

    struct NoOwner;

    impl SessionOwner<()> for NoOwner {
        fn session_closed(&self, _: &Arc<Session<()>>, _: CloseReason, _: bool) {}
        fn remove(&self, _: &Arc<Session<()>>) {}
        fn message(&self, _: &Arc<Session<()>>, _: Packet) {}
    }

    /// Every idle connection keeps its driver's future: it must stay small (the
    /// one-off first and last writes and a blocked write are boxed).
    #[tokio::test]
    async fn an_idle_session_keeps_a_small_future() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap());
        let (_client, accepted) = tokio::join!(client, listener.accept());
        let config = EngineConfig::default();
        let ws = accept(DirectTcp::new(accepted.unwrap().0), Bytes::new(), &config).await;
        let handshake = Handshake {
            headers: Default::default(),
            uri: Default::default(),
            remote_addr: None,
            issued: std::time::SystemTime::now(),
            secure: false,
        };
        let owner: std::sync::Weak<dyn SessionOwner<()>> = std::sync::Weak::<NoOwner>::new();
        let tasks = SessionTasks::new(&config);
        let session = Session::new(
            Sid::random(),
            (),
            handshake,
            Arc::new(config),
            (Transport::WebSocket, false),
            owner,
            &tasks,
        );
        let driver = drive(session, ws, Vec::new());
        let size = std::mem::size_of_val(&driver);
        assert!(size <= 512, "the driver's future takes {size} bytes");
    }
}
