//! What every adapter keeps about itself: the namespaces it serves, how many
//! messages it lost to full queues, and what its background tasks start from.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::RwLock;
use tokio::sync::{Notify, watch};

use super::LocalNamespace;

/// The namespaces an adapter serves, by name.
#[derive(Default)]
pub(crate) struct Namespaces(RwLock<HashMap<String, LocalNamespace>>);

impl Namespaces {
    fn read(&self) -> parking_lot::RwLockReadGuard<'_, HashMap<String, LocalNamespace>> {
        self.0.read()
    }

    fn write(&self) -> parking_lot::RwLockWriteGuard<'_, HashMap<String, LocalNamespace>> {
        self.0.write()
    }

    /// Namespace `name`, if this node serves it.
    pub(crate) fn get(&self, name: &str) -> Option<LocalNamespace> {
        self.read().get(name).cloned()
    }

    /// Serves `ns` from now on; returns its name.
    pub(crate) fn insert(&self, ns: LocalNamespace) -> String {
        let name = ns.name().to_owned();
        self.write().insert(name.clone(), ns);
        name
    }

    /// The names of the namespaces served.
    pub(crate) fn names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// The namespaces served, with their names.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn all(&self) -> Vec<(String, LocalNamespace)> {
        self.read()
            .iter()
            .map(|(name, ns)| (name.clone(), ns.clone()))
            .collect()
    }

    /// Forgets namespace `name` when it is gone (one created again under the same
    /// name keeps its entry); returns whether it did.
    pub(crate) fn forget_if_gone(&self, name: &str) -> bool {
        let mut namespaces = self.write();
        if namespaces.get(name).is_some_and(|ns| !ns.is_alive()) {
            namespaces.remove(name);
            return true;
        }
        false
    }
}

/// How many messages an adapter lost to full queues.
#[derive(Default)]
pub(crate) struct DropCounter(AtomicU64);

impl DropCounter {
    /// Counts one message lost, logging `what` now and then.
    pub(crate) fn count(&self, what: &'static str) {
        crate::telemetry::with(|metrics| metrics.adapter_drops.increment(1));
        let dropped = self.0.fetch_add(1, Ordering::Relaxed);
        if dropped == 0 || (dropped + 1).is_power_of_two() {
            tracing::warn!(dropped = dropped + 1, "{what}");
        }
    }

    /// How many were lost so far.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Changes (or closes) when the adapter stops: its background tasks end then.
pub(crate) type Stop = watch::Receiver<()>;

/// `future`'s output, or `None` when the adapter stops first.
pub(crate) async fn unless_stopped<F: Future>(stop: &mut Stop, future: F) -> Option<F::Output> {
    tokio::select! {
        _ = stop.changed() => None,
        output = future => Some(output),
    }
}

/// An adapter's shared state, as seen by the background tasks it starts.
pub(crate) trait AdapterState {
    /// The adapter's configuration.
    type Config: Clone;

    /// The configuration the adapter was started with.
    fn config(&self) -> &Self::Config;

    /// Notified when a namespace is attached or forgotten.
    fn attached(&self) -> &Arc<Notify>;
}

/// Implements [`AdapterState`] for the `Shared` state of the module it is used
/// in: its `config` field (a `$config`) and its `attached` signal.
macro_rules! adapter_state {
    ($config:ty) => {
        impl crate::adapter::registry::AdapterState for Shared {
            type Config = $config;

            fn config(&self) -> &$config {
                &self.config
            }

            fn attached(&self) -> &std::sync::Arc<tokio::sync::Notify> {
                &self.attached
            }
        }
    };
}
pub(crate) use adapter_state;

/// The configuration and the attach signal a background task starts with;
/// `None` when the adapter is gone already.
pub(crate) fn task_start<S: AdapterState>(shared: &Weak<S>) -> Option<(S::Config, Arc<Notify>)> {
    let shared = shared.upgrade()?;
    Some((shared.config().clone(), shared.attached().clone()))
}
