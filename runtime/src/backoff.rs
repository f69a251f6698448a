//! Waiting between reconnection attempts, for the client and the adapters.
//!
//! Each wait doubles from a minimum up to a maximum and is moved at random, so
//! that the many peers a lost server had do not all come back at the same moment
//! (socket.io-client's formula: `min · 2ⁿ`, capped, times `1 ± randomization`).

use std::time::Duration;

use rand::Rng as _;

/// The delays of successive attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    randomization: f64,
}

impl Backoff {
    /// Delays from `min`, doubling up to `max`, each moved by up to ±50 %.
    pub(crate) fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max,
            randomization: 0.5,
        }
    }

    /// Moves each delay by up to `± factor · delay`; `factor` is clamped to 0..=1,
    /// and a non-finite one means no randomization.
    #[cfg(any(feature = "client", test))]
    pub(crate) fn with_randomization(mut self, factor: f64) -> Backoff {
        self.randomization = if factor.is_finite() {
            factor.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The delay before attempt `attempt` (counted from 0), never above the maximum.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let max = self.max.as_secs_f64();
        let base = (self.min.as_secs_f64() * 2f64.powi(attempt.min(64) as i32)).min(max);
        let jitter = if self.randomization > 0.0 {
            rand::rng().random_range(-self.randomization..=self.randomization)
        } else {
            0.0
        };
        let delay = (base * (1.0 + jitter)).clamp(0.0, max);
        Duration::try_from_secs_f64(delay).unwrap_or(self.max)
    }

    /// Counts attempts with these delays, for a loop that reconnects until stopped.
    #[cfg(any(feature = "redis", feature = "postgres"))]
    pub(crate) fn attempts(self) -> Attempts {
        Attempts {
            backoff: self,
            attempt: 0,
        }
    }
}

/// The attempts of one reconnecting loop.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) struct Attempts {
    backoff: Backoff,
    attempt: u32,
}

#[cfg(any(feature = "redis", feature = "postgres"))]
impl Attempts {
    /// Starts again from the shortest delay (after a connection succeeded).
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Sleeps for the next delay; `false` when `stop` fired (or its sender is gone)
    /// meanwhile.
    pub(crate) async fn wait(&mut self, stop: &mut tokio::sync::watch::Receiver<()>) -> bool {
        let delay = self.backoff.delay(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        tokio::select! {
            _ = stop.changed() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn delays_double_up_to_the_cap() {
        let backoff = Backoff::new(100 * MS, 500 * MS).with_randomization(0.0);
        let delays: Vec<u128> = (0..5).map(|n| backoff.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn randomization_stays_within_its_factor_and_the_cap() {
        let backoff = Backoff::new(1000 * MS, 1200 * MS);
        for _ in 0..200 {
            let delay = backoff.delay(0);
            assert!(delay >= 500 * MS && delay <= 1200 * MS, "{delay:?}");
        }
        let backoff = backoff.with_randomization(f64::NAN);
        assert_eq!(backoff.delay(0), 1000 * MS);
    }

    #[test]
    fn huge_delays_and_attempts_do_not_overflow() {
        let backoff = Backoff::new(Duration::MAX, Duration::MAX);
        for attempt in [0, 1, 40, u32::MAX] {
            assert!(backoff.delay(attempt) > Duration::ZERO);
        }
        let tiny = Backoff::new(Duration::from_nanos(1), Duration::from_secs(1));
        assert!(tiny.delay(u32::MAX) <= Duration::from_secs(1));
    }

    #[cfg(any(feature = "redis", feature = "postgres"))]
    #[tokio::test(start_paused = true)]
    async fn attempts_grow_reset_and_stop() {
        let (stopping, mut stop) = tokio::sync::watch::channel(());
        let mut attempts = Backoff::new(100 * MS, 400 * MS)
            .with_randomization(0.0)
            .attempts();
        for expected in [100, 200, 400, 400] {
            let started = tokio::time::Instant::now();
            assert!(attempts.wait(&mut stop).await);
            assert_eq!(started.elapsed(), expected * MS);
        }
        attempts.reset();
        let started = tokio::time::Instant::now();
        assert!(attempts.wait(&mut stop).await);
        assert_eq!(started.elapsed(), 100 * MS);
        stopping.send_replace(());
        assert!(!attempts.wait(&mut stop).await);
    }
}
