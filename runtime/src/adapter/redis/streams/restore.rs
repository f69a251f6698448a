//! Connection state recovery from the stream, as Node's adapter does it: the
//! session is taken (`GET` and `DEL` in one transaction) while `XRANGE <offset>
//! <offset>` checks that the client's offset is still kept; then the entries
//! after it that the socket was meant to get are read back in order.

use std::sync::Arc;

use super::reader::entries;
use super::{Shared, wire};
use crate::adapter::{ClusterError, MissedEvent, SessionState};
use crate::protocol::{self, RESERVED_EVENTS, Value};
use crate::room::Room;

/// Entries read per `XRANGE` while reading missed events.
const RANGE_COUNT: usize = 1000;
/// Most `XRANGE` calls for one recovery; past it the recovery fails rather
/// than miss events.
const MAX_RANGES: usize = 1000;

/// Takes the session of `pid` when the entry at `offset` of `stream` is kept.
pub(crate) async fn restore(
    shared: Arc<Shared>,
    stream: String,
    pid: String,
    offset: String,
) -> Option<SessionState> {
    // Node refuses other offsets without touching the session.
    wire::parse_offset(&offset)?;
    let mut connection = shared.connection()?;
    let mut ranges = connection.clone();
    let key = format!("{}{pid}", shared.config.session_key_prefix);
    let take = async {
        ::redis::pipe()
            .atomic()
            .cmd("GET")
            .arg(&key)
            .cmd("DEL")
            .arg(&key)
            .ignore()
            .query_async::<(Option<Vec<u8>>,)>(&mut connection)
            .await
    };
    let kept = async {
        ::redis::cmd("XRANGE")
            .arg(&stream)
            .arg(&offset)
            .arg(&offset)
            .query_async::<::redis::Value>(&mut ranges)
            .await
    };
    let timeout = shared.config.redis.requests_timeout;
    let (session, entry) = tokio::time::timeout(timeout, async { tokio::join!(take, kept) })
        .await
        .ok()?;
    let (Ok((Some(session),)), Ok(entry)) = (session, entry) else {
        return None;
    };
    if entries(entry).is_empty() {
        tracing::debug!(pid, offset, "offset no longer in the stream: a new session");
        return None;
    }
    wire::decode_session(&session)
}

/// The broadcasts of namespace `nsp` after `offset` that a socket in `rooms` was
/// meant to get, in order, each with its entry id appended.
pub(crate) async fn missed(
    shared: Arc<Shared>,
    stream: String,
    nsp: String,
    offset: String,
    rooms: Vec<Room>,
) -> Result<Vec<MissedEvent>, ClusterError> {
    let unavailable = |reason: String| ClusterError::Unavailable(reason);
    let mut connection = shared
        .connection()
        .ok_or_else(|| unavailable("Redis is unreachable".to_owned()))?;
    let mut last = wire::parse_offset(&offset)
        .ok_or_else(|| unavailable(format!("invalid offset {offset}")))?;
    let mut missed = Vec::new();
    for _ in 0..MAX_RANGES {
        // Exclusive start built by hand, as Node does for Redis before 6.2.
        let start = format!("{}-{}", last.0, last.1.saturating_add(1));
        let mut command = ::redis::cmd("XRANGE");
        command
            .arg(&stream)
            .arg(&start)
            .arg("+")
            .arg("COUNT")
            .arg(RANGE_COUNT);
        let query = command.query_async::<::redis::Value>(&mut connection);
        let reply = tokio::time::timeout(shared.config.redis.requests_timeout, query)
            .await
            .map_err(|_| unavailable("Redis did not answer XRANGE in time".to_owned()))?
            .map_err(|error| unavailable(format!("Redis: {error}")))?;
        let batch = entries(reply);
        let full = batch.len() >= RANGE_COUNT;
        for (id, fields) in batch {
            let pairs = fields
                .chunks_exact(2)
                .map(|pair| (pair[0].as_slice(), pair[1].as_slice()));
            if let Some(message) = wire::decode_entry(pairs)
                && let Some(event) = replayed(&nsp, message, &id, &rooms)
            {
                missed.push(event);
            }
            if let Some(at) = wire::parse_offset(&id) {
                last = at;
            }
        }
        if !full {
            return Ok(missed);
        }
    }
    Err(unavailable(
        "too many missed events to read back".to_owned(),
    ))
}

/// The event of `message` for a socket in `rooms`, if it is a broadcast of `nsp`
/// meant for it (Node's `shouldIncludePacket`).
fn replayed(nsp: &str, message: wire::Message, id: &str, rooms: &[Room]) -> Option<MissedEvent> {
    if message.nsp != nsp || message.kind != wire::BROADCAST {
        return None;
    }
    let data = message.data?;
    let opts = data.get("opts");
    let selected = wire::selector_of(opts);
    let included =
        selected.rooms.is_empty() || rooms.iter().any(|room| selected.rooms.contains(room));
    let excluded = rooms.iter().any(|room| selected.except.contains(room));
    if !included || excluded || data.get("requestId").is_some() {
        return None;
    }
    let Some(Value::Array(items)) = data.get("packet").and_then(|packet| packet.get("data")) else {
        return None;
    };
    let (Some(Value::String(event)), args) = (items.first(), items.get(1..).unwrap_or_default())
    else {
        return None;
    };
    if RESERVED_EVENTS.contains(&event.as_str()) {
        return None;
    }
    let encoded = protocol::encode_event(nsp, event, &args, None).ok()?;
    Some(MissedEvent::new(
        id.to_owned(),
        protocol::with_offset(&encoded, id),
    ))
}
