//! An in-process cluster: several [`Server`](tether::server::Server)s of one test
//! process sharing broadcasts and cluster requests through a [`LoopbackCluster`],
//! an [`Adapter`] that hands each to the other nodes' namespaces directly. It
//! checks the server's side of the cluster operations independently of any
//! engine's wire format.

use std::sync::{Arc, Mutex};

use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use tether::adapter::{
    Adapter, Broadcast, ClusterError, ClusterRequest, ClusterResponse, LocalNamespace,
    NamespaceLink, RemoteAck, RemoteAcks,
};
use tether::protocol::Value;
use tether::server::Room;

/// The nodes of one in-process cluster. Cheap to clone.
#[derive(Clone, Default)]
pub struct LoopbackCluster {
    namespaces: Arc<Mutex<Vec<(usize, LocalNamespace)>>>,
    nodes: Arc<Mutex<usize>>,
}

impl LoopbackCluster {
    /// A new, empty cluster.
    pub fn new() -> LoopbackCluster {
        LoopbackCluster::default()
    }

    /// The adapter of one more node.
    pub fn node(&self) -> LoopbackAdapter {
        let mut nodes = self.nodes.lock().unwrap();
        *nodes += 1;
        LoopbackAdapter {
            cluster: self.clone(),
            node: *nodes,
        }
    }

    /// The live namespaces named `name` of every node but `node`.
    fn others(&self, node: usize, name: &str) -> Vec<LocalNamespace> {
        self.namespaces
            .lock()
            .unwrap()
            .iter()
            .filter(|(owner, ns)| *owner != node && ns.name() == name && ns.is_alive())
            .map(|(_, ns)| ns.clone())
            .collect()
    }
}

/// One node's side of a [`LoopbackCluster`].
pub struct LoopbackAdapter {
    cluster: LoopbackCluster,
    node: usize,
}

impl Adapter for LoopbackAdapter {
    fn attach(&self, ns: LocalNamespace) -> Box<dyn NamespaceLink> {
        let name = ns.name().to_owned();
        self.cluster
            .namespaces
            .lock()
            .unwrap()
            .push((self.node, ns));
        Box::new(LoopbackLink {
            cluster: self.cluster.clone(),
            node: self.node,
            name,
        })
    }
}

struct LoopbackLink {
    cluster: LoopbackCluster,
    node: usize,
    name: String,
}

impl NamespaceLink for LoopbackLink {
    fn publish(&self, broadcast: &Broadcast<'_>) {
        let mut except = broadcast.except.to_vec();
        except.extend(broadcast.except_socket.map(|sid| Room::new(sid.as_str())));
        for ns in self.cluster.others(self.node, &self.name) {
            ns.deliver(
                broadcast.encoded,
                broadcast.rooms,
                &except,
                broadcast.volatile,
            );
        }
    }

    fn publish_with_ack(&self, broadcast: &Broadcast<'_>, timeout: Duration) -> Option<RemoteAcks> {
        let Ok(Value::Array(args)) = tether::protocol::to_value(broadcast.args) else {
            return None;
        };
        let mut except = broadcast.except.to_vec();
        except.extend(broadcast.except_socket.map(|sid| Room::new(sid.as_str())));
        let others = self.cluster.others(self.node, &self.name);
        let (reports, answers) = tokio::sync::mpsc::channel(1024);
        for ns in &others {
            let Some(mut acks) =
                ns.deliver_with_ack(broadcast.event, &args, (broadcast.rooms, &except), timeout)
            else {
                continue;
            };
            let reports = reports.clone();
            tokio::spawn(async move {
                let _ = reports.send(RemoteAck::ClientCount(acks.sent())).await;
                while let Some(value) = acks.next().await {
                    let _ = reports.send(RemoteAck::Ack(value)).await;
                }
            });
        }
        let nodes = others.len();
        Some(RemoteAcks {
            nodes: Box::pin(std::future::ready(nodes)),
            reports: answers,
        })
    }

    fn request(
        &self,
        request: ClusterRequest,
    ) -> BoxFuture<'static, Result<Vec<ClusterResponse>, ClusterError>> {
        let answers: Vec<_> = self
            .cluster
            .others(self.node, &self.name)
            .iter()
            .map(|ns| ns.answer(&request))
            .collect();
        Box::pin(async move {
            let answers = futures_util::future::join_all(answers).await;
            Ok(answers.into_iter().flatten().collect())
        })
    }
}
