//! [`RedisStreamsAdapter`]: server nodes sharing broadcasts through a Redis stream,
//! in the formats of the Node.js `@socket.io/redis-streams-adapter` 0.3.1, so that
//! tether nodes and Node.js socket.io servers with that adapter serve one
//! application side by side, with connection state recovery across all of them.
//!
//! What goes where, as in Node:
//! - broadcasts without acknowledgements and the commands `sockets_join`,
//!   `sockets_leave` and `disconnect_sockets` are added to the namespace's stream
//!   (`XADD <stream> MAXLEN ~ <max_len> * uid … nsp … type … data …`), which every
//!   node reads (`XREAD BLOCK <block_time> COUNT <read_count>`) from where it
//!   started, without loss across a reconnection unless `MAXLEN` trimmed entries;
//! - `fetch_sockets`, server-side events and broadcasts waiting for
//!   acknowledgements go as MessagePack on the public channel `<prefix>#<nsp>#`,
//!   and the answers on the requester's `<prefix>#<nsp>#<uid>#`; the number of
//!   nodes awaited is `PUBSUB NUMSUB <prefix>#<nsp>#` minus one. `all_rooms` is
//!   not carried (Node's adapter answers it locally too).
//!
//! With connection state recovery on
//! ([`ServerConfig::with_connection_state_recovery`](crate::server::ServerConfig::with_connection_state_recovery)),
//! each recoverable broadcast (and each `socket.emit` without acknowledgement,
//! routed to the socket's own room as Node does) reaches this node's sockets once
//! added, carrying its stream entry id as offset; broadcasts of other nodes carry
//! theirs. A socket that loses its connection is stored at
//! `<session_key_prefix><pid>` for the recovery's longest disconnection, and a
//! client reconnecting to any node (tether or Node) gets its id, rooms and data
//! back and the events it missed, read back from the stream in order, each once.
//! When its offset was trimmed from the stream or its session expired, it gets a
//! new session ([`Socket::recovered`](crate::server::Socket::recovered) is
//! `false`).
//!
//! One writer task adds entries and publishes in order, in pipelines (sessions
//! are stored at once, beside it); its queue is bounded
//! ([`RedisConfig::with_queue`]): past it, a broadcast reaches this node's sockets
//! only, without offset (counted by
//! [`RedisStreamsAdapter::dropped`]). While Redis is unreachable, broadcasts reach
//! this node's sockets only.
//!
//! ```no_run
//! use tether::adapter::redis::streams::{RedisStreamsAdapter, RedisStreamsConfig};
//! use tether::server::{RecoveryConfig, Server, ServerConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = RedisStreamsConfig::new("redis://127.0.0.1:6379").with_stream_name("chat");
//! let adapter = RedisStreamsAdapter::connect(config).await?;
//! let server_config =
//!     ServerConfig::default().with_connection_state_recovery(RecoveryConfig::default());
//! let io = Server::with_adapter(server_config, adapter.clone());
//! tether::serve(io, "0.0.0.0:3000").await?;
//! # Ok(()) }
//! ```

#[cfg(feature = "emitter")]
mod emit;
mod link;
mod messages;
mod reader;
mod restore;
mod sockets_answer;
mod wire;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::connection::{self, Source};
use super::{RedisConfig, RedisError};
use crate::adapter::LocalNamespace;

/// Options of a [`RedisStreamsAdapter`], with the defaults of Node's adapter,
/// built from [`RedisStreamsConfig::new`] (or [`with_redis`](Self::with_redis))
/// with the `with_*` methods; each method says what it accepts, and out-of-range
/// values are raised to the smallest accepted one.
#[derive(Debug, Clone)]
pub struct RedisStreamsConfig {
    pub(crate) redis: RedisConfig,
    pub(crate) stream_name: String,
    pub(crate) stream_count: usize,
    pub(crate) channel_prefix: String,
    pub(crate) max_len: usize,
    pub(crate) read_count: usize,
    pub(crate) block_time: Duration,
    pub(crate) session_key_prefix: String,
    pub(crate) only_plaintext: bool,
}

impl RedisStreamsConfig {
    /// Options for the Redis at `url`, with the defaults otherwise.
    pub fn new(url: impl Into<String>) -> RedisStreamsConfig {
        RedisStreamsConfig::with_redis(RedisConfig::new(url))
    }

    /// Options on the connection `redis` (URL, TLS, queue bounds, timeouts and
    /// reconnection backoff), with the defaults otherwise.
    pub fn with_redis(redis: RedisConfig) -> RedisStreamsConfig {
        RedisStreamsConfig {
            redis,
            stream_name: "socket.io".to_owned(),
            stream_count: 1,
            channel_prefix: "socket.io".to_owned(),
            max_len: 10_000,
            read_count: 100,
            block_time: Duration::from_millis(5000),
            session_key_prefix: "sio:session:".to_owned(),
            only_plaintext: false,
        }
    }

    /// Sets the stream's name (`streamName`; default `socket.io`); the prefix of
    /// each stream's name with several.
    pub fn with_stream_name(mut self, name: impl Into<String>) -> Self {
        self.stream_name = name.into();
        self
    }

    /// Sets how many streams namespaces are spread over (`streamCount`; default
    /// 1, at least 1); with more, namespace `nsp` uses
    /// `<stream_name>-<hashCode(nsp) % stream_count>`, as Node computes it.
    pub fn with_stream_count(mut self, count: usize) -> Self {
        self.stream_count = count.max(1);
        self
    }

    /// Sets the pub/sub channel prefix (`channelPrefix`; default `socket.io`).
    pub fn with_channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = prefix.into();
        self
    }

    /// Sets the approximate most entries a stream keeps (`maxLen`, `MAXLEN ~`;
    /// default 10,000, at least 1).
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len.max(1);
        self
    }

    /// Sets the most entries read at once (`readCount`; default 100, at least 1).
    pub fn with_read_count(mut self, count: usize) -> Self {
        self.read_count = count.max(1);
        self
    }

    /// Sets how long a read waits for new entries (`blockTimeInMs`; default 5 s,
    /// at least 1 ms).
    pub fn with_block_time(mut self, block: Duration) -> Self {
        self.block_time = block.max(Duration::from_millis(1));
        self
    }

    /// Sets the prefix of stored sessions' keys (`sessionKeyPrefix`; default
    /// `sio:session:`).
    pub fn with_session_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.session_key_prefix = prefix.into();
        self
    }

    /// Writes `data` as JSON even when it carries binary (`onlyPlaintext`;
    /// default `false`).
    pub fn with_only_plaintext(mut self, only: bool) -> Self {
        self.only_plaintext = only;
        self
    }

    /// Sets how long cluster requests wait for the other nodes' answers (default
    /// 5 s); see [`RedisConfig::with_requests_timeout`].
    pub fn with_requests_timeout(mut self, timeout: Duration) -> Self {
        self.redis = self.redis.with_requests_timeout(timeout);
        self
    }

    /// The stream of namespace `nsp`.
    fn stream_of(&self, nsp: &str) -> String {
        wire::stream_of(nsp, &self.stream_name, self.stream_count)
    }

    /// The streams every node reads.
    fn streams(&self) -> Vec<String> {
        if self.stream_count <= 1 {
            return vec![self.stream_name.clone()];
        }
        (0..self.stream_count)
            .map(|i| format!("{}-{i}", self.stream_name))
            .collect()
    }
}

/// What the adapter's handle, links and tasks share.
pub(crate) struct Shared {
    uid: String,
    config: RedisStreamsConfig,
    namespaces: crate::adapter::registry::Namespaces,
    /// Notified when a namespace is attached or gone: the subscriber follows.
    attached: Arc<tokio::sync::Notify>,
    jobs: mpsc::Sender<writer::Job>,
    /// Whether the subscriptions are in place.
    subscribed: watch::Sender<bool>,
    /// How many streams are being read.
    reading: watch::Sender<usize>,
    _stop: watch::Sender<()>,
    dropped: crate::adapter::registry::DropCounter,
    /// Sessions being stored outside the writer's queue.
    storing: std::sync::atomic::AtomicUsize,
    /// This node's requests waiting for answers.
    pending: crate::adapter::pending::PendingRequests,
    /// This node's broadcasts waiting for acknowledgements.
    acks: Arc<crate::adapter::pending::AckRequests>,
    /// The writer's connection while it is up, for commands that answer.
    commands: parking_lot::Mutex<Option<connection::Connection>>,
}

crate::adapter::registry::adapter_state!(RedisStreamsConfig);

impl Shared {
    fn namespace(&self, name: &str) -> Option<LocalNamespace> {
        self.namespaces.get(name)
    }

    /// Queues `job` for the writer; `false` (counted) when the queue is full.
    fn queue(&self, job: writer::Job) -> bool {
        if self.jobs.try_send(job).is_err() {
            self.count_dropped("Redis streams queue full: message not sent to the other nodes");
            return false;
        }
        true
    }

    fn count_dropped(&self, what: &'static str) {
        self.dropped.count(what);
    }

    /// `<prefix>#<nsp>#`.
    fn public_channel(&self, nsp: &str) -> String {
        format!("{}#{nsp}#", self.config.channel_prefix)
    }

    /// `<prefix>#<nsp>#<uid>#`.
    fn private_channel(&self, nsp: &str, uid: &str) -> String {
        format!("{}#{nsp}#{uid}#", self.config.channel_prefix)
    }

    /// The writer's connection, if it is up.
    fn connection(&self) -> Option<connection::Connection> {
        self.commands.lock().clone()
    }
}

/// Shares broadcasts, cluster requests and recovery sessions with other nodes
/// through Redis streams; give it to
/// [`Server::with_adapter`](crate::server::Server::with_adapter). Cheap to clone;
/// its connections close when the last clone and the server are gone.
#[derive(Clone)]
pub struct RedisStreamsAdapter {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisStreamsAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStreamsAdapter")
            .field("uid", &self.shared.uid)
            .field("stream_name", &self.shared.config.stream_name)
            .finish_non_exhaustive()
    }
}

impl RedisStreamsAdapter {
    /// Starts the adapter's connections (in tasks of the current Tokio runtime;
    /// they connect in the background and reconnect while Redis is unreachable).
    pub fn new(config: RedisStreamsConfig) -> Result<RedisStreamsAdapter, RedisError> {
        RedisStreamsAdapter::start(config, random_uid(), true)
    }

    /// Connects once to check the URL, TLS and credentials, then starts as
    /// [`RedisStreamsAdapter::new`] does.
    pub async fn connect(config: RedisStreamsConfig) -> Result<RedisStreamsAdapter, RedisError> {
        super::RedisAdapter::connect_check(&config.redis).await?;
        RedisStreamsAdapter::new(config)
    }

    /// Starts the writer, and the readers and subscriber when `listen` (an
    /// emitter only writes), under node id `uid`.
    pub(crate) fn start(
        config: RedisStreamsConfig,
        uid: String,
        listen: bool,
    ) -> Result<RedisStreamsAdapter, RedisError> {
        let source = Arc::new(Source::new(&config.redis)?);
        connection::install_crypto_provider();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RedisError::NoRuntime)?;
        let (jobs, queue) = mpsc::channel(config.redis.queue.max(1));
        let (stop, stopped) = watch::channel(());
        let streams = config.streams();
        let shared = Arc::new(Shared {
            uid,
            config,
            namespaces: crate::adapter::registry::Namespaces::default(),
            attached: Arc::new(tokio::sync::Notify::new()),
            jobs,
            subscribed: watch::Sender::new(false),
            reading: watch::Sender::new(0),
            _stop: stop,
            dropped: crate::adapter::registry::DropCounter::default(),
            storing: std::sync::atomic::AtomicUsize::new(0),
            pending: crate::adapter::pending::PendingRequests::new(MAX_PENDING_REQUESTS),
            acks: Arc::new(crate::adapter::pending::AckRequests::new(
                MAX_PENDING_REQUESTS,
            )),
            commands: parking_lot::Mutex::new(None),
        });
        runtime.spawn(writer::run(
            Arc::downgrade(&shared),
            source.clone(),
            queue,
            stopped.clone(),
        ));
        if listen {
            for stream in streams {
                runtime.spawn(reader::read_stream(
                    Arc::downgrade(&shared),
                    source.clone(),
                    stream,
                    stopped.clone(),
                ));
            }
            runtime.spawn(reader::subscribe(Arc::downgrade(&shared), source, stopped));
        }
        Ok(RedisStreamsAdapter { shared })
    }

    /// This node's id in the messages it writes.
    pub fn uid(&self) -> &str {
        &self.shared.uid
    }

    /// Waits until the adapter reads every stream and its subscriptions are in
    /// place (at once if they are). Bound it with a timeout: it waits as long as
    /// Redis is unreachable.
    pub async fn ready(&self) {
        let streams = self.shared.config.streams().len();
        let mut reading = self.shared.reading.subscribe();
        let _ = reading.wait_for(|count| *count >= streams).await;
        let mut subscribed = self.shared.subscribed.subscribe();
        let _ = subscribed.wait_for(|subscribed| *subscribed).await;
    }

    /// How many messages were dropped because a queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.get()
    }

    /// Waits until everything queued so far has been written; fails when the
    /// adapter stops or its connection breaks before then.
    pub async fn flush(&self) -> Result<(), RedisError> {
        let (done, written) = tokio::sync::oneshot::channel();
        self.shared
            .jobs
            .send(writer::Job::Flush(done))
            .await
            .map_err(|_| RedisError::Closed)?;
        written.await.map_err(|_| RedisError::Closed)
    }
}

/// Most cluster requests of one node that may wait for answers at once.
const MAX_PENDING_REQUESTS: usize = 1024;

/// 16 hexadecimal digits, as `socket.io-adapter` makes node ids.
fn random_uid() -> String {
    use rand::Rng as _;
    format!("{:016x}", rand::rng().random::<u64>())
}
