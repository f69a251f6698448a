//! Counters and gauges of a running server, through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`). docs/metrics.md lists every name.
//!
//! The handles are resolved once, when the first server (or bare
//! [`Engine`](crate::engine::Engine)) of the process is built, from the recorder
//! installed then: install it before building the server. Resolving them once keeps the key lookup of the `counter!` macros off
//! the hot paths; without a recorder each handle is a no-op (one branch). The
//! fan-out of a broadcast counts its packets and bytes once for all its
//! recipients, never per recipient. Without the feature, every call here is an
//! empty inline function.

use std::sync::OnceLock;

#[cfg(feature = "metrics")]
use ::metrics::{Counter, Gauge};

/// Stand-ins with the handles' methods, so that call sites read the same with
/// the feature off; they are never built then.
#[cfg(not(feature = "metrics"))]
mod noop {
    pub(crate) struct Counter;
    impl Counter {
        pub(crate) fn increment(&self, _value: u64) {}
    }
    pub(crate) struct Gauge;
    impl Gauge {
        pub(crate) fn increment(&self, _value: f64) {}
        pub(crate) fn decrement(&self, _value: f64) {}
    }
}
#[cfg(not(feature = "metrics"))]
use noop::{Counter, Gauge};

/// Every metric handle of the process.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) struct Metrics {
    pub(crate) connections_open: Gauge,
    connections_opened: OnceLock<Box<[Counter]>>,
    connections_closed: OnceLock<Box<[Box<[Counter]>]>>,
    pub(crate) slow_client_disconnects: Counter,
    pub(crate) namespaces: Gauge,
    pub(crate) sockets_connected: Gauge,
    pub(crate) socket_connects: Counter,
    socket_disconnects: OnceLock<Box<[Counter]>>,
    pub(crate) rooms: Gauge,
    pub(crate) packets_received: Counter,
    pub(crate) bytes_received: Counter,
    pub(crate) packets_sent: Counter,
    pub(crate) bytes_sent: Counter,
    pub(crate) broadcasts: Counter,
    pub(crate) acks_received: Counter,
    pub(crate) acks_sent: Counter,
    pub(crate) ack_timeouts: Counter,
    pub(crate) volatile_dropped: Counter,
    pub(crate) adapter_publishes: Counter,
    pub(crate) adapter_requests: Counter,
    #[cfg_attr(not(any(feature = "redis", feature = "postgres")), allow(dead_code))]
    pub(crate) adapter_drops: Counter,
    pub(crate) recovery_hits: Counter,
    pub(crate) recovery_misses: Counter,
}

/// A closed set of values a metric is counted by, one counter per value (a
/// transport, a close or disconnect reason). The layers implement it for their own
/// types, so that this module names none of them; the counters of a set are
/// resolved when the first value of it is counted.
pub(crate) trait Label: Copy + 'static {
    /// Every value, in the order of [`Label::index`].
    const ALL: &'static [Self];
    /// The value's position in [`Label::ALL`] (a value missing from it is not
    /// counted).
    fn index(self) -> usize;
    /// The value as the metric's label.
    fn label(self) -> &'static str;
}

#[cfg(feature = "metrics")]
static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Resolves the handles from the installed recorder, once per process.
pub(crate) fn init() {
    #[cfg(feature = "metrics")]
    METRICS.get_or_init(Metrics::resolve);
}

/// Runs `f` with the handles, once they are resolved.
#[cfg(feature = "metrics")]
#[inline]
pub(crate) fn with(f: impl FnOnce(&Metrics)) {
    if let Some(metrics) = METRICS.get() {
        f(metrics);
    }
}

/// Without the feature there are no handles: `f` never runs.
#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn with(_f: impl FnOnce(&Metrics)) {}

impl Metrics {
    /// Counts a session opened on `transport`.
    pub(crate) fn connection_opened<T: Label>(&self, transport: T) {
        self.connections_open.increment(1.0);
        let counters = self.connections_opened.get_or_init(|| {
            labelled::<T, _, _>(|transport| {
                counter(
                    "tether_connections_opened_total",
                    &[("transport", transport)],
                )
            })
        });
        if let Some(counter) = counters.get(transport.index()) {
            counter.increment(1);
        }
    }

    /// Counts a session closed for `reason`, last on `transport`.
    pub(crate) fn connection_closed<R: Label, T: Label>(&self, reason: R, transport: T) {
        self.connections_open.decrement(1.0);
        let counters = self.connections_closed.get_or_init(|| {
            labelled::<R, _, _>(|reason| {
                labelled::<T, _, _>(|transport| {
                    counter(
                        "tether_connections_closed_total",
                        &[("reason", reason), ("transport", transport)],
                    )
                })
            })
        });
        if let Some(counter) = counters
            .get(reason.index())
            .and_then(|by_transport| by_transport.get(transport.index()))
        {
            counter.increment(1);
        }
    }

    /// Counts a socket that left its namespace for `reason`.
    pub(crate) fn socket_disconnected<R: Label>(&self, reason: R) {
        let counters = self.socket_disconnects.get_or_init(|| {
            labelled::<R, _, _>(|reason| {
                counter("tether_socket_disconnects_total", &[("reason", reason)])
            })
        });
        if let Some(counter) = counters.get(reason.index()) {
            counter.increment(1);
        }
    }

    /// Counts `packets` packets of `bytes` bytes each queued for clients.
    #[inline]
    pub(crate) fn sent(&self, packets: u64, bytes: usize) {
        self.packets_sent.increment(packets);
        self.bytes_sent.increment(packets * bytes as u64);
    }
}

#[cfg(feature = "metrics")]
impl Metrics {
    fn resolve() -> Metrics {
        use ::metrics::{Unit, counter, describe_counter, describe_gauge, gauge};
        describe_gauge!("tether_connections_open", "Engine.IO connections open");
        describe_counter!(
            "tether_connections_opened_total",
            "Engine.IO connections opened, by the transport they opened on"
        );
        describe_counter!(
            "tether_connections_closed_total",
            "Engine.IO connections closed, by reason and the transport they ended on"
        );
        describe_counter!(
            "tether_slow_client_disconnects_total",
            "Connections closed because the client fell too far behind"
        );
        describe_gauge!("tether_namespaces", "Namespaces that exist");
        describe_gauge!("tether_sockets_connected", "Sockets joined to a namespace");
        describe_counter!(
            "tether_socket_connects_total",
            "Sockets that joined a namespace"
        );
        describe_counter!(
            "tether_socket_disconnects_total",
            "Sockets that left their namespace, by reason"
        );
        describe_gauge!(
            "tether_rooms",
            "Rooms with at least one socket (sockets' own rooms aside)"
        );
        describe_counter!(
            "tether_packets_received_total",
            "Socket.IO packets received"
        );
        describe_counter!(
            "tether_bytes_received_total",
            Unit::Bytes,
            "Bytes of the Engine.IO messages that carried Socket.IO packets in"
        );
        describe_counter!(
            "tether_packets_sent_total",
            "Socket.IO packets queued for clients"
        );
        describe_counter!(
            "tether_bytes_sent_total",
            Unit::Bytes,
            "Bytes of the Socket.IO packets queued for clients"
        );
        describe_counter!("tether_broadcasts_total", "Broadcasts emitted on this node");
        describe_counter!(
            "tether_acks_received_total",
            "Acknowledgements received from clients"
        );
        describe_counter!("tether_acks_sent_total", "Acknowledgements sent to clients");
        describe_counter!(
            "tether_ack_timeouts_total",
            "Acknowledgements from clients of this node that did not come in time"
        );
        describe_counter!(
            "tether_volatile_dropped_total",
            "Volatile packets dropped because the client could not take them at once"
        );
        describe_counter!(
            "tether_adapter_publishes_total",
            "Broadcasts and server-side events handed to the adapter for the other nodes"
        );
        describe_counter!(
            "tether_adapter_requests_total",
            "Cluster requests sent to the other nodes through the adapter"
        );
        describe_counter!(
            "tether_adapter_drops_total",
            "Adapter messages lost because a queue was full"
        );
        describe_counter!(
            "tether_recovery_hits_total",
            "Connection state recoveries that restored a session"
        );
        describe_counter!(
            "tether_recovery_misses_total",
            "Connection state recoveries asked for a session that was gone"
        );
        Metrics {
            connections_open: gauge!("tether_connections_open"),
            connections_opened: OnceLock::new(),
            connections_closed: OnceLock::new(),
            slow_client_disconnects: counter!("tether_slow_client_disconnects_total"),
            namespaces: gauge!("tether_namespaces"),
            sockets_connected: gauge!("tether_sockets_connected"),
            socket_connects: counter!("tether_socket_connects_total"),
            socket_disconnects: OnceLock::new(),
            rooms: gauge!("tether_rooms"),
            packets_received: counter!("tether_packets_received_total"),
            bytes_received: counter!("tether_bytes_received_total"),
            packets_sent: counter!("tether_packets_sent_total"),
            bytes_sent: counter!("tether_bytes_sent_total"),
            broadcasts: counter!("tether_broadcasts_total"),
            acks_received: counter!("tether_acks_received_total"),
            acks_sent: counter!("tether_acks_sent_total"),
            ack_timeouts: counter!("tether_ack_timeouts_total"),
            volatile_dropped: counter!("tether_volatile_dropped_total"),
            adapter_publishes: counter!("tether_adapter_publishes_total"),
            adapter_requests: counter!("tether_adapter_requests_total"),
            adapter_drops: counter!("tether_adapter_drops_total"),
            recovery_hits: counter!("tether_recovery_hits_total"),
            recovery_misses: counter!("tether_recovery_misses_total"),
        }
    }
}

/// One value per label of `L`, in index order.
fn labelled<L: Label, V, F: Fn(&'static str) -> V>(make: F) -> Box<[V]> {
    L::ALL.iter().map(|value| make(value.label())).collect()
}

/// The counter `name` with `labels`.
#[cfg(feature = "metrics")]
fn counter(name: &'static str, labels: &[(&'static str, &'static str)]) -> Counter {
    let labels: Vec<::metrics::Label> = labels
        .iter()
        .map(|(key, value)| ::metrics::Label::from_static_parts(key, value))
        .collect();
    ::metrics::counter!(name, labels)
}

/// Without the feature, a counter that counts nothing.
#[cfg(not(feature = "metrics"))]
fn counter(_name: &'static str, _labels: &[(&'static str, &'static str)]) -> Counter {
    Counter
}
