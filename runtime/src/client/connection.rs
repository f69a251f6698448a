//! The connection task: one per Engine.IO connection, shared by every namespace
//! joined over it. It owns the transport, answers pings, writes queued packets,
//! resends unacknowledged ones, runs event handlers, joins and leaves
//! namespaces, and reconnects when the connection is lost.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt as _, StreamExt as _};
use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::endpoint::{Endpoint, frames_of};
use super::error::ConnectError;
use super::event::{AckSender, Event};
use super::handshake::{ConnectReply, Join, Link, NspJoin, establish, refusal};
use super::namespace::{JoinReply, NspSocket};
use super::outbox::Outgoing;
use super::reconnect::Reconnect;
use super::state::{ConnectionState, DisconnectReason};
use super::transport::{Incoming, Transport, TransportMode};
use crate::engine::{Frame, Message, Packet as EnginePacket, PacketKind as EngineKind};
use crate::peer::BoxFuture;
use crate::protocol::{Body, Decoder, Encoded, Packet, encode_disconnect, try_encode_connect};

/// Most event handlers of one connection running at once; while that many are
/// busy, the client stops reading from the server, so a flood of events is held
/// back by TCP, not buffered. Pings wait too: handlers stuck for longer than the
/// server's heartbeat end the connection with `ping timeout` (and a reconnection).
pub const MAX_RUNNING_HANDLERS: usize = 256;

/// Most queued packets written together (one WebSocket flush, or one POST).
const WRITE_BATCH: usize = 64;

/// Most namespaces waiting to be joined at once on one connection.
pub(crate) const MAX_PENDING_JOINS: usize = 64;

/// The longest the client spends saying goodbye (what was emitted before, then
/// DISCONNECT, then a close) to a server that does not read.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);

/// Everything the connection task needs to connect again.
pub(crate) struct Settings {
    pub(crate) endpoint: Endpoint,
    pub(crate) mode: TransportMode,
    pub(crate) connect_timeout: Duration,
    pub(crate) reconnect: Reconnect,
}

/// What the handles ask of the connection task besides packets: leaving a
/// namespace (a flag on the handle, then a wake-up) and joining one.
#[derive(Default)]
pub(crate) struct Control {
    pub(crate) wake: Notify,
    pub(crate) joins: Mutex<Vec<JoinRequest>>,
}

impl Control {
    fn take_joins(&self) -> Vec<JoinRequest> {
        std::mem::take(&mut *self.joins.lock())
    }
}

/// A namespace to join on the running connection.
pub(crate) struct JoinRequest {
    pub(crate) socket: NspSocket,
    /// The CONNECT payload, evaluated by the caller.
    pub(crate) auth: Option<serde_json::Value>,
    pub(crate) reply: JoinReply,
}

/// The connection task's state.
pub(crate) struct Driver {
    pub(crate) settings: Settings,
    pub(crate) control: Arc<Control>,
    pub(crate) outbox: mpsc::Receiver<Outgoing>,
    pub(crate) sockets: Vec<NspSocket>,
    /// Counts connections, so that answers to a lost connection's events are dropped.
    pub(crate) generation: u64,
    pub(crate) running: FuturesUnordered<BoxFuture>,
    /// Packets to write as soon as possible, in order.
    pub(crate) to_send: Vec<Encoded>,
    /// Whether a connection is up (packets to resend wait otherwise).
    pub(crate) connected: bool,
}

/// Why serving one connection ended.
enum Step {
    Continue,
    End(DisconnectReason),
}

impl Driver {
    /// Serves `link`, then every reconnection, until the client stops.
    pub(crate) async fn run(mut self, mut link: Link) {
        loop {
            self.generation += 1;
            self.connected = true;
            if let Step::End(reason) = self.joined(&mut link) {
                return self.finish(reason);
            }
            let reason = self.serve(link).await;
            self.connected = false;
            self.to_send.clear();
            self.sockets.retain_mut(|socket| {
                socket.acks.fail_sent();
                match socket.joining.take() {
                    Some(reply) => {
                        let _ = reply.send(Err(ConnectError::Closed));
                        false
                    }
                    None => true,
                }
            });
            if !reason.should_reconnect() || self.sockets.is_empty() {
                return self.finish(reason);
            }
            tracing::debug!(%reason, "connection lost");
            match self.reconnect(reason).await {
                Ok(next) => link = next,
                Err(reason) => return self.finish(reason),
            }
        }
    }

    /// Takes in how joining went on a new connection: states, early events,
    /// packets to resend; refused namespaces end.
    fn joined(&mut self, link: &mut Link) -> Step {
        let mut refused = None;
        for (nsp, outcome) in std::mem::take(&mut link.joined) {
            let Some(index) = self.index_of(&nsp) else {
                continue;
            };
            match outcome {
                Ok(joined) => {
                    let socket = &mut self.sockets[index];
                    let connected = ConnectionState::Connected {
                        sid: joined.sid,
                        recovered: joined.recovered,
                    };
                    // The first connection's state is already there: no change.
                    socket.state.send_if_modified(|state| {
                        let changed = *state != connected;
                        *state = connected;
                        changed
                    });
                    if !joined.recovered {
                        socket.recovery.last_offset = None;
                    }
                    socket.recovery.pid = joined.pid;
                    let delivery = socket.delivery;
                    if let Some(encoded) = socket.retry.resume(delivery) {
                        send_event(socket, encoded, &mut self.to_send);
                    }
                    for packet in joined.early {
                        if let Step::End(reason) = self.on_packet(packet) {
                            return Step::End(reason);
                        }
                    }
                }
                Err(error) => {
                    let reason = DisconnectReason::Refused(error);
                    let mut socket = self.sockets.remove(index);
                    socket.end(ConnectionState::Disconnected(reason.clone()));
                    refused.get_or_insert(reason);
                }
            }
        }
        match (self.sockets.is_empty(), refused) {
            (true, Some(reason)) => Step::End(reason),
            _ => Step::Continue,
        }
    }

    fn index_of(&self, nsp: &str) -> Option<usize> {
        self.sockets.iter().position(|socket| &*socket.nsp == nsp)
    }

    /// The end of the current try of the packet resent soonest.
    fn retry_deadline(&self) -> Option<Instant> {
        self.sockets
            .iter()
            .filter_map(|socket| socket.retry.deadline())
            .min()
    }

    /// Ends the tries that ran out; resends (when connected) or gives up.
    fn expire_retries(&mut self) {
        for socket in &mut self.sockets {
            if let Some(encoded) = socket.retry.expire(&socket.acks, socket.delivery)
                && self.connected
            {
                send_event(socket, encoded, &mut self.to_send);
            }
        }
    }

    /// Reads, writes and keeps the heartbeat of one connection until it ends.
    async fn serve(&mut self, mut link: Link) -> DisconnectReason {
        // Reading comes before the heartbeat's deadline, so that a ping already
        // received counts even when this task ran late; a flood of other packets
        // cannot hide a missing ping either (checked on each of them).
        let heartbeat = tokio::time::sleep(link.heartbeat);
        tokio::pin!(heartbeat);
        let mut step = self.on_control();
        loop {
            if let Step::Continue = step
                && !self.to_send.is_empty()
            {
                step = self.flush(&mut link.transport).await;
            }
            if let Step::End(reason) = step {
                match reason {
                    DisconnectReason::ClientDisconnect => {
                        let _ =
                            tokio::time::timeout(GOODBYE_TIMEOUT, self.goodbye(&mut link)).await;
                    }
                    DisconnectReason::ServerDisconnect => {
                        let _ = tokio::time::timeout(GOODBYE_TIMEOUT, link.transport.close()).await;
                    }
                    _ => {}
                }
                return reason;
            }
            let retry_deadline = self.retry_deadline();
            step = tokio::select! {
                biased;
                () = self.control.wake.notified() => self.on_control(),
                Some(()) = self.running.next(), if !self.running.is_empty() => Step::Continue,
                incoming = link.transport.next(), if self.running.len() < MAX_RUNNING_HANDLERS => {
                    match incoming {
                        Incoming::Packet(EnginePacket::Ping(_)) => {
                            heartbeat.as_mut().reset(Instant::now() + link.heartbeat);
                            match link.transport.send(&[Frame::control(EngineKind::Pong)]).await {
                                Ok(()) => Step::Continue,
                                Err(error) => Step::End(error.reason()),
                            }
                        }
                        Incoming::Packet(_) if heartbeat.is_elapsed() => {
                            Step::End(DisconnectReason::PingTimeout)
                        }
                        Incoming::Packet(packet) => self.on_engine_packet(&mut link.decoder, packet),
                        Incoming::Invalid(error) => {
                            tracing::debug!(%error, "invalid packet from the server");
                            Step::End(DisconnectReason::ParseError)
                        }
                        Incoming::Closed => Step::End(DisconnectReason::TransportClose),
                        Incoming::Skip => Step::Continue,
                        Incoming::Lost(reason) => Step::End(reason),
                    }
                }
                () = &mut heartbeat => Step::End(DisconnectReason::PingTimeout),
                () = sleep_until(retry_deadline), if retry_deadline.is_some() => {
                    self.expire_retries();
                    Step::Continue
                }
                outgoing = self.outbox.recv() => match outgoing {
                    Some(packet) => {
                        self.outgoing(packet);
                        let mut batched = 1;
                        while batched < WRITE_BATCH
                            && let Ok(packet) = self.outbox.try_recv()
                        {
                            self.outgoing(packet);
                            batched += 1;
                        }
                        Step::Continue
                    }
                    None => Step::End(DisconnectReason::ClientDisconnect),
                },
            };
        }
    }

    /// Writes [`Driver::to_send`].
    async fn flush(&mut self, transport: &mut Transport) -> Step {
        let parser = self.settings.endpoint.parser;
        let frames: Vec<Frame> = self
            .to_send
            .drain(..)
            .flat_map(|encoded| frames_of(parser, &encoded))
            .collect();
        if frames.is_empty() {
            return Step::Continue;
        }
        match transport.send(&frames).await {
            Ok(()) => Step::Continue,
            Err(error) => Step::End(error.reason()),
        }
    }

    /// Namespaces to leave (DISCONNECT, after what they emitted before) and to
    /// join (CONNECT); the connection ends with its last namespace.
    fn on_control(&mut self) -> Step {
        if self.sockets.iter().any(NspSocket::leaving) {
            // What was emitted before leaving goes out first.
            while let Ok(packet) = self.outbox.try_recv() {
                self.outgoing(packet);
            }
            let mut index = 0;
            while index < self.sockets.len() {
                if !self.sockets[index].leaving() {
                    index += 1;
                    continue;
                }
                let mut socket = self.sockets.remove(index);
                if self.sockets.is_empty() {
                    // The goodbye says DISCONNECT for the last one.
                    self.sockets.push(socket);
                    return Step::End(DisconnectReason::ClientDisconnect);
                }
                self.to_send.push(encode_disconnect(&socket.nsp));
                socket.end(ConnectionState::Disconnected(
                    DisconnectReason::ClientDisconnect,
                ));
            }
        }
        for request in self.control.take_joins() {
            self.join(request);
        }
        Step::Continue
    }

    /// Sends CONNECT for a namespace joined while the connection runs.
    fn join(&mut self, request: JoinRequest) {
        let JoinRequest {
            mut socket,
            auth,
            reply,
        } = request;
        if self.index_of(&socket.nsp).is_some() {
            let _ = reply.send(Err(ConnectError::AlreadyJoined(socket.nsp.to_string())));
            return;
        }
        match try_encode_connect(&socket.nsp, auth.as_ref()) {
            Ok(connect) => {
                self.to_send.push(connect);
                socket.joining = Some(reply);
                self.sockets.push(socket);
            }
            Err(error) => {
                let _ = reply.send(Err(ConnectError::InvalidAuth(error.to_string())));
            }
        }
    }

    /// Leaving on purpose: writes what was emitted before, then DISCONNECT for
    /// every namespace, then closes the connection.
    async fn goodbye(&mut self, link: &mut Link) {
        while let Ok(packet) = self.outbox.try_recv() {
            self.outgoing(packet);
        }
        for socket in &self.sockets {
            self.to_send.push(encode_disconnect(&socket.nsp));
        }
        if let Step::Continue = self.flush(&mut link.transport).await {
            link.transport.close().await;
        }
    }

    fn on_engine_packet(&mut self, decoder: &mut Decoder, packet: EnginePacket) -> Step {
        let parser = self.settings.endpoint.parser;
        let decoded = match packet {
            EnginePacket::Message(text) => parser.decode(decoder, Message::Text(text)),
            EnginePacket::Binary(bytes) => parser.decode(decoder, Message::Binary(bytes)),
            EnginePacket::Close => return Step::End(DisconnectReason::TransportClose),
            _ => return Step::Continue,
        };
        match decoded {
            Ok(Some(packet)) => self.on_packet(packet),
            Ok(None) => Step::Continue,
            Err(error) => {
                tracing::debug!(%error, "undecodable packet from the server");
                Step::End(DisconnectReason::ParseError)
            }
        }
    }

    fn on_packet(&mut self, packet: Packet) -> Step {
        let Some(index) = self.index_of(packet.nsp.as_str()) else {
            return Step::Continue;
        };
        let socket = &mut self.sockets[index];
        match packet.body {
            Body::Event { name, args } => {
                if socket.joining.is_some() {
                    return Step::Continue;
                }
                if packet.id.is_none() {
                    socket.recovery.saw(&args);
                }
                let Some(client) = socket.client() else {
                    return Step::Continue;
                };
                let ack = packet.id.map(|id| {
                    AckSender::new(
                        client.shared.conn.outbox.clone(),
                        socket.nsp.clone(),
                        id,
                        self.generation,
                    )
                });
                let targets = socket.listeners.handlers().targets(&name);
                let event = Event::new(name, args, ack);
                let handlers = super::event::dispatch(&targets, &client, event);
                for future in handlers {
                    self.running
                        .push(Box::pin(AssertUnwindSafe(future).catch_unwind().map(
                            |outcome| {
                                if outcome.is_err() {
                                    tracing::error!("a client event handler panicked");
                                }
                            },
                        )));
                }
            }
            Body::Ack(args) => match packet.id {
                Some(id) => {
                    socket.acks.resolve(id, args);
                    let delivery = socket.delivery;
                    if let Some(next) = socket.retry.acknowledged(id, delivery)
                        && self.connected
                    {
                        send_event(socket, next, &mut self.to_send);
                    }
                }
                None => tracing::debug!("acknowledgement without an id ignored"),
            },
            Body::Disconnect => {
                let mut socket = self.sockets.remove(index);
                if self.sockets.is_empty() {
                    self.sockets.push(socket);
                    return Step::End(DisconnectReason::ServerDisconnect);
                }
                socket.end(ConnectionState::Disconnected(
                    DisconnectReason::ServerDisconnect,
                ));
            }
            Body::Connect(Some(data)) if socket.joining.is_some() => {
                match serde_json::from_str::<ConnectReply>(data.as_str()) {
                    Ok(reply) => {
                        socket.state.send_replace(ConnectionState::Connected {
                            sid: reply.sid,
                            recovered: false,
                        });
                        socket.recovery.pid = reply.pid;
                        if let Some(reply) = socket.joining.take() {
                            let _ = reply.send(Ok(()));
                        }
                    }
                    Err(error) => {
                        let mut socket = self.sockets.remove(index);
                        if let Some(reply) = socket.joining.take() {
                            let _ = reply.send(Err(ConnectError::Protocol(format!(
                                "bad CONNECT answer: {error}"
                            ))));
                        }
                        socket.end(ConnectionState::Disconnected(DisconnectReason::ParseError));
                    }
                }
            }
            Body::ConnectError(json) if socket.joining.is_some() => {
                let mut socket = self.sockets.remove(index);
                socket.end(ConnectionState::Disconnected(DisconnectReason::Refused(
                    refusal(&json),
                )));
            }
            Body::Connect(_) | Body::ConnectError(_) => {
                tracing::debug!(kind = %packet.body.kind(), "unexpected packet ignored");
            }
        }
        Step::Continue
    }

    /// Takes a packet from the handles: to write now, to queue for retries, or
    /// to drop when it belongs to a lost connection or a namespace left.
    fn outgoing(&mut self, packet: Outgoing) {
        match packet {
            Outgoing::Emit {
                nsp,
                encoded,
                ack_id,
            } => {
                let Some(index) = self.index_of(&nsp) else {
                    return;
                };
                let socket = &self.sockets[index];
                if let Some(id) = ack_id {
                    socket.acks.mark_sent(id);
                }
                send_event(socket, encoded, &mut self.to_send);
            }
            Outgoing::Reliable {
                nsp,
                encoded,
                ack_id,
            } => {
                let Some(index) = self.index_of(&nsp) else {
                    return;
                };
                let socket = &mut self.sockets[index];
                let delivery = socket.delivery;
                if let Some(first) = socket.retry.push(encoded, ack_id, delivery)
                    && self.connected
                {
                    send_event(socket, first, &mut self.to_send);
                }
            }
            Outgoing::Ack {
                encoded,
                generation,
            } => {
                if generation == self.generation {
                    self.to_send.push(encoded);
                }
            }
        }
    }

    /// Tries to connect again with backoff; the new link, or why the client stops.
    async fn reconnect(&mut self, reason: DisconnectReason) -> Result<Link, DisconnectReason> {
        let policy = self.settings.reconnect.clone();
        if !policy.allows(1) {
            return Err(reason);
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            if !policy.allows(attempt) {
                return Err(DisconnectReason::ReconnectFailed {
                    attempts: attempt - 1,
                });
            }
            for socket in &self.sockets {
                socket.state.send_replace(ConnectionState::Reconnecting {
                    attempt,
                    reason: reason.clone(),
                });
            }
            let delay = tokio::time::sleep(policy.delay(attempt - 1));
            tokio::pin!(delay);
            let outcome = loop {
                let retry_deadline = self.retry_deadline();
                tokio::select! {
                    () = self.control.wake.notified() => {
                        self.leave_while_away();
                        if self.sockets.is_empty() {
                            return Err(DisconnectReason::ClientDisconnect);
                        }
                    }
                    () = sleep_until(retry_deadline), if retry_deadline.is_some() => {
                        self.expire_retries();
                    }
                    () = &mut delay => break self.attempt().await,
                }
            };
            match outcome {
                Ok(link) => return Ok(link),
                Err(ConnectError::Refused(error)) => return Err(DisconnectReason::Refused(error)),
                Err(error) => tracing::debug!(attempt, %error, "reconnection attempt failed"),
            }
        }
    }

    /// One reconnection attempt, joining every namespace again.
    async fn attempt(&mut self) -> Result<Link, ConnectError> {
        let settings = &self.settings;
        let namespaces = self
            .sockets
            .iter()
            .map(|socket| NspJoin {
                nsp: &socket.nsp,
                auth: &socket.auth,
                resume: socket.recovery.resume(),
            })
            .collect();
        let join = Join {
            endpoint: &settings.endpoint,
            mode: settings.mode,
            timeout: settings.connect_timeout,
            namespaces,
        };
        let establishing = establish(join);
        tokio::pin!(establishing);
        loop {
            tokio::select! {
                outcome = &mut establishing => return outcome,
                () = self.control.wake.notified() => {
                    // A namespace left: looked at again before the next attempt
                    // (joins wait for the connection).
                    if self.sockets.iter().any(NspSocket::leaving) {
                        self.control.wake.notify_one();
                        return Err(ConnectError::Closed);
                    }
                }
            }
        }
    }

    /// Namespaces left while reconnecting end at once.
    fn leave_while_away(&mut self) {
        let mut index = 0;
        while index < self.sockets.len() {
            if self.sockets[index].leaving() {
                let mut socket = self.sockets.remove(index);
                socket.end(ConnectionState::Disconnected(
                    DisconnectReason::ClientDisconnect,
                ));
            } else {
                index += 1;
            }
        }
    }

    /// Stops for good: later emits and pending acknowledgements fail, handlers
    /// still running finish on a task of their own.
    fn finish(mut self, reason: DisconnectReason) {
        tracing::debug!(%reason, "client disconnected");
        self.outbox.close();
        for mut socket in std::mem::take(&mut self.sockets) {
            socket.end(ConnectionState::Disconnected(reason.clone()));
        }
        for request in self.control.take_joins() {
            let _ = request.reply.send(Err(ConnectError::Closed));
        }
        let running = std::mem::take(&mut self.running);
        if !running.is_empty() {
            tokio::spawn(running.collect::<Vec<()>>());
        }
    }
}

/// Queues an event of `socket` for writing, after its outgoing hooks saw it.
fn send_event(socket: &NspSocket, encoded: Encoded, to_send: &mut Vec<Encoded>) {
    if let Some(client) = socket.client() {
        socket.listeners.notify_outgoing(&client, &encoded);
    }
    to_send.push(encoded);
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
