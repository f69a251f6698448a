//! The adapter's side of each namespace: [`PostgresLink`] sends its broadcasts,
//! server-side events and cluster requests, and waits for the answers.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::{PostgresAdapter, Shared};
use crate::adapter::cluster_message;
use crate::adapter::pending::Expected;
use crate::adapter::{
    Adapter, Broadcast, ClusterError, ClusterRequest, ClusterResponse, LocalNamespace,
    NamespaceLink, RemoteAcks,
};
use crate::room::Room;

impl Adapter for PostgresAdapter {
    fn attach(&self, ns: LocalNamespace) -> Box<dyn NamespaceLink> {
        let name = self.shared.namespaces.insert(ns);
        self.shared.nodes.attach(&name);
        // Until the session listens to the new namespace's channel too.
        self.shared.listening.send_replace(false);
        self.shared.attached.notify_one();
        Box::new(PostgresLink {
            shared: self.shared.clone(),
            name,
        })
    }
}

/// A namespace's link.
struct PostgresLink {
    shared: Arc<Shared>,
    name: String,
}

impl NamespaceLink for PostgresLink {
    fn publish(&self, broadcast: &Broadcast<'_>) {
        match cluster_message::broadcast_data(broadcast, &self.name, None) {
            Ok(data) => {
                self.shared
                    .send(&self.name, cluster_message::BROADCAST, Some(data));
            }
            Err(error) => {
                tracing::warn!(%error, nsp = %self.name, "broadcast not sent to Postgres");
            }
        }
    }

    fn server_side_emit(&self, packet: &str) {
        let data = cluster_message::server_side_emit_data(packet, None);
        self.shared
            .send(&self.name, cluster_message::SERVER_SIDE_EMIT, Some(data));
    }

    fn publish_with_ack(&self, broadcast: &Broadcast<'_>, timeout: Duration) -> Option<RemoteAcks> {
        let shared = &self.shared;
        let id = super::node_uid();
        let data = match cluster_message::broadcast_data(
            broadcast,
            &self.name,
            Some((&id, timeout)),
        ) {
            Ok(data) => data,
            Err(error) => {
                tracing::warn!(%error, nsp = %self.name, "broadcast with acknowledgements not sent");
                return None;
            }
        };
        let Some(reports) = shared.ack_requests.register(&id) else {
            tracing::warn!(nsp = %self.name, "too many broadcasts wait for other nodes' acknowledgements");
            return None;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            shared.ack_requests.forget(&id);
            return None;
        };
        let nodes = shared.nodes.known(&self.name).len();
        if !shared.send(&self.name, cluster_message::BROADCAST, Some(data)) {
            shared.ack_requests.forget(&id);
            return None;
        }
        let expiring = Arc::downgrade(shared);
        runtime.spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(shared) = expiring.upgrade() {
                shared.ack_requests.forget(&id);
            }
        });
        Some(RemoteAcks {
            nodes: Box::pin(std::future::ready(nodes)),
            reports,
        })
    }

    fn request(
        &self,
        request: ClusterRequest,
    ) -> BoxFuture<'static, Result<Vec<ClusterResponse>, ClusterError>> {
        Box::pin(ask(self.shared.clone(), self.name.clone(), request))
    }
}

/// Sends `request` to the other nodes of namespace `nsp`: a command is only
/// sent; a query waits for an answer from every node known now, within
/// [`PostgresConfig::with_requests_timeout`](super::PostgresConfig::with_requests_timeout).
async fn ask(
    shared: Arc<Shared>,
    nsp: String,
    request: ClusterRequest,
) -> Result<Vec<ClusterResponse>, ClusterError> {
    let queue_full = || ClusterError::Unavailable("the Postgres send queue is full".to_owned());
    if !request.expects_answers() {
        let (kind, data) = cluster_message::request_data(&request, None);
        return if shared.send(&nsp, kind, Some(data)) {
            Ok(Vec::new())
        } else {
            Err(queue_full())
        };
    }
    if !*shared.listening.borrow() {
        return Err(ClusterError::Unavailable(
            "Postgres is unreachable".to_owned(),
        ));
    }
    let nodes: std::collections::HashSet<String> = shared
        .nodes
        .known(&nsp)
        .iter()
        .map(|uid| super::nodes::key(&nsp, uid))
        .collect();
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    let id = super::node_uid();
    let (kind, data) = cluster_message::request_data(&request, Some(&id));
    let send = || shared.send(&nsp, kind, Some(data));
    let timeout = shared.config.requests_timeout;
    let expected = Expected::Nodes(nodes);
    let pending = &shared.pending;
    let answers = pending
        .ask(&id, expected, timeout, send, queue_full)
        .await?;
    if request != ClusterRequest::AllRooms {
        return Ok(answers);
    }
    // Each node's rooms: those of its sockets.
    Ok(answers
        .into_iter()
        .map(|answer| {
            let ClusterResponse::Sockets(sockets) = answer else {
                return ClusterResponse::Rooms(Vec::new());
            };
            let rooms: BTreeSet<String> = sockets
                .into_iter()
                .flat_map(|socket| socket.rooms)
                .collect();
            ClusterResponse::Rooms(rooms.into_iter().map(Room::from).collect())
        })
        .collect())
}

impl Drop for PostgresLink {
    fn drop(&mut self) {
        if self.shared.namespaces.forget_if_gone(&self.name) {
            self.shared
                .send(&self.name, cluster_message::ADAPTER_CLOSE, None);
            self.shared.nodes.detach(&self.name);
            self.shared.attached.notify_one();
        }
    }
}
