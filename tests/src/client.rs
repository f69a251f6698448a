//! Helpers for the tests of the Rust client.

use std::time::Duration;

use tether::Value;
use tether::client::{Client, ConnectionState, Event, Reconnect};

use crate::{Probe, probe, within};

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

/// A connected client of `url` reporting the name of every event it gets; returns
/// it with its socket id.
///
/// # Panics
///
/// If it does not connect.
pub async fn reporting_client(url: &str) -> (Client, String, Probe<String>) {
    let (report, seen) = probe();
    let client = Client::builder(url)
        .on_any(move |_client: Client, event: Event| {
            let report = report.clone();
            async move { report.send(event.name().to_owned()) }
        })
        .connect()
        .await
        .expect("connected");
    let id = client.id().expect("an id once connected");
    (client, id, seen)
}

/// What a [`values_client`] reports: each event's name and arguments.
pub type Seen = Probe<(String, Vec<Value>)>;

/// A connected client of `url` reporting every event with its arguments.
///
/// # Panics
///
/// If it does not connect.
pub async fn values_client(url: &str) -> (Client, Seen) {
    let (report, seen) = probe();
    let client = Client::builder(url)
        .on_any(move |_client: Client, event: Event| {
            let report = report.clone();
            async move {
                report.send((event.name().to_owned(), event.values().unwrap_or_default()));
            }
        })
        .connect()
        .await
        .expect("connected");
    (client, seen)
}

/// The event names seen up to and including `marker`.
pub async fn names_until(seen: &mut Probe<String>, marker: &str) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        let name = seen.next().await;
        let done = name == marker;
        names.push(name);
        if done {
            return names;
        }
    }
}

/// The names of the events seen up to and including `marker`, from a probe that
/// reports each event's name with its arguments.
pub async fn event_names_until<T: std::fmt::Debug>(
    seen: &mut Probe<(String, T)>,
    marker: &str,
) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        let (name, _) = seen.next().await;
        let done = name == marker;
        names.push(name);
        if done {
            return names;
        }
    }
}
