//! [`PostgresAdapter`]: server nodes sharing broadcasts and cluster operations
//! through PostgreSQL `LISTEN`/`NOTIFY`, in the wire format of the Node.js
//! `@socket.io/postgres-adapter` 0.5, so tether nodes and Node.js socket.io servers
//! can serve one application side by side.
//!
//! Each namespace has a channel, `<channel_prefix>#<nsp>` (for example
//! `socket.io#/`), which every node serving it listens on. Messages are the cluster
//! messages of `socket.io-adapter`, `{type, data, uid, nsp}`, sent as the JSON
//! payload of `pg_notify`. A message with binary (a broadcast, a server-side event
//! or an answer to either), or whose JSON would reach the payload threshold
//! ([`PostgresConfig::with_payload_threshold`]; Postgres refuses `NOTIFY` payloads
//! of 8000 bytes or more), is stored instead as MessagePack in the attachments
//! table ([`PostgresConfig::with_table_name`]), and the notification carries
//! `{uid, type, attachmentId}`. Every node deletes attachments older than the
//! cleanup interval ([`PostgresConfig::with_cleanup_interval`]) every interval;
//! the adapter creates the table when it is missing.
//!
//! Nodes know each other by heartbeats ([`PostgresConfig::with_heartbeat`]): a
//! node announces each namespace when it starts listening (type 1, which every
//! node answers), sends a heartbeat after the heartbeat interval without sending
//! anything else, and says goodbye when the namespace goes (type 13). A node
//! silent for the heartbeat timeout is forgotten. Queries (`fetch_sockets`,
//! `all_rooms`, `server_side_emit_with_ack`) wait for one answer from every node
//! known at the time, at most the requests timeout
//! ([`PostgresConfig::with_requests_timeout`]); a node that leaves or falls
//! silent meanwhile is no longer waited for. Commands (`sockets_join`,
//! `sockets_leave`, `disconnect_sockets`) are only sent.
//! `all_rooms` goes out as a request for every socket (the format has no request
//! of its own for it), whose rooms the asking node gathers. Acknowledged
//! broadcasts (`emit_with_ack`) yield every node's acknowledgements.
//!
//! Delivery is at most once, as with the Node.js adapter: what is sent while the
//! database is unreachable waits in a bounded queue
//! ([`PostgresConfig::with_queue`], then dropped and counted by
//! [`PostgresAdapter::dropped`]); notifications sent while a node is reconnecting
//! are lost for it. The adapter reconnects with capped exponential backoff and
//! listens again; while it is disconnected, queries fail at once with
//! [`ClusterError::Unavailable`](crate::adapter::ClusterError::Unavailable).
//!
//! Messages of `@socket.io/postgres-emitter`, which name no namespace, are taken
//! to be of the namespace of their channel.
//!
//! The connection string is one `tokio-postgres` reads: a URL
//! `postgres://user:password@host:port/database` (percent-encoded) or
//! `host=... user=...` pairs. Connections are not encrypted (no TLS).
//!
//! ```no_run
//! use tether::adapter::postgres::{PostgresAdapter, PostgresConfig};
//! use tether::server::{Server, ServerConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = PostgresConfig::new("postgres://postgres@127.0.0.1:5432/app");
//! let adapter = PostgresAdapter::connect(config).await?;
//! let io = Server::with_adapter(ServerConfig::default(), adapter.clone());
//! io.emit("hello", "every node's sockets get this")?;
//! tether::serve(io, "0.0.0.0:3000").await?;
//! # Ok(()) }
//! ```

mod incoming;
mod link;
mod nodes;
mod session;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};

use super::LocalNamespace;
use super::cluster_message;
use super::pending::{AckRequests, PendingRequests};
use crate::protocol::Value;

/// Options of a [`PostgresAdapter`], built from [`PostgresConfig::new`] with the
/// `with_*` methods. Every option but the connection string has a default, that
/// of the Node.js adapter where it has one; each method says what it accepts, and
/// out-of-range values are brought to the nearest accepted one.
///
/// ```
/// use std::time::Duration;
/// use tether::adapter::postgres::PostgresConfig;
///
/// let config = PostgresConfig::new("postgres://postgres@127.0.0.1:5432/app")
///     .with_table_name("app.socket_io_attachments")
///     .with_heartbeat(Duration::from_secs(2), Duration::from_secs(6));
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    pub(crate) url: String,
    pub(crate) channel_prefix: String,
    pub(crate) table_name: String,
    pub(crate) payload_threshold: usize,
    pub(crate) cleanup_interval: Duration,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) heartbeat_timeout: Duration,
    pub(crate) requests_timeout: Duration,
    pub(crate) queue: usize,
    pub(crate) max_message_size: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) reconnect_min: Duration,
    pub(crate) reconnect_max: Duration,
}

impl PostgresConfig {
    /// Options for the database at `url`, with the defaults otherwise: a URL
    /// `postgres://user:password@host:port/database` (percent-encoded) or
    /// `key=value` pairs, as `tokio-postgres` reads them.
    /// [`PostgresAdapter::connect`] checks it.
    pub fn new(url: impl Into<String>) -> PostgresConfig {
        PostgresConfig {
            url: url.into(),
            channel_prefix: "socket.io".to_owned(),
            table_name: "socket_io_attachments".to_owned(),
            payload_threshold: MAX_PAYLOAD_THRESHOLD,
            cleanup_interval: Duration::from_secs(30),
            heartbeat_interval: Duration::from_secs(5),
            heartbeat_timeout: Duration::from_secs(10),
            requests_timeout: Duration::from_secs(5),
            queue: 4096,
            max_message_size: 16 * 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
        }
    }

    /// Sets the prefix of every channel (default `socket.io`); nodes share
    /// broadcasts when they use the same.
    pub fn with_channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = prefix.into();
        self
    }

    /// Sets the table where large and binary messages are stored (default
    /// `socket_io_attachments`): letters, digits, `_` and `.` only, which
    /// [`PostgresAdapter::connect`] checks.
    pub fn with_table_name(mut self, table: impl Into<String>) -> Self {
        self.table_name = table.into();
        self
    }

    /// Sets the size, in bytes of JSON, from which a message goes through the
    /// table rather than in the notification (default and most 8000, Postgres's
    /// limit).
    pub fn with_payload_threshold(mut self, bytes: usize) -> Self {
        self.payload_threshold = bytes.min(MAX_PAYLOAD_THRESHOLD);
        self
    }

    /// Sets how old stored messages get before they are deleted, which is also
    /// how often they are looked for (default 30 s; at least 10 ms).
    pub fn with_cleanup_interval(mut self, interval: Duration) -> Self {
        self.cleanup_interval = interval.max(MIN_PERIOD);
        self
    }

    /// Sets how long a node may go without sending anything before it sends a
    /// heartbeat (default 5 s; at least 10 ms), and how long a node may stay
    /// silent before the others forget it (default 10 s; at least the interval).
    pub fn with_heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat_interval = interval.max(MIN_PERIOD);
        self.heartbeat_timeout = timeout.max(self.heartbeat_interval);
        self
    }

    /// Sets how long a query waits for every other node's answer (default 5 s).
    pub fn with_requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }

    /// Sets the most messages that may wait to be sent, and the most
    /// notifications that may wait to be handled (default 4,096 each; at least
    /// 1); past it, messages are dropped and counted by
    /// [`PostgresAdapter::dropped`].
    pub fn with_queue(mut self, messages: usize) -> Self {
        self.queue = messages.max(1);
        self
    }

    /// Sets the largest stored message read from the table, in bytes (default
    /// 16 MiB; at least 1); a larger one is ignored.
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1);
        self
    }

    /// Sets how long connecting may take (default 5 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
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

/// The largest JSON payload sent in a notification: Postgres refuses `NOTIFY`
/// payloads of 8000 bytes or more.
const MAX_PAYLOAD_THRESHOLD: usize = 8000;

/// The shortest period of the cleanup and heartbeat timers.
const MIN_PERIOD: Duration = Duration::from_millis(10);

/// What can go wrong with the Postgres adapter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// The connection string does not parse.
    #[error("invalid Postgres connection string: {0}")]
    InvalidUrl(String),
    /// The attachments table name is not a plain (optionally schema-qualified)
    /// identifier.
    #[error("invalid attachments table name `{0}`")]
    InvalidTableName(String),
    /// The adapter was created outside a Tokio runtime.
    #[error("the Postgres adapter needs a Tokio runtime")]
    NoRuntime,
    /// Postgres did not answer in time.
    #[error("Postgres did not answer in time")]
    Timeout,
    /// Postgres closed the connection.
    #[error("Postgres closed the connection")]
    Closed,
    /// Connecting or a statement failed.
    #[error("Postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
}

/// A message waiting to be sent.
pub(crate) enum Outgoing {
    /// `pg_notify(channel, json)`.
    Notify { channel: String, json: String },
    /// Stored in the table as MessagePack, then announced by `{uid, type,
    /// attachmentId}`.
    Attachment {
        channel: String,
        kind: u64,
        payload: Vec<u8>,
    },
}

/// What the adapter's handle, its namespace links and its tasks share.
pub(crate) struct Shared {
    uid: String,
    config: PostgresConfig,
    namespaces: crate::adapter::registry::Namespaces,
    /// Notified when a namespace is attached or forgotten: the session listens
    /// to its channel (or stops).
    attached: Arc<Notify>,
    outgoing: mpsc::Sender<Outgoing>,
    listening: watch::Sender<bool>,
    /// Dropped with the last handle: the tasks end.
    _stop: watch::Sender<()>,
    dropped: crate::adapter::registry::DropCounter,
    pending: PendingRequests,
    ack_requests: AckRequests,
    nodes: nodes::Nodes,
}

crate::adapter::registry::adapter_state!(PostgresConfig);

impl Shared {
    fn namespace(&self, name: &str) -> Option<LocalNamespace> {
        self.namespaces.get(name)
    }

    fn channel(&self, nsp: &str) -> String {
        format!("{}#{}", self.config.channel_prefix, nsp)
    }

    /// Queues cluster message `kind` with `data` for namespace `nsp`, choosing
    /// between a notification and an attachment as Node's adapter does; `false`
    /// (counted as dropped) when the queue is full.
    fn send(&self, nsp: &str, kind: u64, data: Option<Value>) -> bool {
        let message = cluster_message::envelope(kind, data, &self.uid, nsp);
        let carries_binary = matches!(
            kind,
            cluster_message::BROADCAST
                | cluster_message::SERVER_SIDE_EMIT
                | cluster_message::SERVER_SIDE_EMIT_RESPONSE
                | cluster_message::BROADCAST_ACK
        ) && cluster_message::has_binary(&message);
        let channel = self.channel(nsp);
        let json = (!carries_binary)
            .then(|| String::from_utf8(cluster_message::to_json(&message)).unwrap_or_default())
            .filter(|json| !json.is_empty() && json.len() < self.config.payload_threshold);
        let outgoing = match json {
            Some(json) => Outgoing::Notify { channel, json },
            None => Outgoing::Attachment {
                channel,
                kind,
                payload: cluster_message::to_msgpack(&message),
            },
        };
        self.nodes.published(nsp);
        if self.outgoing.try_send(outgoing).is_err() {
            self.count_dropped("Postgres send queue full: message not sent to the other nodes");
            return false;
        }
        true
    }

    /// Counts one message lost to a full queue, logging now and then.
    fn count_dropped(&self, what: &'static str) {
        self.dropped.count(what);
    }
}

/// Shares broadcasts and cluster operations with other nodes through PostgreSQL;
/// give it to [`Server::with_adapter`](crate::server::Server::with_adapter).
/// Cheap to clone; its connection closes when the last clone and the server are
/// gone.
#[derive(Clone)]
pub struct PostgresAdapter {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PostgresAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresAdapter")
            .field("uid", &self.shared.uid)
            .field("channel_prefix", &self.shared.config.channel_prefix)
            .finish_non_exhaustive()
    }
}

impl PostgresAdapter {
    /// Starts the adapter's connection in a task of the current Tokio runtime; it
    /// connects in the background and keeps reconnecting while the database is
    /// unreachable. Fails at once on a connection string that does not parse or an
    /// invalid table name.
    pub fn new(config: PostgresConfig) -> Result<PostgresAdapter, PostgresError> {
        let database = session::database_config(&config)?;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| PostgresError::NoRuntime)?;
        let (outgoing, queue) = mpsc::channel(config.queue.max(1));
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(Shared {
            uid: node_uid(),
            config,
            namespaces: crate::adapter::registry::Namespaces::default(),
            attached: Arc::new(Notify::new()),
            outgoing,
            listening: watch::Sender::new(false),
            _stop: stop,
            dropped: crate::adapter::registry::DropCounter::default(),
            pending: PendingRequests::new(MAX_PENDING_REQUESTS),
            ack_requests: AckRequests::new(MAX_PENDING_REQUESTS),
            nodes: nodes::Nodes::default(),
        });
        runtime.spawn(session::run(
            Arc::downgrade(&shared),
            database,
            queue,
            stopped.clone(),
        ));
        runtime.spawn(nodes::heartbeats(Arc::downgrade(&shared), stopped));
        Ok(PostgresAdapter { shared })
    }

    /// Connects once to check the connection string and credentials (bounded by
    /// [`PostgresConfig::with_connect_timeout`]), then starts the adapter as
    /// [`PostgresAdapter::new`] does. Fails with the reason when the database
    /// cannot be reached or refuses the connection.
    pub async fn connect(config: PostgresConfig) -> Result<PostgresAdapter, PostgresError> {
        let database = session::database_config(&config)?;
        session::check(&database, config.connect_timeout).await?;
        PostgresAdapter::new(config)
    }

    /// This node's id in the messages it sends.
    pub fn uid(&self) -> &str {
        &self.shared.uid
    }

    /// Whether the adapter listens to the channels of all its namespaces now.
    pub fn is_listening(&self) -> bool {
        *self.shared.listening.borrow()
    }

    /// Waits until the adapter listens to the channels of all its namespaces (at
    /// once if it does). Bound it with a timeout: it waits as long as the database
    /// is unreachable.
    pub async fn listening(&self) {
        let mut watch = self.shared.listening.subscribe();
        let _ = watch.wait_for(|listening| *listening).await;
    }

    /// Watches whether the adapter listens: `false` while the connection is lost,
    /// `true` again once it listens anew.
    pub fn listening_changes(&self) -> watch::Receiver<bool> {
        self.shared.listening.subscribe()
    }

    /// The other nodes known to serve namespace `nsp` now (by their uids).
    pub fn nodes(&self, nsp: &str) -> Vec<String> {
        self.shared.nodes.known(nsp).into_iter().collect()
    }

    /// How many messages were dropped because a queue was full: messages for the
    /// other nodes (database unreachable or too slow) and notifications from them
    /// (this node too slow to handle them).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.get()
    }
}

/// Most cluster requests of one node that may wait for answers at once.
const MAX_PENDING_REQUESTS: usize = 1024;

/// A random id of 16 hexadecimal digits, as Node's `randomBytes(8).toString("hex")`.
fn node_uid() -> String {
    use rand::Rng as _;
    format!("{:016x}", rand::rng().random::<u64>())
}
