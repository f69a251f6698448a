//! Which other nodes serve each namespace, as their messages tell (the Node.js
//! `ClusterAdapterWithHeartbeat`'s bookkeeping), and this node's heartbeats.

use std::collections::{HashMap, HashSet};
use std::sync::Weak;
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::watch;
use tokio::time::Instant;

use super::Shared;
use crate::adapter::cluster_message;

/// What names node `uid` on namespace `nsp` among the requests waiting for
/// answers: a tether node serves every namespace under one uid, and may leave one
/// while it stays in the others.
pub(crate) fn key(nsp: &str, uid: &str) -> String {
    format!("{nsp}\0{uid}")
}

/// The uid emitters send under; they are no nodes.
const EMITTER_UID: &str = "emitter";

/// Most other nodes remembered per namespace.
const MAX_NODES: usize = 4096;

#[derive(Default)]
struct Namespace {
    /// Other nodes, by uid, with when each was last heard from.
    seen: HashMap<String, Instant>,
    /// When this node last sent a message for the namespace.
    last_sent: Option<Instant>,
}

/// The other nodes of each namespace.
#[derive(Default)]
pub(crate) struct Nodes {
    namespaces: Mutex<HashMap<String, Namespace>>,
}

impl Nodes {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Namespace>> {
        self.namespaces.lock()
    }

    /// Node `uid` was heard from on namespace `nsp`.
    pub(crate) fn seen(&self, nsp: &str, uid: &str) {
        if uid == EMITTER_UID {
            return;
        }
        let mut namespaces = self.lock();
        let Some(namespace) = namespaces.get_mut(nsp) else {
            return;
        };
        let now = Instant::now();
        let room = namespace.seen.len() < MAX_NODES;
        match namespace.seen.get_mut(uid) {
            Some(seen) => *seen = now,
            None if room => {
                namespace.seen.insert(uid.to_owned(), now);
            }
            None => {}
        }
    }

    /// Node `uid` left namespace `nsp`.
    pub(crate) fn remove(&self, nsp: &str, uid: &str) {
        if let Some(namespace) = self.lock().get_mut(nsp) {
            namespace.seen.remove(uid);
        }
    }

    /// The other nodes of namespace `nsp` now.
    pub(crate) fn known(&self, nsp: &str) -> HashSet<String> {
        self.lock()
            .get(nsp)
            .map(|namespace| namespace.seen.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// This node serves namespace `nsp` from now on.
    pub(crate) fn attach(&self, nsp: &str) {
        self.lock().entry(nsp.to_owned()).or_default();
    }

    /// This node no longer serves namespace `nsp`.
    pub(crate) fn detach(&self, nsp: &str) {
        self.lock().remove(nsp);
    }

    /// This node sent a message for namespace `nsp`.
    pub(crate) fn published(&self, nsp: &str) {
        if let Some(namespace) = self.lock().get_mut(nsp) {
            namespace.last_sent = Some(Instant::now());
        }
    }

    /// The namespaces for which this node sent nothing for `interval`.
    fn quiet(&self, interval: Duration) -> Vec<String> {
        let now = Instant::now();
        self.lock()
            .iter()
            .filter(|(_, namespace)| {
                namespace
                    .last_sent
                    .is_none_or(|sent| now.duration_since(sent) >= interval)
            })
            .map(|(nsp, _)| nsp.clone())
            .collect()
    }

    /// Forgets the nodes silent for longer than `timeout`; returns their keys
    /// ([`key`]).
    fn expire(&self, timeout: Duration) -> Vec<String> {
        let now = Instant::now();
        let mut gone = Vec::new();
        for (nsp, namespace) in self.lock().iter_mut() {
            namespace.seen.retain(|uid, seen| {
                let alive = now.duration_since(*seen) <= timeout;
                if !alive {
                    gone.push(key(nsp, uid));
                }
                alive
            });
        }
        gone
    }
}

/// Sends this node's heartbeats and forgets silent nodes, until the adapter is
/// gone.
pub(crate) async fn heartbeats(shared: Weak<Shared>, mut stop: watch::Receiver<()>) {
    let Some((interval, timeout)) = shared.upgrade().map(|shared| {
        (
            shared.config.heartbeat_interval,
            shared.config.heartbeat_timeout,
        )
    }) else {
        return;
    };
    let period = (interval / 4)
        .min(Duration::from_secs(1))
        .max(Duration::from_millis(5));
    let mut ticks = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = ticks.tick() => {}
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if *shared.listening.borrow() {
            for nsp in shared.nodes.quiet(interval) {
                shared.send(&nsp, cluster_message::HEARTBEAT, None);
            }
        }
        for node in shared.nodes.expire(timeout) {
            tracing::debug!(node, "a node fell silent");
            shared.pending.node_gone(&node);
        }
    }
}
