//! [`RedisAdapter`]: server nodes sharing broadcasts through Redis pub/sub, in the
//! wire format of the Node.js `@socket.io/redis-adapter` 8 (its classic
//! `createAdapter`), so tether nodes and Node.js socket.io servers can serve one
//! application side by side.
//!
//! Each broadcast that is not `local` is published once, as
//! `[uid, {type: 2, data: [event, ...args], nsp}, {rooms, except, flags}]` in
//! MessagePack, on `<key>#<nsp>#`, or on `<key>#<nsp>#<room>#` when exactly one room
//! is targeted. Every node listens on `<key>#*`, skips its own messages (by `uid`),
//! encodes each other broadcast once and delivers it to its sockets.
//!
//! Delivery is at most once, as with the Node.js adapter: what is published while
//! Redis is unreachable, or while a node is reconnecting, is lost for that node.
//! An outage never blocks a broadcast: local delivery goes on, and messages for the
//! other nodes wait in a bounded queue ([`RedisConfig::with_queue`]) that drops
//! the newest once full. Both connections reconnect with capped exponential backoff.
//!
//! Server-side events ([`Namespace::server_side_emit`](crate::server::Namespace::server_side_emit))
//! go out as JSON requests `{uid, type: 6, data: [event, ...args]}` on
//! `<key>-request#<nsp>#`, as Node's `serverSideEmit` sends them, and every node
//! listens on `<key>-request#*` for the other nodes' ones.
//!
//! With [`RedisConfig::with_sharded`], the adapter uses sharded pub/sub instead
//! (Redis 7 `SPUBLISH`/`SSUBSCRIBE`), as Node's `createShardedAdapter`: every
//! message of a namespace goes on its channel `<key>#<nsp>#` as the cluster
//! messages of `socket.io-adapter` (JSON, or MessagePack when they carry binary),
//! answers go on the asking node's `<key>#<nsp>#<uid>#`, and each node subscribes
//! to both for every namespace it serves. In the dynamic
//! [`SubscriptionMode`]s (Node's default is `"dynamic"`; tether's is static), a
//! broadcast to exactly one room goes on the room's `<key>#<nsp>#<room>#`, which a
//! node subscribes to while it has sockets in the room. All nodes of a cluster
//! must use the same mode.
//!
//! The URL is `redis://` or `rediss://` (TLS through rustls, with the system's
//! roots or [`RedisConfig::with_tls_ca`]), with percent-encoded credentials (a
//! password, or an ACL user and password) and a database number.
//! [`RedisAdapter::connect`] checks all of it before the node starts. The URL may
//! also name a node of a Redis Cluster ([`RedisConfig::with_cluster`], sharded
//! pub/sub routed by slot) or a Sentinel ([`RedisConfig::with_sentinel`], asked
//! for the current master at each connection, so failovers are followed).
//!
//! Cluster requests travel on `<key>-request#<nsp>#` and their answers on
//! `<key>-response#<nsp>#`, as JSON in the Node.js adapter's format; every node
//! subscribes to both (and to `<key>-response#<nsp>#<uid>#`) for each namespace it
//! serves, exactly rather than by pattern, so that `PUBSUB NUMSUB` on the request
//! channel counts Node.js and tether nodes alike (sharded: the cluster messages
//! of `socket.io-adapter` on the namespace's channel, counted with `PUBSUB
//! SHARDNUMSUB` on it, summed over a Redis Cluster's nodes). A node answers every
//! request of `fetchSockets`, `allRooms`, `socketsJoin`, `socketsLeave`,
//! `disconnectSockets` (and the older single-socket and `sockets` forms),
//! `serverSideEmitWithAck` and acknowledged broadcasts (`emitWithAck`: the client
//! count, then each acknowledgement), and asks them for
//! [`BroadcastOperator::fetch_sockets`](crate::server::BroadcastOperator::fetch_sockets),
//! [`BroadcastOperator::emit_with_ack`](crate::server::BroadcastOperator::emit_with_ack)
//! and the like: a query waits for as many answers as `NUMSUB` counts other
//! nodes, at most the requests timeout
//! ([`RedisConfig::with_requests_timeout`]), so a node that dies mid-request
//! costs the asker that timeout
//! ([`ClusterError::Timeout`](crate::adapter::ClusterError::Timeout)); a command
//! is only published. The sharded format has no `allRooms`: tether asks for every
//! socket and gathers their rooms. While Redis is unreachable, requests and
//! commands fail at once with
//! [`ClusterError::Unavailable`](crate::adapter::ClusterError::Unavailable), and an
//! acknowledged broadcast yields
//! [`AckError::Cluster`](crate::server::AckError::Cluster) at once besides its
//! local answers. Server-side events go out as requests `{uid, type: 6, data:
//! [event, ...args]}`, with a `requestId` when answers are awaited
//! ([`Namespace::server_side_emit_with_ack`](crate::server::Namespace::server_side_emit_with_ack)).
//!
//! ```no_run
//! use tether::adapter::redis::{RedisAdapter, RedisConfig};
//! use tether::server::{Server, ServerConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Fails at once on a bad URL, a refused TLS certificate or wrong credentials;
//! // later outages are survived in the background.
//! let config = RedisConfig::new("redis://user:pass%40word@127.0.0.1:6379/0");
//! let adapter = RedisAdapter::connect(config).await?;
//! let io = Server::with_adapter(ServerConfig::default(), adapter.clone());
//! io.emit("hello", "every node's sockets get this")?;
//! tether::serve(io, "0.0.0.0:3000").await?;
//! # Ok(()) }
//! ```
//!
//! [`streams::RedisStreamsAdapter`] shares a Redis stream instead, as the Node.js
//! `@socket.io/redis-streams-adapter` does, with connection state recovery across
//! nodes; it shares this adapter's connection options ([`RedisConfig`]).
//!
//! Redis is spoken through the `redis` crate (redis-rs) rather than `fred`. Both
//! are maintained and tokio-native; compared on what this adapter needs:
//! - pub/sub: both do pattern and sharded (`SSUBSCRIBE`) subscriptions over RESP3
//!   (redis-rs names `ssubscribe` on its cluster connection only; on one server the
//!   adapter sends the command itself). redis-rs hands each push to a synchronous
//!   sender the caller provides, which is where this adapter puts its bounded
//!   queue and counts drops; fred delivers to a broadcast channel of its own.
//! - reconnection and resubscription: both can resubscribe on their own; the
//!   adapter keeps its own loop over redis-rs connections (with capped backoff)
//!   so that [`RedisAdapter::subscription`] says exactly when the subscriptions
//!   are in place again, which fred's background resubscription would hide.
//! - TLS: both use rustls with a custom CA (redis-rs: `TlsCertificates`).
//! - Cluster and Sentinel: both; redis-rs routes `SPUBLISH` by slot and
//!   resubscribes shard channels when slots move, and asks Sentinel for the
//!   master at each connection.
//!
//! redis-rs is also the crate most of the ecosystem already builds.

mod acks;
mod cluster;
mod connection;
#[cfg(feature = "emitter")]
mod emit;
mod link;
mod requests;
mod shard_requests;
mod sharded;
pub mod streams;
mod tasks;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

#[cfg(feature = "emitter")]
pub(crate) use emit::PublishError;

use super::LocalNamespace;
use super::msgpack;

/// Options of a [`RedisAdapter`] (and of the connection of a
/// [`RedisStreamsAdapter`](streams::RedisStreamsAdapter)), built from
/// [`RedisConfig::new`] with the `with_*` methods. Every limit has a default, and
/// each method says what it accepts; out-of-range values are raised to the
/// smallest accepted one.
///
/// ```
/// use std::time::Duration;
/// use tether::adapter::redis::RedisConfig;
///
/// let config = RedisConfig::new("rediss://127.0.0.1:6380/0")
///     .with_key("chat")
///     .with_queue(1024)
///     .with_requests_timeout(Duration::from_secs(2));
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS.
    pub(crate) url: String,
    pub(crate) tls_ca: Option<Vec<u8>>,
    pub(crate) key: String,
    pub(crate) sharded: bool,
    pub(crate) subscription_mode: SubscriptionMode,
    /// Implies `sharded`.
    pub(crate) cluster: bool,
    pub(crate) sentinel: Option<String>,
    pub(crate) queue: usize,
    pub(crate) max_message_size: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) reconnect_min: Duration,
    pub(crate) reconnect_max: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) requests_timeout: Duration,
}

impl RedisConfig {
    /// Options for the Redis server at `url`, with the defaults otherwise:
    /// `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS; user
    /// and password are percent-decoded. [`RedisAdapter::connect`] checks it.
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig {
            url: url.into(),
            tls_ca: None,
            key: "socket.io".to_owned(),
            sharded: false,
            subscription_mode: SubscriptionMode::Static,
            cluster: false,
            sentinel: None,
            queue: 4096,
            max_message_size: 16 * 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
            ping_interval: Duration::from_secs(15),
            requests_timeout: Duration::from_secs(5),
        }
    }

    /// Sets the prefix of every channel (default `socket.io`, as in Node.js);
    /// nodes share broadcasts when they use the same.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Uses sharded pub/sub, as Node's `createShardedAdapter(pub, sub,
    /// {subscriptionMode: "static"})`: every message of a namespace goes on
    /// `<key>#<nsp>#`, in the cluster message format of `socket.io-adapter` (see
    /// [`with_subscription_mode`](Self::with_subscription_mode) for the others).
    pub fn with_sharded(mut self) -> Self {
        self.sharded = true;
        self
    }

    /// Uses sharded pub/sub with the given subscription mode, as Node's
    /// `createShardedAdapter(pub, sub, {subscriptionMode})`.
    pub fn with_subscription_mode(mut self, mode: SubscriptionMode) -> Self {
        self.sharded = true;
        self.subscription_mode = mode;
        self
    }

    /// Connects to a Redis Cluster through the node the URL names, with sharded
    /// pub/sub (as [`with_sharded`](Self::with_sharded)): each channel lives on
    /// the node of its slot, and the connection follows the cluster's changes.
    pub fn with_cluster(mut self) -> Self {
        self.cluster = true;
        self.sharded = true;
        self
    }

    /// Asks the Sentinel the URL names for the address of master set `master`, at
    /// each connection: after a failover, the adapter reconnects to the new master.
    /// The URL's credentials, database and TLS apply to the master. By default
    /// the URL names Redis itself.
    pub fn with_sentinel(mut self, master: impl Into<String>) -> Self {
        self.sentinel = Some(master.into());
        self
    }

    /// Trusts the certificate authority in `pem` (the PEM certificate(s) that
    /// signed the Redis server's certificate) for a `rediss://` URL, instead of
    /// the system's roots (the default).
    pub fn with_tls_ca(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_ca = Some(pem.into());
        self
    }

    /// Sets the most messages that may wait to be published, and the most
    /// messages from the other nodes that may wait to be delivered (default 4,096
    /// each; at least 1). Past it, broadcasts still reach local sockets but not
    /// the other nodes, and messages from Redis are dropped; both are counted by
    /// [`RedisAdapter::dropped`].
    pub fn with_queue(mut self, messages: usize) -> Self {
        self.queue = messages.max(1);
        self
    }

    /// Sets the largest message taken from Redis, in bytes (default 16 MiB; at
    /// least 1); a larger one is ignored.
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1);
        self
    }

    /// Sets how long connecting (and authenticating) may take (default 5 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how often an idle connection is checked with a PING (default 15 s; at
    /// least 10 ms); one that answers nothing for two intervals is dropped and
    /// reconnected.
    pub fn with_ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval.max(MIN_PING_INTERVAL);
        self
    }

    /// Sets how long a cluster request (`fetch_sockets`, `all_rooms`,
    /// `server_side_emit_with_ack`) waits for every other node's answer (default
    /// 5 s, as in Node.js).
    pub fn with_requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }

    /// Sets the reconnection backoff: the first wait `min` (default 100 ms; at
    /// least 1 ms) doubles on each failure up to `max` (default 5 s; at least
    /// `min`).
    pub fn with_reconnect(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect_min = min.max(Duration::from_millis(1));
        self.reconnect_max = max.max(self.reconnect_min);
        self
    }
}

impl RedisConfig {
    /// The Redis server's URL, as given to [`RedisConfig::new`].
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The shortest interval between PINGs on an idle connection.
const MIN_PING_INTERVAL: Duration = Duration::from_millis(10);

/// Which shard channels the sharded adapter uses, as the `subscriptionMode` of
/// Node's `createShardedAdapter`. Broadcasts to exactly one room go on a channel
/// of that room in the dynamic modes, so that only the nodes holding the room
/// receive them; every other message goes on the namespace's channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SubscriptionMode {
    /// One channel per namespace, `<key>#<nsp>#` (and each node's answers on
    /// `<key>#<nsp>#<uid>#`): few subscriptions, every broadcast reaches every node.
    #[default]
    Static,
    /// Also a channel per public room, `<key>#<nsp>#<room>#`, subscribed to while
    /// the node has a socket in the room; a socket's own room (a 20-character
    /// name) stays on the namespace's channel. Node's default.
    Dynamic,
    /// As `Dynamic`, and each socket's own room gets a channel too.
    ///
    /// In both dynamic modes each room that appears or empties on a node costs
    /// its subscriber one `SSUBSCRIBE` or `SUNSUBSCRIBE` and a pass over the
    /// node's rooms.
    DynamicPrivate,
}

/// What can go wrong with the Redis adapter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisError {
    /// The URL is not `redis://` or `rediss://` with a host, optional credentials
    /// and a database number (the password is masked in `url`).
    #[error("invalid Redis URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, its password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The CA certificate given for TLS is unusable.
    #[error("Redis TLS: {0}")]
    Tls(String),
    /// The adapter was created outside a Tokio runtime.
    #[error("the Redis adapter needs a Tokio runtime")]
    NoRuntime,
    /// Redis did not answer in time.
    #[error("Redis did not answer in time")]
    Timeout,
    /// Redis closed the connection.
    #[error("Redis closed the connection")]
    Closed,
    /// Connecting, authenticating or a command failed.
    #[error("Redis: {0}")]
    Redis(#[from] ::redis::RedisError),
}

/// A message waiting to be published: its channel and payload.
pub(crate) struct Outgoing {
    channel: Bytes,
    payload: Vec<u8>,
    /// `SPUBLISH` rather than `PUBLISH`.
    sharded: bool,
    /// A marker, not a message: told once what was queued before it is published.
    flushed: Option<tokio::sync::oneshot::Sender<()>>,
}

/// What the adapter's handle, its namespace links and its tasks share.
pub(crate) struct Shared {
    uid: String,
    config: RedisConfig,
    namespaces: crate::adapter::registry::Namespaces,
    /// Notified when a namespace is attached or forgotten: the subscriber
    /// subscribes to its channels (or unsubscribes).
    attached: Arc<tokio::sync::Notify>,
    outgoing: mpsc::Sender<Outgoing>,
    subscribed: watch::Sender<bool>,
    /// Dropped with the last handle: the tasks end.
    _stop: watch::Sender<()>,
    dropped: crate::adapter::registry::DropCounter,
    /// This node's cluster requests waiting for answers.
    pending: crate::adapter::pending::PendingRequests,
    /// This node's broadcasts waiting for the other nodes' acknowledgements.
    ack_requests: crate::adapter::pending::AckRequests,
    /// The publisher's connection while it is up, for commands that answer
    /// (`PUBSUB NUMSUB`), with what tells the publisher that a command found it
    /// broken.
    commands: parking_lot::Mutex<Option<tasks::LentConnection>>,
}

crate::adapter::registry::adapter_state!(RedisConfig);

impl Shared {
    fn namespace(&self, name: &str) -> Option<LocalNamespace> {
        self.namespaces.get(name)
    }

    /// Queues `payload` for `channel` (`SPUBLISH` in sharded mode); `false`
    /// (counted as dropped) when the queue is full.
    fn send(&self, channel: Bytes, payload: Vec<u8>) -> bool {
        let message = Outgoing {
            channel,
            payload,
            sharded: self.config.sharded,
            flushed: None,
        };
        if self.outgoing.try_send(message).is_err() {
            self.count_dropped("Redis publish queue full: message not sent to the other nodes");
            return false;
        }
        true
    }

    /// Whether Redis is unreachable now: the publisher has no connection to lend.
    fn is_unreachable(&self) -> bool {
        self.commands.lock().is_none()
    }

    /// The request and response channels of every namespace of this node.
    fn cluster_channels(&self) -> std::collections::HashSet<String> {
        self.namespaces
            .names()
            .iter()
            .flat_map(|nsp| cluster::channels(&self.config.key, nsp, &self.uid))
            .collect()
    }

    /// Counts one message lost to a full queue, logging now and then.
    fn count_dropped(&self, what: &'static str) {
        self.dropped.count(what);
    }
}

/// Shares broadcasts with other nodes through Redis; give it to
/// [`Server::with_adapter`](crate::server::Server::with_adapter). Cheap to clone;
/// its connections close when the last clone and the server are gone.
#[derive(Clone)]
pub struct RedisAdapter {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapter")
            .field("uid", &self.shared.uid)
            .field("key", &self.shared.config.key)
            .finish_non_exhaustive()
    }
}

impl RedisAdapter {
    /// Starts the adapter's publishing and subscribing connections (in tasks of
    /// the current Tokio runtime; they connect in the background and keep
    /// reconnecting while Redis is unreachable).
    pub fn new(config: RedisConfig) -> Result<RedisAdapter, RedisError> {
        RedisAdapter::start(config, node_uid(), true)
    }

    /// Starts the publisher, and the subscriber when `subscribe` (an emitter only
    /// publishes), under node id `uid`.
    fn start(
        config: RedisConfig,
        uid: String,
        subscribe: bool,
    ) -> Result<RedisAdapter, RedisError> {
        let source = Arc::new(connection::Source::new(&config)?);
        connection::install_crypto_provider();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RedisError::NoRuntime)?;
        let (outgoing, queue) = mpsc::channel(config.queue.max(1));
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(Shared {
            uid,
            config,
            namespaces: crate::adapter::registry::Namespaces::default(),
            attached: Arc::new(tokio::sync::Notify::new()),
            outgoing,
            subscribed: watch::Sender::new(false),
            _stop: stop,
            dropped: crate::adapter::registry::DropCounter::default(),
            pending: crate::adapter::pending::PendingRequests::new(MAX_PENDING_REQUESTS),
            ack_requests: crate::adapter::pending::AckRequests::new(MAX_PENDING_REQUESTS),
            commands: parking_lot::Mutex::new(None),
        });
        runtime.spawn(tasks::publisher(
            Arc::downgrade(&shared),
            source.clone(),
            queue,
            stopped.clone(),
        ));
        if subscribe {
            runtime.spawn(tasks::subscriber(Arc::downgrade(&shared), source, stopped));
        }
        Ok(RedisAdapter { shared })
    }

    /// Connects to Redis once to check the URL, TLS and credentials (bounded by
    /// [`RedisConfig::with_connect_timeout`]), then starts the adapter as
    /// [`RedisAdapter::new`] does. Fails with the reason when Redis cannot be
    /// reached or refuses the connection, rather than retrying in the background.
    pub async fn connect(config: RedisConfig) -> Result<RedisAdapter, RedisError> {
        RedisAdapter::connect_check(&config).await?;
        RedisAdapter::new(config)
    }

    /// Connects once to check the URL, TLS and credentials.
    pub(crate) async fn connect_check(config: &RedisConfig) -> Result<(), RedisError> {
        let source = connection::Source::new(config)?;
        connection::install_crypto_provider();
        connection::check(&source, config).await
    }

    /// This node's id in the messages it publishes.
    pub fn uid(&self) -> &str {
        &self.shared.uid
    }

    /// Whether the subscription to the other nodes' broadcasts is in place now (in
    /// sharded mode: for every namespace, each of which has a channel of its own).
    pub fn is_subscribed(&self) -> bool {
        *self.shared.subscribed.borrow()
    }

    /// Waits until the subscription to the other nodes' broadcasts is in place
    /// (at once if it is); broadcasts published from then on reach this node.
    /// Bound it with a timeout: it waits as long as Redis is unreachable.
    pub async fn subscribed(&self) {
        let mut watch = self.shared.subscribed.subscribe();
        let _ = watch.wait_for(|subscribed| *subscribed).await;
    }

    /// Watches whether the subscription is in place: it turns `false` when the
    /// connection to Redis is lost, and `true` again once resubscribed.
    pub fn subscription(&self) -> watch::Receiver<bool> {
        self.shared.subscribed.subscribe()
    }

    /// How many messages were dropped because a queue was full: messages for the
    /// other nodes (Redis unreachable or too slow) and messages from them (this
    /// node too slow to deliver them).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.get()
    }
}

/// Most cluster requests of one node that may wait for answers at once.
const MAX_PENDING_REQUESTS: usize = 1024;

/// A random node id, like the Node.js adapter's 6-byte `uid2(6)`.
fn node_uid() -> String {
    random_id(6)
}

/// `len` random alphanumeric characters, for node and request ids.
fn random_id(len: usize) -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
