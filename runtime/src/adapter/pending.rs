//! What a node keeps while its cluster requests wait for the other nodes: the
//! requests waiting for answers ([`PendingRequests`]), and the broadcasts waiting
//! for acknowledgements ([`AckRequests`]), both by request id and both bounded.
//! Adapters read answers off their own wire format and file them here.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};

use crate::adapter::{ClusterError, ClusterResponse, RemoteAck};

/// Which answers complete a request.
#[derive(Debug)]
pub(crate) enum Expected {
    /// This many answers, from whichever nodes (as counted by `PUBSUB NUMSUB`).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Count(usize),
    /// One answer from each of these nodes (by uid); a node that leaves the
    /// cluster meanwhile is no longer waited for.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Nodes(HashSet<String>),
}

/// One request of this node waiting for the other nodes' answers.
struct Waiting {
    expected: Expected,
    answers: Vec<ClusterResponse>,
    done: Option<oneshot::Sender<Vec<ClusterResponse>>>,
}

impl Expected {
    /// How many answers complete the request.
    fn count(&self) -> usize {
        match self {
            Expected::Count(count) => *count,
            Expected::Nodes(nodes) => nodes.len(),
        }
    }
}

impl Waiting {
    fn complete(&self) -> bool {
        match &self.expected {
            Expected::Count(count) => self.answers.len() >= *count,
            Expected::Nodes(missing) => missing.is_empty(),
        }
    }

    fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(std::mem::take(&mut self.answers));
        }
    }
}

/// This node's requests that wait for answers, by request id. Bounded: at most
/// `limit` wait at once.
pub(crate) struct PendingRequests {
    waiting: Mutex<HashMap<String, Waiting>>,
    limit: usize,
}

impl PendingRequests {
    /// An empty table holding at most `limit` requests.
    pub(crate) fn new(limit: usize) -> PendingRequests {
        PendingRequests {
            waiting: Mutex::new(HashMap::new()),
            limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Waiting>> {
        self.waiting.lock()
    }

    /// Waits up to `timeout` for the answers to request `id` (see
    /// [`register`](Self::register)); on a timeout the request is forgotten and the
    /// error says how many of the `expected` nodes answered.
    #[cfg_attr(not(any(feature = "redis", feature = "postgres")), allow(dead_code))]
    pub(crate) async fn wait(
        &self,
        id: &str,
        answers: oneshot::Receiver<Vec<ClusterResponse>>,
        expected: usize,
        timeout: Duration,
    ) -> Result<Vec<ClusterResponse>, ClusterError> {
        match tokio::time::timeout(timeout, answers).await {
            Ok(Ok(answers)) => Ok(answers),
            _ => Err(ClusterError::Timeout {
                answered: self.forget(id),
                expected,
                timeout,
            }),
        }
    }

    /// Registers request `id`, sends it with `send` (when that fails: forgets it
    /// and returns `unsent()`), and waits up to `timeout` for the `expected`
    /// answers.
    #[cfg_attr(not(any(feature = "redis", feature = "postgres")), allow(dead_code))]
    pub(crate) async fn ask(
        &self,
        id: &str,
        expected: Expected,
        timeout: Duration,
        send: impl FnOnce() -> bool,
        unsent: impl FnOnce() -> ClusterError,
    ) -> Result<Vec<ClusterResponse>, ClusterError> {
        let count = expected.count();
        let Some(answers) = self.register(id, expected) else {
            return Err(ClusterError::Unavailable(
                "too many cluster requests are waiting for answers".to_owned(),
            ));
        };
        if !send() {
            self.forget(id);
            return Err(unsent());
        }
        self.wait(id, answers, count, timeout).await
    }

    /// Waits for the `expected` answers to request `id`; `None` when the table is
    /// full.
    pub(crate) fn register(
        &self,
        id: &str,
        expected: Expected,
    ) -> Option<oneshot::Receiver<Vec<ClusterResponse>>> {
        let mut waiting = self.lock();
        if waiting.len() >= self.limit {
            return None;
        }
        let (done, answers) = oneshot::channel();
        let capacity = expected.count();
        waiting.insert(
            id.to_owned(),
            Waiting {
                expected,
                answers: Vec::with_capacity(capacity.min(64)),
                done: Some(done),
            },
        );
        Some(answers)
    }

    /// Gives up request `id` (it timed out); returns how many answers it got.
    pub(crate) fn forget(&self, id: &str) -> usize {
        self.lock()
            .remove(id)
            .map_or(0, |waiting| waiting.answers.len())
    }

    /// Files the answer of node `from` to request `id`, and completes the request
    /// once every expected answer is in. Answers to requests this node does not
    /// wait for (other nodes' requests, late answers), and second answers of one
    /// node, are ignored.
    /// Whether request `id` waits for answers.
    pub(crate) fn is_waiting(&self, id: &str) -> bool {
        self.lock().contains_key(id)
    }

    pub(crate) fn answer(&self, id: &str, from: &str, response: ClusterResponse) {
        let mut waiting = self.lock();
        let Some(entry) = waiting.get_mut(id) else {
            return;
        };
        if let Expected::Nodes(missing) = &mut entry.expected
            && !missing.remove(from)
        {
            return;
        }
        entry.answers.push(response);
        if entry.complete()
            && let Some(mut entry) = waiting.remove(id)
        {
            entry.finish();
        }
    }

    /// Node `uid` left the cluster: requests that only waited for it complete
    /// with the answers they have.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn node_gone(&self, uid: &str) {
        let mut waiting = self.lock();
        let mut done = Vec::new();
        for (id, entry) in waiting.iter_mut() {
            if let Expected::Nodes(missing) = &mut entry.expected
                && missing.remove(uid)
                && missing.is_empty()
            {
                done.push(id.clone());
            }
        }
        for id in done {
            if let Some(mut entry) = waiting.remove(&id) {
                entry.finish();
            }
        }
    }
}

/// Most reports of one acknowledged broadcast that may wait to be taken by its
/// stream; past it they are dropped (and counted).
pub(crate) const MAX_WAITING_REPORTS: usize = 4096;

/// What became of a report filed with [`AckRequests::report`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Filed {
    /// It is for none of this node's broadcasts.
    Unknown,
    /// It was handed to the broadcast's stream.
    Delivered,
    /// The broadcast's stream has too many reports waiting: this one is lost.
    Dropped,
}

/// This node's broadcasts that wait for the other nodes' acknowledgements, by
/// request id. Bounded: at most `limit` at once; each is forgotten at its timeout.
pub(crate) struct AckRequests {
    waiting: Mutex<HashMap<String, mpsc::Sender<RemoteAck>>>,
    limit: usize,
}

impl AckRequests {
    pub(crate) fn new(limit: usize) -> AckRequests {
        AckRequests {
            waiting: Mutex::new(HashMap::new()),
            limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, mpsc::Sender<RemoteAck>>> {
        self.waiting.lock()
    }

    /// Starts waiting for the reports on broadcast `id`; `None` when too many
    /// broadcasts wait already.
    pub(crate) fn register(&self, id: &str) -> Option<mpsc::Receiver<RemoteAck>> {
        let (sender, reports) = mpsc::channel(MAX_WAITING_REPORTS);
        self.register_sender(id, sender).then_some(reports)
    }

    /// Starts waiting for the reports on broadcast `id` until `timeout`, when it
    /// is forgotten; `None` when too many broadcasts wait already or there is no
    /// runtime.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn register_expiring(
        self: &std::sync::Arc<Self>,
        id: &str,
        timeout: std::time::Duration,
    ) -> Option<mpsc::Receiver<RemoteAck>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let Some(reports) = self.register(id) else {
            tracing::warn!("too many broadcasts wait for other nodes' acknowledgements");
            return None;
        };
        let expiring = std::sync::Arc::downgrade(self);
        let id = id.to_owned();
        runtime.spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(requests) = expiring.upgrade() {
                requests.forget(&id);
            }
        });
        Some(reports)
    }

    /// Starts handing the reports on broadcast `id` to `sender`, which the caller
    /// may use too (to report an outage); `false` when too many broadcasts wait
    /// already.
    pub(crate) fn register_sender(&self, id: &str, sender: mpsc::Sender<RemoteAck>) -> bool {
        let mut waiting = self.lock();
        if waiting.len() >= self.limit {
            return false;
        }
        waiting.insert(id.to_owned(), sender);
        true
    }

    /// Stops waiting for the reports on broadcast `id`.
    pub(crate) fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Hands a report on broadcast `id` to its stream.
    pub(crate) fn report(&self, id: &str, report: RemoteAck) -> Filed {
        let mut waiting = self.lock();
        let Some(sender) = waiting.get(id) else {
            return Filed::Unknown;
        };
        match sender.try_send(report) {
            Ok(()) => Filed::Delivered,
            Err(mpsc::error::TrySendError::Closed(_)) => {
                waiting.remove(id);
                Filed::Delivered
            }
            Err(mpsc::error::TrySendError::Full(_)) => Filed::Dropped,
        }
    }
}

/// Hands this node's answer to another node's request to `publish` once it is
/// ready: at once when it is (most are), else from a task of its own if it comes
/// within `timeout` (a server-side event's answering handler). `None` answers (no
/// answering handler) are not published.
pub(crate) fn publish_answer(
    mut answer: futures_util::future::BoxFuture<'static, Option<ClusterResponse>>,
    timeout: std::time::Duration,
    publish: impl FnOnce(ClusterResponse) + Send + 'static,
) {
    use futures_util::FutureExt as _;
    match (&mut answer).now_or_never() {
        Some(Some(response)) => publish(response),
        Some(None) => {}
        None => {
            tokio::spawn(async move {
                if let Ok(Some(response)) = tokio::time::timeout(timeout, answer).await {
                    publish(response);
                }
            });
        }
    }
}

/// Carries out another node's broadcast that waits for acknowledgements: sends it
/// to the local sockets it selects, tells `count` how many, then hands each
/// socket's acknowledgement (its first argument) to `ack` as it arrives, until
/// `timeout`.
pub(crate) fn relay_acks(
    ns: &crate::adapter::LocalNamespace,
    broadcast: &crate::adapter::msgpack::IncomingBroadcast,
    timeout: std::time::Duration,
    count: impl FnOnce(usize),
    ack: impl Fn(crate::protocol::Value) + Send + 'static,
) {
    use futures_util::StreamExt as _;
    let Some(mut acks) = ns.deliver_with_ack(
        &broadcast.event,
        &broadcast.args,
        (&broadcast.rooms, &broadcast.except),
        timeout,
    ) else {
        return;
    };
    count(acks.sent());
    if acks.sent() == 0 {
        return;
    }
    tokio::spawn(async move {
        while let Some(value) = acks.next().await {
            ack(value);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_complete_by_count_or_by_node() {
        let pending = PendingRequests::new(4);
        let mut by_count = pending.register("a", Expected::Count(2)).unwrap();
        pending.answer("a", "", ClusterResponse::Done);
        assert!(by_count.try_recv().is_err());
        pending.answer("a", "", ClusterResponse::Done);
        assert_eq!(by_count.try_recv().unwrap().len(), 2);

        let nodes = HashSet::from(["n1".to_owned(), "n2".to_owned(), "n3".to_owned()]);
        let mut by_node = pending.register("b", Expected::Nodes(nodes)).unwrap();
        pending.answer("b", "n1", ClusterResponse::Done);
        // A second answer of one node, and one of a node not asked, do not count.
        pending.answer("b", "n1", ClusterResponse::Done);
        pending.answer("b", "stranger", ClusterResponse::Done);
        pending.node_gone("n2");
        assert!(by_node.try_recv().is_err());
        pending.node_gone("n3");
        assert_eq!(by_node.try_recv().unwrap(), vec![ClusterResponse::Done]);
    }

    #[test]
    fn tables_are_bounded() {
        let pending = PendingRequests::new(1);
        let _first = pending.register("a", Expected::Count(1)).unwrap();
        assert!(pending.register("b", Expected::Count(1)).is_none());
        assert_eq!(pending.forget("a"), 0);
        assert!(pending.register("b", Expected::Count(1)).is_some());

        let acks = AckRequests::new(1);
        let mut reports = acks.register("x").unwrap();
        assert!(acks.register("y").is_none());
        assert_eq!(
            acks.report("x", RemoteAck::ClientCount(2)),
            Filed::Delivered
        );
        assert_eq!(acks.report("z", RemoteAck::ClientCount(2)), Filed::Unknown);
        assert_eq!(reports.try_recv().unwrap(), RemoteAck::ClientCount(2));
        acks.forget("x");
        assert_eq!(acks.report("x", RemoteAck::ClientCount(2)), Filed::Unknown);
    }
}
