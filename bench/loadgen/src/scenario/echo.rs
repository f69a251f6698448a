//! Echo with acks: each client keeps a fixed number of `echo` emits in flight
//! (closed loop), or emits at a fixed rate (open loop, for fixed workloads).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::spawn_local;
use tokio::time::{MissedTickBehavior, interval, sleep, timeout};

use super::{Launch, connect_limit, cpu_flags, secs};
use crate::cli::EchoArgs;
use crate::conn::{Error, Target, answer_ping, err};
use crate::polling::Polling;
use crate::procfs::CpuWindow;
use crate::record::{Latency, RunResult, new_histogram, record};
use crate::ws::{Outbox, Ws};
use crate::{clock, eio};

/// Most echoes one open-loop client keeps outstanding before it skips sends.
const MAX_OUTSTANDING: u64 = 10_000;

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Connecting,
    Warmup,
    Measure,
    Stop,
}

/// Shared by all clients.
struct Echo {
    phase: watch::Sender<Phase>,
    hist: RefCell<Histogram<u64>>,
    measured: Cell<u64>,
    acks: Cell<u64>,
    /// WebSocket bytes of the acks received (frame headers included).
    ack_bytes: Cell<u64>,
    sent: Cell<u64>,
    skipped: Cell<u64>,
    outstanding: Cell<u64>,
    closed_early: Cell<u64>,
}

impl Echo {
    fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    fn sent_one(&self) {
        self.sent.set(self.sent.get() + 1);
        self.outstanding.set(self.outstanding.get() + 1);
    }

    fn on_ack(&self, t_us: u64) {
        self.acks.set(self.acks.get() + 1);
        self.outstanding
            .set(self.outstanding.get().saturating_sub(1));
        if self.phase() == Phase::Measure {
            self.measured.set(self.measured.get() + 1);
            record(
                &mut self.hist.borrow_mut(),
                clock::now_us().saturating_sub(t_us),
            );
        }
    }
}

/// Runs the scenario.
pub async fn run(args: &EchoArgs) -> Result<RunResult, Error> {
    let target = Target::new(&args.common);
    let clients = args.clients.max(1);
    let (phase, _) = watch::channel(Phase::Connecting);
    let echo = Rc::new(Echo {
        phase,
        hist: RefCell::new(new_histogram()),
        measured: Cell::new(0),
        acks: Cell::new(0),
        ack_bytes: Cell::new(0),
        sent: Cell::new(0),
        skipped: Cell::new(0),
        outstanding: Cell::new(0),
        closed_early: Cell::new(0),
    });
    let launch = Launch::new(args.common.concurrency);
    let per_client_rate = args.rate.map(|r| r / clients as f64);
    if args.polling && per_client_rate.is_some_and(|rate| rate > 0.0) {
        return Err(err(
            "--polling runs the closed loop only (no --rate but 0, for idle clients)",
        ));
    }
    let polling = args.polling;
    // Polling clients at rate 0 only keep their GET pending (the idle run of callgrind).
    let inflight = if polling && per_client_rate.is_some() {
        0
    } else {
        args.inflight.max(1)
    };
    for index in 0..clients {
        let (target, echo, launch) = (target.clone(), echo.clone(), launch.clone());
        spawn_local(async move {
            if polling {
                let Some(client) = launch.connect(Polling::connect(&target, index)).await else {
                    return;
                };
                if !polling_loop(client, &echo, inflight).await && echo.phase() < Phase::Stop {
                    echo.closed_early.set(echo.closed_early.get() + 1);
                }
                return;
            }
            let Some(ws) = launch.connect(target.socketio(index)).await else {
                return;
            };
            let step = target.step_timeout;
            let ok = match per_client_rate {
                Some(rate) => open_loop(ws, &echo, rate, step).await,
                None => closed_loop(ws, &echo, inflight, step).await,
            };
            if !ok && echo.phase() < Phase::Stop {
                echo.closed_early.set(echo.closed_early.get() + 1);
            }
        });
    }
    launch.wait_all(clients, connect_limit(clients)).await;
    if launch.ready() == 0 {
        return Err(err(format!(
            "no client connected: {}",
            launch.first_error().unwrap_or_default()
        )));
    }

    echo.phase.send_replace(Phase::Warmup);
    sleep(secs(args.warmup_secs)).await;
    let cpu = CpuWindow::start(&args.common.server_pids());
    echo.phase.send_replace(Phase::Measure);
    sleep(secs(args.secs)).await;
    echo.phase.send_replace(Phase::Stop);
    let cpu_use = cpu.finish();
    let drain_start = Instant::now();
    while echo.outstanding.get() > 0 && drain_start.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(20)).await;
    }

    let measured = echo.measured.get();
    let latency = Latency::of(&echo.hist.borrow());
    let mut metrics = std::collections::BTreeMap::new();
    metrics.insert("acks_per_s".into(), measured as f64 / args.secs.max(1e-9));
    metrics.insert("p50_ms".into(), latency.p50_ms);
    metrics.insert("p99_ms".into(), latency.p99_ms);
    metrics.insert("max_ms".into(), latency.max_ms);
    metrics.insert("generator_cpu".into(), cpu_use.own_fraction);
    if let Some(ns) = cpu_use.server_ns_per(measured) {
        metrics.insert("server_ns_per_ack".into(), ns);
    }
    metrics.insert("acks_total".into(), echo.acks.get() as f64);
    if echo.acks.get() > 0 {
        // One round trip: the client's masked request frame and the server's ack.
        let request = eio::echo(1_000, clock::now_us()).len();
        let request = crate::ws::frame::server_frame_len(request) + 4;
        let ack = echo.ack_bytes.get() as f64 / echo.acks.get() as f64;
        metrics.insert("bytes_per_ack".into(), request as f64 + ack);
    }
    metrics.insert("unanswered".into(), echo.outstanding.get() as f64);
    metrics.insert("connect_failures".into(), launch.failed() as f64);
    metrics.insert(
        "clients_closed_early".into(),
        echo.closed_early.get() as f64,
    );
    let flags = cpu_flags(&cpu_use);
    Ok(RunResult {
        scenario: args
            .common
            .scenario
            .clone()
            .unwrap_or_else(|| "echo".into()),
        server: args.common.label.clone(),
        round: args.common.round,
        params: json!({
            "clients": clients,
            "inflight": args.inflight,
            "rate": args.rate,
            "warmup_secs": args.warmup_secs,
            "secs": args.secs,
            "transport": if args.polling { "polling" } else { "websocket" },
        }),
        metrics,
        flags,
        detail: json!({
            "latency": latency,
            "sent": echo.sent.get(),
            "skipped": echo.skipped.get(),
            "server_cpu": cpu_use.server_fraction(),
            "server_core_busy": cpu_use.server_core_busy,
            "contention": cpu_use.contention,
            "generator_core_busy": cpu_use.own_core_busy,
            "first_connect_error": launch.first_error(),
        }),
    })
}

/// Waits until the run leaves the connecting phase.
async fn wait_start(echo: &Echo) -> bool {
    let mut rx = echo.phase.subscribe();
    let started = rx.wait_for(|p| *p >= Phase::Warmup);
    matches!(timeout(Duration::from_secs(600), started).await, Ok(Ok(_)))
}

/// Handles one text frame: records an ack and returns `true`, or queues the
/// answer to a ping and returns `false`.
fn on_text(echo: &Echo, payload: &[u8], out: &mut Outbox) -> bool {
    if let Some((_, args)) = eio::parse_ack(payload) {
        echo.on_ack(eio::first_number_arg(args).unwrap_or(0));
        let bytes = crate::ws::frame::server_frame_len(payload.len()) as u64;
        echo.ack_bytes.set(echo.ack_bytes.get() + bytes);
        return true;
    }
    answer_ping(payload, out);
    false
}

/// Keeps `inflight` echoes outstanding: each ack triggers the next emit.
/// The emits caused by the frames of one read go out in one write.
async fn closed_loop(mut ws: Ws, echo: &Echo, inflight: usize, step: Duration) -> bool {
    if !wait_start(echo).await {
        return false;
    }
    let mut next_id: u64 = 1;
    let mut emit = |out: &mut Outbox| {
        out.packet(&eio::echo(next_id, clock::now_us()));
        next_id += 1;
        echo.sent_one();
    };
    for _ in 0..inflight {
        emit(ws.outbox());
    }
    if ws.flush().await.is_err() {
        return false;
    }
    let mut mine = inflight as u64;
    loop {
        if echo.phase() == Phase::Stop && mine == 0 {
            return true;
        }
        let read = ws.read(|payload, out| {
            if on_text(echo, payload, out) {
                mine = mine.saturating_sub(1);
                if echo.phase() < Phase::Stop {
                    emit(out);
                    mine += 1;
                }
            }
        });
        if !matches!(timeout(step, read).await, Ok(Ok(_))) {
            return false;
        }
    }
}

/// The closed loop over HTTP long-polling: the emits that replace the acks one
/// GET brought (and the answers to pings) go out in one POST, sent while the
/// next GET waits.
async fn polling_loop(mut client: Polling, echo: &Echo, inflight: usize) -> bool {
    if !wait_start(echo).await {
        return false;
    }
    let mut next_id: u64 = 1;
    let mut batch: Vec<u8> = Vec::new();
    let mut emit = |batch: &mut Vec<u8>| {
        push_packet(batch, &eio::echo(next_id, clock::now_us()));
        next_id += 1;
        echo.sent_one();
    };
    for _ in 0..inflight {
        emit(&mut batch);
    }
    let mut mine = inflight as u64;
    loop {
        if echo.phase() == Phase::Stop && mine == 0 {
            return true;
        }
        let Ok(payload) = client
            .exchange(Bytes::from(std::mem::take(&mut batch)))
            .await
        else {
            return false;
        };
        for packet in eio::split_payload(&payload) {
            if let Some((_, args)) = eio::parse_ack(packet) {
                echo.on_ack(eio::first_number_arg(args).unwrap_or(0));
                mine = mine.saturating_sub(1);
                if echo.phase() < Phase::Stop {
                    emit(&mut batch);
                    mine += 1;
                }
            } else if packet == eio::PING {
                push_packet(&mut batch, eio::PONG.as_bytes());
            } else if packet.starts_with(b"1") {
                return false;
            }
        }
    }
}

/// Appends a packet to a polling payload (record separators between packets).
fn push_packet(payload: &mut Vec<u8>, packet: &[u8]) {
    if !payload.is_empty() {
        payload.push(eio::RECORD_SEPARATOR);
    }
    payload.extend_from_slice(packet);
}

/// Emits at `rate` echoes per second from the start of the warm-up, stamped with
/// the scheduled time, until the run stops; then waits for the remaining acks.
async fn open_loop(mut ws: Ws, echo: &Echo, rate: f64, step: Duration) -> bool {
    if !wait_start(echo).await {
        return false;
    }
    let start = Instant::now();
    let start_us = clock::micros_at(start);
    let mut tick = interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let (mut scheduled, mut mine): (u64, u64) = (0, 0);
    // Frames buffered since the handshake are handled before waiting for more.
    // Acks cannot be among them: nothing was emitted yet.
    let handled = ws.handle(|payload, out| {
        on_text(echo, payload, out);
    });
    if handled.await.is_err() {
        return false;
    }
    loop {
        tokio::select! {
            filled = timeout(step, ws.fill()) => {
                if !matches!(filled, Ok(Ok(()))) {
                    return echo.phase() == Phase::Stop && mine == 0;
                }
                let handled = ws.handle(|payload, out| {
                    if on_text(echo, payload, out) {
                        mine = mine.saturating_sub(1);
                    }
                });
                if handled.await.is_err() {
                    return false;
                }
            }
            _ = tick.tick() => {
                if echo.phase() < Phase::Stop && rate > 0.0 {
                    let due = (start.elapsed().as_secs_f64() * rate) as u64 + 1;
                    while scheduled < due {
                        let t_us = start_us + (scheduled as f64 * 1e6 / rate) as u64;
                        scheduled += 1;
                        if mine >= MAX_OUTSTANDING {
                            echo.skipped.set(echo.skipped.get() + 1);
                            continue;
                        }
                        ws.queue_packet(&eio::echo(scheduled, t_us));
                        echo.sent_one();
                        mine += 1;
                    }
                } else if mine == 0 {
                    return true;
                }
            }
        }
        if ws.flush().await.is_err() {
            return false;
        }
    }
}
