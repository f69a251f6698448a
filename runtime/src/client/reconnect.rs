//! Reconnection policy: exponential backoff with jitter, as the official client does.

use std::time::Duration;

use crate::backoff::Backoff;

/// How the client reconnects after losing its connection.
///
/// Attempt `n` (from 0) waits `initial_delay · 2ⁿ`, capped at `max_delay`, then moved
/// by up to `± randomization · delay` so that many clients do not come back at once.
/// The defaults are the official client's: 1 s, 5 s, factor 0.5, unlimited attempts.
///
/// ```
/// use std::time::Duration;
/// use tether::client::Reconnect;
///
/// let policy = Reconnect::default()
///     .initial_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(2))
///     .max_attempts(10);
/// assert!(policy.delay(0) <= Duration::from_millis(150));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnect {
    pub(crate) enabled: bool,
    pub(crate) initial_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) randomization: f64,
    pub(crate) max_attempts: Option<u32>,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            enabled: true,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            randomization: 0.5,
            max_attempts: None,
        }
    }
}

/// The shortest delays [`Reconnect::initial_delay`] and [`Reconnect::max_delay`]
/// accept.
const MIN_DELAY: Duration = Duration::from_millis(1);

impl Reconnect {
    /// Never reconnect: a lost connection ends the client.
    pub fn disabled() -> Self {
        Reconnect {
            enabled: false,
            ..Reconnect::default()
        }
    }

    /// The delay before the first attempt (default 1 s; at least 1 ms, so that
    /// a server that refuses connections is not retried in a busy loop).
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay.max(MIN_DELAY);
        self
    }

    /// The longest delay between attempts (default 5 s; at least 1 ms).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay.max(MIN_DELAY);
        self
    }

    /// How far each delay is randomized, from 0 (not at all) to 1 (default 0.5).
    pub fn randomization(mut self, factor: f64) -> Self {
        self.randomization = if factor.is_finite() {
            factor.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// Gives up after this many failed attempts (default: never).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// The delay before attempt `attempt` (counted from 0), jitter included.
    pub fn delay(&self, attempt: u32) -> Duration {
        Backoff::new(self.initial_delay, self.max_delay)
            .with_randomization(self.randomization)
            .delay(attempt)
    }

    /// Whether attempt `attempt` (counted from 1) may still be made.
    pub(crate) fn allows(&self, attempt: u32) -> bool {
        self.enabled && self.max_attempts.is_none_or(|max| attempt <= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_follow_the_policy() {
        let policy = Reconnect::default()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(300))
            .randomization(0.0);
        let delays: Vec<u128> = (0..3).map(|n| policy.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 300]);
    }

    #[test]
    fn attempts_are_limited() {
        let policy = Reconnect::default().max_attempts(2);
        assert!(policy.allows(1) && policy.allows(2) && !policy.allows(3));
        assert!(!Reconnect::disabled().allows(1));
    }
}
