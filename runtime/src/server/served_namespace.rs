//! What the server does for its adapter on each namespace: the
//! [`ServedNamespace`] seam behind [`LocalNamespace`](crate::adapter::LocalNamespace).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;

use super::broadcast::BroadcastOperator;
use super::namespace::NamespaceInner;
use crate::adapter::{
    ClusterRequest, ClusterResponse, JsonSocket, LocalAcks, Selector, ServedNamespace,
};
use crate::engine::Sid;
use crate::protocol::{Encoded, Value};
use crate::room::Room;

impl ServedNamespace for NamespaceInner {
    fn room_names(&self) -> Vec<Room> {
        NamespaceInner::room_names(self)
    }

    fn socket_ids(&self) -> Vec<Sid> {
        self.all_sockets().iter().map(|socket| socket.id).collect()
    }

    fn has_room(&self, room: &str) -> bool {
        NamespaceInner::has_room(self, room)
    }

    fn answer(&self, request: &ClusterRequest) -> BoxFuture<'static, Option<ClusterResponse>> {
        if let ClusterRequest::ServerSideEmit { packet } = request {
            return match self.handlers.server_events.deliver_with_ack(packet) {
                Some(answer) => Box::pin(async move { answer.await.map(ClusterResponse::Ack) }),
                None => Box::pin(std::future::ready(None)),
            };
        }
        Box::pin(std::future::ready(Some(NamespaceInner::answer(
            self, request,
        ))))
    }

    fn describe_json(&self, selector: &Selector) -> Vec<JsonSocket> {
        NamespaceInner::describe_json(self, selector)
    }

    fn deliver_server_event(&self, packet: &str) -> bool {
        self.handlers.server_events.deliver(packet)
    }

    fn deliver_with_ack(
        self: Arc<Self>,
        event: &str,
        args: &[Value],
        targets: (&[Room], &[Room]),
        timeout: Duration,
    ) -> Option<LocalAcks> {
        let encoded = crate::protocol::encode_event(&self.name, event, &args, Some(0))
            .inspect_err(
                |error| tracing::debug!(%error, "an acknowledged broadcast does not encode"),
            )
            .ok()?;
        let (rooms, except) = targets;
        let acks = BroadcastOperator::new(self)
            .to(rooms.to_vec())
            .except(except.to_vec())
            .local()
            .timeout(timeout)
            .send_with_ack::<Value>(&encoded);
        let sent = acks.remaining();
        let values = acks.filter_map(|(_, result)| std::future::ready(result.ok()));
        Some(LocalAcks::new(sent, values.boxed()))
    }

    fn recovers(&self) -> bool {
        self.recovery.is_some()
    }

    fn deliver_recoverable(
        &self,
        encoded: &Encoded,
        targets: (&[Room], &[Room], Option<Sid>),
        offset: Option<&str>,
    ) -> usize {
        let (rooms, except, except_socket) = targets;
        let offset = offset.filter(|_| self.recovery.is_some());
        let with_offset = offset.map(|offset| crate::protocol::with_offset(encoded, offset));
        let mut count = 0;
        self.for_each_target(rooms, except, except_socket, |socket| {
            let sent = match (&with_offset, offset) {
                (Some(framed), Some(offset)) => socket.send_at(framed, offset),
                _ => socket.send(encoded, false),
            };
            if let Ok(true) = sent {
                count += 1;
            }
        });
        count
    }

    fn deliver(&self, encoded: &Encoded, rooms: &[Room], except: &[Room], volatile: bool) -> usize {
        let mut count = 0;
        self.for_each_target(rooms, except, None, |socket| {
            if let Ok(true) = socket.deliver(encoded, volatile) {
                count += 1;
            }
        });
        crate::telemetry::with(|metrics| metrics.sent(count as u64, self.parser.wire_len(encoded)));
        count
    }
}
