//! What [`Emitter`](crate::emitter::Emitter) writes through a writer-only
//! streams adapter, in the format of `@socket.io/redis-streams-emitter` 0.1.1:
//! stream entries of node id `emitter` on the stream named by
//! [`RedisStreamsConfig::with_stream_name`](super::RedisStreamsConfig::with_stream_name)
//! (that emitter knows no `streamCount`): broadcasts `{packet: {type: 2, data,
//! nsp}, opts: {rooms, flags, except}}`, commands and server-side events.

use super::wire::{self, Message};
use super::writer::Job;
use super::{RedisStreamsAdapter, RedisStreamsConfig};
use crate::adapter::ClusterRequest;
use crate::adapter::redis::PublishError;
use crate::adapter::redis::RedisError;
use crate::protocol::{Map, Value};
use crate::room::Room;

/// The node id the Node.js emitter writes under.
const EMITTER_UID: &str = "emitter";

fn names(rooms: &[Room]) -> Value {
    Value::Array(
        rooms
            .iter()
            .map(|room| Value::from(room.as_str()))
            .collect(),
    )
}

impl RedisStreamsAdapter {
    /// An adapter that only writes, as the emitter.
    pub(crate) fn writer_only(
        config: RedisStreamsConfig,
    ) -> Result<RedisStreamsAdapter, RedisError> {
        RedisStreamsAdapter::start(config, EMITTER_UID.to_owned(), false)
    }

    fn add(&self, nsp: &str, kind: u64, data: Map) -> Result<(), PublishError> {
        let message = Message {
            kind,
            uid: EMITTER_UID.to_owned(),
            nsp: nsp.to_owned(),
            data: Some(Value::Object(data)),
        };
        let job = Job::Add {
            stream: self.shared.config.stream_name.clone(),
            fields: wire::entry_fields(&message, self.shared.config.only_plaintext),
            local: None,
        };
        if self.shared.queue(job) {
            Ok(())
        } else {
            Err(PublishError::QueueFull)
        }
    }

    /// Writes event `event` (`args`: its arguments) of namespace `nsp` for the
    /// sockets in `rooms` except `except`.
    pub(crate) fn write_event(
        &self,
        nsp: &str,
        event: &str,
        args: &dyn erased_serde::Serialize,
        (rooms, except): (&[Room], &[Room]),
        volatile: bool,
    ) -> Result<(), PublishError> {
        let Value::Array(args) = crate::protocol::to_value(args)
            .map_err(|error| PublishError::Unpublished(error.to_string()))?
        else {
            return Err(PublishError::Unpublished(
                "the arguments are not a sequence".to_owned(),
            ));
        };
        let mut items = vec![Value::from(event)];
        items.extend(args);
        let mut packet = Map::new();
        packet.insert("type".to_owned(), Value::from(2u8));
        packet.insert("data".to_owned(), Value::Array(items));
        packet.insert("nsp".to_owned(), Value::from(nsp));
        let mut flags = Map::new();
        if volatile {
            flags.insert("volatile".to_owned(), Value::Bool(true));
        }
        let mut opts = Map::new();
        opts.insert("rooms".to_owned(), names(rooms));
        opts.insert("flags".to_owned(), Value::Object(flags));
        opts.insert("except".to_owned(), names(except));
        let mut data = Map::new();
        data.insert("packet".to_owned(), Value::Object(packet));
        data.insert("opts".to_owned(), Value::Object(opts));
        self.add(nsp, wire::BROADCAST, data)
    }

    /// Writes a cluster command for namespace `nsp`.
    pub(crate) fn write_request(
        &self,
        nsp: &str,
        request: &ClusterRequest,
    ) -> Result<(), PublishError> {
        let (kind, selector) = match request {
            ClusterRequest::Join(selector, _) => (wire::SOCKETS_JOIN, selector),
            ClusterRequest::Leave(selector, _) => (wire::SOCKETS_LEAVE, selector),
            ClusterRequest::Disconnect { selector, .. } => (wire::DISCONNECT_SOCKETS, selector),
            _ => {
                return Err(PublishError::Unpublished(
                    "not a cluster command".to_owned(),
                ));
            }
        };
        let mut data = Map::new();
        data.insert("opts".to_owned(), wire::selector_opts(selector));
        match request {
            ClusterRequest::Join(_, rooms) | ClusterRequest::Leave(_, rooms) => {
                data.insert("rooms".to_owned(), names(rooms));
            }
            ClusterRequest::Disconnect { close, .. } => {
                data.insert("close".to_owned(), Value::Bool(*close));
            }
            _ => {}
        }
        self.add(nsp, kind, data)
    }

    /// Writes a server-side event (`packet`: `[event, ...args]`) for namespace `nsp`.
    pub(crate) fn write_server_side_emit(
        &self,
        nsp: &str,
        packet: &str,
    ) -> Result<(), PublishError> {
        let packet: Value = serde_json::from_str(packet)
            .map_err(|error| PublishError::Unpublished(error.to_string()))?;
        let mut data = Map::new();
        data.insert("packet".to_owned(), packet);
        self.add(nsp, wire::SERVER_SIDE_EMIT, data)
    }
}
