//! The heartbeat of every session, kept by one task per engine.
//!
//! A ping is due `ping_interval` after the session opened or after the client's
//! last pong, and a pong `ping_timeout` after the ping: every deadline is "now plus
//! a constant", so the deadlines of each kind arrive in the order they were set. Two
//! queues, drained from the front by a single task, replace a timer per session:
//! the sessions' own tasks are not woken to ping, and the pings leave through the
//! flushers with whatever else is queued.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::session::Session;

/// The pending deadlines of one kind, earliest first.
type Deadlines<D> = VecDeque<(Instant, Weak<Session<D>>)>;

struct Queues<D> {
    /// When a ping is due.
    pings: Deadlines<D>,
    /// When a pong must have arrived.
    pongs: Deadlines<D>,
    /// When an Engine.IO v3 session must have pinged. A v3 client's ping moves
    /// its session's deadline without touching this heap: the session is looked
    /// at once per deadline it had when last looked at, so it holds one entry at
    /// most. Re-listed deadlines are out of order, hence a heap.
    silences: BinaryHeap<Reverse<Silence<D>>>,
    /// The heartbeat task runs.
    running: bool,
}

/// Pings every session of an engine on time and closes those whose pong is late.
pub(crate) struct Heartbeats<D> {
    queues: Mutex<Queues<D>>,
    /// Wakes the task when a queue that was empty gets a deadline.
    added: Arc<Notify>,
    /// How long the task waits with nothing to do before it checks whether the
    /// engine is gone.
    idle: Duration,
}

impl<D> Heartbeats<D> {
    /// Heartbeats for an engine pinging every `interval`, waiting `timeout` for pongs.
    pub(crate) fn new(interval: Duration, timeout: Duration) -> Heartbeats<D> {
        Heartbeats {
            queues: Mutex::new(Queues {
                pings: VecDeque::new(),
                pongs: VecDeque::new(),
                silences: BinaryHeap::new(),
                running: false,
            }),
            added: Arc::new(Notify::new()),
            idle: interval.max(timeout),
        }
    }

    /// How many deadlines wait: (pings, pongs).
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> (usize, usize) {
        let queues = self.lock();
        (queues.pings.len(), queues.pongs.len())
    }

    fn lock(&self) -> MutexGuard<'_, Queues<D>> {
        self.queues.lock()
    }
}

impl<D: Send + Sync + 'static> Heartbeats<D> {
    /// Pings `session` at `at` (unless its deadline moved by then).
    pub(crate) fn ping_at(self: &Arc<Self>, session: &Arc<Session<D>>, at: Instant) {
        self.watch(session, at, |queues| &mut queues.pings);
    }

    /// Checks at `at` that `session` answered its ping.
    pub(crate) fn pong_by(self: &Arc<Self>, session: &Arc<Session<D>>, at: Instant) {
        self.watch(session, at, |queues| &mut queues.pongs);
    }

    /// Checks at `at` that the v3 `session` has pinged since.
    pub(crate) fn silence_by(self: &Arc<Self>, session: &Arc<Session<D>>, at: Instant) {
        let mut queues = self.lock();
        let earliest = queues.silences.peek().map(|Reverse(silence)| silence.at);
        queues.silences.push(Reverse(Silence {
            at,
            session: Arc::downgrade(session),
        }));
        let sooner = earliest.is_none_or(|earliest| at < earliest);
        self.started(queues, session, sooner);
    }

    fn watch(
        self: &Arc<Self>,
        session: &Arc<Session<D>>,
        at: Instant,
        queue: impl FnOnce(&mut Queues<D>) -> &mut Deadlines<D>,
    ) {
        let mut queues = self.lock();
        let deadlines = queue(&mut queues);
        let was_empty = deadlines.is_empty();
        deadlines.push_back((at, Arc::downgrade(session)));
        self.started(queues, session, was_empty);
    }

    /// Starts the task if it does not run, or wakes it when `wake` (a deadline
    /// may now come before the one it sleeps until).
    fn started(
        self: &Arc<Self>,
        mut queues: MutexGuard<'_, Queues<D>>,
        session: &Arc<Session<D>>,
        wake: bool,
    ) {
        let start = !queues.running;
        if start {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                tracing::warn!(sid = %session.id, "no tokio runtime: the session has no heartbeat");
                return;
            };
            queues.running = true;
            drop(queues);
            runtime.spawn(run(Arc::downgrade(self), self.added.clone()));
        } else if wake {
            drop(queues);
            self.added.notify_one();
        }
    }

    /// Runs the heartbeat of every session whose deadline passed; returns the next
    /// deadline. `due` is the task's buffer.
    fn expire(&self, now: Instant, due: &mut Vec<Weak<Session<D>>>) -> Option<Instant> {
        let next = {
            let mut queues = self.lock();
            let queues = &mut *queues;
            for deadlines in [&mut queues.pings, &mut queues.pongs] {
                while deadlines.front().is_some_and(|(at, _)| *at <= now) {
                    if let Some((_, session)) = deadlines.pop_front() {
                        due.push(session);
                    }
                }
            }
            while queues
                .silences
                .peek()
                .is_some_and(|Reverse(silence)| silence.at <= now)
            {
                if let Some(Reverse(silence)) = queues.silences.pop() {
                    due.push(silence.session);
                }
            }
            let fronts = [queues.pings.front(), queues.pongs.front()];
            let silence = queues.silences.peek().map(|Reverse(silence)| silence.at);
            fronts
                .into_iter()
                .flatten()
                .map(|(at, _)| *at)
                .chain(silence)
                .min()
        };
        for session in due.drain(..).filter_map(|session| session.upgrade()) {
            session.heartbeat_tick();
        }
        next
    }
}

/// A v3 session's deadline, ordered by time alone.
struct Silence<D> {
    at: Instant,
    session: Weak<Session<D>>,
}

impl<D> PartialEq for Silence<D> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl<D> Eq for Silence<D> {}

impl<D> PartialOrd for Silence<D> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<D> Ord for Silence<D> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

/// The task behind [`Heartbeats`]; it ends once the engine and its sessions are gone.
async fn run<D: Send + Sync + 'static>(heartbeats: Weak<Heartbeats<D>>, added: Arc<Notify>) {
    let mut running = Running(heartbeats.clone());
    let mut due = Vec::new();
    loop {
        let Some(strong) = heartbeats.upgrade() else {
            running.0 = Weak::new();
            return;
        };
        let next = strong.expire(Instant::now(), &mut due);
        let idle = strong.idle;
        drop(strong);
        // A deadline added meanwhile to an empty queue left a permit, so the waits
        // below return at once.
        match next {
            Some(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    () = added.notified() => {}
                }
            }
            None => {
                let _ = tokio::time::timeout(idle, added.notified()).await;
            }
        }
    }
}

/// Lets the next deadline start a new task if the runtime drops this one.
struct Running<D>(Weak<Heartbeats<D>>);

impl<D> Drop for Running<D> {
    fn drop(&mut self) {
        if let Some(heartbeats) = self.0.upgrade() {
            heartbeats.lock().running = false;
        }
    }
}
