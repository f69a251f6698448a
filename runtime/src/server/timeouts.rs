//! The connect timeout of every connection, kept by one task for the whole server.
//!
//! Every connection gets the same timeout, so deadlines arrive in the order the
//! connections opened: a queue, drained from the front by a single task, replaces
//! a timer task per connection.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::client::ClientState;
use crate::engine::{Connection, WeakConnection};

/// Closes connections that joined no namespace within the connect timeout.
pub(crate) struct ConnectTimeouts {
    timeout: Duration,
    queue: Mutex<VecDeque<(Instant, WeakConnection<ClientState>)>>,
    added: Notify,
    running: AtomicBool,
}

impl ConnectTimeouts {
    pub(crate) fn new(timeout: Duration) -> Arc<ConnectTimeouts> {
        Arc::new(ConnectTimeouts {
            timeout,
            queue: Mutex::new(VecDeque::new()),
            added: Notify::new(),
            running: AtomicBool::new(false),
        })
    }

    fn lock(
        &self,
    ) -> parking_lot::MutexGuard<'_, VecDeque<(Instant, WeakConnection<ClientState>)>> {
        self.queue.lock()
    }

    /// Starts the clock of a new connection.
    pub(crate) fn watch(self: &Arc<Self>, conn: &Connection<ClientState>) {
        let was_empty = {
            let mut queue = self.lock();
            queue.push_back((Instant::now() + self.timeout, conn.downgrade()));
            queue.len() == 1
        };
        if !self.running.swap(true, Ordering::AcqRel) {
            tokio::spawn(run(Arc::downgrade(self)));
        }
        if was_empty {
            self.added.notify_one();
        }
    }

    /// Closes the connections whose deadline passed; returns the next deadline.
    fn expire(&self, now: Instant) -> Option<Instant> {
        let mut expired = Vec::new();
        let next = {
            let mut queue = self.lock();
            while queue.front().is_some_and(|(deadline, _)| *deadline <= now) {
                if let Some((_, conn)) = queue.pop_front() {
                    expired.push(conn);
                }
            }
            queue.front().map(|(deadline, _)| *deadline)
        };
        for conn in expired.iter().filter_map(WeakConnection::upgrade) {
            if !conn.data().ever_joined() && !conn.is_closed() {
                tracing::debug!(sid = %conn.id(), "no namespace joined within connect_timeout");
                conn.close();
            }
        }
        next
    }
}

/// The task behind [`ConnectTimeouts`]; it ends once the server is gone.
async fn run(timeouts: Weak<ConnectTimeouts>) {
    loop {
        let Some(strong) = timeouts.upgrade() else {
            return;
        };
        match strong.expire(Instant::now()) {
            Some(deadline) => {
                drop(strong);
                tokio::time::sleep_until(deadline).await;
            }
            None => {
                // A connection added meanwhile left a permit, so this returns at once.
                let _ = tokio::time::timeout(strong.timeout, strong.added.notified()).await;
            }
        }
    }
}
