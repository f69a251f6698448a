//! Publishing to a cluster from a process that is not a server: a worker, a cron
//! job, a command-line tool. An [`Emitter`] writes to Redis what
//! `@socket.io/redis-emitter` writes, so every node of the cluster (tether's, and
//! Node.js socket.io's with `@socket.io/redis-adapter`) delivers it to its clients:
//! events to everyone, to rooms and with exclusions, cluster commands
//! (`sockets_join`, `sockets_leave`, `disconnect_sockets`) and server-side events.
//! With a contract, [`Emitter::typed`] gives the typed emitter methods
//! `#[tether::events]` generates, so a background job emits typed events.
//!
//! [`Emitter::streams`] writes instead what `@socket.io/redis-streams-emitter`
//! 0.1.1 writes: entries of the cluster's Redis stream, for nodes with
//! [`RedisStreamsAdapter`]
//! or Node's `@socket.io/redis-streams-adapter` (which give them recovery
//! offsets like any broadcast).
//!
//! Publishing is fire-and-forget, as with Node's emitter: [`Emitter::emit`] queues
//! the message (bounded by [`RedisConfig::with_queue`](crate::adapter::redis::RedisConfig::with_queue))
//! and returns; [`Emitter::flush`] waits until everything queued is published,
//! which a short-lived process awaits before it exits. An emitter cannot wait for
//! acknowledgements.
//!
//! ```no_run
//! use tether::adapter::redis::RedisConfig;
//! use tether::emitter::Emitter;
//!
//! # async fn job() -> Result<(), Box<dyn std::error::Error>> {
//! let emitter = Emitter::connect(RedisConfig::new("redis://127.0.0.1:6379")).await?;
//! emitter.to("match:42").emit("tick", &(42, "state"))?;
//! emitter.of("/admin").emit("report", &"nightly job done")?;
//! emitter.to("match:42").sockets_join("replay:42")?;
//! tokio::time::timeout(std::time::Duration::from_secs(5), emitter.flush()).await??;
//! # Ok(()) }
//! ```

mod typed;

use std::sync::Arc;

use serde::Serialize;

pub use typed::TypedEmitter;

use crate::adapter::redis::streams::{RedisStreamsAdapter, RedisStreamsConfig};
use crate::adapter::redis::{PublishError, RedisAdapter, RedisConfig, RedisError};
use crate::adapter::{ClusterRequest, Selector};
use crate::contract::Contract;
use crate::protocol::EmitArgs;
use crate::protocol::{self, RESERVED_EVENTS};
use crate::room::{IntoRooms, Room};
use crate::server::EmitError;

/// Publishes events and cluster commands to the sockets of a cluster's namespace,
/// selected by rooms and exclusions. Cheap to clone; each call of `of`, `to`,
/// `except` and `volatile` returns a narrowed copy.
#[derive(Clone)]
pub struct Emitter {
    adapter: Backend,
    nsp: Arc<str>,
    rooms: Vec<Room>,
    except: Vec<Room>,
    volatile: bool,
}

/// Where an emitter writes.
#[derive(Clone)]
enum Backend {
    /// Redis pub/sub, as `@socket.io/redis-emitter`.
    PubSub(RedisAdapter),
    /// A Redis stream, as `@socket.io/redis-streams-emitter`.
    Streams(RedisStreamsAdapter),
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("nsp", &self.nsp)
            .field("rooms", &self.rooms)
            .field("except", &self.except)
            .field("volatile", &self.volatile)
            .finish_non_exhaustive()
    }
}

impl Emitter {
    /// An emitter for the cluster on the Redis of `config` (its key names the
    /// cluster's channels), for namespace `/`. Its connection starts in the
    /// current Tokio runtime and keeps reconnecting while Redis is unreachable.
    ///
    /// # Errors
    ///
    /// [`RedisError`] for an invalid URL or CA, or outside a Tokio runtime.
    pub fn new(config: RedisConfig) -> Result<Emitter, RedisError> {
        Ok(Emitter::with_backend(Backend::PubSub(
            RedisAdapter::publisher_only(config)?,
        )))
    }

    fn with_backend(adapter: Backend) -> Emitter {
        Emitter {
            adapter,
            nsp: Arc::from("/"),
            rooms: Vec::new(),
            except: Vec::new(),
            volatile: false,
        }
    }

    /// An emitter writing to the Redis stream of `config` (its `stream_name` and
    /// `max_len`), for namespace `/`, as `@socket.io/redis-streams-emitter` does.
    ///
    /// # Errors
    ///
    /// [`RedisError`] for an invalid URL or CA, or outside a Tokio runtime.
    pub fn streams(config: RedisStreamsConfig) -> Result<Emitter, RedisError> {
        Ok(Emitter::with_backend(Backend::Streams(
            RedisStreamsAdapter::writer_only(config)?,
        )))
    }

    /// Like [`Emitter::streams`], after checking once that Redis accepts the
    /// connection.
    ///
    /// # Errors
    ///
    /// [`RedisError`] when Redis cannot be reached or refuses the connection.
    pub async fn connect_streams(config: RedisStreamsConfig) -> Result<Emitter, RedisError> {
        RedisAdapter::connect_check(&config.redis).await?;
        Emitter::streams(config)
    }

    /// Like [`Emitter::new`], after checking once that Redis accepts the
    /// connection (bounded by the connect timeout).
    ///
    /// # Errors
    ///
    /// [`RedisError`] when Redis cannot be reached or refuses the connection.
    pub async fn connect(config: RedisConfig) -> Result<Emitter, RedisError> {
        RedisAdapter::connect_check(&config).await?;
        Emitter::new(config)
    }

    /// The same emitter for namespace `nsp` (with its leading `/`), with no rooms
    /// selected.
    pub fn of(&self, nsp: &str) -> Emitter {
        Emitter {
            nsp: Arc::from(nsp),
            rooms: Vec::new(),
            except: Vec::new(),
            volatile: false,
            ..self.clone()
        }
    }

    /// Adds rooms to target.
    pub fn to(&self, rooms: impl IntoRooms) -> Emitter {
        let mut narrowed = self.clone();
        narrowed.rooms.extend(rooms.into_rooms());
        narrowed
    }

    /// Excludes the sockets in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> Emitter {
        let mut narrowed = self.clone();
        narrowed.except.extend(rooms.into_rooms());
        narrowed
    }

    /// Lets each client drop the event when it cannot take it right away.
    pub fn volatile(&self) -> Emitter {
        Emitter {
            volatile: true,
            ..self.clone()
        }
    }

    /// The typed emitter of contract `C` for the same selection.
    pub fn typed<C: Contract>(&self) -> TypedEmitter<C> {
        TypedEmitter::from_untyped(self.clone())
    }

    /// Publishes the event to the selected sockets of every node. A tuple spreads
    /// into several arguments, `()` sends none, anything else is one argument.
    ///
    /// # Errors
    ///
    /// [`EmitError::ReservedEvent`] for a reserved name, [`EmitError::Encode`]
    /// when `data` does not serialize, [`EmitError::QueueFull`] when the publish
    /// queue is full (Redis unreachable or too slow).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        if RESERVED_EVENTS.contains(&event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        let args = EmitArgs::new(data);
        let encoded = protocol::encode_event(&self.nsp, event, &args, None)?;
        let adapter = match &self.adapter {
            Backend::PubSub(adapter) => adapter,
            Backend::Streams(adapter) => {
                let targets = (self.rooms.as_slice(), self.except.as_slice());
                return Ok(adapter.write_event(&self.nsp, event, &args, targets, self.volatile)?);
            }
        };
        Ok(adapter.publish_event(
            &self.nsp,
            &encoded,
            event,
            &args,
            (&self.rooms, &self.except),
            self.volatile,
        )?)
    }

    fn selector(&self) -> Selector {
        Selector {
            rooms: self.rooms.clone(),
            except: self.except.clone(),
        }
    }

    /// Makes the selected sockets of every node join `rooms`.
    ///
    /// # Errors
    ///
    /// [`EmitError::QueueFull`] when the publish queue is full.
    pub fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), EmitError> {
        let request = ClusterRequest::Join(self.selector(), rooms.into_rooms());
        self.request(&request)
    }

    /// Makes the selected sockets of every node leave `rooms`.
    ///
    /// # Errors
    ///
    /// [`EmitError::QueueFull`] when the publish queue is full.
    pub fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), EmitError> {
        let request = ClusterRequest::Leave(self.selector(), rooms.into_rooms());
        self.request(&request)
    }

    /// Disconnects the selected sockets of every node; with `close`, their whole
    /// connection too.
    ///
    /// # Errors
    ///
    /// [`EmitError::QueueFull`] when the publish queue is full.
    pub fn disconnect_sockets(&self, close: bool) -> Result<(), EmitError> {
        let request = ClusterRequest::Disconnect {
            selector: self.selector(),
            close,
        };
        self.request(&request)
    }

    fn request(&self, request: &ClusterRequest) -> Result<(), EmitError> {
        Ok(match &self.adapter {
            Backend::PubSub(adapter) => adapter.publish_request(&self.nsp, request),
            Backend::Streams(adapter) => adapter.write_request(&self.nsp, request),
        }?)
    }

    /// Sends a server-side event to every node's
    /// [`on_server_event`](crate::server::Namespace::on_server_event) handlers of the
    /// namespace (JSON arguments only, no acknowledgement).
    ///
    /// # Errors
    ///
    /// As [`Namespace::server_side_emit`](crate::server::Namespace::server_side_emit),
    /// and [`EmitError::QueueFull`] when the publish queue is full.
    pub fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let packet = crate::server::server_side_packet(event, data)?;
        Ok(match &self.adapter {
            Backend::PubSub(adapter) => adapter.publish_server_side_emit(&self.nsp, &packet),
            Backend::Streams(adapter) => adapter.write_server_side_emit(&self.nsp, &packet),
        }?)
    }

    /// Waits until everything emitted so far is published. It waits as long as
    /// Redis is unreachable: bound it with a timeout.
    ///
    /// # Errors
    ///
    /// [`RedisError::Closed`] when the connection broke while messages were being
    /// published (those may be lost).
    pub async fn flush(&self) -> Result<(), RedisError> {
        match &self.adapter {
            Backend::PubSub(adapter) => adapter.flush().await,
            Backend::Streams(adapter) => adapter.flush().await,
        }
    }
}

impl From<PublishError> for EmitError {
    fn from(error: PublishError) -> Self {
        match error {
            PublishError::QueueFull => EmitError::QueueFull,
            PublishError::Unpublished(reason) => EmitError::Unpublished(reason),
        }
    }
}
