//! What [`Emitter`](crate::emitter::Emitter) publishes through a publisher-only
//! adapter: broadcasts, cluster commands and server-side events, in the formats of
//! `@socket.io/redis-emitter` (node id `emitter`), and a way to wait until they are
//! out.

use bytes::Bytes;
use tokio::sync::oneshot;

use super::{Outgoing, RedisAdapter, RedisConfig, RedisError, msgpack, requests};
use crate::adapter::{Broadcast, ClusterRequest};
use crate::protocol::Encoded;
use crate::room::Room;

/// Why the emitter's publish did not go out.
#[derive(Debug)]
pub(crate) enum PublishError {
    /// The publish queue is full.
    QueueFull,
    /// The event could not be written in the adapter's format.
    Unpublished(String),
}

/// The node id the Node.js emitter publishes under; nodes never skip it as their own.
const EMITTER_UID: &str = "emitter";

impl RedisAdapter {
    /// An adapter that only publishes, as the emitter `uid`.
    pub(crate) fn publisher_only(config: RedisConfig) -> Result<RedisAdapter, RedisError> {
        RedisAdapter::start(config, EMITTER_UID.to_owned(), false)
    }

    /// Publishes event `event` of namespace `nsp` (already encoded as `encoded`,
    /// with `args` its arguments) for the sockets in `rooms` except `except`.
    pub(crate) fn publish_event(
        &self,
        nsp: &str,
        encoded: &Encoded,
        event: &str,
        args: &dyn erased_serde::Serialize,
        targets: (&[Room], &[Room]),
        volatile: bool,
    ) -> Result<(), PublishError> {
        let (rooms, except) = targets;
        let broadcast = Broadcast {
            encoded,
            event,
            args,
            rooms,
            except,
            except_socket: None,
            volatile,
        };
        let payload = msgpack::encode_broadcast(&self.shared.uid, nsp, &broadcast)
            .map_err(|error| PublishError::Unpublished(error.to_string()))?;
        let channel = match rooms {
            [room] => format!("{}#{nsp}#{room}#", self.shared.config.key),
            _ => format!("{}#{nsp}#", self.shared.config.key),
        };
        self.queue(Bytes::from(channel), payload)
    }

    /// Publishes a cluster command (no answer is awaited) for namespace `nsp`.
    pub(crate) fn publish_request(
        &self,
        nsp: &str,
        request: &ClusterRequest,
    ) -> Result<(), PublishError> {
        let json = requests::request_json(&self.shared.uid, None, request);
        self.queue(self.request_channel(nsp), json.into_bytes())
    }

    /// Publishes a server-side event (`packet`: `[event, ...args]`) for namespace `nsp`.
    pub(crate) fn publish_server_side_emit(
        &self,
        nsp: &str,
        packet: &str,
    ) -> Result<(), PublishError> {
        let json = format!(
            r#"{{"uid":"{}","type":{},"data":{packet}}}"#,
            self.shared.uid,
            requests::SERVER_SIDE_EMIT
        );
        self.queue(self.request_channel(nsp), json.into_bytes())
    }

    fn request_channel(&self, nsp: &str) -> Bytes {
        Bytes::from(format!("{}-request#{nsp}#", self.shared.config.key))
    }

    fn queue(&self, channel: Bytes, payload: Vec<u8>) -> Result<(), PublishError> {
        if self.shared.send(channel, payload) {
            Ok(())
        } else {
            Err(PublishError::QueueFull)
        }
    }

    /// Waits until everything queued so far has been published; fails when the
    /// adapter stops, or its connection breaks, before then.
    pub(crate) async fn flush(&self) -> Result<(), RedisError> {
        let (done, published) = oneshot::channel();
        let marker = Outgoing {
            channel: Bytes::new(),
            payload: Vec::new(),
            sharded: false,
            flushed: Some(done),
        };
        self.shared
            .outgoing
            .send(marker)
            .await
            .map_err(|_| RedisError::Closed)?;
        published.await.map_err(|_| RedisError::Closed)
    }
}
