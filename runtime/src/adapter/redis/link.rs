//! The adapter's side of each namespace: [`RedisLink`] publishes its broadcasts,
//! server-side events and cluster requests.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::{RedisAdapter, Shared, acks, cluster, msgpack, requests, sharded};
use crate::adapter::{
    Adapter, Broadcast, ClusterError, ClusterRequest, ClusterResponse, LocalNamespace,
    NamespaceLink, RemoteAcks,
};

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

impl NamespaceLink for RedisLink {
    fn publish(&self, broadcast: &Broadcast<'_>) {
        if self.shared.config.sharded {
            match sharded::encode_broadcast(&self.shared.uid, &self.name, broadcast) {
                Ok(payload) => self.send(Bytes::from(self.channel.clone()), payload),
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
        if self.shared.config.sharded {
            tracing::debug!(nsp = %self.name, "acknowledged broadcasts stay local with the sharded adapter");
            return None;
        }
        acks::publish(
            &self.shared,
            &self.request_channel,
            &self.name,
            broadcast,
            timeout,
        )
    }

    fn request(
        &self,
        request: ClusterRequest,
    ) -> BoxFuture<'static, Result<Vec<ClusterResponse>, ClusterError>> {
        if self.shared.config.sharded {
            return Box::pin(std::future::ready(Err(ClusterError::Unavailable(
                "cluster requests are not carried by the sharded Redis adapter".to_owned(),
            ))));
        }
        Box::pin(cluster::ask(
            self.shared.clone(),
            self.request_channel.clone(),
            request,
        ))
    }
}

impl Drop for RedisLink {
    fn drop(&mut self) {
        if self.shared.namespaces.forget_if_gone(&self.name) {
            self.shared.attached.notify_one();
        }
    }
}
