//! Helpers for the tests of the Rust client.

use std::time::Duration;

use tether::client::{Client, ConnectionState, Reconnect};

use crate::within;

/// A reconnection policy that retries within tens of milliseconds.
pub fn quick_retries() -> Reconnect {
    Reconnect::default()
        .initial_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(100))
}

/// Waits until the client's state satisfies `wanted`.
///
/// # Panics
///
/// If it does not within [`crate::PATIENCE`], or the client's task is gone.
pub async fn wait_for_state(client: &Client, wanted: impl FnMut(&ConnectionState) -> bool) {
    let mut changes = client.state_changes();
    within(changes.wait_for(wanted))
        .await
        .expect("the client task is alive");
}
