//! [`LocalNamespace`]: a namespace of this server as its adapter reaches it.
//!
//! The adapter sees the namespace only through [`ServedNamespace`], which the
//! server implements; it never reaches the server's own types.

use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

use super::{ClusterRequest, ClusterResponse, JsonSocket, Selector};
use crate::engine::Sid;
use crate::protocol::{Encoded, Value};
use crate::room::Room;

/// What the server does for an adapter on one of its namespaces. The server's
/// namespace implements it; [`LocalNamespace`] holds it weakly and answers as an
/// empty namespace once it is gone.
pub(crate) trait ServedNamespace: Send + Sync + 'static {
    /// The rooms local sockets joined (not the sockets' own rooms).
    fn room_names(&self) -> Vec<Room>;

    /// The ids of the local sockets.
    fn socket_ids(&self) -> Vec<Sid>;

    /// Whether some local socket joined `room`, or `room` is a local socket's id.
    fn has_room(&self, room: &str) -> bool;

    /// Carries out `request` at once and returns a future of this node's answer
    /// (see [`LocalNamespace::answer`]).
    fn answer(&self, request: &ClusterRequest) -> BoxFuture<'static, Option<ClusterResponse>>;

    /// The local sockets `selector` picks, described in JSON.
    fn describe_json(&self, selector: &Selector) -> Vec<JsonSocket>;

    /// Runs the handlers of a server-side event (`packet`: `[event, ...args]`);
    /// `false` when it is not one.
    fn deliver_server_event(&self, packet: &str) -> bool;

    /// Sends `event` with `args` to the local sockets `targets` (rooms, excluded
    /// rooms) select, each with an ack id of its own, and returns their
    /// acknowledgements until `timeout`; `None` when the event does not encode.
    fn deliver_with_ack(
        self: Arc<Self>,
        event: &str,
        args: &[Value],
        targets: (&[Room], &[Room]),
        timeout: Duration,
    ) -> Option<LocalAcks>;

    /// Whether the server has connection state recovery on.
    fn recovers(&self) -> bool;

    /// See [`LocalNamespace::deliver_recoverable`].
    fn deliver_recoverable(
        &self,
        encoded: &Encoded,
        targets: (&[Room], &[Room], Option<Sid>),
        offset: Option<&str>,
    ) -> usize;

    /// See [`LocalNamespace::deliver`].
    fn deliver(&self, encoded: &Encoded, rooms: &[Room], except: &[Room], volatile: bool) -> usize;
}

/// A namespace of this server, as an adapter sees it: where broadcasts from other
/// nodes are delivered. Holds the namespace weakly: it does not keep it alive.
#[derive(Clone)]
pub struct LocalNamespace {
    name: Arc<str>,
    inner: Weak<dyn ServedNamespace>,
}

impl std::fmt::Debug for LocalNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalNamespace")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl LocalNamespace {
    pub(crate) fn new(name: &str, inner: Weak<dyn ServedNamespace>) -> LocalNamespace {
        LocalNamespace {
            name: Arc::from(name),
            inner,
        }
    }

    /// The namespace name, with its leading `/`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the namespace still exists on this server.
    pub fn is_alive(&self) -> bool {
        self.inner.strong_count() > 0
    }

    /// The rooms local sockets joined (not the sockets' own rooms).
    pub fn room_names(&self) -> Vec<Room> {
        self.inner
            .upgrade()
            .map(|ns| ns.room_names())
            .unwrap_or_default()
    }

    /// The ids of the local sockets, which name their own rooms.
    pub fn socket_ids(&self) -> Vec<Sid> {
        self.inner
            .upgrade()
            .map(|ns| ns.socket_ids())
            .unwrap_or_default()
    }

    /// Whether some local socket joined `room`, or `room` is a local socket's id.
    pub fn has_room(&self, room: &str) -> bool {
        self.inner.upgrade().is_some_and(|ns| ns.has_room(room))
    }

    /// This node's answer to a fetch of the sockets `selector` picks, written as
    /// JSON: what a JSON adapter publishes, without building each handshake as a
    /// value first. A namespace that is gone has none.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn fetch_json(&self, selector: &Selector) -> Vec<JsonSocket> {
        self.inner
            .upgrade()
            .map(|ns| ns.describe_json(selector))
            .unwrap_or_default()
    }

    /// Carries out a request from another node on this node's sockets, at once
    /// (so requests take effect in the order they arrive), and returns a future of
    /// this node's answer. It is ready at once, except for a
    /// [`ClusterRequest::ServerSideEmit`], whose answer comes when the answering
    /// handler returns; `None` when this node has no answer to give (no answering
    /// handler for that event). A namespace that is gone answers as an empty one.
    pub fn answer(&self, request: &ClusterRequest) -> BoxFuture<'static, Option<ClusterResponse>> {
        match self.inner.upgrade() {
            Some(ns) => ns.answer(request),
            None => {
                let empty = match request {
                    ClusterRequest::FetchSockets(_) => Some(ClusterResponse::Sockets(Vec::new())),
                    ClusterRequest::AllRooms => Some(ClusterResponse::Rooms(Vec::new())),
                    ClusterRequest::ServerSideEmit { .. } => None,
                    _ => Some(ClusterResponse::Done),
                };
                Box::pin(std::future::ready(empty))
            }
        }
    }

    /// Runs this namespace's handlers of a server-side event from another node;
    /// `packet` is the JSON array `[event, ...args]`. Returns `false` when it is not
    /// one.
    pub fn deliver_server_event(&self, packet: &str) -> bool {
        self.inner
            .upgrade()
            .is_some_and(|ns| ns.deliver_server_event(packet))
    }

    /// Delivers a broadcast from another node that waits for acknowledgements to
    /// the local sockets it selects (`args`: the event's arguments), each with an
    /// ack id of its own, and yields each socket's acknowledgement (its first
    /// argument) as it arrives, until `timeout`. [`LocalAcks::sent`] is how many
    /// sockets it was sent to. `None` when the namespace is gone or the event does
    /// not encode.
    pub fn deliver_with_ack(
        &self,
        event: &str,
        args: &[Value],
        targets: (&[Room], &[Room]),
        timeout: Duration,
    ) -> Option<LocalAcks> {
        self.inner
            .upgrade()?
            .deliver_with_ack(event, args, targets, timeout)
    }

    /// Whether the namespace's server has connection state recovery on: then
    /// broadcasts carry offsets.
    pub fn recovers(&self) -> bool {
        self.inner.upgrade().is_some_and(|ns| ns.recovers())
    }

    /// Delivers a recoverable broadcast (from this node, once it has its offset,
    /// or from another node) to the local sockets it selects (`targets`: rooms,
    /// excluded rooms, excluded socket), with `offset` appended as its last
    /// argument when recovery is on. Sockets that are being recovered hold it
    /// until their missed events are out. Returns how many sockets got it.
    pub fn deliver_recoverable(
        &self,
        encoded: &Encoded,
        targets: (&[Room], &[Room], Option<Sid>),
        offset: Option<&str>,
    ) -> usize {
        self.inner
            .upgrade()
            .map_or(0, |ns| ns.deliver_recoverable(encoded, targets, offset))
    }

    /// Delivers a broadcast from another node to the local sockets it selects:
    /// those in `rooms` (all when empty) except those in `except`. `encoded` must be
    /// an event of this namespace without ack id; its bytes are shared by every
    /// recipient. Returns how many sockets it was queued for.
    pub fn deliver(
        &self,
        encoded: &Encoded,
        rooms: &[Room],
        except: &[Room],
        volatile: bool,
    ) -> usize {
        self.inner
            .upgrade()
            .map_or(0, |ns| ns.deliver(encoded, rooms, except, volatile))
    }
}

/// The acknowledgements of a broadcast from another node, from this node's
/// sockets ([`LocalNamespace::deliver_with_ack`]): each socket's first argument,
/// as it arrives. Sockets that do not answer in time, or answer with nothing,
/// yield nothing; the stream ends at the timeout.
pub struct LocalAcks {
    sent: usize,
    acks: BoxStream<'static, Value>,
}

impl LocalAcks {
    pub(crate) fn new(sent: usize, acks: BoxStream<'static, Value>) -> LocalAcks {
        LocalAcks { sent, acks }
    }

    /// How many sockets the broadcast was sent to.
    pub fn sent(&self) -> usize {
        self.sent
    }
}

impl std::fmt::Debug for LocalAcks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalAcks")
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl Stream for LocalAcks {
    type Item = Value;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Value>> {
        self.acks.as_mut().poll_next(cx)
    }
}
