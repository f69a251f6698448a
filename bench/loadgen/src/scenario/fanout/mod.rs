//! Fan-out, rooms, mixed and cluster scenarios: N clients receive `bcast` events
//! caused by one publisher at open-loop rates stepped up until the server
//! saturates. In a cluster run the clients alternate between two nodes, the
//! publisher on the first, and a fetch phase times `fetch_sockets` first.

mod clients;
mod fetch;
mod state;

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use tokio::task::spawn_local;
use tokio::time::sleep;

use self::state::Fan;
use super::{CONTENDED, GENERATOR_BOUND, Launch, connect_limit, secs};
use crate::cli::FanoutArgs;
use crate::conn::{Error, Target, err};
use crate::eio;
use crate::polling::Polling;
use crate::procfs::CpuWindow;
use crate::record::{Latency, RunResult};

/// One step of the run.
#[derive(Debug, Clone, Serialize)]
struct StepReport {
    rate: f64,
    secs: f64,
    sent: u64,
    expected: u64,
    received: u64,
    lost: u64,
    offered_per_s: f64,
    delivered_per_s: f64,
    latency: Latency,
    generator_cpu: f64,
    generator_core_busy: Option<f64>,
    server_cpu: Option<f64>,
    server_core_busy: Option<f64>,
    contention: Option<f64>,
    server_ns_per_delivery: Option<f64>,
    saturated: bool,
    /// Per node, the publisher's first (cluster runs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    nodes: Option<Vec<NodeStep>>,
}

/// What the clients of one node received in one step.
#[derive(Debug, Clone, Serialize)]
struct NodeStep {
    expected: u64,
    received: u64,
    lost: u64,
    delivered_per_s: f64,
    latency: Latency,
}

/// Runs the scenario.
pub async fn run(args: &FanoutArgs) -> Result<RunResult, Error> {
    let first = Target::new(&args.common);
    let mut targets = vec![first.clone()];
    targets.extend(args.second_port.map(|port| first.with_port(port)));
    let clients = args.clients.max(1);
    let fan = Rc::new(Fan::new(clients, args.rooms, targets.len()));
    let launch = Launch::new(args.common.concurrency);
    let polling_every = match args.polling_percent {
        0 => 0,
        p => (100 / p.min(100)) as usize,
    };
    let polling_count = (0..clients)
        .filter(|&i| is_polling(i, polling_every))
        .count();
    for index in 0..clients {
        spawn_client(
            index,
            is_polling(index, polling_every),
            args,
            &targets[fan.node_of(index)],
            &fan,
            &launch,
        );
    }
    let connect_time = launch.wait_all(clients, connect_limit(clients)).await;
    if launch.ready() == 0 || launch.failed() == clients {
        return Err(err(format!(
            "no client connected: {}",
            launch.first_error().unwrap_or_default()
        )));
    }
    sleep(Duration::from_millis(300)).await;
    let fetched = if args.fetch_secs > 0.0 {
        let report = fetch::run(&first, clients, secs(args.fetch_secs)).await;
        // The fetching client has left; let its disconnection settle.
        sleep(Duration::from_millis(300)).await;
        Some(report)
    } else {
        None
    };

    let steps = run_steps(args, &fan).await;
    drain(&fan, secs(args.drain_secs)).await;
    fan.finish();

    let steps = finalize(&fan, steps);
    let (mut metrics, mut flags) = summarize(args, &steps);
    if let Some(fetched) = &fetched {
        fetch_metrics(fetched, launch.ready() as u64 + 1, &mut metrics, &mut flags);
    }
    metrics.insert("connect_failures".into(), launch.failed() as f64);
    metrics.insert("clients_closed_early".into(), fan.closed_early() as f64);
    metrics.insert("delivered_total".into(), fan.delivered() as f64);
    if let Some(bytes) = fan.bytes_per_delivery() {
        metrics.insert("bytes_per_delivery".into(), bytes);
    }
    Ok(RunResult {
        scenario: args
            .common
            .scenario
            .clone()
            .unwrap_or_else(|| "fanout".into()),
        server: args.common.label.clone(),
        round: args.common.round,
        params: json!({
            "clients": clients,
            "polling_clients": polling_count,
            "rooms": args.rooms,
            "rates": args.rates,
            "step_secs": args.step_secs,
            "settle_ms": args.settle_ms,
            "ref_rate": args.ref_rate,
            "stop_p99_ms": args.stop_p99_ms,
            "stop_ratio": args.stop_ratio,
            "nodes": targets.len(),
            "fetch_secs": args.fetch_secs,
        }),
        metrics,
        flags,
        detail: json!({
            "connect_secs": connect_time.as_secs_f64(),
            "first_connect_error": launch.first_error(),
            "fetch": fetched,
            "steps": steps,
        }),
    })
}

/// Client 0 publishes and must be on WebSocket; 1 in `every` of the others polls.
fn is_polling(index: usize, every: usize) -> bool {
    every > 0 && index % every == every - 1 && index != 0
}

fn spawn_client(
    index: usize,
    polling: bool,
    args: &FanoutArgs,
    target: &Target,
    fan: &Rc<Fan>,
    launch: &Rc<Launch>,
) {
    let room = (args.rooms > 0).then(|| eio::room_name(index % args.rooms));
    let node = fan.node_of(index);
    let (target, fan, launch) = (target.clone(), fan.clone(), launch.clone());
    spawn_local(async move {
        if polling {
            let handshake = async {
                let mut client = Polling::connect(&target, index).await?;
                if let Some(room) = &room {
                    client.join(room).await?;
                }
                Ok(client)
            };
            if let Some(client) = launch.connect(handshake).await {
                clients::polling_subscriber(client, fan, node).await;
            }
            return;
        }
        let handshake = async {
            let mut ws = target.socketio(index).await?;
            if let Some(room) = &room {
                target.join(&mut ws, room).await?;
            }
            Ok(ws)
        };
        if let Some(ws) = launch.connect(handshake).await {
            if index == 0 {
                clients::publisher(ws, fan, target.step_timeout).await;
            } else {
                clients::subscriber(ws, fan, node).await;
            }
        }
    });
}

/// Steps through the offered rates until the server saturates.
async fn run_steps(args: &FanoutArgs, fan: &Fan) -> Vec<StepReport> {
    let step_len = secs(args.step_secs);
    let settle = Duration::from_millis(args.settle_ms);
    let mut reports = Vec::new();
    for (index, &rate) in args.rates.iter().enumerate() {
        let cpu = CpuWindow::start(&args.common.server_pids());
        let before = fan.delivered();
        let before_on: Vec<u64> = (0..fan.nodes()).map(|n| fan.delivered_on(n)).collect();
        fan.start_step(rate);
        sleep(step_len).await;
        fan.stop_publishing();
        let during_step = fan.delivered() - before;
        let during_on: Vec<u64> = (0..fan.nodes())
            .map(|n| fan.delivered_on(n) - before_on[n])
            .collect();
        let sending = cpu.finish();
        sleep(settle).await;
        let cpu_use = cpu.finish();
        let with_settle = fan.delivered() - before;
        let Some(counts) = fan.counts(index) else {
            break;
        };
        let step_secs = step_len.as_secs_f64();
        let offered = counts.expected as f64 / step_secs;
        let delivered_per_s = during_step as f64 / step_secs;
        let saturated = delivered_per_s < args.stop_ratio * offered
            || counts.latency.p99_ms > args.stop_p99_ms
            || (counts.received as f64) < 0.99 * counts.expected as f64;
        reports.push(StepReport {
            rate,
            secs: step_secs,
            sent: counts.sent,
            expected: counts.expected,
            received: counts.received,
            lost: 0,
            offered_per_s: offered,
            delivered_per_s,
            latency: counts.latency,
            generator_cpu: sending.own_fraction,
            generator_core_busy: sending.own_core_busy,
            server_cpu: cpu_use.server_fraction(),
            server_core_busy: sending.server_core_busy,
            contention: sending.contention,
            server_ns_per_delivery: cpu_use.server_ns_per(with_settle),
            saturated,
            nodes: (fan.nodes() > 1).then(|| {
                counts
                    .nodes
                    .iter()
                    .zip(&during_on)
                    .map(|(node, &during)| NodeStep {
                        expected: node.expected,
                        received: node.received,
                        lost: 0,
                        delivered_per_s: during as f64 / step_secs,
                        latency: node.latency,
                    })
                    .collect()
            }),
        });
        if saturated && !args.no_stop {
            break;
        }
    }
    reports
}

/// Waits for late deliveries until none are missing, nothing arrived for a second, or `limit`.
async fn drain(fan: &Fan, limit: Duration) {
    let start = Instant::now();
    let mut last = fan.delivered();
    let mut quiet_since = Instant::now();
    while fan.missing() > 0 && start.elapsed() < limit {
        sleep(Duration::from_millis(100)).await;
        let now = fan.delivered();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_secs(1) {
            break;
        }
    }
}

/// Replaces the interim counts with the final ones (late deliveries included).
fn finalize(fan: &Fan, mut steps: Vec<StepReport>) -> Vec<StepReport> {
    for (index, step) in steps.iter_mut().enumerate() {
        if let Some(counts) = fan.counts(index) {
            step.received = counts.received;
            step.lost = counts.expected.saturating_sub(counts.received);
            step.latency = counts.latency;
            for (node, now) in step.nodes.iter_mut().flatten().zip(&counts.nodes) {
                node.received = now.received;
                node.lost = now.expected.saturating_sub(now.received);
                node.latency = now.latency;
            }
        }
    }
    steps
}

fn summarize(args: &FanoutArgs, steps: &[StepReport]) -> (BTreeMap<String, f64>, Vec<String>) {
    let mut metrics = BTreeMap::new();
    let mut flags = Vec::new();
    let best = steps
        .iter()
        .max_by(|a, b| a.delivered_per_s.total_cmp(&b.delivered_per_s));
    if let Some(best) = best {
        metrics.insert("deliveries_per_s".into(), best.delivered_per_s);
        metrics.insert("generator_cpu_at_max".into(), best.generator_cpu);
        if best.generator_cpu >= GENERATOR_BOUND {
            flags.push("generator-bound".into());
        }
        if !steps.iter().any(|s| s.saturated) {
            flags.push("not-saturated".into());
        }
    }
    if steps
        .iter()
        .any(|s| s.contention.is_some_and(|c| c > CONTENDED))
    {
        flags.push("contended".into());
    }
    let under_50 = steps
        .iter()
        .filter(|s| s.latency.p99_ms <= 50.0 && s.lost == 0 && !s.saturated)
        .map(|s| s.delivered_per_s)
        .fold(0.0, f64::max);
    metrics.insert("deliveries_per_s_p99_under_50ms".into(), under_50);
    let reference = steps.iter().min_by(|a, b| {
        (a.rate - args.ref_rate)
            .abs()
            .total_cmp(&(b.rate - args.ref_rate).abs())
    });
    if let Some(r) = reference {
        metrics.insert("ref_p50_ms".into(), r.latency.p50_ms);
        metrics.insert("ref_p99_ms".into(), r.latency.p99_ms);
        metrics.insert("ref_max_ms".into(), r.latency.max_ms);
        if let Some(ns) = r.server_ns_per_delivery {
            metrics.insert("ref_server_ns_per_delivery".into(), ns);
        }
        if let Some(cpu) = r.server_cpu {
            metrics.insert("ref_server_cpu".into(), cpu);
        }
        if let Some([same, cross]) = r.nodes.as_deref() {
            metrics.insert("ref_same_node_p99_ms".into(), same.latency.p99_ms);
            metrics.insert("ref_cross_node_p50_ms".into(), cross.latency.p50_ms);
            metrics.insert("ref_cross_node_p99_ms".into(), cross.latency.p99_ms);
            metrics.insert(
                "ref_cross_node_extra_p99_ms".into(),
                cross.latency.p99_ms - same.latency.p99_ms,
            );
        }
    }
    let cross_best = steps
        .iter()
        .filter_map(|s| s.nodes.as_deref()?.get(1))
        .map(|n| n.delivered_per_s)
        .fold(None, |best: Option<f64>, v| {
            Some(best.map_or(v, |b| b.max(v)))
        });
    if let Some(best) = cross_best {
        metrics.insert("cross_node_deliveries_per_s".into(), best);
    }
    let below: u64 = steps.iter().filter(|s| !s.saturated).map(|s| s.lost).sum();
    let at: u64 = steps.iter().filter(|s| s.saturated).map(|s| s.lost).sum();
    metrics.insert("lost_below_saturation".into(), below as f64);
    metrics.insert("lost_at_saturation".into(), at as f64);
    (metrics, flags)
}

/// Metrics of the fetch phase; `expected` is the number of sockets every answer
/// should count (the subscribers and the fetching client).
fn fetch_metrics(
    fetched: &fetch::FetchReport,
    expected: u64,
    metrics: &mut BTreeMap<String, f64>,
    flags: &mut Vec<String>,
) {
    metrics.insert("fetch_answered".into(), fetched.answered as f64);
    if fetched.answered > 0 {
        metrics.insert("fetch_p50_ms".into(), fetched.latency.p50_ms);
        metrics.insert("fetch_p99_ms".into(), fetched.latency.p99_ms);
        metrics.insert("fetch_per_s".into(), fetched.per_s);
        metrics.insert("fetch_sockets".into(), fetched.sockets_min as f64);
    }
    if fetched.error.is_some() || fetched.answered == 0 {
        flags.push("fetch-failed".into());
    }
    if fetched.answered > 0 && (fetched.sockets_min != expected || fetched.sockets_max != expected)
    {
        flags.push("fetch-count-mismatch".into());
    }
}
