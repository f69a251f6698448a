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
//! other nodes wait in a bounded queue ([`RedisConfig::queue`]) that drops the newest
//! once full. Both connections reconnect with capped exponential backoff.
//!
//! Server-side events ([`Namespace::server_side_emit`](crate::server::Namespace::server_side_emit))
//! go out as JSON requests `{uid, type: 6, data: [event, ...args]}` on
//! `<key>-request#<nsp>#`, as Node's `serverSideEmit` sends them, and every node
//! listens on `<key>-request#*` for the other nodes' ones.
//!
//! With [`RedisConfig::with_sharded`], the adapter uses sharded pub/sub instead
//! (Redis 7 `SPUBLISH`/`SSUBSCRIBE`), as Node's `createShardedAdapter` with
//! `subscriptionMode: "static"`: each namespace's broadcasts and server-side events
//! go on its channel `<key>#<nsp>#` as the cluster messages of `socket.io-adapter`
//! (JSON, or MessagePack when they carry binary), and each node subscribes to the
//! channel of every namespace it serves. Node nodes in the default `"dynamic"`
//! mode publish single-room broadcasts on per-room channels, which tether nodes do
//! not subscribe to.
//!
//! The URL is `redis://` or `rediss://` (TLS through rustls, with the system's
//! roots or [`RedisConfig::with_tls_ca`]), with percent-encoded credentials (a
//! password, or an ACL user and password) and a database number.
//! [`RedisAdapter::connect`] checks all of it before the node starts. The URL may
//! also name a node of a Redis Cluster ([`RedisConfig::with_cluster`], sharded
//! pub/sub routed by slot) or a Sentinel ([`RedisConfig::with_sentinel`], asked
//! for the current master at each connection, so failovers are followed).
//!
//! Not carried across nodes: acknowledgements of broadcasts (`emit_with_ack`
//! collects local answers only) and of server-side events (Node's
//! `serverSideEmitWithAck` does not count tether nodes, which listen by pattern,
//! and they do not answer), `sockets()`/`join`/`leave`/`disconnect` on a broadcast,
//! and the other requests of the request channel (`fetchSockets` and the like).
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

mod connection;
mod msgpack;
mod sharded;
mod tasks;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use super::{Adapter, Broadcast, LocalNamespace, NamespaceLink};

/// Options of a [`RedisAdapter`]. Every limit has a default.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// The Redis server: `redis://[[user]:password@]host[:port][/db]`, or
    /// `rediss://` for TLS; user and password are percent-decoded.
    pub url: String,
    /// The PEM certificate(s) of the authority that signed the Redis server's
    /// certificate, for a `rediss://` URL; `None` trusts the system's roots.
    pub tls_ca: Option<Vec<u8>>,
    /// The prefix of every channel (default `socket.io`, as in Node.js); nodes
    /// share broadcasts when they use the same.
    pub key: String,
    /// Sharded pub/sub (Redis 7 `SPUBLISH`/`SSUBSCRIBE`), as Node's
    /// `createShardedAdapter` with `subscriptionMode: "static"` (default `false`:
    /// classic pub/sub, as Node's `createAdapter`).
    pub sharded: bool,
    /// The URL names one node of a Redis Cluster, whose other nodes are
    /// discovered (default `false`); implies [`sharded`](Self::sharded).
    pub cluster: bool,
    /// The name of the master set a Sentinel monitors, when the URL names that
    /// Sentinel (default `None`: the URL names Redis itself). The URL's
    /// credentials, database and TLS apply to the master.
    pub sentinel: Option<String>,
    /// Most messages that may wait to be published, and most messages from the
    /// other nodes that may wait to be delivered (default 4,096 each); past it,
    /// broadcasts still reach local sockets but not the other nodes, and messages
    /// from Redis are dropped. Both are counted by [`RedisAdapter::dropped`].
    pub queue: usize,
    /// Largest message taken from Redis, in bytes (default 16 MiB); a larger one
    /// is ignored.
    pub max_message_size: usize,
    /// How long connecting (and authenticating) may take (default 5 s).
    pub connect_timeout: Duration,
    /// First wait before reconnecting (default 100 ms); it doubles on each failure.
    pub reconnect_min: Duration,
    /// Longest wait before reconnecting (default 5 s).
    pub reconnect_max: Duration,
    /// How often an idle connection is checked with a PING (default 15 s); one
    /// that answers nothing for two intervals is dropped and reconnected.
    pub ping_interval: Duration,
}

impl RedisConfig {
    /// Options for the Redis server at `url`, with the defaults otherwise.
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig {
            url: url.into(),
            tls_ca: None,
            key: "socket.io".to_owned(),
            sharded: false,
            cluster: false,
            sentinel: None,
            queue: 4096,
            max_message_size: 16 * 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
            ping_interval: Duration::from_secs(15),
        }
    }

    /// Sets the channel prefix (default `socket.io`).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Uses sharded pub/sub, as Node's `createShardedAdapter(pub, sub,
    /// {subscriptionMode: "static"})`: every message of a namespace goes on
    /// `<key>#<nsp>#`, in the cluster message format of `socket.io-adapter`.
    pub fn with_sharded(mut self) -> Self {
        self.sharded = true;
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
    pub fn with_sentinel(mut self, master: impl Into<String>) -> Self {
        self.sentinel = Some(master.into());
        self
    }

    /// Trusts the certificate authority in `pem` (PEM text) for a `rediss://` URL,
    /// instead of the system's roots.
    pub fn with_tls_ca(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_ca = Some(pem.into());
        self
    }

    /// Sets how many messages may wait to be published, and to be delivered.
    pub fn with_queue(mut self, messages: usize) -> Self {
        self.queue = messages.max(1);
        self
    }

    /// Sets the reconnection backoff bounds.
    pub fn with_reconnect(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect_min = min;
        self.reconnect_max = max.max(min);
        self
    }
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
}

/// What the adapter's handle, its namespace links and its tasks share.
pub(crate) struct Shared {
    uid: String,
    config: RedisConfig,
    namespaces: RwLock<HashMap<String, LocalNamespace>>,
    /// Notified when a namespace is attached: in sharded mode, the subscriber
    /// subscribes to its channel.
    attached: Arc<tokio::sync::Notify>,
    outgoing: mpsc::Sender<Outgoing>,
    subscribed: watch::Sender<bool>,
    /// Dropped with the last handle: the tasks end.
    _stop: watch::Sender<()>,
    dropped: AtomicU64,
}

impl Shared {
    fn namespace(&self, name: &str) -> Option<LocalNamespace> {
        self.namespaces
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .cloned()
    }

    /// Counts one message lost to a full queue, logging now and then.
    fn count_dropped(&self, what: &'static str) {
        let dropped = self.dropped.fetch_add(1, Ordering::Relaxed);
        if dropped == 0 || (dropped + 1).is_power_of_two() {
            tracing::warn!(dropped = dropped + 1, "{what}");
        }
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
        let source = Arc::new(connection::Source::new(&config)?);
        connection::install_crypto_provider();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RedisError::NoRuntime)?;
        let (outgoing, queue) = mpsc::channel(config.queue.max(1));
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(Shared {
            uid: node_uid(),
            config,
            namespaces: RwLock::new(HashMap::new()),
            attached: Arc::new(tokio::sync::Notify::new()),
            outgoing,
            subscribed: watch::Sender::new(false),
            _stop: stop,
            dropped: AtomicU64::new(0),
        });
        runtime.spawn(tasks::publisher(
            shared.config.clone(),
            source.clone(),
            queue,
            stopped.clone(),
        ));
        runtime.spawn(tasks::subscriber(Arc::downgrade(&shared), source, stopped));
        Ok(RedisAdapter { shared })
    }

    /// Connects to Redis once to check the URL, TLS and credentials (bounded by
    /// [`RedisConfig::connect_timeout`]), then starts the adapter as
    /// [`RedisAdapter::new`] does. Fails with the reason when Redis cannot be
    /// reached or refuses the connection, rather than retrying in the background.
    pub async fn connect(config: RedisConfig) -> Result<RedisAdapter, RedisError> {
        let source = connection::Source::new(&config)?;
        connection::install_crypto_provider();
        connection::check(&source, &config).await?;
        RedisAdapter::new(config)
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
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Adapter for RedisAdapter {
    fn attach(&self, ns: LocalNamespace) -> Box<dyn NamespaceLink> {
        let name = ns.name().to_owned();
        let channel = format!("{}#{}#", self.shared.config.key, name);
        self.shared
            .namespaces
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name.clone(), ns);
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
        let message = Outgoing {
            channel,
            payload,
            sharded: self.shared.config.sharded,
        };
        if self.shared.outgoing.try_send(message).is_err() {
            self.shared
                .count_dropped("Redis publish queue full: message not sent to the other nodes");
        }
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
            self.shared.uid, SERVER_SIDE_EMIT, packet
        );
        self.send(self.request_channel.clone(), payload.into_bytes());
    }
}

impl Drop for RedisLink {
    fn drop(&mut self) {
        let mut namespaces = self
            .shared
            .namespaces
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A namespace created again under the same name keeps its entry.
        if namespaces.get(&self.name).is_some_and(|ns| !ns.is_alive()) {
            namespaces.remove(&self.name);
        }
    }
}

/// The request type of a server-side emit on the request channel.
const SERVER_SIDE_EMIT: u8 = 6;

/// A random node id, like the Node.js adapter's 6-byte `uid2(6)`.
fn node_uid() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
