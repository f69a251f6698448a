//! The adapter's two connections, each in a task of its own: one publishes the
//! queued messages, the other receives the other nodes' broadcasts and delivers
//! them. Both reconnect with capped exponential backoff and end with the adapter.

use std::sync::Weak;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Interval};

use super::resp::{Connection, Frame, RedisUrl, command};
use super::{Outgoing, RedisConfig, RedisError, SERVER_SIDE_EMIT, Shared, msgpack};
use crate::protocol::{self, RESERVED_EVENTS};

/// Most bytes of commands written to Redis in one go.
const MAX_BATCH: usize = 256 * 1024;

/// Why a connection's loop ended.
enum Ended {
    /// The adapter is gone.
    Stop,
    /// The connection failed; reconnect.
    Broken(RedisError),
}

/// Waits between reconnection attempts: doubling from the minimum to the maximum,
/// each wait shortened by up to half at random so that nodes spread out.
struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    fn new(config: &RedisConfig) -> Backoff {
        Backoff {
            next: config.reconnect_min,
            min: config.reconnect_min,
            max: config.reconnect_max,
        }
    }

    fn reset(&mut self) {
        self.next = self.min;
    }

    /// Sleeps for the next wait; `false` when the adapter stopped meanwhile.
    async fn wait(&mut self, stop: &mut watch::Receiver<()>) -> bool {
        use rand::Rng as _;
        let wait = self.next.mul_f64(rand::rng().random_range(0.5..=1.0));
        self.next = (self.next * 2).min(self.max);
        tokio::select! {
            _ = stop.changed() => false,
            () = tokio::time::sleep(wait) => true,
        }
    }
}

/// Connects, unless the adapter stops first.
async fn connect(
    config: &RedisConfig,
    url: &RedisUrl,
    stop: &mut watch::Receiver<()>,
) -> Option<Result<Connection, RedisError>> {
    tokio::select! {
        _ = stop.changed() => None,
        result = Connection::open(url, config.connect_timeout, config.max_message_size) => Some(result),
    }
}

fn ping_timer(config: &RedisConfig) -> Interval {
    let period = config.ping_interval.max(Duration::from_millis(10));
    tokio::time::interval_at(Instant::now() + period, period)
}

async fn write(
    connection: &mut Connection,
    bytes: &[u8],
    config: &RedisConfig,
) -> Result<(), RedisError> {
    tokio::time::timeout(config.connect_timeout, connection.write(bytes))
        .await
        .map_err(|_| RedisError::Timeout)?
}

/// What one of the adapter's two Redis connections does while it is up.
trait Role {
    /// Names the connection in logs.
    fn name(&self) -> &'static str;

    /// Uses `connection` until it breaks or the adapter stops.
    fn serve(
        &mut self,
        connection: &mut Connection,
        stop: &mut watch::Receiver<()>,
    ) -> impl Future<Output = Ended> + Send;
}

/// Publishes this node's broadcasts.
struct Publishing<'a> {
    config: &'a RedisConfig,
    queue: &'a mut mpsc::Receiver<Outgoing>,
}

impl Role for Publishing<'_> {
    fn name(&self) -> &'static str {
        "publisher"
    }

    fn serve(
        &mut self,
        connection: &mut Connection,
        stop: &mut watch::Receiver<()>,
    ) -> impl Future<Output = Ended> + Send {
        publish(connection, self.config, self.queue, stop)
    }
}

/// Receives the other nodes' broadcasts.
struct Subscribing<'a> {
    config: &'a RedisConfig,
    /// The other nodes' broadcasts (`<key>#*`) and requests (`<key>-request#*`).
    patterns: &'a [String; 2],
    shared: &'a Weak<Shared>,
}

impl Role for Subscribing<'_> {
    fn name(&self) -> &'static str {
        "subscriber"
    }

    async fn serve(
        &mut self,
        connection: &mut Connection,
        stop: &mut watch::Receiver<()>,
    ) -> Ended {
        let ended = subscribe(connection, self.config, self.patterns, self.shared, stop).await;
        if let Some(shared) = self.shared.upgrade() {
            shared.subscribed.send_replace(false);
        }
        ended
    }
}

/// Connects to Redis and runs `role` on each connection until it says stop,
/// reconnecting with backoff after a failed connect or a broken connection.
async fn keep_connected(
    config: &RedisConfig,
    url: &RedisUrl,
    stop: &mut watch::Receiver<()>,
    mut role: impl Role,
) {
    let name = role.name();
    let mut backoff = Backoff::new(config);
    loop {
        let Some(result) = connect(config, url, stop).await else {
            return;
        };
        match result {
            Ok(mut connection) => {
                backoff.reset();
                tracing::debug!(role = name, "Redis connected");
                match role.serve(&mut connection, stop).await {
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

/// Publishes queued messages, reconnecting as needed, until the adapter is gone.
pub(crate) async fn publisher(
    config: RedisConfig,
    url: RedisUrl,
    mut queue: mpsc::Receiver<Outgoing>,
    mut stop: watch::Receiver<()>,
) {
    let role = Publishing {
        config: &config,
        queue: &mut queue,
    };
    keep_connected(&config, &url, &mut stop, role).await;
}

async fn publish(
    connection: &mut Connection,
    config: &RedisConfig,
    queue: &mut mpsc::Receiver<Outgoing>,
    stop: &mut watch::Receiver<()>,
) -> Ended {
    let mut ping = ping_timer(config);
    let mut unanswered = 0u32;
    let mut out = Vec::new();
    loop {
        tokio::select! {
            _ = stop.changed() => return Ended::Stop,
            message = queue.recv() => {
                let Some(mut message) = message else {
                    return Ended::Stop;
                };
                out.clear();
                loop {
                    command(&mut out, &[b"PUBLISH", &message.channel, &message.payload]);
                    match queue.try_recv() {
                        Ok(next) if out.len() < MAX_BATCH => message = next,
                        Ok(next) => {
                            // Too much for one write: this one starts the next batch.
                            if let Err(error) = write(connection, &out, config).await {
                                return Ended::Broken(error);
                            }
                            out.clear();
                            message = next;
                        }
                        Err(_) => break,
                    }
                }
                if let Err(error) = write(connection, &out, config).await {
                    return Ended::Broken(error);
                }
            }
            frame = connection.read() => match frame {
                Ok(Frame::Error(error)) => {
                    unanswered = 0;
                    tracing::warn!(error = %String::from_utf8_lossy(&error), "Redis refused a PUBLISH");
                }
                Ok(_) => unanswered = 0,
                Err(error) => return Ended::Broken(error),
            },
            _ = ping.tick() => {
                if unanswered >= 2 {
                    return Ended::Broken(RedisError::Timeout);
                }
                unanswered += 1;
                out.clear();
                command(&mut out, &[b"PING"]);
                if let Err(error) = write(connection, &out, config).await {
                    return Ended::Broken(error);
                }
            }
        }
    }
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
pub(crate) async fn subscriber(shared: Weak<Shared>, mut stop: watch::Receiver<()>) {
    let Some((config, url)) = shared
        .upgrade()
        .map(|shared| (shared.config.clone(), shared.url.clone()))
    else {
        return;
    };
    let patterns = [
        pattern(&config.key, "#*"),
        pattern(&config.key, "-request#*"),
    ];
    let role = Subscribing {
        config: &config,
        patterns: &patterns,
        shared: &shared,
    };
    keep_connected(&config, &url, &mut stop, role).await;
}

async fn subscribe(
    connection: &mut Connection,
    config: &RedisConfig,
    patterns: &[String; 2],
    shared: &Weak<Shared>,
    stop: &mut watch::Receiver<()>,
) -> Ended {
    let mut out = Vec::new();
    let [broadcasts, requests] = patterns;
    command(
        &mut out,
        &[b"PSUBSCRIBE", broadcasts.as_bytes(), requests.as_bytes()],
    );
    let mut confirmed = 0;
    if let Err(error) = write(connection, &out, config).await {
        return Ended::Broken(error);
    }
    let mut ping = ping_timer(config);
    let mut unanswered = 0u32;
    loop {
        tokio::select! {
            _ = stop.changed() => return Ended::Stop,
            frame = connection.read() => {
                unanswered = 0;
                let items = match frame {
                    Ok(Frame::Array(Some(items))) => items,
                    Ok(Frame::Error(error)) => {
                        let error = String::from_utf8_lossy(&error).into_owned();
                        return Ended::Broken(RedisError::Refused(error));
                    }
                    Ok(_) => continue,
                    Err(error) => return Ended::Broken(error),
                };
                let Some(shared) = shared.upgrade() else {
                    return Ended::Stop;
                };
                match items.as_slice() {
                    [Frame::Bulk(Some(kind)), Frame::Bulk(Some(matched)), Frame::Bulk(Some(channel)), Frame::Bulk(Some(payload))]
                        if kind.as_ref() == b"pmessage" =>
                    {
                        if matched.as_ref() == requests.as_bytes() {
                            on_request(&shared, channel, payload);
                        } else {
                            deliver(&shared, channel, payload);
                        }
                    }
                    [Frame::Bulk(Some(kind)), ..] if kind.as_ref() == b"psubscribe" => {
                        confirmed += 1;
                        if confirmed == patterns.len() {
                            tracing::debug!("Redis subscriber listening");
                            shared.subscribed.send_replace(true);
                        }
                    }
                    _ => {}
                }
            }
            _ = ping.tick() => {
                if unanswered >= 2 {
                    return Ended::Broken(RedisError::Timeout);
                }
                unanswered += 1;
                out.clear();
                command(&mut out, &[b"PING"]);
                if let Err(error) = write(connection, &out, config).await {
                    return Ended::Broken(error);
                }
            }
        }
    }
}

/// A request of another node on the request channel, as far as tether reads it.
#[derive(serde::Deserialize)]
struct Request<'a> {
    uid: &'a str,
    #[serde(rename = "type")]
    kind: u8,
    /// Present when the sender waits for answers, which tether does not give.
    #[serde(rename = "requestId", default)]
    request_id: Option<serde::de::IgnoredAny>,
    /// The `[event, ...args]` of a server-side emit.
    #[serde(borrow, default)]
    data: Option<&'a serde_json::value::RawValue>,
}

/// Handles a request from another node: runs the handlers of a server-side event
/// without acknowledgement; ignores the rest.
fn on_request(shared: &Shared, channel: &Bytes, payload: &Bytes) {
    if payload.first() != Some(&b'{') {
        return;
    }
    let Ok(request) = serde_json::from_slice::<Request<'_>>(payload) else {
        tracing::debug!("ignored a malformed request from Redis");
        return;
    };
    if request.uid == shared.uid || request.kind != SERVER_SIDE_EMIT || request.request_id.is_some()
    {
        return;
    }
    // `<key>-request#<nsp>#`.
    let nsp = channel
        .strip_prefix(shared.config.key.as_bytes())
        .and_then(|rest| rest.strip_prefix(b"-request#"))
        .and_then(|rest| rest.strip_suffix(b"#"))
        .and_then(|nsp| std::str::from_utf8(nsp).ok());
    let (Some(nsp), Some(data)) = (nsp, request.data) else {
        return;
    };
    if let Some(ns) = shared.namespace(nsp)
        && !ns.deliver_server_event(data.get())
    {
        tracing::debug!(
            nsp,
            "ignored a server-side event that is no [event, ...args]"
        );
    }
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
    if incoming.uid == shared.uid || RESERVED_EVENTS.contains(&incoming.event.as_str()) {
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
    match protocol::encode_event(&incoming.nsp, &incoming.event, &incoming.args, None) {
        Ok(encoded) => {
            ns.deliver(
                &encoded,
                &incoming.rooms,
                &incoming.except,
                incoming.volatile,
            );
        }
        Err(error) => tracing::debug!(%error, "a broadcast from Redis is not encodable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_glob_characters() {
        assert_eq!(pattern("socket.io", "#*"), "socket.io#*");
        assert_eq!(pattern("socket.io", "-request#*"), "socket.io-request#*");
        assert_eq!(pattern("a*b?[c]\\", "#*"), "a\\*b\\?\\[c\\]\\\\#*");
    }
}
