//! The adapter's listeners: one task per stream reads its entries in order
//! (`XREAD BLOCK COUNT`, on a connection of its own), and one task holds the
//! pub/sub subscriptions (`<prefix>#<nsp>#` and `<prefix>#<nsp>#<uid>#` for each
//! namespace). Both hand what they get to [`messages::on_message`]; both
//! reconnect with backoff, a stream reader resuming after the last entry it read.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use ::redis::{PushInfo, PushKind, Value as Resp};
use tokio::sync::{Notify, mpsc, watch};

use super::{Shared, messages, sockets_answer, wire};
use crate::adapter::redis::RedisError;
use crate::adapter::redis::connection::{Connection, PushSink, Source};
use crate::adapter::redis::tasks::follow_channels;
use crate::adapter::registry::{Stop, task_start, unless_stopped};
use crate::backoff::Backoff;

/// Reads `stream` from the entry that was last when it started, until the
/// adapter is gone.
pub(crate) async fn read_stream(
    shared: Weak<Shared>,
    source: Arc<Source>,
    stream: String,
    mut stop: watch::Receiver<()>,
) {
    let Some(config) = shared.upgrade().map(|shared| shared.config.clone()) else {
        return;
    };
    // The read blocks for `block_time`: its connection waits longer for answers.
    let mut redis = config.redis.clone();
    redis.connect_timeout = redis
        .connect_timeout
        .max(config.block_time + Duration::from_secs(5));
    let mut backoff =
        Backoff::new(config.redis.reconnect_min, config.redis.reconnect_max).attempts();
    let mut last: Option<String> = None;
    loop {
        let Some(opened) = unless_stopped(&mut stop, source.open(&redis, None::<PushSink>)).await
        else {
            return;
        };
        match opened {
            Ok(mut connection) => {
                backoff.reset();
                let Some(ended) = unless_stopped(
                    &mut stop,
                    read(&shared, &mut connection, &stream, &mut last, &config),
                )
                .await
                else {
                    return;
                };
                match ended {
                    Ok(()) => return,
                    Err(error) => {
                        tracing::warn!(%error, stream, "Redis stream reader lost its connection")
                    }
                }
            }
            Err(error) => tracing::warn!(%error, stream, "Redis stream reader cannot connect"),
        }
        if !backoff.wait(&mut stop).await {
            return;
        }
    }
}

/// Reads entries after `last` (after the stream's last entry at first) and hands
/// them over; `Ok` when the adapter is gone.
async fn read(
    shared: &Weak<Shared>,
    connection: &mut Connection,
    stream: &str,
    last: &mut Option<String>,
    config: &super::RedisStreamsConfig,
) -> Result<(), RedisError> {
    if last.is_none() {
        // Where the stream ends now: nothing before it is replayed, nothing after
        // it is missed (unlike `$`, which would skip what comes before the read).
        let reply: Resp = ::redis::cmd("XREVRANGE")
            .arg(stream)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(connection)
            .await?;
        let newest = entries(reply).into_iter().next().map(|(id, _)| id);
        *last = Some(newest.unwrap_or_else(|| "0-0".to_owned()));
        match shared.upgrade() {
            Some(shared) => shared.reading.send_modify(|count| *count += 1),
            None => return Ok(()),
        }
    }
    let block = u64::try_from(config.block_time.as_millis()).unwrap_or(u64::MAX);
    loop {
        let from = last.clone().unwrap_or_else(|| "0-0".to_owned());
        let reply: Resp = ::redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(block)
            .arg("COUNT")
            .arg(config.read_count)
            .arg("STREAMS")
            .arg(stream)
            .arg(&from)
            .query_async(connection)
            .await?;
        let Some(shared) = shared.upgrade() else {
            return Ok(());
        };
        for (id, fields) in streams_entries(reply) {
            let pairs = fields
                .chunks_exact(2)
                .map(|pair| (pair[0].as_slice(), pair[1].as_slice()));
            if let Some(message) = wire::decode_entry(pairs) {
                messages::on_message(&shared, message, Some(&id));
            }
            *last = Some(id);
        }
    }
}

/// The entries of an `XREAD` reply (one stream): RESP3 `{stream: entries}` or
/// RESP2 `[[stream, entries]]`; none when it timed out.
fn streams_entries(reply: Resp) -> Vec<(String, Vec<Vec<u8>>)> {
    match reply {
        Resp::Map(pairs) => pairs
            .into_iter()
            .flat_map(|(_, entries_of)| entries(entries_of))
            .collect(),
        Resp::Array(streams) => streams
            .into_iter()
            .flat_map(|stream| match stream {
                Resp::Array(parts) => parts.into_iter().nth(1).map(entries).unwrap_or_default(),
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Entries `[[id, [field, value, ...]], ...]` as ids and raw fields.
pub(crate) fn entries(reply: Resp) -> Vec<(String, Vec<Vec<u8>>)> {
    let Resp::Array(items) = reply else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| {
            let Resp::Array(parts) = item else {
                return None;
            };
            let mut parts = parts.into_iter();
            let id = bytes(parts.next()?)?;
            let fields = match parts.next()? {
                Resp::Array(fields) => fields.into_iter().filter_map(bytes).collect(),
                Resp::Map(pairs) => pairs
                    .into_iter()
                    .flat_map(|(name, value)| [bytes(name), bytes(value)])
                    .flatten()
                    .collect(),
                _ => Vec::new(),
            };
            Some((String::from_utf8(id).ok()?, fields))
        })
        .collect()
}

fn bytes(value: Resp) -> Option<Vec<u8>> {
    match value {
        Resp::BulkString(bytes) => Some(bytes),
        Resp::SimpleString(text) => Some(text.into_bytes()),
        _ => None,
    }
}

/// A pub/sub message, as the push sender queues it.
struct Incoming {
    payload: Vec<u8>,
}

/// Holds the subscriptions of every namespace, until the adapter is gone.
pub(crate) async fn subscribe(shared: Weak<Shared>, source: Arc<Source>, mut stop: Stop) {
    let Some((config, attached)) = task_start(&shared) else {
        return;
    };
    let (sender, mut incoming) = mpsc::channel::<Incoming>(config.redis.queue.max(1));
    let mut backoff =
        Backoff::new(config.redis.reconnect_min, config.redis.reconnect_max).attempts();
    loop {
        let lost = Arc::new(Notify::new());
        let push = {
            let (sender, lost, shared) = (sender.clone(), lost.clone(), shared.clone());
            let max = config.redis.max_message_size;
            move |push: PushInfo| -> Result<(), std::convert::Infallible> {
                match push.kind {
                    PushKind::Disconnection => lost.notify_one(),
                    PushKind::Message => {
                        if let Some(payload) = push.data.into_iter().nth(1).and_then(bytes)
                            && payload.len() <= max
                            && sender.try_send(Incoming { payload }).is_err()
                            && let Some(shared) = shared.upgrade()
                        {
                            shared.count_dropped("Redis receive queue full: a message is lost");
                        }
                    }
                    _ => {}
                }
                Ok(())
            }
        };
        let Some(opened) = unless_stopped(&mut stop, source.open(&config.redis, Some(push))).await
        else {
            return;
        };
        match opened {
            Ok(connection) => {
                backoff.reset();
                let ended = listen(
                    &shared,
                    connection,
                    &lost,
                    &attached,
                    &mut incoming,
                    &mut stop,
                )
                .await;
                if let Some(shared) = shared.upgrade() {
                    shared.subscribed.send_replace(false);
                }
                match ended {
                    None => return,
                    Some(error) => {
                        tracing::warn!(%error, "Redis streams subscriber lost its connection")
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "Redis streams subscriber cannot connect"),
        }
        if !backoff.wait(&mut stop).await {
            return;
        }
    }
}

/// Follows the namespaces' channels and hands messages over; `None` when the
/// adapter is gone.
async fn listen(
    shared: &Weak<Shared>,
    mut connection: Connection,
    lost: &Notify,
    attached: &Notify,
    incoming: &mut mpsc::Receiver<Incoming>,
    stop: &mut watch::Receiver<()>,
) -> Option<RedisError> {
    let mut channels = HashSet::new();
    let mut follow = true;
    loop {
        if follow {
            follow = false;
            let wanted: HashSet<String> = {
                let shared = shared.upgrade()?;
                let names = shared.namespaces.names();
                names
                    .iter()
                    .flat_map(|nsp| {
                        [
                            shared.public_channel(nsp),
                            shared.private_channel(nsp, &shared.uid),
                        ]
                    })
                    .collect()
            };
            if let Err(error) = follow_channels(&mut connection, &mut channels, wanted).await {
                return Some(error.into());
            }
            shared.upgrade()?.subscribed.send_replace(true);
        }
        tokio::select! {
            _ = stop.changed() => return None,
            () = lost.notified() => return Some(RedisError::Closed),
            () = attached.notified() => follow = true,
            message = incoming.recv() => {
                let message = message?;
                let shared = shared.upgrade()?;
                if let Some(answer) = sockets_answer::decode(&message.payload) {
                    messages::on_sockets_answer(&shared, answer);
                } else if let Some(message) = wire::decode_envelope(&message.payload) {
                    messages::on_message(&shared, message, None);
                }
            }
        }
    }
}
