//! Cluster requests over Redis, as `@socket.io/redis-adapter` makes them: asking
//! the other nodes of a namespace (counted with `PUBSUB NUMSUB` on its request
//! channel, so Node.js and tether nodes count each other), and answering theirs.
//!
//! Every node subscribes (exactly, not by pattern: `NUMSUB` counts only exact
//! subscribers) to `<key>-request#<nsp>#`, `<key>-response#<nsp>#` and
//! `<key>-response#<nsp>#<uid>#` for each of its namespaces.

use std::sync::Arc;

use bytes::Bytes;

use super::Shared;
use super::requests::{self, Incoming};
use crate::adapter::{ClusterError, ClusterRequest, ClusterResponse};

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
    let answer = ns.answer(&request);
    let Some(id) = request_id else {
        return;
    };
    let [_, response_channel, _] = channels(&shared.config.key, nsp, &shared.uid);
    let response_channel = Bytes::from(response_channel);
    let publishing = shared.clone();
    let publish = move |response: ClusterResponse| {
        let json = requests::answer_json(&id, &response, ids_only);
        publishing.send(response_channel, json.into_bytes());
    };
    crate::adapter::pending::publish_answer(answer, shared.config.requests_timeout, publish);
}

/// Asks the other nodes serving `request_channel`'s namespace: a command is only
/// published; a query waits for as many answers as `PUBSUB NUMSUB` counts other
/// nodes, within [`RedisConfig::requests_timeout`](super::RedisConfig::requests_timeout).
pub(crate) async fn ask(
    shared: Arc<Shared>,
    request_channel: Bytes,
    request: ClusterRequest,
) -> Result<Vec<ClusterResponse>, ClusterError> {
    if !request.expects_answers() {
        let json = requests::request_json(&shared.uid, None, &request);
        return if shared.send(request_channel, json.into_bytes()) {
            Ok(Vec::new())
        } else {
            Err(ClusterError::Unavailable(
                "the Redis publish queue is full".to_owned(),
            ))
        };
    }
    let expected = other_nodes(&shared, &request_channel).await?;
    if expected == 0 {
        return Ok(Vec::new());
    }
    let id = super::random_id(12);
    let Some(answers) = shared
        .pending
        .register(&id, crate::adapter::pending::Expected::Count(expected))
    else {
        return Err(ClusterError::Unavailable(
            "too many cluster requests are waiting for answers".to_owned(),
        ));
    };
    let json = requests::request_json(&shared.uid, Some(&id), &request);
    if !shared.send(request_channel, json.into_bytes()) {
        shared.pending.forget(&id);
        return Err(ClusterError::Unavailable(
            "the Redis publish queue is full".to_owned(),
        ));
    }
    let timeout = shared.config.requests_timeout;
    match tokio::time::timeout(timeout, answers).await {
        Ok(Ok(answers)) => Ok(answers),
        _ => Err(ClusterError::Timeout {
            answered: shared.pending.forget(&id),
            expected,
            timeout,
        }),
    }
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

/// How many connections subscribe to `channel` (`PUBSUB NUMSUB`), on the
/// publisher's connection; fails at once while Redis is unreachable.
async fn server_count(shared: &Shared, channel: &[u8]) -> Result<usize, ClusterError> {
    let connection = shared
        .commands
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let Some(super::tasks::LentConnection {
        mut connection,
        lost,
    }) = connection
    else {
        return Err(ClusterError::Unavailable("Redis is unreachable".to_owned()));
    };
    let mut command = ::redis::cmd("PUBSUB");
    command.arg("NUMSUB").arg(channel);
    let query = command.query_async::<::redis::Value>(&mut connection);
    match tokio::time::timeout(shared.config.requests_timeout, query).await {
        Ok(Ok(reply)) => subscriber_count(reply).ok_or_else(|| {
            ClusterError::Unavailable("Redis answered PUBSUB NUMSUB oddly".to_owned())
        }),
        Ok(Err(error)) => {
            if super::tasks::is_broken(&error) {
                lost.notify_one();
            }
            Err(ClusterError::Unavailable(format!("Redis: {error}")))
        }
        Err(_) => Err(ClusterError::Unavailable(
            "Redis did not answer PUBSUB NUMSUB in time".to_owned(),
        )),
    }
}

/// The count in a `PUBSUB NUMSUB` reply for one channel: `[channel, count]` in
/// RESP2, `{channel: count}` in RESP3.
fn subscriber_count(reply: ::redis::Value) -> Option<usize> {
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
