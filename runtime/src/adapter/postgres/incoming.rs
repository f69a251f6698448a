//! What the adapter does with another node's message: deliver a broadcast, carry
//! out a request and answer it, file an answer with the request waiting for it,
//! keep track of the nodes.

use std::sync::Arc;

use super::{Shared, nodes};
use crate::adapter::cluster_message::{self, Body, Message};
use crate::adapter::pending::{self, Filed};
use crate::adapter::{ClusterRequest, RemoteAck};

/// The header a notification carries in place of a message stored in the table.
#[derive(Debug, PartialEq)]
pub(crate) struct AttachmentHeader {
    pub(crate) uid: Option<String>,
    pub(crate) id: i64,
}

/// Reads `{uid, type, attachmentId}` (the id a string, as node-pg returns
/// `bigserial`s, or a number); `None` when `json` is no such header.
pub(crate) fn attachment_header(json: &str) -> Option<AttachmentHeader> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    #[derive(serde::Deserialize)]
    struct Header {
        #[serde(default)]
        uid: Option<String>,
        #[serde(rename = "attachmentId")]
        attachment_id: Id,
    }
    if !json.contains("\"attachmentId\"") {
        return None;
    }
    let header: Header = serde_json::from_str(json).ok()?;
    let id = match header.attachment_id {
        Id::Number(id) => id,
        Id::Text(text) => text.parse().ok()?,
    };
    Some(AttachmentHeader {
        uid: header.uid,
        id,
    })
}

/// Handles a message of another node (already decoded; `nsp` taken from the
/// channel when it names none).
pub(crate) fn on_message(shared: &Arc<Shared>, message: Message) {
    let Message { uid, nsp, body } = message;
    if uid.as_deref() == Some(shared.uid.as_str()) {
        return;
    }
    let Some(ns) = shared.namespace(&nsp) else {
        return;
    };
    let uid = uid.unwrap_or_default();
    shared.nodes.seen(&nsp, &uid);
    match body {
        Body::InitialHeartbeat => {
            shared.send(&nsp, cluster_message::HEARTBEAT, None);
        }
        Body::Heartbeat => {}
        Body::Close => {
            shared.nodes.remove(&nsp, &uid);
            shared.pending.node_gone(&nodes::key(&nsp, &uid));
        }
        Body::Broadcast(broadcast) => broadcast.deliver(&ns),
        Body::BroadcastWithAck {
            request_id,
            broadcast,
            timeout,
        } => {
            let timeout = timeout.unwrap_or(shared.config.requests_timeout);
            let counted = |clients: usize| {
                let (kind, data) = cluster_message::client_count_data(&request_id, clients);
                shared.send(&nsp, kind, Some(data));
            };
            let sending = shared.clone();
            let ack_nsp = nsp.clone();
            let ack_id = request_id.clone();
            let acked = move |value| {
                let (kind, data) = cluster_message::ack_data(&ack_id, value);
                sending.send(&ack_nsp, kind, Some(data));
            };
            pending::relay_acks(&ns, &broadcast, timeout, counted, acked);
        }
        Body::ServerSideEmit { packet } => {
            if !ns.deliver_server_event(&packet) {
                tracing::debug!(
                    nsp,
                    "ignored a server-side event that is no [event, ...args]"
                );
            }
        }
        Body::Request {
            request_id,
            request,
        } => answer(shared, &nsp, &ns, request_id, &request),
        Body::Response {
            request_id,
            response,
        } => shared
            .pending
            .answer(&request_id, &nodes::key(&nsp, &uid), response),
        Body::ClientCount { request_id, count } => {
            report(shared, &request_id, RemoteAck::ClientCount(count));
        }
        Body::Ack { request_id, value } => report(shared, &request_id, RemoteAck::Ack(value)),
    }
}

/// Carries out `request` on this node's sockets, and answers it when `request_id`
/// asks for an answer.
fn answer(
    shared: &Arc<Shared>,
    nsp: &str,
    ns: &crate::adapter::LocalNamespace,
    request_id: Option<String>,
    request: &ClusterRequest,
) {
    let answer = ns.answer(request);
    let Some(id) = request_id else {
        return;
    };
    let publishing = shared.clone();
    let nsp = nsp.to_owned();
    let publish = move |response| {
        if let Some((kind, data)) = cluster_message::response_data(&id, &response) {
            publishing.send(&nsp, kind, Some(data));
        }
    };
    pending::publish_answer(answer, shared.config.requests_timeout, publish);
}

fn report(shared: &Shared, request_id: &str, report: RemoteAck) {
    if shared.ack_requests.report(request_id, report) == Filed::Dropped {
        shared.count_dropped("an acknowledgement from another node is lost: too many wait");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_headers_are_read_as_node_writes_them() {
        assert_eq!(
            attachment_header(r#"{"uid":"abc","type":3,"attachmentId":"42"}"#),
            Some(AttachmentHeader {
                uid: Some("abc".to_owned()),
                id: 42
            })
        );
        assert_eq!(
            attachment_header(r#"{"uid":"emitter","type":3,"attachmentId":7}"#).map(|h| h.id),
            Some(7)
        );
        for other in [
            r#"{"type":2,"uid":"abc","nsp":"/"}"#,
            r#"{"attachmentId":"x"}"#,
            r#"{"attachmentId":"#,
        ] {
            assert_eq!(attachment_header(other), None, "{other}");
        }
    }
}
