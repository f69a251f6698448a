//! The cluster messages of other nodes, as `socket.io-adapter`'s `ClusterAdapter`
//! handles them (from the stream with their entry id, or from pub/sub), and this
//! node's own requests.

use std::sync::Arc;

use futures_util::StreamExt as _;

use super::sockets_answer::{self, SocketsAnswer};
use super::wire::{self, Message};
use super::writer::Job;
use super::{Shared, random_uid};
use crate::adapter::cluster_message::ack_timeout;
use crate::adapter::msgpack;
use crate::adapter::pending::Expected;
use crate::adapter::{ClusterError, ClusterRequest, ClusterResponse, LocalNamespace, RemoteAck};
use crate::protocol::{self, Map, RESERVED_EVENTS, Value};

/// Handles another node's message; `offset` is its stream entry id when it came
/// from the stream.
pub(crate) fn on_message(shared: &Arc<Shared>, message: Message, offset: Option<&str>) {
    if message.uid == shared.uid {
        return;
    }
    let Some(ns) = shared.namespace(&message.nsp) else {
        return;
    };
    let Message {
        kind, uid, data, ..
    } = message;
    let Some(Value::Object(mut data)) = data else {
        return;
    };
    let request_id = match data.swap_remove("requestId") {
        Some(Value::String(id)) => Some(id),
        _ => None,
    };
    match kind {
        wire::BROADCAST => match request_id {
            Some(id) => broadcast_with_ack(shared, &ns, uid, id, data),
            None => broadcast(&ns, uid, data, offset),
        },
        wire::SOCKETS_JOIN | wire::SOCKETS_LEAVE => {
            let selector = wire::selector_of(data.get("opts"));
            let rooms = msgpack::rooms(data.swap_remove("rooms"));
            let request = if kind == wire::SOCKETS_JOIN {
                ClusterRequest::Join(selector, rooms)
            } else {
                ClusterRequest::Leave(selector, rooms)
            };
            drop(ns.answer(&request));
        }
        wire::DISCONNECT_SOCKETS => {
            let selector = wire::selector_of(data.get("opts"));
            let close = data.get("close").and_then(Value::as_bool).unwrap_or(false);
            drop(ns.answer(&ClusterRequest::Disconnect { selector, close }));
        }
        wire::FETCH_SOCKETS => {
            let Some(id) = request_id else { return };
            // Written straight to MessagePack, each handshake without a value of its own.
            let sockets = ns.fetch_json(&wire::selector_of(data.get("opts")));
            shared.queue(Job::Publish {
                channel: shared.private_channel(ns.name(), &uid),
                payload: sockets_answer::encode(&shared.uid, ns.name(), &id, &sockets),
            });
        }
        wire::SERVER_SIDE_EMIT => server_side_emit(shared, &ns, uid, request_id, data),
        wire::FETCH_SOCKETS_RESPONSE => {
            let Some(id) = request_id else { return };
            if !shared.pending.is_waiting(&id) {
                return;
            }
            let sockets = data
                .swap_remove("sockets")
                .and_then(wire::fetched_sockets)
                .unwrap_or_default();
            shared
                .pending
                .answer(&id, "", ClusterResponse::Sockets(sockets));
        }
        wire::SERVER_SIDE_EMIT_RESPONSE => {
            let Some(id) = request_id else { return };
            let packet = data.swap_remove("packet").unwrap_or_default();
            let packet = serde_json::to_value(&packet).unwrap_or_default();
            shared.pending.answer(&id, "", ClusterResponse::Ack(packet));
        }
        wire::BROADCAST_CLIENT_COUNT | wire::BROADCAST_ACK => {
            let Some(id) = request_id else { return };
            let report = if kind == wire::BROADCAST_ACK {
                RemoteAck::Ack(data.swap_remove("packet").unwrap_or_default())
            } else {
                let count = data.get("clientCount").and_then(Value::as_u64).unwrap_or(0);
                RemoteAck::ClientCount(usize::try_from(count).unwrap_or(usize::MAX))
            };
            if shared.acks.report(&id, report) == crate::adapter::pending::Filed::Dropped {
                shared.count_dropped("an acknowledgement from another node is lost: too many wait");
            }
        }
        _ => tracing::debug!(kind, "ignored a cluster message of an unknown type"),
    }
}

/// Files another node's answer to a fetch with the request waiting for it.
pub(crate) fn on_sockets_answer(shared: &Shared, answer: SocketsAnswer) {
    if answer.uid == shared.uid
        || shared.namespace(&answer.nsp).is_none()
        || !shared.pending.is_waiting(&answer.request_id)
    {
        return;
    }
    shared.pending.answer(
        &answer.request_id,
        "",
        ClusterResponse::Sockets(answer.sockets),
    );
}

/// `{requestId, <key>: value}`.
fn answer(id: &str, key: &str, value: Value) -> Value {
    let mut data = Map::new();
    data.insert("requestId".to_owned(), Value::from(id));
    data.insert(key.to_owned(), value);
    Value::Object(data)
}

/// Publishes an answer on the requester's private channel.
fn respond(shared: &Shared, ns: &LocalNamespace, requester: &str, kind: u64, data: Value) {
    let message = Message {
        kind,
        uid: shared.uid.clone(),
        nsp: ns.name().to_owned(),
        data: Some(data),
    };
    let job = Job::Publish {
        channel: shared.private_channel(ns.name(), requester),
        payload: wire::encode_envelope(message),
    };
    shared.queue(job);
}

/// A broadcast's `packet` and `opts` (empty when absent).
fn packet_and_opts(mut data: Map) -> Option<(Map, Map)> {
    let Some(Value::Object(packet)) = data.swap_remove("packet") else {
        return None;
    };
    let opts = match data.swap_remove("opts") {
        Some(Value::Object(opts)) => opts,
        _ => Map::new(),
    };
    Some((packet, opts))
}

/// A broadcast from another node: to the local sockets it selects, carrying its
/// entry id when it is recoverable (no ack id, not volatile).
fn broadcast(ns: &LocalNamespace, uid: String, data: Map, offset: Option<&str>) {
    let Some((packet, opts)) = packet_and_opts(data) else {
        return;
    };
    let with_id = packet.get("id").is_some_and(|id| !id.is_null());
    let flagged_volatile = opts
        .get("flags")
        .and_then(|flags| flags.get("volatile"))
        .is_some_and(|volatile| !volatile.is_null());
    let Ok(incoming) = msgpack::broadcast_from(uid, packet, opts) else {
        return;
    };
    if RESERVED_EVENTS.contains(&incoming.event.as_str()) {
        return;
    }
    let Ok(encoded) = protocol::encode_event(ns.name(), &incoming.event, &incoming.args, None)
    else {
        return;
    };
    if with_id || flagged_volatile {
        ns.deliver(
            &encoded,
            &incoming.rooms,
            &incoming.except,
            incoming.volatile,
        );
    } else {
        ns.deliver_recoverable(&encoded, (&incoming.rooms, &incoming.except, None), offset);
    }
}

/// A broadcast waiting for acknowledgements: the client count, then each
/// acknowledgement, to the requester.
fn broadcast_with_ack(
    shared: &Arc<Shared>,
    ns: &LocalNamespace,
    uid: String,
    id: String,
    data: Map,
) {
    let Some((packet, opts)) = packet_and_opts(data) else {
        return;
    };
    let timeout = ack_timeout(&opts).unwrap_or(shared.config.redis.requests_timeout);
    let Ok(incoming) = msgpack::broadcast_from(uid.clone(), packet, opts) else {
        return;
    };
    let Some(mut acks) = ns.deliver_with_ack(
        &incoming.event,
        &incoming.args,
        (&incoming.rooms, &incoming.except),
        timeout,
    ) else {
        return;
    };
    let count = Value::from(acks.sent() as u64);
    respond(
        shared,
        ns,
        &uid,
        wire::BROADCAST_CLIENT_COUNT,
        answer(&id, "clientCount", count),
    );
    if acks.sent() == 0 {
        return;
    }
    let (shared, ns) = (shared.clone(), ns.clone());
    tokio::spawn(async move {
        while let Some(value) = acks.next().await {
            respond(
                &shared,
                &ns,
                &uid,
                wire::BROADCAST_ACK,
                answer(&id, "packet", value),
            );
        }
    });
}

/// A server-side event: its handlers run; with a `requestId`, the answering
/// handler's value goes back.
fn server_side_emit(
    shared: &Arc<Shared>,
    ns: &LocalNamespace,
    uid: String,
    id: Option<String>,
    mut data: Map,
) {
    let Some(packet) = data
        .swap_remove("packet")
        .and_then(|packet| serde_json::to_string(&packet).ok())
    else {
        return;
    };
    let Some(id) = id else {
        ns.deliver_server_event(&packet);
        return;
    };
    let answering = ns.answer(&ClusterRequest::ServerSideEmit { packet });
    let (shared, ns) = (shared.clone(), ns.clone());
    tokio::spawn(async move {
        let timeout = shared.config.redis.requests_timeout;
        if let Ok(Some(ClusterResponse::Ack(value))) =
            tokio::time::timeout(timeout, answering).await
        {
            let value = protocol::to_value(&value).unwrap_or_default();
            respond(
                &shared,
                &ns,
                &uid,
                wire::SERVER_SIDE_EMIT_RESPONSE,
                answer(&id, "packet", value),
            );
        }
    });
}

/// Carries this node's cluster request: commands go on the stream, queries on
/// pub/sub, awaiting as many answers as `PUBSUB NUMSUB` counts other nodes.
pub(crate) async fn ask(
    shared: Arc<Shared>,
    nsp: String,
    request: ClusterRequest,
) -> Result<Vec<ClusterResponse>, ClusterError> {
    let unavailable = || ClusterError::Unavailable("the Redis streams queue is full".to_owned());
    let names = |rooms: &[crate::room::Room]| {
        Value::Array(
            rooms
                .iter()
                .map(|room| Value::from(room.as_str()))
                .collect(),
        )
    };
    let command = |kind: u64, data: Map| {
        let message = Message {
            kind,
            uid: shared.uid.clone(),
            nsp: nsp.clone(),
            data: Some(Value::Object(data)),
        };
        let job = Job::Add {
            stream: shared.config.stream_of(&nsp),
            fields: wire::entry_fields(&message, shared.config.only_plaintext),
            local: None,
        };
        if shared.queue(job) {
            Ok(Vec::new())
        } else {
            Err(unavailable())
        }
    };
    let (kind, mut data) = match &request {
        ClusterRequest::Join(selector, rooms) | ClusterRequest::Leave(selector, rooms) => {
            let mut data = Map::new();
            data.insert("opts".to_owned(), wire::selector_opts(selector));
            data.insert("rooms".to_owned(), names(rooms));
            let kind = if matches!(request, ClusterRequest::Join(..)) {
                wire::SOCKETS_JOIN
            } else {
                wire::SOCKETS_LEAVE
            };
            return command(kind, data);
        }
        ClusterRequest::Disconnect { selector, close } => {
            let mut data = Map::new();
            data.insert("opts".to_owned(), wire::selector_opts(selector));
            data.insert("close".to_owned(), Value::Bool(*close));
            return command(wire::DISCONNECT_SOCKETS, data);
        }
        ClusterRequest::FetchSockets(selector) => {
            let mut data = Map::new();
            data.insert("opts".to_owned(), wire::selector_opts(selector));
            (wire::FETCH_SOCKETS, data)
        }
        ClusterRequest::ServerSideEmit { packet } => {
            let packet: Value = serde_json::from_str(packet)
                .map_err(|error| ClusterError::Unavailable(error.to_string()))?;
            let mut data = Map::new();
            data.insert("packet".to_owned(), packet);
            (wire::SERVER_SIDE_EMIT, data)
        }
        // Node's adapter answers it from the local node only.
        _ => return Ok(Vec::new()),
    };
    let expected = other_nodes(&shared, &nsp).await?;
    if expected == 0 {
        return Ok(Vec::new());
    }
    let id = random_uid();
    if kind == wire::SERVER_SIDE_EMIT {
        // `{requestId, packet}`, in Node's order.
        let packet = data.swap_remove("packet").unwrap_or_default();
        data.insert("requestId".to_owned(), Value::from(id.as_str()));
        data.insert("packet".to_owned(), packet);
    } else {
        data.insert("requestId".to_owned(), Value::from(id.as_str()));
    }
    let send = || publish(&shared, &nsp, kind, Value::Object(data));
    let timeout = shared.config.redis.requests_timeout;
    let expected = Expected::Count(expected);
    let pending = &shared.pending;
    pending.ask(&id, expected, timeout, send, unavailable).await
}

/// Publishes a message of this node on the namespace's public channel.
/// `false` (counted) when the writer's queue is full.
pub(crate) fn publish(shared: &Shared, nsp: &str, kind: u64, data: Value) -> bool {
    let message = Message {
        kind,
        uid: shared.uid.clone(),
        nsp: nsp.to_owned(),
        data: Some(data),
    };
    shared.queue(Job::Publish {
        channel: shared.public_channel(nsp),
        payload: wire::encode_envelope(message),
    })
}

/// How many other nodes serve `nsp`: the subscribers of its public channel but
/// this node (when subscribed).
pub(crate) async fn other_nodes(shared: &Shared, nsp: &str) -> Result<usize, ClusterError> {
    let Some(mut connection) = shared.connection() else {
        return Err(ClusterError::Unavailable("Redis is unreachable".to_owned()));
    };
    let mut command = ::redis::cmd("PUBSUB");
    command.arg("NUMSUB").arg(shared.public_channel(nsp));
    let query = command.query_async::<::redis::Value>(&mut connection);
    let reply = tokio::time::timeout(shared.config.redis.requests_timeout, query)
        .await
        .map_err(|_| ClusterError::Unavailable("Redis did not answer PUBSUB NUMSUB".to_owned()))?
        .map_err(|error| ClusterError::Unavailable(format!("Redis: {error}")))?;
    let Some(count) = crate::adapter::redis::cluster::subscriber_count(reply) else {
        return Err(ClusterError::Unavailable(
            "Redis answered PUBSUB NUMSUB oddly".to_owned(),
        ));
    };
    let subscribed = *shared.subscribed.borrow();
    Ok(count.saturating_sub(usize::from(subscribed)))
}
