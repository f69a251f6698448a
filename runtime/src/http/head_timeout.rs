//! The limit on how long a client may take to send a request head.
//!
//! hyper can enforce it itself, but arms a fresh timer for every request (a heap
//! allocation and a timer-wheel insert and removal each time). Here one timer per
//! connection suffices: requests only record when they end, and the timer, when
//! it fires, works out from that whether the client is late or the deadline moved.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// How long a client may take to send a request's head, counted from the start
/// of the connection or from the end of its previous request.
pub(super) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The state a value of [`Activity::state`] has while a request is answered.
const ANSWERING: u64 = u64::MAX;

/// What the requests of one connection tell its header-read timer.
#[derive(Debug)]
pub(super) struct Activity {
    /// When the connection started.
    origin: Instant,
    /// [`ANSWERING`] while a request is answered, else the milliseconds from
    /// `origin` to the end of the last request (rounded up), from when the
    /// client may take [`HEADER_READ_TIMEOUT`] to send the next head.
    state: AtomicU64,
}

impl Activity {
    /// The activity of a connection that starts now.
    pub(super) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            origin: Instant::now(),
            state: AtomicU64::new(0),
        })
    }

    /// Marks a request as being answered until the guard drops (the answer is
    /// ready, or hyper dropped the request).
    ///
    /// A connection answers one request at a time, and the guard and the timer
    /// live in the connection's task: plain loads and stores suffice.
    pub(super) fn begin(self: &Arc<Self>) -> Answering {
        self.state.store(ANSWERING, Ordering::Relaxed);
        Answering(Arc::clone(self))
    }

    /// When the head the client owes now is due: [`HEADER_READ_TIMEOUT`] from
    /// the end of the last request; `None` while a request is answered (hyper
    /// reads no head meanwhile).
    fn head_due(&self) -> Option<Instant> {
        match self.state.load(Ordering::Relaxed) {
            ANSWERING => None,
            millis => Some(self.origin + Duration::from_millis(millis) + HEADER_READ_TIMEOUT),
        }
    }

    /// What the timer does when it fires at `now`: `Some(when)` it checks again,
    /// `None` the client is late with its head and the connection is closed.
    pub(super) fn next_check(&self, now: Instant) -> Option<Instant> {
        match self.head_due() {
            None => Some(now + HEADER_READ_TIMEOUT),
            Some(due) if due > now => Some(due),
            Some(_) => None,
        }
    }

    /// The first deadline of a new connection.
    pub(super) fn first_check(&self) -> Instant {
        self.origin + HEADER_READ_TIMEOUT
    }
}

/// Held while a request is answered; see [`Activity::begin`].
#[derive(Debug)]
pub(super) struct Answering(Arc<Activity>);

impl Drop for Answering {
    fn drop(&mut self) {
        let elapsed = self.0.origin.elapsed();
        let millis = elapsed
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(elapsed.subsec_nanos().div_ceil(1_000_000)));
        self.0
            .state
            .store(millis.min(ANSWERING - 1), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::{Activity, HEADER_READ_TIMEOUT};

    #[tokio::test(start_paused = true)]
    async fn the_deadline_follows_the_end_of_the_last_request() {
        let activity = Activity::new();
        let start = Instant::now();
        assert_eq!(activity.first_check(), start + HEADER_READ_TIMEOUT);
        assert_eq!(activity.next_check(start + HEADER_READ_TIMEOUT), None);

        tokio::time::advance(Duration::from_secs(10)).await;
        let answering = activity.begin();
        let late = start + Duration::from_secs(100);
        assert_eq!(
            activity.next_check(late),
            Some(late + HEADER_READ_TIMEOUT),
            "no head is owed while a request is answered"
        );

        tokio::time::advance(Duration::from_secs(5)).await;
        drop(answering);
        let due = start + Duration::from_secs(15) + HEADER_READ_TIMEOUT;
        let check = start + HEADER_READ_TIMEOUT;
        assert_eq!(activity.next_check(check), Some(due));
        assert_eq!(activity.next_check(due), None);
    }
}
