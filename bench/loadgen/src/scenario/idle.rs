//! Idle memory: many clients connect and stay idle; the server's resident memory
//! grows by so much per connection.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use serde_json::json;
use tokio::task::spawn_local;
use tokio::time::sleep;

use super::{Launch, connect_limit, keep_alive, secs};
use crate::cli::IdleArgs;
use crate::conn::{Error, Target, err};
use crate::procfs::{peak_rss_bytes, rss_bytes, tcp_mem_pages};
use crate::record::RunResult;

/// Size of a page in `/proc/net/sockstat`.
const PAGE: u64 = 4096;

/// Runs the scenario.
pub async fn run(args: &IdleArgs) -> Result<RunResult, Error> {
    let pid = args.common.required_server_pid("idle")?;
    let target = Target::new(&args.common);
    let clients = args.clients.max(1);
    let read_rss = || rss_bytes(pid).ok_or_else(|| err(format!("cannot read memory of pid {pid}")));

    sleep(Duration::from_millis(500)).await;
    let rss_before = read_rss()?;
    let tcp_before = tcp_mem_pages().unwrap_or(0);
    let launch = Launch::new(args.common.concurrency);
    let closed = Rc::new(Cell::new(0u64));
    for index in 0..clients {
        let (target, launch, closed) = (target.clone(), launch.clone(), closed.clone());
        spawn_local(async move {
            if let Some(ws) = launch.connect(target.socketio(index)).await {
                keep_alive(ws).await;
                closed.set(closed.get() + 1);
            }
        });
    }
    let connect_time = launch.wait_all(clients, connect_limit(clients)).await;
    let rss_connected = read_rss()?;
    sleep(secs(args.settle_secs)).await;
    let rss_after = read_rss()?;
    let tcp_after = tcp_mem_pages().unwrap_or(0);
    let connected = launch.ready().max(1) as f64;

    let mut metrics = BTreeMap::new();
    metrics.insert(
        "bytes_per_conn".into(),
        rss_after.saturating_sub(rss_before) as f64 / connected,
    );
    metrics.insert(
        "kernel_tcp_bytes_per_conn".into(),
        tcp_after.saturating_sub(tcp_before) as f64 * PAGE as f64 / connected,
    );
    metrics.insert("connected".into(), launch.ready() as f64);
    metrics.insert("connect_failures".into(), launch.failed() as f64);
    metrics.insert("clients_closed_early".into(), closed.get() as f64);
    Ok(RunResult {
        scenario: args
            .common
            .scenario
            .clone()
            .unwrap_or_else(|| "idle".into()),
        server: args.common.label.clone(),
        round: args.common.round,
        params: json!({ "clients": clients, "settle_secs": args.settle_secs }),
        metrics,
        flags: Vec::new(),
        detail: json!({
            "rss_before": rss_before,
            "rss_connected": rss_connected,
            "rss_after": rss_after,
            "rss_peak": peak_rss_bytes(pid),
            "tcp_mem_pages_before": tcp_before,
            "tcp_mem_pages_after": tcp_after,
            "connect_secs": connect_time.as_secs_f64(),
            "first_connect_error": launch.first_error(),
        }),
    })
}
