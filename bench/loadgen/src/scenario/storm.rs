//! Connect storm: open connections as fast as the server takes them, with a
//! bounded number of handshakes in flight, and hold them until all are done.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;

use serde_json::json;
use tokio::task::spawn_local;

use super::{Launch, connect_limit, cpu_flags, keep_alive};
use crate::cli::{StormArgs, Transport};
use crate::conn::{Error, Target};
use crate::polling::connect_upgraded;
use crate::procfs::CpuWindow;
use crate::record::{Latency, RunResult, new_histogram, record};

/// Runs the scenario.
pub async fn run(args: &StormArgs) -> Result<RunResult, Error> {
    let target = Target::new(&args.common);
    let clients = args.clients.max(1);
    let hist = Rc::new(RefCell::new(new_histogram()));
    let launch = Launch::new(args.common.concurrency);
    let cpu = CpuWindow::start(&args.common.server_pids());
    for index in 0..clients {
        let (target, launch, hist) = (target.clone(), launch.clone(), hist.clone());
        let transport = args.transport;
        spawn_local(async move {
            let handshake = async {
                let start = Instant::now();
                let ws = match transport {
                    Transport::Websocket => target.socketio(index).await?,
                    Transport::Upgrade => connect_upgraded(&target, index).await?,
                };
                let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
                record(&mut hist.borrow_mut(), micros);
                Ok::<_, Error>(ws)
            };
            if let Some(ws) = launch.connect(handshake).await {
                keep_alive(ws).await;
            }
        });
    }
    let elapsed = launch.wait_all(clients, connect_limit(clients)).await;
    let cpu_use = cpu.finish();
    let latency = Latency::of(&hist.borrow());

    let mut metrics = BTreeMap::new();
    metrics.insert(
        "conns_per_s".into(),
        launch.ready() as f64 / elapsed.as_secs_f64().max(1e-9),
    );
    metrics.insert("failures".into(), launch.failed() as f64);
    metrics.insert("connect_p50_ms".into(), latency.p50_ms);
    metrics.insert("connect_p99_ms".into(), latency.p99_ms);
    metrics.insert("generator_cpu".into(), cpu_use.own_fraction);
    if let Some(ns) = cpu_use.server_ns_per(launch.ready() as u64) {
        metrics.insert("server_us_per_conn".into(), ns / 1000.0);
    }
    let flags = cpu_flags(&cpu_use);
    let transport = match args.transport {
        Transport::Websocket => "websocket",
        Transport::Upgrade => "upgrade",
    };
    Ok(RunResult {
        scenario: args
            .common
            .scenario
            .clone()
            .unwrap_or_else(|| format!("storm-{transport}")),
        server: args.common.label.clone(),
        round: args.common.round,
        params: json!({
            "clients": clients,
            "transport": transport,
            "concurrency": args.common.concurrency,
        }),
        metrics,
        flags,
        detail: json!({
            "elapsed_secs": elapsed.as_secs_f64(),
            "latency": latency,
            "server_cpu": cpu_use.server_fraction(),
            "server_core_busy": cpu_use.server_core_busy,
            "contention": cpu_use.contention,
            "generator_core_busy": cpu_use.own_core_busy,
            "first_connect_error": launch.first_error(),
        }),
    })
}
