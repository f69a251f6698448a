//! Cluster requests over Redis, as `@socket.io/redis-adapter` makes them: asking
//! the other nodes of a namespace (counted with `PUBSUB NUMSUB` on its request
//! channel, or `SHARDNUMSUB` on its channel when sharded, so Node.js and tether
//! nodes count each other), and answering theirs. The bookkeeping (counting,
//! waiting, timing out) is shared by both variants; only the messages differ
//! (see `requests` and `shard_requests`).
//!
//! Every node subscribes (exactly, not by pattern: `NUMSUB` counts only exact
//! subscribers) to `<key>-request#<nsp>#`, `<key>-response#<nsp>#` and
//! `<key>-response#<nsp>#<uid>#` for each of its namespaces.

use std::sync::Arc;

use bytes::Bytes;

use super::requests::{self, Incoming};
use super::{Shared, shard_requests};
use crate::adapter::pending::Expected;
use crate::adapter::{ClusterError, ClusterRequest, ClusterResponse, LocalNamespace};
use crate::room::Room;

/// The channels one namespace's requests and answers travel on.
pub(crate) fn channels(key: &str, nsp: &str, uid: &str) -> [String; 3] {
    [
        format!("{key}-request#{nsp}#"),
        format!("{key}-response#{nsp}#"),
        format!("{key}-response#{nsp}#{uid}#"),
    ]
}

/// What a message on an exactly subscribed channel is.
pub(crate) enum ChannelKind<'a> {
    /// A request for namespace `nsp`.
    Request(&'a str),
    /// An answer to some node's request.
    Response,
}

/// Classifies `channel` (`<key>-request#<nsp>#` or `<key>-response#...`).
pub(crate) fn kind_of<'a>(key: &str, channel: &'a [u8]) -> Option<ChannelKind<'a>> {
    let rest = channel.strip_prefix(key.as_bytes())?;
    if rest.starts_with(b"-response#") {
        return Some(ChannelKind::Response);
    }
    let nsp = rest.strip_prefix(b"-request#")?.strip_suffix(b"#")?;
    std::str::from_utf8(nsp).ok().map(ChannelKind::Request)
}

/// Carries out another node's request on this node and publishes the answer when
/// one is wanted. The work is done before it returns (requests take effect in the
/// order they arrive); an answer that takes time (a server-side event's handler) is
/// published from a task of its own, once it comes, if it comes within the
/// requests timeout.
pub(crate) fn on_request(shared: &Arc<Shared>, nsp: &str, payload: &[u8]) {
    if payload.first() != Some(&b'{') {
        super::acks::on_broadcast_request(shared, nsp, payload);
        return;
    }
    let Some(incoming) = requests::parse_request(payload, &shared.uid) else {
        return;
    };
    let Some(ns) = shared.namespace(nsp) else {
        return;
    };
    let (request_id, request, ids_only) = match incoming {
        Incoming::Cluster {
            request_id,
            request,
            ids_only,
        } => (request_id, request, ids_only),
        Incoming::ServerSideEmit { data } => {
            if !ns.deliver_server_event(data) {
                tracing::debug!(
                    nsp,
                    "ignored a server-side event that is no [event, ...args]"
                );
            }
            return;
        }
    };
    let [_, response_channel, _] = channels(&shared.config.key, nsp, &shared.uid);
    let response_channel = Bytes::from(response_channel);
    let publish = move |shared: &Shared, response: ClusterResponse| {
        let Some(id) = request_id else {
            return;
        };
        let json = requests::answer_json(&id, &response, ids_only);
        shared.send(response_channel, json.into_bytes());
    };
    if let ClusterRequest::FetchSockets(selector) = &request {
        // Written straight to JSON, each handshake without a value of its own.
        publish(
            shared,
            ClusterResponse::SocketsJson(ns.fetch_json(selector)),
        );
        return;
    }
    answer(shared, &ns, &request, publish);
}

/// Carries out another node's `request` on `ns` now, and hands this node's
/// answer to `publish`: at once, or from a task of its own when it takes time (a
/// server-side event's handler), if it comes within the requests timeout.
pub(crate) fn answer(
    shared: &Arc<Shared>,
    ns: &LocalNamespace,
    request: &ClusterRequest,
    publish: impl FnOnce(&Shared, ClusterResponse) + Send + 'static,
) {
    let answer = ns.answer(request);
    let publishing = shared.clone();
    crate::adapter::pending::publish_answer(
        answer,
        shared.config.requests_timeout,
        move |response| publish(&publishing, response),
    );
}

/// Asks the other nodes serving namespace `nsp`, failing at once while Redis is
/// unreachable: a command is only published; a query waits for as many answers
/// as `PUBSUB NUMSUB` (`SHARDNUMSUB` when sharded) counts other nodes, within
/// [`RedisConfig::with_requests_timeout`](super::RedisConfig::with_requests_timeout).
pub(crate) async fn ask(
    shared: Arc<Shared>,
    nsp: String,
    request: ClusterRequest,
) -> Result<Vec<ClusterResponse>, ClusterError> {
    let sharded = shared.config.sharded;
    let channel = Bytes::from(request_channel(&shared, &nsp));
    let encode = |id: Option<&str>| {
        if sharded {
            shard_requests::encode_request(&shared.uid, &nsp, id, &request)
        } else {
            requests::request_json(&shared.uid, id, &request).into_bytes()
        }
    };
    let queue_full = || ClusterError::Unavailable("the Redis publish queue is full".to_owned());
    if shared.is_unreachable() {
        return Err(ClusterError::Unavailable("Redis is unreachable".to_owned()));
    }
    if !request.expects_answers() {
        return if shared.send(channel, encode(None)) {
            Ok(Vec::new())
        } else {
            Err(queue_full())
        };
    }
    let expected = other_nodes(&shared, &channel).await?;
    if expected == 0 {
        return Ok(Vec::new());
    }
    let id = super::random_id(12);
    let send = || shared.send(channel, encode(Some(&id)));
    let timeout = shared.config.requests_timeout;
    let pending = &shared.pending;
    let answers = pending.ask(&id, Expected::Count(expected), timeout, send, queue_full);
    let answers = answers.await?;
    if sharded && request == ClusterRequest::AllRooms {
        // Asked as a fetch of every socket: each node's rooms are its sockets'.
        return Ok(answers.into_iter().map(rooms_of_sockets).collect());
    }
    Ok(answers)
}

/// Where namespace `nsp`'s requests go, and whose subscribers count its nodes:
/// `<key>-request#<nsp>#`, or the namespace's channel `<key>#<nsp>#` when sharded.
pub(crate) fn request_channel(shared: &Shared, nsp: &str) -> String {
    if shared.config.sharded {
        format!("{}#{nsp}#", shared.config.key)
    } else {
        format!("{}-request#{nsp}#", shared.config.key)
    }
}

/// A node's answer to a fetch of every socket, as the rooms those sockets are in.
fn rooms_of_sockets(answer: ClusterResponse) -> ClusterResponse {
    let ClusterResponse::Sockets(sockets) = answer else {
        return ClusterResponse::Rooms(Vec::new());
    };
    let rooms: std::collections::BTreeSet<&str> = sockets
        .iter()
        .flat_map(|socket| socket.rooms.iter().map(String::as_str))
        .collect();
    ClusterResponse::Rooms(rooms.into_iter().map(Room::new).collect())
}

/// How many other nodes serve the namespace of `request_channel`: its subscribers
/// but this node (unless its subscription is not in place).
pub(crate) async fn other_nodes(
    shared: &Shared,
    request_channel: &[u8],
) -> Result<usize, ClusterError> {
    let nodes = server_count(shared, request_channel).await?;
    let subscribed = *shared.subscribed.borrow();
    Ok(nodes.saturating_sub(usize::from(subscribed)))
}

/// How many connections subscribe to `channel` (`PUBSUB NUMSUB`, or
/// `SHARDNUMSUB` when sharded, summed over a cluster's nodes), on the
/// publisher's connection; fails at once while Redis is unreachable.
async fn server_count(shared: &Shared, channel: &[u8]) -> Result<usize, ClusterError> {
    let connection = shared.commands.lock().clone();
    let Some(super::tasks::LentConnection {
        mut connection,
        lost,
    }) = connection
    else {
        return Err(ClusterError::Unavailable("Redis is unreachable".to_owned()));
    };
    let mut command = ::redis::cmd("PUBSUB");
    let count = if shared.config.sharded {
        "SHARDNUMSUB"
    } else {
        "NUMSUB"
    };
    command.arg(count).arg(channel);
    let query = command.query_async::<::redis::Value>(&mut connection);
    match tokio::time::timeout(shared.config.requests_timeout, query).await {
        Ok(Ok(reply)) => subscriber_count(reply).ok_or_else(|| {
            ClusterError::Unavailable(format!("Redis answered PUBSUB {count} oddly"))
        }),
        Ok(Err(error)) => {
            if super::tasks::is_broken(&error) {
                lost.notify_one();
            }
            Err(ClusterError::Unavailable(format!("Redis: {error}")))
        }
        Err(_) => Err(ClusterError::Unavailable(format!(
            "Redis did not answer PUBSUB {count} in time"
        ))),
    }
}

/// The count in a `PUBSUB NUMSUB` reply for one channel: `[channel, count]` in
/// RESP2, `{channel: count}` in RESP3.
pub(crate) fn subscriber_count(reply: ::redis::Value) -> Option<usize> {
    use ::redis::Value;
    let count = match reply {
        Value::Array(items) => items.into_iter().nth(1)?,
        Value::Map(pairs) => pairs.into_iter().next()?.1,
        _ => return None,
    };
    match count {
        Value::Int(count) => usize::try_from(count).ok(),
        _ => None,
    }
}
