//! One Engine.IO session: its outbound queue, heartbeat and lifecycle, shared by
//! the polling and WebSocket transports.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::config::EngineConfig;
use super::connection::{CloseReason, Handshake, SendError, Transport};
use super::direct::{self, Flusher};
use super::frame_writer::{self, Written};
use super::packet::{Frame, Packet, PacketKind};
use super::sid::Sid;
use super::wake::Wake;

/// Receives the end of a session: removes it from the server and tells the handler.
pub(crate) trait SessionOwner<D>: Send + Sync {
    fn session_closed(&self, session: &Arc<Session<D>>, reason: CloseReason, linger: bool);
    fn remove(&self, session: &Arc<Session<D>>);
    fn message(&self, session: &Arc<Session<D>>, packet: Packet);
}

/// Who may write a WebSocket session's socket. One party writes at a time, and a
/// frame left half written is finished before anything else goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer {
    /// Nobody: the next frame queued lists the session with its flusher.
    Idle,
    /// On a flusher's list: the flusher writes the queue when the session's turn
    /// comes, unless the session's task has taken it over by then.
    Listed,
    /// A flusher task is writing; the session's task waits for it to finish.
    Flusher,
    /// The session's task writes (its own answers, a full socket, a close).
    Driver,
}

/// What the WebSocket driver may do about writing, from [`Session::claim_writes`].
pub(crate) enum Claim {
    /// A flusher is writing; it wakes the driver when it is done.
    Busy,
    /// The driver holds the socket if it took anything to write. `drained` tells
    /// that the session is closed and nothing more is queued.
    Granted { drained: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Polling,
    Upgrading,
    WebSocket,
}

pub(crate) struct State {
    pub(crate) phase: Phase,
    pub(crate) queue: VecDeque<Frame>,
    pub(crate) get_pending: bool,
    pub(crate) post_pending: bool,
    pub(crate) closed: Option<CloseReason>,
    /// A server-side close waits for its last packets to go out: on polling the
    /// client's last `GET`, on WebSocket the driver's last write.
    pub(crate) lingering: bool,
    /// The queue overflowed; the session is being closed.
    overflowed: bool,
    /// A server-side close on polling: the close packet is queued once the
    /// packets before it have been taken by a GET.
    pub(crate) close_after_flush: bool,
    /// Index of a queued frame after which the WebSocket writer flushes before
    /// writing more (a CONNECT answer goes out before what its handlers send).
    pub(crate) flush_after: Option<usize>,
    next_ping: Instant,
    pong_deadline: Option<Instant>,
    /// Who may write the WebSocket.
    pub(crate) writer: Writer,
    /// The WebSocket's TCP stream, for a flusher to write to; set while the
    /// driver runs on a plain TCP stream.
    direct: Option<Arc<TcpStream>>,
    /// The unwritten end of a frame a flusher left half written: the driver writes
    /// it before anything else.
    partial: Vec<u8>,
    /// The driver waits for a flusher's write to end.
    driver_waits: bool,
}

/// Shared state of one session. Public code sees it through [`Connection`].
pub(crate) struct Session<D> {
    pub(crate) id: Sid,
    pub(crate) data: D,
    pub(crate) handshake: Handshake,
    pub(crate) config: Arc<EngineConfig>,
    state: Mutex<State>,
    /// Wakes the task that drives the session (heartbeat, WebSocket I/O).
    pub(crate) driver: Wake,
    /// Wakes the heartbeat task of a polling session. It is separate from `driver`
    /// because during an upgrade both tasks wait at once, and each must hear its own.
    pub(crate) poll_driver: Wake,
    /// Wakes a polling `GET` waiting for data.
    pub(crate) poll: Notify,
    owner: Weak<dyn SessionOwner<D>>,
    /// Writes WebSocket frames for the session while its task sleeps.
    flusher: Arc<Flusher<D>>,
}

impl<D> Session<D> {
    pub(crate) fn new(
        id: Sid,
        data: D,
        handshake: Handshake,
        config: Arc<EngineConfig>,
        transport: Transport,
        owner: Weak<dyn SessionOwner<D>>,
        flusher: Arc<Flusher<D>>,
    ) -> Arc<Session<D>> {
        let phase = match transport {
            Transport::Polling => Phase::Polling,
            Transport::WebSocket => Phase::WebSocket,
        };
        Arc::new(Session {
            id,
            data,
            handshake,
            state: Mutex::new(State {
                phase,
                queue: VecDeque::new(),
                get_pending: false,
                post_pending: false,
                closed: None,
                lingering: false,
                overflowed: false,
                close_after_flush: false,
                flush_after: None,
                next_ping: Instant::now() + config.ping_interval,
                pong_deadline: None,
                writer: Writer::Idle,
                direct: None,
                partial: Vec::new(),
                driver_waits: false,
            }),
            config,
            driver: Wake::default(),
            poll_driver: Wake::default(),
            poll: Notify::new(),
            owner,
            flusher,
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn transport(&self) -> Transport {
        match self.lock().phase {
            Phase::WebSocket => Transport::WebSocket,
            Phase::Polling | Phase::Upgrading => Transport::Polling,
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed.is_some()
    }

    /// The open packet's JSON for this session.
    pub(crate) fn open_packet(&self, transport: Transport) -> Frame {
        let upgrades = if transport == Transport::Polling
            && self.config.allow_upgrades
            && self.config.transports.websocket
        {
            r#"["websocket"]"#
        } else {
            "[]"
        };
        // The keys in the Node.js server's order; the sid is base64url, so it needs
        // no escaping.
        let json = format!(
            r#"{{"sid":"{}","upgrades":{},"pingInterval":{},"pingTimeout":{},"maxPayload":{}}}"#,
            self.id,
            upgrades,
            self.config.ping_interval.as_millis(),
            self.config.ping_timeout.as_millis(),
            self.config.max_payload,
        );
        Frame::text_packet(PacketKind::Open, &json)
    }

    /// Tells whichever task runs the heartbeat (polling or WebSocket) to look again.
    pub(crate) fn wake_drivers(&self) {
        self.driver.notify_one();
        self.poll_driver.notify_one();
    }

    fn wake_writer(&self, phase: Phase) {
        match phase {
            Phase::WebSocket => self.driver.notify_one(),
            Phase::Polling | Phase::Upgrading => self.poll.notify_one(),
        }
    }

    /// Queues frames atomically (a Socket.IO packet and its attachments stay together).
    ///
    /// With `volatile`, the frames are dropped (returning `Ok(false)`) unless the
    /// transport can take them right away.
    pub(crate) fn push(
        self: &Arc<Self>,
        frames: impl Iterator<Item = Frame>,
        volatile: bool,
    ) -> Result<bool, SendError>
    where
        D: Send + Sync + 'static,
    {
        self.push_with(frames, volatile, false)
    }

    /// Like `push`, and the WebSocket writer flushes these frames on their own before
    /// writing anything queued after them.
    pub(crate) fn push_flushed(
        self: &Arc<Self>,
        frames: impl Iterator<Item = Frame>,
    ) -> Result<bool, SendError>
    where
        D: Send + Sync + 'static,
    {
        self.push_with(frames, false, true)
    }

    fn push_with(
        self: &Arc<Self>,
        frames: impl Iterator<Item = Frame>,
        volatile: bool,
        flush: bool,
    ) -> Result<bool, SendError>
    where
        D: Send + Sync + 'static,
    {
        let mut state = self.lock();
        if state.closed.is_some() {
            return Err(SendError::Closed);
        }
        if state.overflowed {
            return Err(SendError::QueueFull);
        }
        if volatile && !writable(&state) {
            return Ok(false);
        }
        let was_empty = state.queue.is_empty();
        let before = state.queue.len();
        state.queue.extend(frames);
        if state.queue.len() > self.config.max_buffered_packets {
            state.queue.truncate(before);
            state.overflowed = true;
            drop(state);
            tracing::warn!(sid = %self.id, "client too slow, closing");
            let session = self.clone();
            tokio::spawn(async move { session.close(CloseReason::SlowClient) });
            return Err(SendError::QueueFull);
        }
        if flush && state.flush_after.is_none() && !state.queue.is_empty() {
            state.flush_after = Some(state.queue.len() - 1);
        }
        let phase = state.phase;
        if phase == Phase::WebSocket && state.direct.is_some() {
            if state.writer != Writer::Idle || direct::is_driving(self) {
                return Ok(true);
            }
            state.writer = Writer::Listed;
            drop(state);
            if !self.flusher.schedule(self) {
                self.driver.notify_one();
            }
            return Ok(true);
        }
        drop(state);
        if was_empty {
            self.wake_writer(phase);
        }
        Ok(true)
    }

    /// Lets flushers write to `stream` (the WebSocket driver's connection) from now on.
    pub(crate) fn attach_direct(&self, stream: Arc<TcpStream>) {
        self.lock().direct = Some(stream);
    }

    /// A flusher's turn for this session: writes the queue to the socket without
    /// waiting, or hands the socket to the session's task when it is full, the
    /// session closes, or the task asked for it. `batch` is the flusher's empty
    /// buffer. Returns whether the session must be listed again (frames were
    /// queued while it was being written).
    pub(crate) fn flush_direct(self: &Arc<Self>, batch: &mut VecDeque<Frame>) -> bool {
        let mut state = self.lock();
        if state.writer != Writer::Listed {
            return false;
        }
        let stream = match &state.direct {
            Some(stream) if !needs_driver(&state) => stream.clone(),
            _ => return self.hand_to_driver(state),
        };
        if state.queue.is_empty() {
            state.writer = Writer::Idle;
            return false;
        }
        std::mem::swap(&mut state.queue, batch);
        state.writer = Writer::Flusher;
        drop(state);
        let written =
            frame_writer::try_write_frames(batch, |slices| stream.try_write_vectored(slices));
        let mut state = self.lock();
        match written {
            Written::All if needs_driver(&state) => self.hand_to_driver(state),
            Written::All if state.queue.is_empty() => {
                state.writer = Writer::Idle;
                false
            }
            Written::All => {
                state.writer = Writer::Listed;
                true
            }
            Written::Partial(rest) => {
                state.partial = rest;
                requeue(&mut state, batch);
                self.hand_to_driver(state)
            }
            Written::Blocked | Written::Failed => {
                requeue(&mut state, batch);
                self.hand_to_driver(state)
            }
        }
    }

    fn hand_to_driver(&self, mut state: MutexGuard<'_, State>) -> bool {
        state.writer = Writer::Driver;
        drop(state);
        self.driver.notify_one();
        false
    }

    /// Takes what the WebSocket driver must write now: `partial` (the end of a
    /// half-written frame) first, then `batch` (both empty on entry). With
    /// anything to write, or `control` bytes of its own, the driver holds the
    /// socket until [`Session::release_writes`].
    pub(crate) fn claim_writes(
        &self,
        batch: &mut VecDeque<Frame>,
        partial: &mut Vec<u8>,
        control: bool,
    ) -> Claim {
        let mut state = self.lock();
        if state.writer == Writer::Flusher {
            state.driver_waits = true;
            return Claim::Busy;
        }
        state.driver_waits = false;
        match state.flush_after.take() {
            Some(last) if last + 1 < state.queue.len() => {
                batch.extend(state.queue.drain(..=last));
                self.driver.notify_one();
            }
            _ => std::mem::swap(&mut state.queue, batch),
        }
        std::mem::swap(&mut state.partial, partial);
        if !batch.is_empty() || !partial.is_empty() || control {
            state.writer = Writer::Driver;
        } else if state.writer == Writer::Driver {
            state.writer = Writer::Idle;
        }
        Claim::Granted {
            drained: state.closed.is_some() && state.queue.is_empty(),
        }
    }

    /// Ends a write of the driver's; it looks again when more was queued meanwhile.
    pub(crate) fn release_writes(&self) {
        let mut state = self.lock();
        if state.writer != Writer::Driver {
            return;
        }
        state.writer = Writer::Idle;
        if !state.queue.is_empty() {
            drop(state);
            self.driver.notify_one();
        }
    }

    /// Takes the socket back from the flushers for good, as the driver ends; yields
    /// the end of a half-written frame to write before a close frame. `None` while
    /// a flusher is still writing: the driver is woken when it is done.
    pub(crate) fn retire_writes(&self) -> Option<Vec<u8>> {
        let mut state = self.lock();
        state.direct = None;
        if state.writer == Writer::Flusher {
            state.driver_waits = true;
            return None;
        }
        state.writer = Writer::Driver;
        Some(std::mem::take(&mut state.partial))
    }

    /// Handles one packet from the client, on either transport.
    pub(crate) fn on_packet(self: &Arc<Self>, packet: Packet) {
        match packet {
            Packet::Message(_) | Packet::Binary(_) => {
                if let Some(owner) = self.owner.upgrade() {
                    owner.message(self, packet);
                }
            }
            Packet::Pong(_) => {
                let mut state = self.lock();
                state.pong_deadline = None;
                state.next_ping = Instant::now() + self.config.ping_interval;
                drop(state);
                self.wake_drivers();
            }
            Packet::Close => self.close(CloseReason::TransportClose),
            Packet::Ping(_) => {
                tracing::debug!(sid = %self.id, "ping from a v4 client");
                self.close(CloseReason::TransportError);
            }
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => {}
        }
    }

    /// The instant the driver must next wake for the heartbeat.
    pub(crate) fn heartbeat_deadline(&self) -> Instant {
        let state = self.lock();
        state.pong_deadline.unwrap_or(state.next_ping)
    }

    /// Sends the ping or closes for a missing pong, whichever is due.
    pub(crate) fn heartbeat_tick(self: &Arc<Self>)
    where
        D: Send + Sync + 'static,
    {
        let now = Instant::now();
        let mut state = self.lock();
        if state.closed.is_some() {
            return;
        }
        match state.pong_deadline {
            Some(deadline) if now >= deadline => {
                drop(state);
                tracing::debug!(sid = %self.id, "ping timeout");
                self.close(CloseReason::PingTimeout);
            }
            Some(_) => {}
            None if now >= state.next_ping => {
                state.pong_deadline = Some(now + self.config.ping_timeout);
                drop(state);
                let _ = self.push(std::iter::once(Frame::control(PacketKind::Ping)), false);
            }
            None => {}
        }
    }

    /// Ends the session. Idempotent: only the first reason counts.
    ///
    /// A server-side close first delivers what is queued; any other close drops it.
    /// A pending polling request is answered with `6` when the client closed, `1`
    /// otherwise, as the Node.js server does.
    pub(crate) fn close(self: &Arc<Self>, reason: CloseReason) {
        let mut state = self.lock();
        if state.closed.is_some() {
            return;
        }
        state.closed = Some(reason);
        if !reason.flushes() {
            state.queue.clear();
            state.flush_after = None;
        }
        let polling = state.phase != Phase::WebSocket;
        if polling && reason.flushes() && !state.queue.is_empty() {
            // As the Node.js server does, what is queued goes out in one response
            // and the close packet in the next: clients handle those packets (such
            // as Socket.IO DISCONNECTs) before they see the connection close.
            state.close_after_flush = true;
        } else if polling {
            let last = if reason == CloseReason::TransportClose {
                PacketKind::Noop
            } else {
                PacketKind::Close
            };
            state.queue.push_back(Frame::control(last));
        }
        // A server-side close keeps the session listed until its last packets are
        // out: on polling until a GET took the close packet (a pending GET may be
        // returning an earlier payload), on WebSocket until the driver has written
        // them and the close frame.
        let linger = reason.flushes();
        state.lingering = linger;
        drop(state);
        self.poll.notify_one();
        self.wake_drivers();
        if let Some(owner) = self.owner.upgrade() {
            owner.session_closed(self, reason, linger);
        }
    }

    /// Removes the session from the server without telling the handler again
    /// (after a lingering close delivered its last packets).
    pub(crate) fn forget(self: &Arc<Self>) {
        if let Some(owner) = self.owner.upgrade() {
            owner.remove(self);
        }
    }
}

/// Whether a flusher must leave the socket to the session's task.
fn needs_driver(state: &State) -> bool {
    state.closed.is_some()
        || state.flush_after.is_some()
        || state.driver_waits
        || !state.partial.is_empty()
}

/// Puts frames a flusher could not write back in front of the queue (or drops
/// them when the session closed without delivering what was queued).
fn requeue(state: &mut State, batch: &mut VecDeque<Frame>) {
    if state.closed.is_some_and(|reason| !reason.flushes()) {
        batch.clear();
        return;
    }
    let put_back = batch.len();
    batch.append(&mut state.queue);
    std::mem::swap(batch, &mut state.queue);
    if let Some(last) = state.flush_after.as_mut() {
        *last += put_back;
    }
}

fn writable(state: &State) -> bool {
    match state.phase {
        Phase::WebSocket => state.queue.is_empty() && state.partial.is_empty(),
        Phase::Polling | Phase::Upgrading => state.get_pending && state.queue.is_empty(),
    }
}
