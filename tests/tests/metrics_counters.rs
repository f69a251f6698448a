//! The metrics a socket.io-client test cannot easily provoke, read from a
//! recorder installed before any server of this process: volatile packets
//! dropped, a slow client disconnected, connection state recovery hits and
//! misses, and what goes through an adapter. One test, so that the counts of the
//! process are its own.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use serde_json::json;
use tether::adapter::{Adapter, Broadcast, LocalNamespace, NamespaceLink};
use tether::server::{Event, RecoveryConfig, Server, Socket};
use tether_tests::{SioPolling, SioServer, probe, sio_config};

/// A recorder keeping each counter and gauge in an atomic, by name and labels.
#[derive(Default)]
struct Values(Mutex<HashMap<String, Arc<metrics::atomics::AtomicU64>>>);

impl Values {
    fn slot(&self, key: &Key) -> Arc<metrics::atomics::AtomicU64> {
        let mut name = key.name().to_owned();
        let mut labels: Vec<_> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        labels.sort();
        if !labels.is_empty() {
            name = format!("{name}{{{}}}", labels.join(","));
        }
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(name)
            .or_default()
            .clone()
    }

    /// A counter's value (0 when never registered).
    fn counter(&self, name: &str) -> u64 {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .map_or(0, |value| value.load(Ordering::Relaxed))
    }
}

struct Shared(Arc<Values>);

impl Recorder for Shared {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.0.slot(key))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.0.slot(key))
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

/// The recorder of this process, installed on first use.
fn values() -> Arc<Values> {
    static VALUES: OnceLock<Arc<Values>> = OnceLock::new();
    VALUES
        .get_or_init(|| {
            let values = Arc::new(Values::default());
            metrics::set_global_recorder(Shared(values.clone())).expect("the only recorder");
            values
        })
        .clone()
}

/// Counters before and after a step.
struct Deltas {
    values: Arc<Values>,
    before: HashMap<&'static str, u64>,
}

impl Deltas {
    fn start(values: &Arc<Values>, names: &[&'static str]) -> Deltas {
        Deltas {
            values: values.clone(),
            before: names
                .iter()
                .map(|name| (*name, values.counter(name)))
                .collect(),
        }
    }

    /// Waits (bounded) until every counter moved by what `expected` says, then
    /// asserts them all.
    async fn expect(&self, expected: &[(&'static str, u64)]) {
        let moved = || {
            expected
                .iter()
                .map(|(name, _)| (*name, self.values.counter(name) - self.before[name]))
                .collect::<Vec<_>>()
        };
        for _ in 0..200 {
            if moved() == expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(moved(), expected);
    }
}

/// An adapter with no other node: it takes broadcasts and answers requests with
/// nothing, as a cluster of one would.
struct Alone;

struct AloneLink;

impl Adapter for Alone {
    fn attach(&self, _ns: LocalNamespace) -> Box<dyn NamespaceLink> {
        Box::new(AloneLink)
    }
}

impl NamespaceLink for AloneLink {
    fn publish(&self, _broadcast: &Broadcast<'_>) {}
}

#[tokio::test]
async fn drops_slow_clients_recovery_and_adapters_are_counted() {
    let values = values();

    // Volatile emits to a polling client with no GET waiting are dropped; a
    // client that does not poll while 20 events wait is too slow.
    let (report, mut seen) = probe();
    let io = Server::new(sio_config().with_max_buffered_packets(8));
    io.main()
        .on("whisper", move |socket: Socket, _event: Event| {
            let report = report.clone();
            async move {
                report.send(
                    socket
                        .volatile()
                        .emit("hint", &1)
                        .map_err(|e| e.to_string()),
                )
            }
        });
    io.main()
        .on("flood", |socket: Socket, _event: Event| async move {
            for n in 0..20 {
                if socket.emit("wave", &n).is_err() {
                    break;
                }
            }
        });
    let server = SioServer::start(io).await;
    let polling = SioPolling::open(server.addr(), "/socket.io/").await;
    polling.post(&["40"]).await;
    assert!(polling.get_packets().await[0].starts_with("40{"));

    let step = Deltas::start(&values, &["tether_volatile_dropped_total"]);
    polling.post(&[r#"42["whisper"]"#]).await;
    assert_eq!(seen.next().await, Ok(false), "dropped: no GET was waiting");
    step.expect(&[("tether_volatile_dropped_total", 1)]).await;

    let slow = "tether_connections_closed_total{reason=slow_client,transport=polling}";
    let step = Deltas::start(&values, &["tether_slow_client_disconnects_total", slow]);
    polling.post(&[r#"42["flood"]"#]).await;
    step.expect(&[("tether_slow_client_disconnects_total", 1), (slow, 1)])
        .await;
    server.stop().await;

    // Recovery: a client whose connection dropped comes back with its pid and
    // last offset (a hit), another names a pid nobody had (a miss).
    let io = Server::new(sio_config().with_connection_state_recovery(RecoveryConfig::default()));
    let everyone = io.clone();
    io.main()
        .on("shout", move |_socket: Socket, _event: Event| {
            let io = everyone.clone();
            async move { io.emit("news", &"hi").map_err(|e| e.to_string()) }
        });
    let server = SioServer::start(io).await;
    let mut client = server.open().await;
    let (sid, pid) = client.join_recoverable("/", None).await;
    client.emit("/", "shout", json!([])).await;
    let news = client.expect_event("/", "news").await.args();
    let offset = news[1].as_str().expect("an offset").to_owned();
    client.close().await;
    server.wait_for_sockets(0).await;

    let step = Deltas::start(
        &values,
        &["tether_recovery_hits_total", "tether_recovery_misses_total"],
    );
    let mut back = server.open().await;
    let auth = json!({ "pid": pid, "offset": offset });
    let (recovered_sid, _) = back.join_recoverable("/", Some(auth)).await;
    assert_eq!(recovered_sid, sid, "recovered");
    let mut stranger = server.open().await;
    let auth = json!({ "pid": "AAAAAAAAAAAAAAAAAAAA", "offset": offset });
    let (new_sid, _) = stranger.join_recoverable("/", Some(auth)).await;
    assert_ne!(new_sid, sid);
    step.expect(&[
        ("tether_recovery_hits_total", 1),
        ("tether_recovery_misses_total", 1),
    ])
    .await;
    server.stop().await;

    // An adapter: a broadcast and a server-side event published, a
    // `fetch_sockets` sent as a request.
    let io = Server::with_adapter(sio_config(), Alone);
    let step = Deltas::start(
        &values,
        &[
            "tether_adapter_publishes_total",
            "tether_adapter_requests_total",
            "tether_broadcasts_total",
        ],
    );
    io.emit("news", &"to all nodes").expect("emitted");
    io.server_side_emit("ping", &()).expect("emitted");
    assert!(
        io.main()
            .fetch_sockets()
            .await
            .expect("answered")
            .is_empty()
    );
    io.local().emit("news", &"here only").expect("emitted");
    step.expect(&[
        ("tether_adapter_publishes_total", 2),
        ("tether_adapter_requests_total", 1),
        ("tether_broadcasts_total", 2),
    ])
    .await;
}
