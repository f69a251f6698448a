//! The adapter's two connections, each in a task of its own: one publishes the
//! queued messages, the other receives the other nodes' broadcasts and delivers
//! them. Both reconnect with capped exponential backoff and end with the adapter.
//!
//! The `redis` crate hands pub/sub messages to a push sender without a bound of its
//! own; the sender here puts them in a bounded queue and counts what does not fit.

use std::sync::{Arc, Weak};

use ::redis::{PushInfo, PushKind, Value as RespValue};
use bytes::Bytes;
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::{Instant, Interval};

use std::collections::HashSet;

use super::cluster::{self, ChannelKind};
use super::connection::{Connection, Source};
use super::{Outgoing, RedisConfig, RedisError, Shared, msgpack, shard_requests, sharded};
use crate::adapter::registry::{Stop, task_start, unless_stopped};
use crate::backoff::Backoff;

/// Most bytes of messages published in one pipeline.
const MAX_BATCH: usize = 256 * 1024;

/// Why a connection's loop ended.
enum Ended {
    /// The adapter is gone.
    Stop,
    /// The connection failed; reconnect.
    Broken(RedisError),
}

fn ping_timer(config: &RedisConfig) -> Interval {
    let period = config.ping_interval;
    tokio::time::interval_at(Instant::now() + period, period)
}

/// Whether `error` means the connection is unusable (rather than one command refused).
pub(crate) fn is_broken(error: &::redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_unrecoverable_error()
}

/// Checks that the connection answers; `Err` when it does not in time.
async fn ping(connection: &mut Connection) -> Result<(), RedisError> {
    ::redis::cmd("PING")
        .exec_async(connection)
        .await
        .map_err(RedisError::from)
}

/// What one of the adapter's two Redis connections does.
trait Role {
    /// Names the connection in logs.
    fn name(&self) -> &'static str;

    /// Opens a connection for this role.
    fn open(
        &mut self,
        source: &Source,
    ) -> impl Future<Output = Result<Connection, RedisError>> + Send;

    /// Uses `connection` until it breaks or the adapter stops.
    fn serve(
        &mut self,
        connection: Connection,
        stop: &mut watch::Receiver<()>,
    ) -> impl Future<Output = Ended> + Send;
}

/// Connects to Redis and runs `role` on each connection until it says stop,
/// reconnecting with backoff after a failed connect or a broken connection.
async fn keep_connected(
    config: &RedisConfig,
    source: &Source,
    stop: &mut watch::Receiver<()>,
    mut role: impl Role,
) {
    let name = role.name();
    let mut backoff = Backoff::new(config.reconnect_min, config.reconnect_max).attempts();
    loop {
        let Some(result) = unless_stopped(stop, role.open(source)).await else {
            return;
        };
        match result {
            Ok(connection) => {
                backoff.reset();
                tracing::debug!(role = name, "Redis connected");
                match role.serve(connection, stop).await {
                    Ended::Stop => return,
                    Ended::Broken(error) => {
                        tracing::warn!(%error, role = name, "Redis connection lost")
                    }
                }
            }
            Err(error) => tracing::warn!(%error, role = name, "Redis cannot connect"),
        }
        if !backoff.wait(stop).await {
            return;
        }
    }
}

/// Publishes this node's broadcasts and requests, and lends its connection for
/// commands that answer.
struct Publishing<'a> {
    config: &'a RedisConfig,
    shared: &'a Weak<Shared>,
    queue: &'a mut mpsc::Receiver<Outgoing>,
    /// Notified when the current connection is lost, so that it is replaced
    /// before the next message rather than by failing it.
    lost: Arc<Notify>,
}

impl Role for Publishing<'_> {
    fn name(&self) -> &'static str {
        "publisher"
    }

    async fn open(&mut self, source: &Source) -> Result<Connection, RedisError> {
        self.lost = Arc::new(Notify::new());
        let lost = self.lost.clone();
        let on_push = move |push: PushInfo| -> Result<(), std::convert::Infallible> {
            if push.kind == PushKind::Disconnection {
                lost.notify_one();
            }
            Ok(())
        };
        source.open(self.config, Some(on_push)).await
    }

    async fn serve(&mut self, connection: Connection, stop: &mut watch::Receiver<()>) -> Ended {
        self.lend(Some(LentConnection {
            connection: connection.clone(),
            lost: self.lost.clone(),
        }));
        let ended = publish(connection, self.config, self.queue, &self.lost, stop).await;
        self.lend(None);
        ended
    }
}

/// The publisher's connection, lent for commands that answer, and how to tell the
/// publisher that one found it broken (it then reconnects rather than wait for its
/// next PING).
#[derive(Clone)]
pub(crate) struct LentConnection {
    pub(crate) connection: Connection,
    pub(crate) lost: Arc<Notify>,
}

impl Publishing<'_> {
    fn lend(&self, connection: Option<LentConnection>) {
        if let Some(shared) = self.shared.upgrade() {
            *shared.commands.lock() = connection;
        }
    }
}

/// Publishes queued messages, reconnecting as needed, until the adapter is gone.
pub(crate) async fn publisher(
    shared: Weak<Shared>,
    source: Arc<Source>,
    mut queue: mpsc::Receiver<Outgoing>,
    mut stop: watch::Receiver<()>,
) {
    let Some(config) = shared.upgrade().map(|shared| shared.config.clone()) else {
        return;
    };
    let role = Publishing {
        config: &config,
        shared: &shared,
        queue: &mut queue,
        lost: Arc::new(Notify::new()),
    };
    keep_connected(&config, &source, &mut stop, role).await;
}

async fn publish(
    mut connection: Connection,
    config: &RedisConfig,
    queue: &mut mpsc::Receiver<Outgoing>,
    lost: &Notify,
    stop: &mut watch::Receiver<()>,
) -> Ended {
    let mut ping_timer = ping_timer(config);
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return Ended::Stop,
            () = lost.notified() => return Ended::Broken(RedisError::Closed),
            message = queue.recv() => {
                let Some(message) = message else {
                    return Ended::Stop;
                };
                // What is queued goes out in one pipeline, up to a size (one
                // command at a time to a cluster, which routes each by channel).
                let mut pipeline = ::redis::pipe();
                let mut size = 0;
                let mut commands = 0;
                let mut flushed = Vec::new();
                let mut next = Some(message);
                while let Some(message) = next.take() {
                    if let Some(done) = message.flushed {
                        flushed.push(done);
                    } else {
                        size += message.channel.len() + message.payload.len();
                        commands += 1;
                        pipeline
                            .cmd(if message.sharded { "SPUBLISH" } else { "PUBLISH" })
                            .arg(message.channel.as_ref())
                            .arg(message.payload)
                            .ignore();
                    }
                    if size < MAX_BATCH && (commands == 0 || connection.pipelines()) {
                        next = queue.try_recv().ok();
                    }
                }
                if commands > 0
                    && let Err(error) = pipeline.exec_async(&mut connection).await
                {
                    if is_broken(&error) {
                        return Ended::Broken(error.into());
                    }
                    tracing::warn!(%error, "Redis refused a PUBLISH");
                }
                // Everything queued before each flush marker has been published.
                for done in flushed {
                    let _ = done.send(());
                }
            }
            _ = ping_timer.tick() => {
                if let Err(error) = ping(&mut connection).await {
                    return Ended::Broken(error);
                }
            }
        }
    }
}

/// A pub/sub message from Redis, as the push sender queues it.
pub(crate) struct Incoming {
    channel: Bytes,
    payload: Bytes,
    /// Whether it came on an exactly subscribed channel (requests and answers)
    /// rather than under the broadcast pattern or a shard channel.
    exact: bool,
}

/// Puts the subscriber connection's pushes in the adapter's bounded queue (and
/// counts what does not fit), and tells the subscriber when the connection is lost.
struct PushSender {
    incoming: mpsc::Sender<Incoming>,
    lost: Arc<Notify>,
    shared: Weak<Shared>,
    max_message_size: usize,
}

impl PushSender {
    fn take_bytes(value: RespValue) -> Option<Bytes> {
        match value {
            RespValue::BulkString(bytes) => Some(Bytes::from(bytes)),
            RespValue::SimpleString(text) => Some(Bytes::from(text)),
            _ => None,
        }
    }

    fn push(&self, push: PushInfo) {
        let mut data = push.data.into_iter();
        let (exact, channel, payload) = match push.kind {
            PushKind::Disconnection => {
                self.lost.notify_one();
                return;
            }
            PushKind::PMessage => {
                let _pattern = data.next();
                (false, data.next(), data.next())
            }
            PushKind::SMessage => (false, data.next(), data.next()),
            PushKind::Message => (true, data.next(), data.next()),
            _ => return,
        };
        let (Some(channel), Some(payload)) = (
            channel.and_then(Self::take_bytes),
            payload.and_then(Self::take_bytes),
        ) else {
            return;
        };
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        if payload.len() > self.max_message_size {
            tracing::debug!(
                size = payload.len(),
                "ignored a Redis message larger than the limit"
            );
            return;
        }
        let message = Incoming {
            channel,
            payload,
            exact,
        };
        if self.incoming.try_send(message).is_err() {
            shared.count_dropped("Redis receive queue full: a message from another node is lost");
        }
    }
}

/// Receives the other nodes' broadcasts.
struct Subscribing<'a> {
    config: &'a RedisConfig,
    /// The other nodes' broadcasts (`<key>#*`), in classic mode.
    pattern: &'a str,
    shared: &'a Weak<Shared>,
    incoming_sender: mpsc::Sender<Incoming>,
    incoming: mpsc::Receiver<Incoming>,
    /// Notified by the current connection's push sender when it is lost.
    lost: Arc<Notify>,
    /// Notified when a namespace is attached (sharded mode subscribes to it).
    attached: Arc<Notify>,
}

impl Role for Subscribing<'_> {
    fn name(&self) -> &'static str {
        "subscriber"
    }

    async fn open(&mut self, source: &Source) -> Result<Connection, RedisError> {
        // Each connection gets its own loss signal: an old one's never counts.
        self.lost = Arc::new(Notify::new());
        let sender = PushSender {
            incoming: self.incoming_sender.clone(),
            lost: self.lost.clone(),
            shared: self.shared.clone(),
            max_message_size: self.config.max_message_size,
        };
        source
            .open(
                self.config,
                Some(
                    move |push: PushInfo| -> Result<(), std::convert::Infallible> {
                        sender.push(push);
                        Ok(())
                    },
                ),
            )
            .await
    }

    async fn serve(&mut self, connection: Connection, stop: &mut watch::Receiver<()>) -> Ended {
        let ended = self.subscribe(connection, stop).await;
        if let Some(shared) = self.shared.upgrade() {
            shared.subscribed.send_replace(false);
        }
        ended
    }
}

impl Subscribing<'_> {
    async fn subscribe(
        &mut self,
        mut connection: Connection,
        stop: &mut watch::Receiver<()>,
    ) -> Ended {
        // Sharded: the channels of the namespaces subscribed to on this connection.
        let mut channels = HashSet::new();
        if self.config.sharded {
            if let Err(ended) = self
                .subscribe_namespaces(&mut connection, &mut channels)
                .await
            {
                return ended;
            }
        } else {
            if let Err(error) = connection.psubscribe(self.pattern).await {
                return Ended::Broken(error.into());
            }
            if let Err(ended) = self.follow_namespaces(&mut connection, &mut channels).await {
                return ended;
            }
        }
        match self.shared.upgrade() {
            Some(shared) => {
                tracing::debug!("Redis subscriber listening");
                shared.subscribed.send_replace(true);
            }
            None => return Ended::Stop,
        }
        let mut ping_timer = ping_timer(self.config);
        loop {
            tokio::select! {
                _ = stop.changed() => return Ended::Stop,
                () = self.lost.notified() => return Ended::Broken(RedisError::Closed),
                () = self.attached.notified() => {
                    let followed = if self.config.sharded {
                        self.subscribe_namespaces(&mut connection, &mut channels).await
                    } else {
                        self.follow_namespaces(&mut connection, &mut channels).await
                    };
                    if let Err(ended) = followed {
                        return ended;
                    }
                    match self.shared.upgrade() {
                        Some(shared) => shared.subscribed.send_replace(true),
                        None => return Ended::Stop,
                    };
                }
                message = self.incoming.recv() => {
                    let (Some(message), Some(shared)) = (message, self.shared.upgrade()) else {
                        return Ended::Stop;
                    };
                    if self.config.sharded {
                        shard_requests::on_message(&shared, &message.payload);
                    } else if !message.exact {
                        deliver(&shared, &message.channel, &message.payload);
                    } else {
                        match cluster::kind_of(&shared.config.key, &message.channel) {
                            Some(ChannelKind::Request(nsp)) => {
                                cluster::on_request(&shared, nsp, &message.payload);
                            }
                            Some(ChannelKind::Response)
                                if !super::acks::on_report(&shared, &message.payload) =>
                            {
                                super::requests::on_answer(&shared.pending, &message.payload);
                            }
                            Some(ChannelKind::Response) | None => {}
                        }
                    }
                }
                _ = ping_timer.tick() => {
                    if let Err(error) = ping(&mut connection).await {
                        return Ended::Broken(error);
                    }
                }
            }
        }
    }

    /// Classic mode: subscribes to the request and response channels of the
    /// namespaces this node has now, and unsubscribes from those of namespaces
    /// that are gone. `channels` holds what the connection is subscribed to.
    async fn follow_namespaces(
        &self,
        connection: &mut Connection,
        channels: &mut HashSet<String>,
    ) -> Result<(), Ended> {
        let Some(wanted) = self
            .shared
            .upgrade()
            .map(|shared| shared.cluster_channels())
        else {
            return Err(Ended::Stop);
        };
        follow_channels(connection, channels, wanted)
            .await
            .map_err(|error| Ended::Broken(error.into()))
    }

    /// Sharded mode: `SSUBSCRIBE`s the shard channels this node wants now (one
    /// channel per command: each is confirmed on its own), and `SUNSUBSCRIBE`s
    /// those it no longer wants. `channels` holds what the connection is
    /// subscribed to.
    async fn subscribe_namespaces(
        &self,
        connection: &mut Connection,
        channels: &mut HashSet<String>,
    ) -> Result<(), Ended> {
        let Some(wanted) = self
            .shared
            .upgrade()
            .map(|shared| sharded::channels(&shared))
        else {
            return Err(Ended::Stop);
        };
        let added: Vec<String> = wanted.difference(channels).cloned().collect();
        for channel in added {
            connection
                .ssubscribe(&channel)
                .await
                .map_err(|error| Ended::Broken(error.into()))?;
            channels.insert(channel);
        }
        let removed: Vec<String> = channels.difference(&wanted).cloned().collect();
        let Some(anchor) = self
            .shared
            .upgrade()
            .map(|shared| sharded::anchor_channel(&shared))
        else {
            return Err(Ended::Stop);
        };
        if !removed.is_empty() && !channels.contains(&anchor) {
            connection
                .ssubscribe(&anchor)
                .await
                .map_err(|error| Ended::Broken(error.into()))?;
            channels.insert(anchor.clone());
        }
        for channel in removed {
            if channel == anchor {
                continue;
            }
            connection
                .sunsubscribe(&channel, &anchor)
                .await
                .map_err(|error| Ended::Broken(error.into()))?;
            channels.remove(&channel);
        }
        Ok(())
    }
}

/// Subscribes `connection` to the channels of `wanted` it is not subscribed to
/// yet and unsubscribes it from the others of `channels`, which then holds
/// `wanted`.
pub(crate) async fn follow_channels(
    connection: &mut Connection,
    channels: &mut HashSet<String>,
    wanted: HashSet<String>,
) -> ::redis::RedisResult<()> {
    let added: Vec<&String> = wanted.difference(channels).collect();
    if !added.is_empty() {
        connection.subscribe(&added).await?;
    }
    let removed: Vec<&String> = channels.difference(&wanted).collect();
    if !removed.is_empty() {
        connection.unsubscribe(&removed).await?;
    }
    *channels = wanted;
    Ok(())
}

/// The glob pattern matching every channel under `key#`, with the glob
/// characters in `key` escaped.
fn pattern(key: &str, suffix: &str) -> String {
    let mut pattern = String::with_capacity(key.len() + suffix.len());
    for c in key.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push_str(suffix);
    pattern
}

/// Receives the other nodes' broadcasts, reconnecting as needed, until the adapter
/// is gone.
pub(crate) async fn subscriber(shared: Weak<Shared>, source: Arc<Source>, mut stop: Stop) {
    let Some((config, attached)) = task_start(&shared) else {
        return;
    };
    let pattern = pattern(&config.key, "#*");
    let (incoming_sender, incoming) = mpsc::channel(config.queue.max(1));
    let role = Subscribing {
        config: &config,
        pattern: &pattern,
        shared: &shared,
        incoming_sender,
        incoming,
        lost: Arc::new(Notify::new()),
        attached,
    };
    keep_connected(&config, &source, &mut stop, role).await;
}

/// Delivers one broadcast from another node to the local sockets it selects,
/// encoding it once.
fn deliver(shared: &Shared, channel: &Bytes, payload: &Bytes) {
    let incoming = match msgpack::decode_broadcast(payload) {
        Ok(incoming) => incoming,
        Err(error) => {
            tracing::debug!(%error, "ignored a Redis message that is no broadcast");
            return;
        }
    };
    if incoming.uid == shared.uid {
        return;
    }
    let Some(ns) = shared.namespace(&incoming.nsp) else {
        return;
    };
    // `<key>#<nsp>#`, then `<room>#` on a room's own channel.
    let Some(room) = channel
        .strip_prefix(shared.config.key.as_bytes())
        .and_then(|rest| rest.strip_prefix(b"#"))
        .and_then(|rest| rest.strip_prefix(incoming.nsp.as_bytes()))
        .and_then(|rest| rest.strip_prefix(b"#"))
    else {
        return;
    };
    if let Some(room) = room.strip_suffix(b"#") {
        let held = std::str::from_utf8(room).is_ok_and(|room| ns.has_room(room));
        if !held {
            return;
        }
    } else if !room.is_empty() {
        return;
    }
    incoming.deliver(&ns);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn pmessage(pattern: &str, channel: &str, payload: &[u8]) -> PushInfo {
        PushInfo {
            kind: PushKind::PMessage,
            data: vec![
                RespValue::BulkString(pattern.into()),
                RespValue::BulkString(channel.into()),
                RespValue::BulkString(payload.to_vec()),
            ],
        }
    }

    #[tokio::test]
    async fn the_push_sender_keeps_its_bound_and_counts_drops() {
        let adapter = super::super::RedisAdapter::new(
            RedisConfig::new("redis://127.0.0.1:1")
                .with_reconnect(Duration::from_secs(3600), Duration::from_secs(3600)),
        )
        .unwrap();
        let (incoming, mut queue) = mpsc::channel(2);
        let lost = Arc::new(Notify::new());
        let sender = PushSender {
            incoming,
            lost: lost.clone(),
            shared: Arc::downgrade(&adapter.shared),
            max_message_size: 8,
        };
        for _ in 0..5 {
            sender.push(pmessage("socket.io#*", "socket.io#/#", b"abc"));
        }
        // Larger than the limit: ignored, not queued.
        sender.push(pmessage("socket.io#*", "socket.io#/#", b"123456789"));
        assert_eq!(adapter.dropped(), 3);
        let first = queue.try_recv().unwrap();
        assert!(!first.exact);
        assert_eq!(first.channel, "socket.io#/#");
        assert_eq!(first.payload, "abc");
        assert!(queue.try_recv().is_ok());
        assert!(queue.try_recv().is_err());

        sender.push(PushInfo {
            kind: PushKind::Message,
            data: vec![
                RespValue::BulkString(b"socket.io-request#/#".to_vec()),
                RespValue::BulkString(b"{}".to_vec()),
            ],
        });
        let request = queue.try_recv().unwrap();
        assert!(request.exact);
        assert_eq!(request.channel, "socket.io-request#/#");

        sender.push(PushInfo {
            kind: PushKind::Disconnection,
            data: Vec::new(),
        });
        tokio::time::timeout(Duration::from_secs(5), lost.notified())
            .await
            .unwrap();
    }

    #[test]
    fn patterns_escape_glob_characters() {
        assert_eq!(pattern("socket.io", "#*"), "socket.io#*");
        assert_eq!(pattern("socket.io", "-request#*"), "socket.io-request#*");
        assert_eq!(pattern("a*b?[c]\\", "#*"), "a\\*b\\?\\[c\\]\\\\#*");
    }
}
