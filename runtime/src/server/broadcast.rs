//! [`BroadcastOperator`]: emits to many sockets, selected by rooms and exclusions.
//!
//! A broadcast is encoded once; every recipient's queue shares the same bytes. Only
//! a broadcast with acknowledgements re-frames the header per socket, for its ack id.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::ack::{AckFuture, AckStream};
use super::error::{AckError, check_event_name};
use super::namespace::NamespaceInner;
use super::recovery::Target;
use super::socket::{Socket, SocketInner};
use crate::adapter::Broadcast;
use crate::engine::Sid;
use crate::peer::EmitError;
use crate::protocol;
use crate::protocol::EmitArgs;
use crate::room::{IntoRooms, Room};

/// Selects sockets of a namespace and emits to them.
///
/// Built from `Server`, `Namespace` or `Socket` (`to`, `except`, `broadcast`, ...);
/// each call narrows or flags the broadcast, and `emit` sends it.
///
/// ```no_run
/// # fn demo(io: tether::server::Server, socket: tether::server::Socket) -> Result<(), tether::server::EmitError> {
/// io.to("match:42").except("spectators").emit("tick", &(42, "state"))?;
/// socket.broadcast().volatile().emit("cursor", &(10, 20))?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BroadcastOperator {
    ns: Arc<NamespaceInner>,
    rooms: Vec<Room>,
    except: Vec<Room>,
    except_socket: Option<Sid>,
    local: bool,
    volatile: bool,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for BroadcastOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOperator")
            .field("ns", &self.ns.name)
            .field("rooms", &self.rooms)
            .field("except", &self.except)
            .field("except_socket", &self.except_socket)
            .field("local", &self.local)
            .field("volatile", &self.volatile)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Arc<NamespaceInner>) -> Self {
        BroadcastOperator {
            ns,
            rooms: Vec::new(),
            except: Vec::new(),
            except_socket: None,
            local: false,
            volatile: false,
            timeout: None,
        }
    }

    pub(crate) fn except_socket(mut self, sid: Sid) -> Self {
        self.except_socket = Some(sid);
        self
    }

    /// Adds rooms to target (a socket in several of them still receives once).
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        self.rooms.extend(rooms.into_rooms());
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn within(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Excludes the sockets in these rooms (or with these ids).
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        self.except.extend(rooms.into_rooms());
        self
    }

    /// Targets this server's sockets only (matters with a multi-node adapter).
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Each client drops the emit when it cannot take it right away.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Sets how long `emit_with_ack` waits for acknowledgements.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The rooms, excluded rooms and excluded socket this operator selects by.
    pub(crate) fn selection(&self) -> (&[Room], &[Room], Option<Sid>) {
        (&self.rooms, &self.except, self.except_socket)
    }

    /// Whether the operator stays on this node.
    pub(crate) fn is_local(&self) -> bool {
        self.local
    }

    /// The namespace it selects in.
    pub(crate) fn namespace_inner(&self) -> &Arc<NamespaceInner> {
        &self.ns
    }

    /// The broadcast of `encoded` as an adapter sees it.
    fn described<'a>(
        &'a self,
        encoded: &'a protocol::Encoded,
        event: &'a str,
        args: &'a dyn erased_serde::Serialize,
    ) -> Broadcast<'a> {
        Broadcast {
            encoded,
            event,
            args,
            rooms: &self.rooms,
            except: &self.except,
            except_socket: self.except_socket,
            volatile: self.volatile,
        }
    }

    fn for_each(&self, visit: impl FnMut(&Arc<SocketInner>)) {
        self.ns
            .for_each_target(&self.rooms, &self.except, self.except_socket, visit);
    }

    /// Sends the event to every selected socket. A tuple spreads into several
    /// arguments, `()` sends none, anything else is one argument.
    ///
    /// A client too slow to keep up is disconnected rather than slowing the others.
    /// With an adapter, the broadcast also goes to the other nodes' sockets, unless
    /// it is [`local`](Self::local).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        check_event_name(event)?;
        let args = EmitArgs::new(data);
        let mut encoded = protocol::encode_event(&self.ns.name, event, &args, None)?;
        let volatile = self.volatile;
        // An adapter that keeps sessions gives recoverable broadcasts their
        // offsets, and delivers them here too once they have one.
        let keeping = self.ns.recovery.is_some()
            && self
                .ns
                .adapter
                .as_ref()
                .is_some_and(|adapter| adapter.keeps_sessions());
        let recoverable = keeping && !volatile && !self.local;
        if recoverable {
            crate::telemetry::with(|metrics| metrics.broadcasts.increment(1));
            if let Some(adapter) = &self.ns.adapter
                && adapter.publish_recoverable(&self.described(&encoded, event, &args))
            {
                crate::telemetry::with(|metrics| metrics.adapter_publishes.increment(1));
                return Ok(());
            }
        } else if let Some(recovery) = &self.ns.recovery
            && !keeping
            && !volatile
        {
            let target = Target {
                rooms: &self.rooms,
                except: &self.except,
                except_socket: self.except_socket,
            };
            encoded = recovery.keep(&encoded, target);
        }
        let mut delivered = 0;
        self.for_each(|socket| {
            if let Ok(true) = socket.deliver(&encoded, volatile) {
                delivered += 1;
            }
        });
        let published = !self.local && !recoverable && self.ns.adapter.is_some();
        crate::telemetry::with(|metrics| {
            if !recoverable {
                metrics.broadcasts.increment(1);
            }
            metrics.sent(delivered, self.ns.parser.wire_len(&encoded));
            if published {
                metrics.adapter_publishes.increment(1);
            }
        });
        if published && let Some(adapter) = &self.ns.adapter {
            adapter.publish(&self.described(&encoded, event, &args));
        }
        Ok(())
    }

    /// Sends the event to every selected socket and yields each one's
    /// acknowledgement (its first argument as `R`) as it arrives. With an adapter
    /// that carries them (the Redis adapter, classic or sharded), the other nodes'
    /// sockets are asked too, unless the operator is [`local`](Self::local).
    pub fn emit_with_ack<R, T>(&self, event: &str, data: &T) -> AckStream<R>
    where
        R: DeserializeOwned + 'static,
        T: Serialize + ?Sized,
    {
        if let Err(error) = check_event_name(event) {
            tracing::warn!(%error, "broadcast with acknowledgement refused");
            return AckStream::new();
        }
        let args = EmitArgs::new(data);
        let encoded = match protocol::encode_event(&self.ns.name, event, &args, Some(0)) {
            Ok(encoded) => encoded,
            Err(error) => {
                tracing::warn!(%error, "broadcast with acknowledgement not encodable");
                return AckStream::new();
            }
        };
        crate::telemetry::with(|metrics| metrics.broadcasts.increment(1));
        let stream = self.send_with_ack(&encoded);
        let Some(adapter) = self.ns.adapter.as_ref().filter(|_| !self.local) else {
            return stream;
        };
        crate::telemetry::with(|metrics| metrics.adapter_publishes.increment(1));
        let timeout = self.timeout.unwrap_or(self.ns.ack_timeout);
        match adapter.publish_with_ack(&self.described(&encoded, event, &args), timeout) {
            Some(remote) => stream.with_remote(remote, Instant::now() + timeout),
            None => stream,
        }
    }

    /// Sends `encoded` (an event with an ack id, re-framed per socket) to every
    /// selected socket of this node and yields their acknowledgements.
    pub(crate) fn send_with_ack<R: DeserializeOwned + 'static>(
        &self,
        encoded: &protocol::Encoded,
    ) -> AckStream<R> {
        let mut stream = AckStream::new();
        let deadline = Instant::now() + self.timeout.unwrap_or(self.ns.ack_timeout);
        let mut targets = Vec::new();
        self.for_each(|socket| targets.push(socket.clone()));
        let (mut delivered, mut bytes) = (0, 0);
        for socket in targets {
            let id = socket.next_ack_id();
            let framed = protocol::with_ack_id(encoded, &self.ns.name, id);
            let receiver = socket.acks.insert(id);
            let future = match socket.deliver(&framed, self.volatile) {
                Ok(true) => {
                    delivered += 1;
                    bytes += self.ns.parser.wire_len(&framed);
                    AckFuture::waiting(receiver, Arc::downgrade(&socket), id, deadline)
                }
                Ok(false) => {
                    socket.acks.forget(id);
                    continue;
                }
                Err(error) => {
                    socket.acks.forget(id);
                    AckFuture::failed(AckError::Emit(error))
                }
            };
            stream.push(socket.id, future);
        }
        crate::telemetry::with(|metrics| {
            metrics.packets_sent.increment(delivered);
            metrics.bytes_sent.increment(bytes as u64);
        });
        stream
    }

    /// The selected sockets.
    pub fn sockets(&self) -> Vec<Socket> {
        let mut sockets = Vec::new();
        self.for_each(|socket| sockets.push(Socket::from_inner(socket.clone())));
        sockets
    }

    /// Makes every selected socket join `rooms`.
    pub fn join(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        for socket in self.sockets() {
            socket.join(rooms.clone());
        }
    }

    /// Makes every selected socket leave `rooms`.
    pub fn leave(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        for socket in self.sockets() {
            socket.leave(rooms.clone());
        }
    }

    /// Disconnects every selected socket from the namespace.
    pub fn disconnect(&self) {
        for socket in self.sockets() {
            socket.disconnect();
        }
    }
}
