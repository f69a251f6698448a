//! What each metric means: its label, which direction is better, and how to print it.

/// Which direction is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// More is better (throughput).
    Higher,
    /// Less is better (latency, cost, memory).
    Lower,
    /// A count that should be zero; no ratio is shown.
    Zero,
    /// Context only; no ratio is shown.
    Info,
}

/// How a value is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Events per second.
    Rate,
    /// Milliseconds.
    Millis,
    /// Nanoseconds.
    Nanos,
    /// Microseconds.
    Micros,
    /// Bytes, printed in KiB.
    Bytes,
    /// Bytes, printed in MiB.
    MiB,
    /// Bytes of one message (printed as bytes, not KiB).
    MessageBytes,
    /// A plain count.
    Count,
    /// A fraction of one core.
    Core,
    /// Instructions.
    Instructions,
}

/// A known metric.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Key in [`crate::record::RunResult::metrics`].
    pub key: &'static str,
    /// Human label.
    pub label: &'static str,
    /// Which direction is better.
    pub better: Better,
    /// How to print it.
    pub unit: Unit,
    /// A throughput that is only a lower bound when the generator saturated.
    pub bounded_by_generator: bool,
}

const fn metric(key: &'static str, label: &'static str, better: Better, unit: Unit) -> Metric {
    Metric {
        key,
        label,
        better,
        unit,
        bounded_by_generator: false,
    }
}

/// A metric where less is better.
const fn lower(key: &'static str, label: &'static str, unit: Unit) -> Metric {
    metric(key, label, Better::Lower, unit)
}

/// A metric shown for context only.
const fn info(key: &'static str, label: &'static str, unit: Unit) -> Metric {
    metric(key, label, Better::Info, unit)
}

const fn throughput(key: &'static str, label: &'static str) -> Metric {
    Metric {
        key,
        label,
        better: Better::Higher,
        unit: Unit::Rate,
        bounded_by_generator: true,
    }
}

/// Every metric the scenarios write, in display order.
pub const METRICS: &[Metric] = &[
    throughput("deliveries_per_s", "deliveries/s at saturation"),
    metric(
        "deliveries_per_s_p99_under_50ms",
        "deliveries/s with p99 ≤ 50 ms, no loss",
        Better::Higher,
        Unit::Rate,
    ),
    lower(
        "ref_p50_ms",
        "p50 latency at the reference load",
        Unit::Millis,
    ),
    lower(
        "ref_p99_ms",
        "p99 latency at the reference load",
        Unit::Millis,
    ),
    lower(
        "ref_max_ms",
        "max latency at the reference load",
        Unit::Millis,
    ),
    lower(
        "ref_server_ns_per_delivery",
        "server CPU per delivery at the reference load",
        Unit::Nanos,
    ),
    lower(
        "bytes_per_delivery",
        "WebSocket bytes per delivery",
        Unit::MessageBytes,
    ),
    info(
        "ref_server_cpu",
        "server CPU at the reference load",
        Unit::Core,
    ),
    throughput(
        "cross_node_deliveries_per_s",
        "cross-node deliveries/s at saturation",
    ),
    lower(
        "ref_same_node_p99_ms",
        "same-node p99 latency at the reference load",
        Unit::Millis,
    ),
    lower(
        "ref_cross_node_p50_ms",
        "cross-node p50 latency at the reference load",
        Unit::Millis,
    ),
    lower(
        "ref_cross_node_p99_ms",
        "cross-node p99 latency at the reference load",
        Unit::Millis,
    ),
    info(
        "ref_cross_node_extra_p99_ms",
        "cross-node p99 minus same-node p99 (target ≤ 2 ms)",
        Unit::Millis,
    ),
    lower("fetch_p50_ms", "fetch_sockets p50 round trip", Unit::Millis),
    lower("fetch_p99_ms", "fetch_sockets p99 round trip", Unit::Millis),
    metric(
        "fetch_per_s",
        "fetch_sockets/s, one at a time",
        Better::Higher,
        Unit::Rate,
    ),
    info(
        "fetch_sockets",
        "sockets counted by fetch_sockets",
        Unit::Count,
    ),
    metric(
        "lost_below_saturation",
        "deliveries lost below saturation",
        Better::Zero,
        Unit::Count,
    ),
    info(
        "lost_at_saturation",
        "deliveries lost in the saturating step",
        Unit::Count,
    ),
    info(
        "generator_cpu_at_max",
        "generator CPU at the best step",
        Unit::Core,
    ),
    throughput("acks_per_s", "acks/s"),
    lower("p50_ms", "p50 round trip", Unit::Millis),
    lower("p99_ms", "p99 round trip", Unit::Millis),
    lower("max_ms", "max round trip", Unit::Millis),
    lower("server_ns_per_ack", "server CPU per ack", Unit::Nanos),
    lower(
        "bytes_per_ack",
        "WebSocket bytes per echo and its ack",
        Unit::MessageBytes,
    ),
    metric(
        "unanswered",
        "echoes never acked",
        Better::Zero,
        Unit::Count,
    ),
    lower("bytes_per_conn", "server RSS per connection", Unit::Bytes),
    info(
        "kernel_tcp_bytes_per_conn",
        "kernel TCP memory per connection (both ends)",
        Unit::Bytes,
    ),
    info("connected", "clients connected", Unit::Count),
    throughput("conns_per_s", "connections/s"),
    lower("connect_p50_ms", "p50 connect time", Unit::Millis),
    lower("connect_p99_ms", "p99 connect time", Unit::Millis),
    lower(
        "server_us_per_conn",
        "server CPU per connection",
        Unit::Micros,
    ),
    metric("failures", "failed connections", Better::Zero, Unit::Count),
    info("generator_cpu", "generator CPU", Unit::Core),
    lower(
        "ir_per_delivery",
        "instructions per delivered broadcast",
        Unit::Instructions,
    ),
    lower(
        "ir_per_ack",
        "instructions per acked echo",
        Unit::Instructions,
    ),
    metric(
        "connect_failures",
        "failed connections",
        Better::Zero,
        Unit::Count,
    ),
    lower(
        "recovery_ms",
        "stop to all of its clients back, caught up",
        Unit::Millis,
    ),
    lower(
        "recovery_all_back_ms",
        "stop to all of its clients back",
        Unit::Millis,
    ),
    lower(
        "recovery_back_p50_ms",
        "stop to half of its clients back",
        Unit::Millis,
    ),
    info(
        "recovered",
        "clients recovered (socket id kept)",
        Unit::Count,
    ),
    metric(
        "afresh",
        "clients started afresh",
        Better::Zero,
        Unit::Count,
    ),
    metric(
        "missed_by_second",
        "broadcasts missed by its clients",
        Better::Zero,
        Unit::Count,
    ),
    metric(
        "missed_after_back",
        "of those, skipped after the client was back",
        Better::Zero,
        Unit::Count,
    ),
    metric(
        "missed_by_first",
        "broadcasts missed by the other node's clients",
        Better::Zero,
        Unit::Count,
    ),
    metric(
        "duplicates",
        "broadcasts received twice",
        Better::Zero,
        Unit::Count,
    ),
    metric(
        "dropped",
        "connections dropped while held",
        Better::Zero,
        Unit::Count,
    ),
    lower(
        "ping_late_p50_ms",
        "ping lateness p50 (interval minus pingInterval)",
        Unit::Millis,
    ),
    lower(
        "ping_late_p99_ms",
        "ping lateness p99 (target < 100 ms)",
        Unit::Millis,
    ),
    lower("ping_late_max_ms", "ping lateness max", Unit::Millis),
    info(
        "ping_late_connect_p99_ms",
        "ping lateness p99 while connecting",
        Unit::Millis,
    ),
    info(
        "pings_held",
        "ping intervals measured while held",
        Unit::Count,
    ),
    metric(
        "pings_overdue",
        "pings overdue at the end",
        Better::Zero,
        Unit::Count,
    ),
    lower(
        "server_rss_peak",
        "server RSS, peak (target ≤ 1 GB for tether)",
        Unit::MiB,
    ),
    lower("server_rss", "server RSS at the end of the hold", Unit::MiB),
    info(
        "kernel_tcp_peak",
        "kernel TCP memory, peak (all sockets)",
        Unit::MiB,
    ),
    info(
        "kernel_slab_bytes_per_conn",
        "kernel slab growth per connection (machine-wide, both ends)",
        Unit::Bytes,
    ),
    lower("server_cpu_hold", "server CPU while held", Unit::Core),
    info("generator_rss", "generator RSS, peak", Unit::MiB),
    info(
        "generator_bytes_per_conn",
        "generator RSS per connection",
        Unit::Bytes,
    ),
    metric(
        "clients_closed_early",
        "connections dropped during the run",
        Better::Zero,
        Unit::Count,
    ),
];

/// Metrics shown in the summary table, per scenario.
pub fn headline(scenario: &str) -> &'static [&'static str] {
    match scenario {
        "rooms" | "mixed" | "fanout-polling" => &[
            "deliveries_per_s",
            "ref_p99_ms",
            "ref_server_ns_per_delivery",
            "lost_below_saturation",
        ],
        // The same headline as the JSON scenarios, plus the size on the wire, to
        // read against them.
        "fanout" | "fanout-msgpack" => &[
            "deliveries_per_s",
            "ref_p99_ms",
            "ref_server_ns_per_delivery",
            "bytes_per_delivery",
            "lost_below_saturation",
        ],
        "cluster" | "cluster-streams" => &[
            "cross_node_deliveries_per_s",
            "deliveries_per_s",
            "ref_same_node_p99_ms",
            "ref_cross_node_p99_ms",
            "ref_cross_node_extra_p99_ms",
            "fetch_p50_ms",
            "fetch_p99_ms",
            "lost_below_saturation",
        ],
        "recovery" => &[
            "recovery_ms",
            "recovery_all_back_ms",
            "recovery_back_p50_ms",
            "recovered",
            "afresh",
            "missed_by_second",
            "missed_after_back",
            "missed_by_first",
            "duplicates",
        ],
        "echo-polling" => &["acks_per_s", "p99_ms", "server_ns_per_ack"],
        "echo" | "echo-msgpack" => &["acks_per_s", "p99_ms", "server_ns_per_ack", "bytes_per_ack"],
        "c200k" => &[
            "connected",
            "conns_per_s",
            "dropped",
            "ping_late_p50_ms",
            "ping_late_p99_ms",
            "ping_late_max_ms",
            "server_rss_peak",
            "bytes_per_conn",
            "kernel_tcp_bytes_per_conn",
            "generator_rss",
        ],
        "idle" => &["bytes_per_conn", "connect_failures"],
        s if s.starts_with("storm") => &["conns_per_s", "connect_p99_ms", "failures"],
        "callgrind-fanout" => &["ir_per_delivery"],
        "callgrind-echo" | "callgrind-echo-saturated" | "callgrind-echo-polling" => &["ir_per_ack"],
        _ => &[],
    }
}

/// Looks a metric up by key.
pub fn find(key: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.key == key)
}

/// Prints a value in its unit.
pub fn format(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Rate if value >= 1e6 => format!("{:.2} M/s", value / 1e6),
        Unit::Rate if value >= 1e3 => format!("{:.1} k/s", value / 1e3),
        Unit::Rate => format!("{value:.0}/s"),
        Unit::Millis if value < 10.0 => format!("{value:.2} ms"),
        Unit::Millis => format!("{value:.0} ms"),
        Unit::Nanos => format!("{value:.0} ns"),
        Unit::Micros => format!("{value:.1} µs"),
        Unit::Bytes => format!("{:.1} KiB", value / 1024.0),
        Unit::MiB => format!("{:.0} MiB", value / 1_048_576.0),
        Unit::MessageBytes => format!("{value:.1} B"),
        Unit::Count => format!("{value:.0}"),
        Unit::Core => format!("{:.0} %", value * 100.0),
        Unit::Instructions => format!("{value:.0}"),
    }
}

/// How many times better `reference` is than `other` (above 1: the reference wins).
pub fn advantage(better: Better, reference: f64, other: f64) -> Option<f64> {
    if reference <= 0.0 || other <= 0.0 {
        return None;
    }
    match better {
        Better::Higher => Some(reference / other),
        Better::Lower => Some(other / reference),
        Better::Zero | Better::Info => None,
    }
}
