//! The adapter's side of each namespace: [`RedisLink`] publishes its broadcasts,
//! server-side events and cluster requests.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::{RedisAdapter, Shared, SubscriptionMode, acks, cluster, msgpack, requests, sharded};
use crate::adapter::{
    Adapter, Broadcast, ClusterError, ClusterRequest, ClusterResponse, LocalNamespace,
    NamespaceLink, RemoteAcks,
};
use crate::room::Room;

impl Adapter for RedisAdapter {
    fn attach(&self, ns: LocalNamespace) -> Box<dyn NamespaceLink> {
        let name = self.shared.namespaces.insert(ns);
        let channel = format!("{}#{}#", self.shared.config.key, name);
        if self.shared.config.sharded {
            // Until the subscriber has subscribed to the new namespace's channel.
            self.shared.subscribed.send_replace(false);
        }
        self.shared.attached.notify_one();
        let request_channel = Bytes::from(format!("{}-request#{}#", self.shared.config.key, name));
        Box::new(RedisLink {
            shared: self.shared.clone(),
            name,
            channel,
            request_channel,
        })
    }
}

/// A namespace's link: publishes its broadcasts.
struct RedisLink {
    shared: Arc<Shared>,
    name: String,
    /// `<key>#<nsp>#`.
    channel: String,
    /// `<key>-request#<nsp>#`, where server-side events go.
    request_channel: Bytes,
}

impl RedisLink {
    /// Queues `payload` for `channel`; counts it as dropped when the queue is full.
    fn send(&self, channel: Bytes, payload: Vec<u8>) {
        self.shared.send(channel, payload);
    }
}

impl RedisLink {
    /// Sharded mode: the channel of a broadcast without acknowledgements, as
    /// Node's `computeChannel` picks it (a room's own channel in the dynamic modes).
    fn shard_channel(&self, broadcast: &Broadcast<'_>) -> Bytes {
        let own_channel = match (self.shared.config.subscription_mode, broadcast.rooms) {
            (SubscriptionMode::Dynamic, [room]) => !looks_like_a_socket_id(room.as_str()),
            (SubscriptionMode::DynamicPrivate, [_]) => true,
            _ => false,
        };
        match broadcast.rooms {
            [room] if own_channel => Bytes::from(format!("{}{}#", self.channel, room)),
            _ => Bytes::from(self.channel.clone()),
        }
    }

    /// Whether the subscriber follows room `room` (`private`: a socket's own) in
    /// the subscription mode.
    fn follows(&self, private: bool) -> bool {
        match self.shared.config.subscription_mode {
            SubscriptionMode::Dynamic => self.shared.config.sharded && !private,
            SubscriptionMode::DynamicPrivate => self.shared.config.sharded,
            _ => false,
        }
    }
}

/// Whether `room` may be a socket's own room, as Node's sharded adapter guesses
/// (socket ids are 20 characters long).
fn looks_like_a_socket_id(room: &str) -> bool {
    room.len() == 20
}

impl NamespaceLink for RedisLink {
    fn publish(&self, broadcast: &Broadcast<'_>) {
        if self.shared.config.sharded {
            match sharded::encode_broadcast(&self.shared.uid, &self.name, broadcast, None) {
                Ok(payload) => self.send(self.shard_channel(broadcast), payload),
                Err(error) => {
                    tracing::warn!(%error, nsp = %self.name, "broadcast not published to Redis");
                }
            }
            return;
        }
        let payload = match msgpack::encode_broadcast(&self.shared.uid, &self.name, broadcast) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, nsp = %self.name, "broadcast not published to Redis");
                return;
            }
        };
        let channel = match broadcast.rooms {
            [room] => Bytes::from(format!("{}{}#", self.channel, room)),
            _ => Bytes::from(self.channel.clone()),
        };
        self.send(channel, payload);
    }

    fn server_side_emit(&self, packet: &str) {
        if self.shared.config.sharded {
            let payload = sharded::encode_server_side_emit(&self.shared.uid, &self.name, packet);
            self.send(Bytes::from(self.channel.clone()), payload);
            return;
        }
        // The Node.js adapter's request: `{"uid","type":6,"data":[event, ...args]}`.
        let payload = format!(
            r#"{{"uid":"{}","type":{},"data":{}}}"#,
            self.shared.uid,
            requests::SERVER_SIDE_EMIT,
            packet
        );
        self.send(self.request_channel.clone(), payload.into_bytes());
    }

    fn publish_with_ack(
        &self,
        broadcast: &Broadcast<'_>,
        timeout: std::time::Duration,
    ) -> Option<RemoteAcks> {
        if !self.shared.config.sharded {
            return acks::publish(
                &self.shared,
                &self.request_channel,
                &self.name,
                broadcast,
                timeout,
            );
        }
        // On the namespace's channel whatever the rooms: every node is counted.
        let channel = Bytes::from(self.channel.clone());
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        acks::publish_request(&self.shared, &channel, &self.name, timeout, |id| {
            sharded::encode_broadcast(&self.shared.uid, &self.name, broadcast, Some((id, millis)))
        })
    }

    fn request(
        &self,
        request: ClusterRequest,
    ) -> BoxFuture<'static, Result<Vec<ClusterResponse>, ClusterError>> {
        Box::pin(cluster::ask(
            self.shared.clone(),
            self.name.clone(),
            request,
        ))
    }

    fn room_created(&self, _room: &Room, private: bool) {
        if self.follows(private) {
            self.shared.attached.notify_one();
        }
    }

    fn room_deleted(&self, _room: &Room, private: bool) {
        if self.follows(private) {
            self.shared.attached.notify_one();
        }
    }
}

impl Drop for RedisLink {
    fn drop(&mut self) {
        if self.shared.namespaces.forget_if_gone(&self.name) {
            self.shared.attached.notify_one();
        }
    }
}
