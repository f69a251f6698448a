//! One monotonic clock for the whole generator: send stamps and receive times come
//! from the same process, so end-to-end latency has no clock skew.

use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// The instant all stamps are relative to.
pub fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

/// Microseconds since [`epoch`].
pub fn now_us() -> u64 {
    micros_at(Instant::now())
}

/// Microseconds from [`epoch`] to `at`.
pub fn micros_at(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(epoch()).as_micros()).unwrap_or(u64::MAX)
}
