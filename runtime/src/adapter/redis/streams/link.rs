//! The adapter's side of each namespace: what this node writes to the stream
//! and publishes, and how it keeps and restores sessions.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::wire::{self, Message};
use super::writer::{Job, LocalDelivery};
use super::{RedisStreamsAdapter, Shared, messages, random_uid, restore};
use crate::adapter::{
    Adapter, Broadcast, ClusterError, ClusterRequest, ClusterResponse, LocalNamespace, MissedEvent,
    NamespaceLink, RemoteAcks, SessionState,
};
use crate::protocol::{Map, Value};
use crate::room::Room;

impl Adapter for RedisStreamsAdapter {
    fn attach(&self, ns: LocalNamespace) -> Box<dyn NamespaceLink> {
        let name = ns.name().to_owned();
        self.shared.namespaces.insert(ns.clone());
        // Until the subscriber has subscribed to the new namespace's channels.
        self.shared.subscribed.send_replace(false);
        self.shared.attached.notify_one();
        Box::new(StreamsLink {
            stream: self.shared.config.stream_of(&name),
            shared: self.shared.clone(),
            name,
            ns,
        })
    }
}

/// A namespace's link.
struct StreamsLink {
    shared: Arc<Shared>,
    name: String,
    /// Where its broadcasts and commands go.
    stream: String,
    ns: LocalNamespace,
}

impl StreamsLink {
    /// The stream entry of broadcast `broadcast`.
    fn entry(&self, broadcast: &Broadcast<'_>) -> Option<Vec<(&'static str, String)>> {
        let data = wire::broadcast_data(broadcast, None)
            .inspect_err(
                |error| tracing::warn!(%error, nsp = %self.name, "broadcast not written to Redis"),
            )
            .ok()?;
        let message = Message {
            kind: wire::BROADCAST,
            uid: self.shared.uid.clone(),
            nsp: self.name.clone(),
            data: Some(data),
        };
        Some(wire::entry_fields(
            &message,
            self.shared.config.only_plaintext,
        ))
    }
}

impl NamespaceLink for StreamsLink {
    fn publish(&self, broadcast: &Broadcast<'_>) {
        if let Some(fields) = self.entry(broadcast) {
            let job = Job::Add {
                stream: self.stream.clone(),
                fields,
                local: None,
            };
            self.shared.queue(job);
        }
    }

    fn server_side_emit(&self, packet: &str) {
        let Ok(packet) = serde_json::from_str::<Value>(packet) else {
            return;
        };
        let mut data = Map::new();
        data.insert("packet".to_owned(), packet);
        let _ = messages::publish(
            &self.shared,
            &self.name,
            wire::SERVER_SIDE_EMIT,
            Value::Object(data),
        );
    }

    fn publish_with_ack(&self, broadcast: &Broadcast<'_>, timeout: Duration) -> Option<RemoteAcks> {
        let id = random_uid();
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let data = wire::broadcast_data(broadcast, Some((&id, millis))).ok()?;
        let reports = self.shared.acks.register_expiring(&id, timeout)?;
        if !messages::publish(&self.shared, &self.name, wire::BROADCAST, data) {
            self.shared.acks.forget(&id);
            return None;
        }
        let (shared, nsp) = (self.shared.clone(), self.name.clone());
        let nodes =
            Box::pin(async move { messages::other_nodes(&shared, &nsp).await.unwrap_or(0) });
        Some(RemoteAcks { nodes, reports })
    }

    fn request(
        &self,
        request: ClusterRequest,
    ) -> BoxFuture<'static, Result<Vec<ClusterResponse>, ClusterError>> {
        Box::pin(messages::ask(
            self.shared.clone(),
            self.name.clone(),
            request,
        ))
    }

    fn keeps_sessions(&self) -> bool {
        true
    }

    fn publish_recoverable(&self, broadcast: &Broadcast<'_>) -> bool {
        let Some(fields) = self.entry(broadcast) else {
            return false;
        };
        let local = LocalDelivery {
            ns: self.ns.clone(),
            encoded: broadcast.encoded.clone(),
            rooms: broadcast.rooms.to_vec(),
            except: broadcast.except.to_vec(),
            except_socket: broadcast.except_socket,
        };
        let job = Job::Add {
            stream: self.stream.clone(),
            fields,
            local: Some(local),
        };
        self.shared.queue(job)
    }

    fn persist_session(&self, session: SessionState, ttl: Duration) -> bool {
        let key = format!("{}{}", self.shared.config.session_key_prefix, session.pid);
        let value = wire::encode_session(&session);
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        // Stored at once rather than behind the broadcasts waiting to be written:
        // the client may already be knocking at another node.
        if let Some(stored) = storing(&self.shared) {
            stored.spawn(key, value, ttl_ms);
            return true;
        }
        self.shared.queue(Job::Session { key, value, ttl_ms })
    }

    fn restore_session(&self, pid: &str, offset: &str) -> BoxFuture<'static, Option<SessionState>> {
        Box::pin(restore::restore(
            self.shared.clone(),
            self.stream.clone(),
            pid.to_owned(),
            offset.to_owned(),
        ))
    }

    fn missed_events(
        &self,
        offset: &str,
        rooms: &[Room],
    ) -> BoxFuture<'static, Result<Vec<MissedEvent>, ClusterError>> {
        Box::pin(restore::missed(
            self.shared.clone(),
            self.stream.clone(),
            self.name.clone(),
            offset.to_owned(),
            rooms.to_vec(),
        ))
    }
}

impl Drop for StreamsLink {
    fn drop(&mut self) {
        if self.shared.namespaces.forget_if_gone(&self.name) {
            self.shared.attached.notify_one();
        }
    }
}

/// Most sessions being stored at once outside the writer's queue.
const MAX_STORING: usize = 1024;

/// A session store on its way: the writer's connection and a runtime to use it
/// from, while fewer than [`MAX_STORING`] are.
struct Storing {
    shared: Arc<Shared>,
    connection: crate::adapter::redis::connection::Connection,
    runtime: tokio::runtime::Handle,
}

fn storing(shared: &Arc<Shared>) -> Option<Storing> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let connection = shared.connection()?;
    let before = shared
        .storing
        .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    if before >= MAX_STORING {
        shared
            .storing
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
        return None;
    }
    Some(Storing {
        shared: shared.clone(),
        connection,
        runtime,
    })
}

impl Storing {
    fn spawn(self, key: String, value: String, ttl_ms: u64) {
        let Storing {
            shared,
            mut connection,
            runtime,
        } = self;
        runtime.spawn(async move {
            let mut command = ::redis::cmd("SET");
            command.arg(&key).arg(value).arg("PX").arg(ttl_ms);
            let stored = command.exec_async(&mut connection);
            match tokio::time::timeout(shared.config.redis.requests_timeout, stored).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, key, "session not stored"),
                Err(_) => tracing::warn!(key, "session not stored in time"),
            }
            shared
                .storing
                .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
        });
    }
}
