//! The connection task: one per client. It owns the WebSocket, answers pings,
//! writes queued packets, runs event handlers, and reconnects when the connection
//! is lost.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt as _, StreamExt as _};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::ack::PendingAcks;
use super::endpoint::{Endpoint, frames_of};
use super::error::ConnectError;
use super::event::{AckSender, Event, Handlers};
use super::handshake::{Join, Link, establish};
use super::outbox::Outgoing;
use super::reconnect::Reconnect;
use super::recovery::Recovery;
use super::state::{ConnectionState, DisconnectReason};
use super::transport::{Incoming, TransportMode};
use super::{Client, Shared};
use crate::engine::{Frame, Message, Packet as EnginePacket, PacketKind as EngineKind};
use crate::protocol::{Body, Encoded, Packet, encode_disconnect};
use crate::server::BoxFuture;

/// Most event handlers of one client running at once; while that many are busy,
/// the client stops reading from the server, so a flood of events is held back by
/// TCP, not buffered. Pings wait too: handlers stuck for longer than the server's
/// heartbeat end the connection with `ping timeout` (and a reconnection).
pub const MAX_RUNNING_HANDLERS: usize = 256;

/// Most queued packets written together (one WebSocket flush, or one POST).
const WRITE_BATCH: usize = 64;

/// The longest the client spends saying goodbye (what was emitted before, then
/// DISCONNECT, then a close) to a server that does not read.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);

/// Everything the connection task needs to connect again.
pub(crate) struct Settings {
    pub(crate) endpoint: Endpoint,
    pub(crate) mode: TransportMode,
    pub(crate) nsp: Arc<str>,
    pub(crate) auth: super::auth::AuthSource,
    pub(crate) connect_timeout: Duration,
    pub(crate) reconnect: Reconnect,
    pub(crate) handlers: Handlers,
}

/// The connection task's state.
pub(crate) struct Driver {
    pub(crate) settings: Settings,
    pub(crate) shared: Weak<Shared>,
    pub(crate) acks: Arc<PendingAcks>,
    pub(crate) outbox: mpsc::Receiver<Outgoing>,
    pub(crate) state: watch::Sender<ConnectionState>,
    pub(crate) stop: watch::Receiver<bool>,
    /// Counts connections, so that answers to a lost connection's events are dropped.
    pub(crate) generation: u64,
    pub(crate) running: FuturesUnordered<BoxFuture>,
    /// What to name to get the socket back after a lost connection.
    pub(crate) recovery: Recovery,
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
            if self.generation > 1 {
                self.state.send_replace(ConnectionState::Connected {
                    sid: link.sid.clone(),
                    recovered: link.recovered,
                });
            }
            if !link.recovered {
                self.recovery.last_offset = None;
            }
            self.recovery.pid = link.pid.take();
            for packet in std::mem::take(&mut link.early) {
                if let Step::End(reason) = self.on_packet(packet) {
                    return self.finish(reason);
                }
            }
            let reason = self.serve(link).await;
            self.acks.fail_sent();
            if !reason.should_reconnect() || self.stop_requested() {
                return self.finish(reason);
            }
            tracing::debug!(%reason, "connection lost");
            match self.reconnect(reason).await {
                Ok(next) => link = next,
                Err(reason) => return self.finish(reason),
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
        loop {
            let step = tokio::select! {
                biased;
                _ = self.stop.changed() => Step::End(DisconnectReason::ClientDisconnect),
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
                        Incoming::Packet(packet) => self.on_engine_packet(&mut link, packet),
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
                outgoing = self.outbox.recv() => match outgoing {
                    Some(packet) => self.write(&mut link, packet).await,
                    None => Step::End(DisconnectReason::ClientDisconnect),
                },
            };
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
        }
    }

    /// Leaving on purpose: writes what was emitted before, then DISCONNECT, then
    /// closes the connection.
    async fn goodbye(&mut self, link: &mut Link) {
        let mut frames = Vec::new();
        while let Ok(packet) = self.outbox.try_recv() {
            if let Some(encoded) = self.outgoing_frames(packet) {
                frames.extend(frames_of(self.settings.endpoint.parser, &encoded));
            }
        }
        let goodbye = encode_disconnect(&self.settings.nsp);
        frames.extend(frames_of(self.settings.endpoint.parser, &goodbye));
        if link.transport.send(&frames).await.is_ok() {
            link.transport.close().await;
        }
    }

    fn on_engine_packet(&mut self, link: &mut Link, packet: EnginePacket) -> Step {
        let decoded = match packet {
            EnginePacket::Message(text) => {
                let parser = self.settings.endpoint.parser;
                parser.decode(&mut link.decoder, Message::Text(text))
            }
            EnginePacket::Binary(bytes) => {
                let parser = self.settings.endpoint.parser;
                parser.decode(&mut link.decoder, Message::Binary(bytes))
            }
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
        if packet.nsp.as_str() != &*self.settings.nsp {
            return Step::Continue;
        }
        match packet.body {
            Body::Event { name, args } => {
                if packet.id.is_none() {
                    self.recovery.saw(&args);
                }
                let Some(shared) = self.shared.upgrade() else {
                    return Step::End(DisconnectReason::ClientDisconnect);
                };
                let ack = packet.id.map(|id| {
                    AckSender::new(
                        shared.outbox.clone(),
                        self.settings.nsp.clone(),
                        id,
                        self.generation,
                    )
                });
                let client = Client { shared };
                let event = Event::new(name, args, ack);
                for future in self.settings.handlers.dispatch(&client, event) {
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
                Some(id) => self.acks.resolve(id, args),
                None => tracing::debug!("acknowledgement without an id ignored"),
            },
            Body::Disconnect => return Step::End(DisconnectReason::ServerDisconnect),
            Body::Connect(_) | Body::ConnectError(_) => {
                tracing::debug!(kind = %packet.body.kind(), "unexpected packet ignored");
            }
        }
        Step::Continue
    }

    /// Writes `first` and whatever else is already queued (up to
    /// [`WRITE_BATCH`] packets) in one go: one flush, or one POST.
    async fn write(&mut self, link: &mut Link, first: Outgoing) -> Step {
        let mut frames = Vec::new();
        let mut next = Some(first);
        let mut batched = 0;
        while let Some(packet) = next.take() {
            if let Some(encoded) = self.outgoing_frames(packet) {
                frames.extend(frames_of(self.settings.endpoint.parser, &encoded));
            }
            batched += 1;
            if batched < WRITE_BATCH {
                next = self.outbox.try_recv().ok();
            }
        }
        if frames.is_empty() {
            return Step::Continue;
        }
        match link.transport.send(&frames).await {
            Ok(()) => Step::Continue,
            Err(error) => Step::End(error.reason()),
        }
    }

    /// The packet to write for `packet`, if it still belongs on this connection.
    fn outgoing_frames(&self, packet: Outgoing) -> Option<Encoded> {
        match packet {
            Outgoing::Emit { encoded, ack_id } => {
                if let Some(id) = ack_id {
                    self.acks.mark_sent(id);
                }
                Some(encoded)
            }
            Outgoing::Ack {
                encoded,
                generation,
            } => (generation == self.generation).then_some(encoded),
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
            self.state.send_replace(ConnectionState::Reconnecting {
                attempt,
                reason: reason.clone(),
            });
            let settings = &self.settings;
            let resume = self.recovery.resume();
            let attempt_once = async {
                tokio::time::sleep(policy.delay(attempt - 1)).await;
                establish(Join {
                    endpoint: &settings.endpoint,
                    mode: settings.mode,
                    nsp: &settings.nsp,
                    auth: &settings.auth,
                    timeout: settings.connect_timeout,
                    resume,
                })
                .await
            };
            let outcome = tokio::select! {
                _ = self.stop.changed() => return Err(DisconnectReason::ClientDisconnect),
                outcome = attempt_once => outcome,
            };
            match outcome {
                Ok(link) => return Ok(link),
                Err(ConnectError::Refused(error)) => return Err(DisconnectReason::Refused(error)),
                Err(error) => tracing::debug!(attempt, %error, "reconnection attempt failed"),
            }
        }
    }

    fn stop_requested(&self) -> bool {
        *self.stop.borrow() || self.shared.strong_count() == 0
    }

    /// Stops for good: later emits and pending acknowledgements fail, handlers
    /// still running finish on a task of their own.
    fn finish(mut self, reason: DisconnectReason) {
        tracing::debug!(%reason, "client disconnected");
        self.outbox.close();
        self.acks.fail_all();
        self.state
            .send_replace(ConnectionState::Disconnected(reason));
        let running = std::mem::take(&mut self.running);
        if !running.is_empty() {
            tokio::spawn(running.collect::<Vec<()>>());
        }
    }
}
