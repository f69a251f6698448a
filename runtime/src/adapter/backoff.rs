//! Waits between an adapter's reconnection attempts.

use std::time::Duration;

use tokio::sync::watch;

/// Waits between reconnection attempts: doubling from the minimum to the maximum,
/// each wait shortened by up to half at random so that nodes spread out.
pub(crate) struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    /// Waits from `min`, doubling up to `max`.
    pub(crate) fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            next: min,
            min,
            max: max.max(min),
        }
    }

    /// Starts again from the shortest wait.
    pub(crate) fn reset(&mut self) {
        self.next = self.min;
    }

    /// Sleeps for the next wait; `false` when the adapter stopped meanwhile.
    pub(crate) async fn wait(&mut self, stop: &mut watch::Receiver<()>) -> bool {
        use rand::Rng as _;
        let wait = self.next.mul_f64(rand::rng().random_range(0.5..=1.0));
        self.next = (self.next * 2).min(self.max);
        tokio::select! {
            _ = stop.changed() => false,
            () = tokio::time::sleep(wait) => true,
        }
    }
}
