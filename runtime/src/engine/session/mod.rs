//! One Engine.IO session: its outbound queue, heartbeat and lifecycle, shared by
//! the polling and WebSocket transports.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, MutexGuard};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::config::EngineConfig;
use super::connection::{CloseReason, Handshake, SendError, Transport};
use super::direct::{self, Flusher};
use super::heartbeat::Heartbeats;
use super::packet::{Frame, Packet, PacketKind};
use super::packet_v3;
use super::sid::Sid;
use super::wake::Wake;

#[cfg(test)]
mod tests;
mod writes;

pub(crate) use writes::{Claim, Writer};

/// Receives the end of a session: removes it from the server and tells the handler.
pub(crate) trait SessionOwner<D>: Send + Sync {
    fn session_closed(&self, session: &Arc<Session<D>>, reason: CloseReason, linger: bool);
    fn remove(&self, session: &Arc<Session<D>>);
    fn message(&self, session: &Arc<Session<D>>, packet: Packet);
    /// The session moved from polling to WebSocket.
    fn upgraded(&self, _session: &Arc<Session<D>>) {}
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
    /// During an upgrade: the probe has been answered, so the client's `5` may
    /// come at any moment.
    pub(crate) probed: bool,
}

/// Shared state of one session. Public code sees it through
/// [`Connection`](super::connection::Connection).
pub(crate) struct Session<D> {
    pub(crate) id: Sid,
    pub(crate) data: D,
    pub(crate) handshake: Handshake,
    pub(crate) config: Arc<EngineConfig>,
    /// The session speaks Engine.IO v3 (a legacy client): the client pings, and
    /// payloads and binary frames are framed as in v3 (see [`packet_v3`]).
    pub(crate) eio3: bool,
    state: Mutex<State>,
    /// Wakes the task that drives a WebSocket session.
    pub(crate) driver: Wake,
    /// Wakes a polling `GET` waiting for data.
    pub(crate) poll: Notify,
    owner: Weak<dyn SessionOwner<D>>,
    /// Writes WebSocket frames for the session while its task sleeps.
    flusher: Arc<Flusher<D>>,
    /// Pings the session on time.
    heartbeats: Arc<Heartbeats<D>>,
    /// A ping is out and no packet from the client has moved its pong deadline
    /// yet. Read without the state lock on every packet; written under it.
    pong_refreshable: AtomicBool,
    /// The runtime the session opened on, for work a caller outside any runtime
    /// (a plain thread sending to a slow client) starts.
    runtime: Option<tokio::runtime::Handle>,
}

/// What the sessions of one engine share: the flushers that write their frames and
/// the task that keeps their heartbeat.
pub(crate) struct SessionTasks<D> {
    pub(crate) flusher: Arc<Flusher<D>>,
    pub(crate) heartbeats: Arc<Heartbeats<D>>,
}

impl<D> SessionTasks<D> {
    /// The tasks of an engine configured by `config`.
    pub(crate) fn new(config: &EngineConfig) -> SessionTasks<D> {
        SessionTasks {
            flusher: Arc::default(),
            heartbeats: Arc::new(Heartbeats::new(config.ping_interval, config.ping_timeout)),
        }
    }
}

impl<D> Session<D> {
    pub(crate) fn new(
        id: Sid,
        data: D,
        handshake: Handshake,
        config: Arc<EngineConfig>,
        (transport, eio3): (Transport, bool),
        owner: Weak<dyn SessionOwner<D>>,
        tasks: &SessionTasks<D>,
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
                overflowed: false,
                close_after_flush: false,
                flush_after: None,
                next_ping: Instant::now() + config.ping_interval,
                pong_deadline: None,
                writer: Writer::Idle,
                direct: None,
                partial: Vec::new(),
                driver_waits: false,
                probed: false,
            }),
            config,
            eio3,
            driver: Wake::default(),
            poll: Notify::new(),
            owner,
            flusher: tasks.flusher.clone(),
            heartbeats: tasks.heartbeats.clone(),
            pong_refreshable: AtomicBool::new(false),
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }
    /// Ends an upgrade: the session goes over to WebSocket when `upgraded` and it
    /// is still open, else stays on polling; `true` when it switched. A GET that
    /// arrived just after the probe waits for this outcome and is woken; on a
    /// switch, the pending poll is released, the drivers woken and the owner told
    /// (whichever WebSocket driver made the upgrade).
    pub(crate) fn finish_upgrade(self: &Arc<Self>, upgraded: bool) -> bool {
        let switched = {
            let mut state = self.lock();
            let switch = upgraded && state.closed.is_none();
            state.phase = if switch {
                Phase::WebSocket
            } else {
                Phase::Polling
            };
            state.probed = false;
            switch
        };
        self.poll.notify_waiters();
        if switched {
            self.poll.notify_one();
            self.driver.notify_one();
            self.notify_upgraded();
        }
        switched
    }

    /// Schedules the first ping, `ping_interval` after the session opened. A v3
    /// session is not pinged: it must ping within `ping_interval + ping_timeout`.
    pub(crate) fn start_heartbeat(self: &Arc<Self>)
    where
        D: Send + Sync + 'static,
    {
        if self.eio3 {
            let deadline = Instant::now() + self.v3_silence();
            self.lock().pong_deadline = Some(deadline);
            self.heartbeats.silence_by(self, deadline);
            return;
        }
        let first = self.lock().next_ping;
        self.heartbeats.ping_at(self, first);
    }

    /// How long a v3 client may go without pinging, as on the Node.js server.
    fn v3_silence(&self) -> std::time::Duration {
        self.config.ping_interval + self.config.ping_timeout
    }

    /// Joins queued frames into one polling payload in the session's protocol.
    pub(crate) fn encode_payload<'a, I>(&self, frames: I) -> bytes::Bytes
    where
        I: IntoIterator<Item = &'a Frame>,
        I::IntoIter: Clone,
    {
        if self.eio3 {
            packet_v3::encode_payload(frames)
        } else {
            super::packet::encode_queued_payload(frames)
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    pub(crate) fn transport(&self) -> Transport {
        match self.lock().phase {
            Phase::WebSocket => Transport::WebSocket,
            Phase::Polling | Phase::Upgrading => Transport::Polling,
        }
    }

    /// The runtime the session opened on, when it opened on one.
    pub(crate) fn runtime(&self) -> Option<&tokio::runtime::Handle> {
        self.runtime.as_ref()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed.is_some()
    }

    /// The open packet's JSON for this session.
    pub(crate) fn open_packet(&self, transport: Transport) -> Frame {
        let upgrades = if transport == Transport::Polling
            && self.config.allow_upgrades
            && self.config.transports.websocket()
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
            drop(state);
            crate::telemetry::with(|metrics| metrics.volatile_dropped.increment(1));
            return Ok(false);
        }
        let was_empty = state.queue.is_empty();
        let before = state.queue.len();
        if self.eio3 {
            // Binary frames carry their type byte in v3 (see `packet_v3`).
            state.queue.extend(frames.map(|frame| match frame {
                Frame::Binary(bytes) => Frame::Binary(packet_v3::binary_frame(&bytes)),
                text => text,
            }));
        } else {
            state.queue.extend(frames);
        }
        if state.queue.len() > self.config.max_buffered_packets {
            state.queue.truncate(before);
            state.overflowed = true;
            drop(state);
            tracing::warn!(sid = %self.id, "client too slow, closing");
            // The close runs on a task: the caller may hold locks the close handlers
            // take.
            let session = self.clone();
            self.spawn(async move { session.close(CloseReason::SlowClient) });
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

    /// Runs `task` on the current runtime or, outside any (a plain thread sending
    /// to a slow client or closing a session), on the one the session opened on.
    pub(crate) fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(task)),
            Err(_) => match &self.runtime {
                Some(runtime) => drop(runtime.spawn(task)),
                None => tracing::error!(sid = %self.id, "no tokio runtime to run a task on"),
            },
        }
    }

    /// Tells the owner that the session now runs over WebSocket.
    pub(crate) fn notify_upgraded(self: &Arc<Self>) {
        if let Some(owner) = self.owner.upgrade() {
            owner.upgraded(self);
        }
    }

    /// Handles one packet from the client, on either transport.
    pub(crate) fn on_packet(self: &Arc<Self>, packet: Packet)
    where
        D: Send + Sync + 'static,
    {
        if !matches!(packet, Packet::Pong(_)) && self.pong_refreshable.load(Ordering::Relaxed) {
            self.refresh_pong_deadline();
        }
        match packet {
            Packet::Message(_) | Packet::Binary(_) => {
                if let Some(owner) = self.owner.upgrade() {
                    owner.message(self, packet);
                }
            }
            Packet::Ping(_) if self.eio3 => self.on_v3_ping(),
            Packet::Pong(_) if self.eio3 => {
                tracing::debug!(sid = %self.id, "pong from a v3 client");
                self.close(CloseReason::TransportError);
            }
            Packet::Pong(_) => self.on_pong(),
            Packet::Close => self.close(CloseReason::TransportClose),
            Packet::Ping(_) => {
                tracing::debug!(sid = %self.id, "ping from a v4 client");
                self.close(CloseReason::TransportError);
            }
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => {}
        }
    }

    /// A v3 client's ping: answered at once, and the client may stay silent for
    /// another `ping_interval + ping_timeout`. The heartbeat task finds the moved
    /// deadline when the old one comes (see [`Session::heartbeat_tick`]).
    fn on_v3_ping(self: &Arc<Self>)
    where
        D: Send + Sync + 'static,
    {
        {
            let mut state = self.lock();
            if state.closed.is_some() {
                return;
            }
            state.pong_deadline = Some(Instant::now() + self.v3_silence());
        }
        let _ = self.push(std::iter::once(Frame::control(PacketKind::Pong)), false);
    }

    /// A pong answers the outstanding ping and schedules the next one. A pong that
    /// answers no ping is ignored: it costs nothing, however many arrive.
    fn on_pong(self: &Arc<Self>)
    where
        D: Send + Sync + 'static,
    {
        let mut state = self.lock();
        if state.pong_deadline.take().is_none() {
            return;
        }
        self.pong_refreshable.store(false, Ordering::Relaxed);
        let next = Instant::now() + self.config.ping_interval;
        state.next_ping = next;
        drop(state);
        self.heartbeats.ping_at(self, next);
    }

    /// Any other packet while a pong is awaited shows the client is alive: the
    /// pong is then due a whole `ping_timeout` from now, once per ping, as the
    /// Node.js server does. A busy client whose pong is queued behind its own
    /// messages is not dropped, and a flood of packets adds one deadline at most.
    fn refresh_pong_deadline(self: &Arc<Self>)
    where
        D: Send + Sync + 'static,
    {
        let mut state = self.lock();
        if !self.pong_refreshable.swap(false, Ordering::Relaxed) || state.closed.is_some() {
            return;
        }
        let Some(deadline) = state.pong_deadline.as_mut() else {
            return;
        };
        let refreshed = Instant::now() + self.config.ping_timeout;
        *deadline = refreshed;
        drop(state);
        self.heartbeats.pong_by(self, refreshed);
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
        if self.eio3 {
            match state.pong_deadline {
                Some(deadline) if now >= deadline => {
                    drop(state);
                    tracing::debug!(sid = %self.id, "ping timeout (no ping from a v3 client)");
                    self.close(CloseReason::PingTimeout);
                }
                Some(deadline) => {
                    drop(state);
                    self.heartbeats.silence_by(self, deadline);
                }
                None => {}
            }
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
                let deadline = now + self.config.ping_timeout;
                state.pong_deadline = Some(deadline);
                self.pong_refreshable.store(true, Ordering::Relaxed);
                drop(state);
                self.heartbeats.pong_by(self, deadline);
                let _ = self.push(std::iter::once(Frame::control(PacketKind::Ping)), false);
            }
            None => {}
        }
    }

    /// Whether the pong for the last ping is overdue: its deadline (`ping_timeout`
    /// after the ping, or after the packet that refreshed it) has passed, whether
    /// or not the heartbeat task has run since.
    pub(crate) fn pong_overdue(&self) -> bool {
        let state = self.lock();
        state.closed.is_none()
            && state
                .pong_deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
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
        // them and the close frame. A client that closes over polling may have a GET
        // in flight that raced its close: as on the Node.js server, that GET gets the
        // noop, so the session stays listed until a GET takes it, for a short while
        // (see `polling::linger`).
        let client_closed_polling =
            state.phase == Phase::Polling && reason == CloseReason::TransportClose;
        let linger = reason.flushes() || client_closed_polling;
        drop(state);
        self.poll.notify_one();
        self.driver.notify_one();
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

fn writable(state: &State) -> bool {
    match state.phase {
        Phase::WebSocket => state.queue.is_empty() && state.partial.is_empty(),
        Phase::Polling | Phase::Upgrading => state.get_pending && state.queue.is_empty(),
    }
}
