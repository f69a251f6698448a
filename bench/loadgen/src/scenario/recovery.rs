//! Recovery after a node stops: clients alternate between two nodes of a cluster
//! with connection state recovery on, a publisher on the first node broadcasts
//! at a steady rate, and the second node is sent `SIGTERM`. Its clients reconnect
//! to the first node at once, asking to recover their session (`pid` and the
//! offset of the last event they received). The run measures how long until every
//! one of them is back and caught up (every broadcast received, in order, no
//! gap), and how many got their session back (same socket id) or started afresh.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use tokio::task::spawn_local;
use tokio::time::{MissedTickBehavior, interval, sleep, timeout};

use super::{Launch, connect_limit, secs};
use crate::cli::RecoveryArgs;
use crate::conn::{Error, Target, err, lossy, next_text};
use crate::record::{RunResult, new_histogram, record};
use crate::ws::Ws;
use crate::{clock, eio};

/// What one subscriber saw.
#[derive(Debug, Clone, Default)]
struct Client {
    node: usize,
    /// The next broadcast expected (they arrive in order).
    next: u64,
    received: u64,
    gaps: u64,
    duplicates: u64,
    /// Whether it lost its connection after the stop and connected again.
    reconnected: bool,
    /// Whether the reconnection kept its socket id.
    recovered: bool,
    /// When, after the stop, it first got a broadcast published after the stop.
    back_us: Option<u64>,
    /// Whether it had no gap at that moment.
    caught_up: bool,
    /// Broadcasts it had skipped by then.
    gaps_at_back: u64,
    error: Option<String>,
}

/// State shared by the publisher, the subscribers and the driver (one thread).
struct Run {
    clients: RefCell<Vec<Client>>,
    /// Broadcasts sent so far.
    sent: Cell<u64>,
    /// Time of the stop and the first broadcast sent after it.
    stop: Cell<Option<(u64, u64)>>,
    publishing: Cell<bool>,
}

impl Run {
    fn deliver(&self, index: usize, seq: u64) {
        let stop = self.stop.get();
        let mut clients = self.clients.borrow_mut();
        let client = &mut clients[index];
        client.received += 1;
        if seq < client.next {
            client.duplicates += 1;
            return;
        }
        client.gaps += seq - client.next;
        client.next = seq + 1;
        if let Some((stop_us, stop_seq)) = stop
            && client.node == 1
            && client.reconnected
            && client.back_us.is_none()
            && seq >= stop_seq
        {
            client.back_us = Some(clock::now_us().saturating_sub(stop_us));
            client.caught_up = client.gaps == 0;
            client.gaps_at_back = client.gaps;
        }
    }
}

/// Runs the scenario.
pub async fn run(args: &RecoveryArgs) -> Result<RunResult, Error> {
    let first = Target::new(&args.common);
    let targets = [first.clone(), first.with_port(args.second_port)];
    let count = args.clients.max(2);
    let run = Rc::new(Run {
        clients: RefCell::new(
            (0..count)
                .map(|i| Client {
                    node: i % 2,
                    ..Client::default()
                })
                .collect(),
        ),
        sent: Cell::new(0),
        stop: Cell::new(None),
        publishing: Cell::new(false),
    });
    let launch = Launch::new(args.common.concurrency);
    for index in 0..count {
        let (launch, run, targets) = (launch.clone(), run.clone(), targets.clone());
        spawn_local(async move {
            let node = index % 2;
            if let Some(session) = launch.connect(connect(&targets[node], index, None)).await {
                subscriber(session, index, &targets, &run).await;
            }
        });
    }
    launch.wait_all(count, connect_limit(count)).await;
    if launch.failed() > 0 {
        return Err(err(format!(
            "{} clients failed to connect: {}",
            launch.failed(),
            launch.first_error().unwrap_or_default()
        )));
    }
    let publisher = connect(&first, count, None).await?;
    run.publishing.set(true);
    spawn_local(publish(publisher.ws, run.clone(), args.rate));
    sleep(secs(args.before_secs)).await;

    let stop_us = clock::now_us();
    run.stop.set(Some((stop_us, run.sent.get())));
    let status = std::process::Command::new("kill")
        .arg(format!("-{}", args.signal))
        .arg(args.stop_pid.to_string())
        .status()?;
    if !status.success() {
        return Err(err(format!("kill {} failed", args.stop_pid)));
    }
    let limit = Instant::now() + secs(args.limit_secs);
    let second = || run.clients.borrow().iter().filter(|c| c.node == 1).count();
    let back = || {
        run.clients
            .borrow()
            .iter()
            .filter(|c| c.node == 1 && (c.back_us.is_some() || c.error.is_some()))
            .count()
    };
    while back() < second() && Instant::now() < limit {
        sleep(Duration::from_millis(5)).await;
    }
    let waited = Duration::from_micros(clock::now_us() - stop_us);
    sleep(secs(args.after_secs)).await;
    run.publishing.set(false);
    drain(&run, DRAIN_LIMIT).await;
    Ok(summarize(args, &run, waited))
}

/// Longest wait for the last broadcasts once publishing stopped.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// Waits until every client still connected has every broadcast sent, or `limit`.
async fn drain(run: &Run, limit: Duration) {
    // The publisher may still send the frames of its last tick.
    sleep(Duration::from_millis(20)).await;
    let sent = run.sent.get();
    let start = Instant::now();
    while start.elapsed() < limit
        && run
            .clients
            .borrow()
            .iter()
            .any(|c| c.error.is_none() && c.next < sent)
    {
        sleep(Duration::from_millis(10)).await;
    }
}

/// A connected client: its connection, socket id and recovery id.
struct Session {
    ws: Ws,
    sid: String,
    pid: String,
    /// Events that came before the CONNECT reply.
    early: Vec<Vec<u8>>,
}

/// Connects to `/` on `target`, asking to recover `resume` (pid and offset) if given.
async fn connect(
    target: &Target,
    index: usize,
    resume: Option<(&str, &str)>,
) -> Result<Session, Error> {
    let mut ws = target.websocket(index, None).await?;
    let open = next_text(&mut ws, target.step_timeout).await?;
    if eio::open_sid(&open).is_none() {
        return Err(err(format!(
            "expected an open packet, got {}",
            lossy(&open)
        )));
    }
    let connect = match resume {
        Some((pid, offset)) => eio::connect_recover(pid, offset),
        None => eio::SIO_CONNECT.to_owned(),
    };
    ws.send_text(connect.as_bytes()).await?;
    // Node sends the missed events of a recovered session before the CONNECT
    // reply (socket.io-client buffers them until it is connected); so does this.
    let mut early = Vec::new();
    let reply = loop {
        let frame = next_text(&mut ws, target.step_timeout).await?;
        if eio::parse_bcast(&frame).is_none() || early.len() >= MAX_EARLY {
            break frame;
        }
        early.push(frame);
    };
    let (Some(sid), Some(pid)) = (
        eio::string_field(&reply, "sid"),
        eio::string_field(&reply, "pid"),
    ) else {
        return Err(err(format!(
            "expected a CONNECT reply with sid and pid (is recovery on?), got {}",
            lossy(&reply)
        )));
    };
    let (sid, pid) = (sid.to_owned(), pid.to_owned());
    Ok(Session {
        ws,
        sid,
        pid,
        early,
    })
}

/// Most events kept while waiting for the CONNECT reply.
const MAX_EARLY: usize = 100_000;

/// Reads broadcasts; when the connection of a second-node client closes after the
/// stop, reconnects to the first node once, resuming from the last offset.
async fn subscriber(session: Session, index: usize, targets: &[Target; 2], run: &Run) {
    let Session {
        mut ws,
        mut sid,
        mut pid,
        early,
    } = session;
    let mut offset = String::new();
    let mut node = index % 2;
    for frame in &early {
        on_event(run, index, &mut offset, frame);
    }
    loop {
        while ws
            .read(|payload, out| {
                if !on_event(run, index, &mut offset, payload) {
                    crate::conn::answer_ping(payload, out);
                }
            })
            .await
            .is_ok()
        {}
        if node == 0 || run.stop.get().is_none() || !run.publishing.get() {
            return;
        }
        node = 0;
        let resume = (!offset.is_empty()).then_some((pid.as_str(), offset.as_str()));
        match connect(&targets[0], index, resume).await {
            Ok(next) => {
                let mut clients = run.clients.borrow_mut();
                clients[index].reconnected = true;
                clients[index].recovered = next.sid == sid;
                drop(clients);
                for frame in &next.early {
                    on_event(run, index, &mut offset, frame);
                }
                ws = next.ws;
                sid = next.sid;
                pid = next.pid;
            }
            Err(e) => {
                run.clients.borrow_mut()[index].error = Some(e.to_string());
                return;
            }
        }
    }
}

/// Records a `bcast` and keeps its offset; `false` for any other frame.
fn on_event(run: &Run, index: usize, offset: &mut String, payload: &[u8]) -> bool {
    let Some((seq, _)) = eio::parse_bcast(payload) else {
        return false;
    };
    if let Some(o) = eio::event_offset(payload) {
        o.clone_into(offset);
    }
    run.deliver(index, seq);
    true
}

/// Publishes `broadcast({seq,t})` at `rate` per second while the run publishes,
/// then keeps reading until the run ends: closing with unread bytes would reset
/// the connection, and the server could lose the last broadcasts it had not read.
async fn publish(mut ws: Ws, run: Rc<Run>, rate: f64) {
    let mut tick = interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let start = Instant::now();
    let start_us = clock::micros_at(start);
    loop {
        tokio::select! {
            read = ws.read(crate::conn::answer_ping) => if read.is_err() { return },
            _ = tick.tick(), if run.publishing.get() => {
                let due = (start.elapsed().as_secs_f64() * rate) as u64 + 1;
                let mut sent = run.sent.get();
                while sent < due {
                    let t_us = start_us + (sent as f64 * 1e6 / rate) as u64;
                    ws.queue_packet(&eio::broadcast(sent, t_us));
                    sent += 1;
                }
                run.sent.set(sent);
                if !matches!(timeout(Duration::from_secs(10), ws.flush()).await, Ok(Ok(()))) {
                    return;
                }
            }
        }
    }
}

/// Per-run figures.
#[derive(Debug, Serialize)]
struct Detail {
    second_node_clients: usize,
    reconnected: usize,
    recovered: usize,
    afresh: usize,
    caught_up: usize,
    back: usize,
    errors: usize,
    first_error: Option<String>,
    back_p50_ms: f64,
    back_p99_ms: f64,
    missed_by_second: u64,
    /// Of those: skipped after its client was back (a hole behind the replay).
    missed_after_back: u64,
    /// Of those: sent but not arrived by the end of the run.
    missed_at_end: u64,
    missed_by_first: u64,
    duplicates: u64,
    sent: u64,
}

fn summarize(args: &RecoveryArgs, run: &Run, waited: Duration) -> RunResult {
    let clients = run.clients.borrow();
    let sent = run.sent.get();
    let mut hist = new_histogram();
    let second: Vec<_> = clients.iter().filter(|c| c.node == 1).collect();
    for back in second.iter().filter_map(|c| c.back_us) {
        record(&mut hist, back);
    }
    // A client missing the tail counts it too: everything sent should have arrived.
    let missed = |c: &Client| c.gaps + sent.saturating_sub(c.next);
    let detail = Detail {
        second_node_clients: second.len(),
        reconnected: second.iter().filter(|c| c.reconnected).count(),
        recovered: second.iter().filter(|c| c.recovered).count(),
        afresh: second
            .iter()
            .filter(|c| c.reconnected && !c.recovered)
            .count(),
        caught_up: second.iter().filter(|c| c.caught_up).count(),
        back: second.iter().filter(|c| c.back_us.is_some()).count(),
        errors: second.iter().filter(|c| c.error.is_some()).count(),
        first_error: second.iter().find_map(|c| c.error.clone()),
        back_p50_ms: hist.value_at_quantile(0.5) as f64 / 1000.0,
        back_p99_ms: hist.value_at_quantile(0.99) as f64 / 1000.0,
        missed_by_second: second.iter().map(|c| missed(c)).sum(),
        missed_after_back: second
            .iter()
            .filter(|c| c.back_us.is_some())
            .map(|c| c.gaps - c.gaps_at_back)
            .sum(),
        missed_at_end: second.iter().map(|c| sent.saturating_sub(c.next)).sum(),
        missed_by_first: clients.iter().filter(|c| c.node == 0).map(missed).sum(),
        duplicates: clients.iter().map(|c| c.duplicates).sum(),
        sent,
    };
    let all_back = detail.back == detail.second_node_clients;
    let all_caught_up = detail.caught_up == detail.second_node_clients;
    let mut metrics = BTreeMap::new();
    if all_back {
        metrics.insert("recovery_all_back_ms".into(), hist.max() as f64 / 1000.0);
    }
    if all_caught_up {
        metrics.insert("recovery_ms".into(), hist.max() as f64 / 1000.0);
    }
    metrics.insert("recovery_back_p50_ms".into(), detail.back_p50_ms);
    metrics.insert("recovered".into(), detail.recovered as f64);
    metrics.insert("afresh".into(), detail.afresh as f64);
    metrics.insert("missed_by_second".into(), detail.missed_by_second as f64);
    metrics.insert("missed_after_back".into(), detail.missed_after_back as f64);
    metrics.insert("missed_by_first".into(), detail.missed_by_first as f64);
    metrics.insert("duplicates".into(), detail.duplicates as f64);
    let mut flags = Vec::new();
    if !all_back {
        flags.push("not-all-back".into());
    }
    if !all_caught_up {
        flags.push("gaps".into());
    }
    RunResult {
        scenario: args
            .common
            .scenario
            .clone()
            .unwrap_or_else(|| "recovery".into()),
        server: args.common.label.clone(),
        round: args.common.round,
        params: json!({
            "clients": clients.len(),
            "rate": args.rate,
            "before_secs": args.before_secs,
            "limit_secs": args.limit_secs,
            "signal": args.signal,
            "waited_secs": waited.as_secs_f64(),
        }),
        metrics,
        flags,
        detail: serde_json::to_value(&detail).unwrap_or_default(),
    }
}
