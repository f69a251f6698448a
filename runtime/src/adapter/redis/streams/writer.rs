//! The adapter's one writer: adds stream entries, publishes pub/sub messages and
//! stores sessions, in the order they were queued, in pipelines; then hands each
//! recoverable broadcast of this node to its local sockets with the entry id it
//! got. While Redis is unreachable, those broadcasts reach the local sockets
//! without offset.

use std::sync::{Arc, Weak};

use ::redis::Value as Resp;
use tokio::sync::{mpsc, oneshot, watch};

use super::Shared;
use crate::adapter::LocalNamespace;
use crate::adapter::redis::connection::{Connection, PushSink, Source};
use crate::adapter::redis::tasks::is_broken;
use crate::adapter::registry::unless_stopped;
use crate::backoff::Backoff;
use crate::engine::Sid;
use crate::protocol::Encoded;
use crate::room::Room;

/// Most jobs written in one pipeline.
const MAX_BATCH: usize = 512;

/// A broadcast of this node, to deliver to its sockets once it has its offset.
pub(crate) struct LocalDelivery {
    pub(crate) ns: LocalNamespace,
    pub(crate) encoded: Encoded,
    pub(crate) rooms: Vec<Room>,
    pub(crate) except: Vec<Room>,
    pub(crate) except_socket: Option<Sid>,
}

impl LocalDelivery {
    fn deliver(&self, offset: Option<&str>) {
        self.ns.deliver_recoverable(
            &self.encoded,
            (&self.rooms, &self.except, self.except_socket),
            offset,
        );
    }
}

/// One thing for the writer to do.
pub(crate) enum Job {
    /// `XADD <stream> MAXLEN ~ <max_len> * <fields>`, then the local delivery.
    Add {
        stream: String,
        fields: Vec<(&'static str, String)>,
        local: Option<LocalDelivery>,
    },
    /// `PUBLISH <channel> <payload>`.
    Publish { channel: String, payload: Vec<u8> },
    /// `SET <key> <value> PX <ttl_ms>`.
    Session {
        key: String,
        value: String,
        ttl_ms: u64,
    },
    /// Told once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

impl Job {
    /// What to do when it cannot be written: local broadcasts still reach the
    /// local sockets.
    fn fail(self) {
        if let Job::Add {
            local: Some(local), ..
        } = self
        {
            local.deliver(None);
        }
    }
}

/// Writes queued jobs until the adapter is gone, reconnecting as needed.
pub(crate) async fn run(
    shared: Weak<Shared>,
    source: Arc<Source>,
    mut queue: mpsc::Receiver<Job>,
    mut stop: watch::Receiver<()>,
) {
    let Some(config) = shared.upgrade().map(|shared| shared.config.clone()) else {
        return;
    };
    let mut backoff =
        Backoff::new(config.redis.reconnect_min, config.redis.reconnect_max).attempts();
    loop {
        let Some(opened) =
            unless_stopped(&mut stop, source.open(&config.redis, None::<PushSink>)).await
        else {
            return;
        };
        match opened {
            Ok(connection) => {
                backoff.reset();
                lend(&shared, Some(connection.clone()));
                let ended = write(connection, &config, &mut queue, &mut stop).await;
                lend(&shared, None);
                match ended {
                    None => return,
                    Some(error) => {
                        tracing::warn!(%error, "Redis streams writer lost its connection")
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "Redis streams writer cannot connect"),
        }
        // What waits now reaches this node's sockets at least.
        while let Ok(job) = queue.try_recv() {
            job.fail();
        }
        if !backoff.wait(&mut stop).await {
            return;
        }
    }
}

fn lend(shared: &Weak<Shared>, connection: Option<Connection>) {
    if let Some(shared) = shared.upgrade() {
        *shared.commands.lock() = connection;
    }
}

/// Writes batches on `connection`; `None` when the adapter stopped, the error
/// when the connection broke.
async fn write(
    mut connection: Connection,
    config: &super::RedisStreamsConfig,
    queue: &mut mpsc::Receiver<Job>,
    stop: &mut watch::Receiver<()>,
) -> Option<::redis::RedisError> {
    let max_len = config.max_len.to_string();
    loop {
        let first = tokio::select! {
            biased;
            _ = stop.changed() => return None,
            job = queue.recv() => job?,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut pipeline = ::redis::pipe();
        for job in &batch {
            match job {
                Job::Add { stream, fields, .. } => {
                    let command = pipeline
                        .cmd("XADD")
                        .arg(stream)
                        .arg("MAXLEN")
                        .arg("~")
                        .arg(&max_len)
                        .arg("*");
                    for (name, value) in fields {
                        command.arg(*name).arg(value);
                    }
                }
                Job::Publish { channel, payload } => {
                    pipeline.cmd("PUBLISH").arg(channel).arg(payload);
                }
                Job::Session { key, value, ttl_ms } => {
                    pipeline
                        .cmd("SET")
                        .arg(key)
                        .arg(value)
                        .arg("PX")
                        .arg((*ttl_ms).max(1));
                }
                Job::Flush(_) => {
                    pipeline.cmd("PING");
                }
            }
        }
        match pipeline.query_async::<Vec<Resp>>(&mut connection).await {
            Ok(replies) => {
                for (job, reply) in batch.into_iter().zip(replies) {
                    match job {
                        Job::Add {
                            local: Some(local), ..
                        } => local.deliver(entry_id(&reply).as_deref()),
                        Job::Flush(done) => {
                            let _ = done.send(());
                        }
                        _ => {}
                    }
                }
            }
            Err(error) => {
                let broken = is_broken(&error);
                tracing::warn!(%error, "Redis refused a write of the streams adapter");
                for job in batch {
                    job.fail();
                }
                if broken {
                    return Some(error);
                }
            }
        }
    }
}

/// The id `XADD` answered.
fn entry_id(reply: &Resp) -> Option<String> {
    match reply {
        Resp::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Resp::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}
