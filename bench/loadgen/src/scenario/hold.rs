//! Very many idle WebSocket connections held for minutes: whether the server
//! pings every one of them on time, drops none, and what they cost it in memory.
//!
//! The generator must itself hold hundreds of thousands of connections on one
//! core, so once a connection is open it keeps no buffer of its own: its task
//! owns the stream, the few bytes of a frame split across reads (rare, and
//! freed once complete) and nothing else; it reads into a buffer on the stack
//! and answers pings. Handshakes are started only as permits free up, so the
//! handshake state of at most `--concurrency` connections exists at a time.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::spawn_local;
use tokio::time::sleep;

use super::{Launch, connect_limit, cpu_flags, secs};
use crate::cli::HoldArgs;
use crate::conn::{Error, Target, err};
use crate::procfs::{CpuWindow, meminfo_bytes, peak_rss_bytes, rss_bytes, tcp_mem_pages};
use crate::record::{Latency, RunResult, new_histogram, record};
use crate::ws::frame::{self, Outbox, parse_header};
use crate::{clock, eio};

/// Size of a page in `/proc/net/sockstat`.
const PAGE: u64 = 4096;
/// Largest frame an idle connection accepts (the server sends pings only).
const MAX_IDLE_PAYLOAD: usize = 64 * 1024;
/// Bytes read at once by an idle connection, on the stack.
const READ_CHUNK: usize = 256;
/// `last` of a connection not open yet.
const NOT_OPEN: u64 = 0;
/// `last` of a connection that has closed.
const CLOSED: u64 = u64::MAX;

/// Shared by all connections.
struct Hold {
    /// The server's ping interval, from the first open packet, in microseconds.
    interval_us: Cell<u64>,
    /// Per connection: when its open packet or its last ping arrived (µs on
    /// the generator's clock), or [`NOT_OPEN`], or [`CLOSED`].
    last: Vec<Cell<u64>>,
    /// All connections are open (or failed): pings now count as held.
    holding: Cell<bool>,
    /// The hold is over: closes no longer count as dropped.
    stopping: Cell<bool>,
    /// Lateness of the pings that arrived while connecting.
    ramp: RefCell<Histogram<u64>>,
    /// Lateness of the pings that arrived while holding.
    held: RefCell<Histogram<u64>>,
    pings: Cell<u64>,
    /// Pings that came more than a millisecond before the interval was over.
    early: Cell<u64>,
    dropped: Cell<u64>,
    first_drop: RefCell<Option<String>>,
}

impl Hold {
    fn new(clients: usize) -> Self {
        Self {
            interval_us: Cell::new(0),
            last: (0..clients).map(|_| Cell::new(NOT_OPEN)).collect(),
            holding: Cell::new(false),
            stopping: Cell::new(false),
            ramp: RefCell::new(new_histogram()),
            held: RefCell::new(new_histogram()),
            pings: Cell::new(0),
            early: Cell::new(0),
            dropped: Cell::new(0),
            first_drop: RefCell::new(None),
        }
    }

    fn opened(&self, index: usize, open: &[u8], at_us: u64) {
        if self.interval_us.get() == 0 {
            let ms = eio::ping_interval_ms(open).unwrap_or(0);
            self.interval_us.set(ms * 1000);
        }
        self.last[index].set(at_us.max(1));
    }

    /// A ping arrived on connection `index`: its lateness is the time since the
    /// previous one (or the open packet) minus the ping interval.
    fn on_ping(&self, index: usize) {
        let now = clock::now_us();
        let previous = self.last[index].replace(now);
        self.pings.set(self.pings.get() + 1);
        let interval = self.interval_us.get();
        if previous == NOT_OPEN || previous == CLOSED || interval == 0 {
            return;
        }
        let elapsed = now.saturating_sub(previous);
        if elapsed + 1000 < interval {
            self.early.set(self.early.get() + 1);
        }
        let late = elapsed.saturating_sub(interval);
        let hist = if self.holding.get() {
            &self.held
        } else {
            &self.ramp
        };
        record(&mut hist.borrow_mut(), late);
    }

    fn closed(&self, index: usize, why: String) {
        self.last[index].set(CLOSED);
        if !self.stopping.get() {
            self.dropped.set(self.dropped.get() + 1);
            self.first_drop.borrow_mut().get_or_insert(why);
        }
    }

    /// At the end of the hold: a connection whose next ping is overdue counts
    /// that ping as late by as much as it is overdue. Returns how many were.
    fn record_overdue(&self) -> u64 {
        let interval = self.interval_us.get();
        if interval == 0 {
            return 0;
        }
        let now = clock::now_us();
        let mut overdue = 0;
        let mut held = self.held.borrow_mut();
        for last in &self.last {
            let last = last.get();
            if last == NOT_OPEN || last == CLOSED {
                continue;
            }
            let late = now.saturating_sub(last).saturating_sub(interval);
            if late > 0 {
                overdue += 1;
                record(&mut held, late);
            }
        }
        overdue
    }
}

/// Memory figures sampled while the run goes on.
#[derive(Debug, Default, Clone, Copy)]
struct Peaks {
    server_rss: u64,
    tcp_pages: u64,
    own_rss: u64,
}

/// Runs the scenario.
pub async fn run(args: &HoldArgs) -> Result<RunResult, Error> {
    let pid = args.common.required_server_pid("hold")?;
    let target = Target::new(&args.common);
    let clients = args.clients.max(1);
    let hold = Rc::new(Hold::new(clients));

    sleep(Duration::from_millis(500)).await;
    let rss_before = rss_bytes(pid).ok_or_else(|| err(format!("cannot read pid {pid}")))?;
    let tcp_before = tcp_mem_pages().unwrap_or(0);
    let own_before = rss_bytes(std::process::id()).unwrap_or(0);
    let slab_before = meminfo_bytes("Slab:").unwrap_or(0);
    let peaks = Rc::new(Cell::new(Peaks::default()));
    let sampling = Rc::new(Cell::new(true));
    spawn_local(sample(
        pid,
        Duration::from_millis(args.sample_ms.max(10)),
        peaks.clone(),
        sampling.clone(),
    ));

    // The permits are taken before each task is spawned, so no more than
    // `concurrency` handshake states exist at once.
    let gate = std::sync::Arc::new(Semaphore::new(args.common.concurrency.max(1)));
    let launch = Launch::new(Semaphore::MAX_PERMITS);
    let connect_start = Instant::now();
    for index in 0..clients {
        let Ok(permit) = gate.clone().acquire_owned().await else {
            break;
        };
        let (target, launch, hold) = (target.clone(), launch.clone(), hold.clone());
        spawn_local(async move {
            let opened = launch.connect(target.socketio_open(index)).await;
            drop(permit);
            if let Some((ws, open, at_us)) = opened {
                hold.opened(index, &open, at_us);
                let (stream, carry) = ws.into_parts();
                spawn_local(idle(stream, carry, index, hold));
            }
        });
    }
    let remaining = connect_limit(clients).saturating_sub(connect_start.elapsed());
    launch.wait_all(clients, remaining).await;
    let connect_secs = connect_start.elapsed().as_secs_f64();
    let rss_connected = rss_bytes(pid);

    hold.holding.set(true);
    let cpu = CpuWindow::start(&args.common.server_pids());
    let hold_start = Instant::now();
    let hold_for = secs(args.hold_secs);
    while hold_start.elapsed() < hold_for && rss_bytes(pid).is_some() {
        sleep(Duration::from_millis(200).min(hold_for)).await;
    }
    let held_secs = hold_start.elapsed().as_secs_f64();
    let cpu_use = cpu.finish();
    let overdue = hold.record_overdue();
    hold.stopping.set(true);
    sampling.set(false);

    let rss_after = rss_bytes(pid);
    let server_exited = rss_after.is_none();
    let tcp_after = tcp_mem_pages().unwrap_or(0);
    let own_after = rss_bytes(std::process::id()).unwrap_or(0);
    let slab_after = meminfo_bytes("Slab:").unwrap_or(0);
    let mut peaks = peaks.get();
    peaks.server_rss = peaks.server_rss.max(rss_after.unwrap_or(0));
    peaks.tcp_pages = peaks.tcp_pages.max(tcp_after);
    peaks.own_rss = peaks.own_rss.max(own_after);
    let connected = launch.ready();
    let per_conn = |bytes: u64| bytes as f64 / connected.max(1) as f64;
    let held = Latency::of(&hold.held.borrow());
    let ramp = Latency::of(&hold.ramp.borrow());

    let mut metrics = BTreeMap::new();
    metrics.insert("connected".into(), connected as f64);
    metrics.insert("connect_failures".into(), launch.failed() as f64);
    metrics.insert(
        "conns_per_s".into(),
        connected as f64 / connect_secs.max(1e-9),
    );
    metrics.insert("dropped".into(), hold.dropped.get() as f64);
    metrics.insert("ping_late_p50_ms".into(), held.p50_ms);
    metrics.insert("ping_late_p99_ms".into(), held.p99_ms);
    metrics.insert("ping_late_max_ms".into(), held.max_ms);
    metrics.insert("ping_late_connect_p99_ms".into(), ramp.p99_ms);
    metrics.insert("pings_held".into(), held.count as f64);
    metrics.insert("pings_overdue".into(), overdue as f64);
    metrics.insert("server_rss_peak".into(), peaks.server_rss as f64);
    if let Some(after) = rss_after {
        metrics.insert("server_rss".into(), after as f64);
        metrics.insert(
            "bytes_per_conn".into(),
            per_conn(after.saturating_sub(rss_before)),
        );
    }
    metrics.insert(
        "kernel_tcp_bytes_per_conn".into(),
        per_conn(tcp_after.saturating_sub(tcp_before) * PAGE),
    );
    metrics.insert("kernel_tcp_peak".into(), (peaks.tcp_pages * PAGE) as f64);
    metrics.insert(
        "kernel_slab_bytes_per_conn".into(),
        per_conn(slab_after.saturating_sub(slab_before)),
    );
    metrics.insert("generator_rss".into(), peaks.own_rss as f64);
    metrics.insert(
        "generator_bytes_per_conn".into(),
        per_conn(own_after.saturating_sub(own_before)),
    );
    if let Some(cpu) = cpu_use.server_fraction() {
        metrics.insert("server_cpu_hold".into(), cpu);
    }
    let mut flags = cpu_flags(&cpu_use);
    if server_exited {
        flags.push("server-exited".into());
    }
    if held.count == 0 {
        flags.push("no-ping-held".into());
    }
    Ok(RunResult {
        scenario: args
            .common
            .scenario
            .clone()
            .unwrap_or_else(|| "hold".into()),
        server: args.common.label.clone(),
        round: args.common.round,
        params: json!({
            "clients": clients,
            "hold_secs": args.hold_secs,
            "src_addrs": args.common.src_addrs,
            "concurrency": args.common.concurrency,
        }),
        metrics,
        flags,
        detail: json!({
            "ping_interval_ms": hold.interval_us.get() as f64 / 1000.0,
            "ping_lateness_held": held,
            "ping_lateness_connecting": ramp,
            "pings": hold.pings.get(),
            "pings_early": hold.early.get(),
            "connect_secs": connect_secs,
            "held_secs": held_secs,
            "first_connect_error": launch.first_error(),
            "first_drop": hold.first_drop.borrow().clone(),
            "rss_before": rss_before,
            "rss_connected": rss_connected,
            "rss_after": rss_after,
            "rss_peak_sampled": peaks.server_rss,
            "rss_hwm": peak_rss_bytes(pid),
            "tcp_mem_pages_before": tcp_before,
            "tcp_mem_pages_after": tcp_after,
            "tcp_mem_pages_peak": peaks.tcp_pages,
            "slab_before": slab_before,
            "slab_after": slab_after,
            "generator_rss_before": own_before,
            "generator_rss_after": own_after,
            "generator_cpu_hold": cpu_use.own_fraction,
            "server_core_busy": cpu_use.server_core_busy,
            "contention": cpu_use.contention,
        }),
    })
}

/// Samples the server's RSS, the kernel's TCP memory and the generator's RSS
/// until `running` turns false, keeping the largest of each.
async fn sample(pid: u32, every: Duration, peaks: Rc<Cell<Peaks>>, running: Rc<Cell<bool>>) {
    while running.get() {
        let mut p = peaks.get();
        p.server_rss = p.server_rss.max(rss_bytes(pid).unwrap_or(0));
        p.tcp_pages = p.tcp_pages.max(tcp_mem_pages().unwrap_or(0));
        p.own_rss = p.own_rss.max(rss_bytes(std::process::id()).unwrap_or(0));
        peaks.set(p);
        sleep(every).await;
    }
}

/// Holds one open connection: answers pings until it closes.
async fn idle(stream: TcpStream, carry: Vec<u8>, index: usize, hold: Rc<Hold>) {
    let why = serve(stream, carry, index, &hold).await;
    hold.closed(index, why);
}

/// Reads frames into a stack buffer; only a frame split across reads is kept,
/// in `carry`, until it is complete. Returns why the connection ended (the
/// run ends by dropping the task).
async fn serve(mut stream: TcpStream, carry: Vec<u8>, index: usize, hold: &Hold) -> String {
    match serve_frames(&mut stream, carry, index, hold).await {
        Ok(never) => match never {},
        Err(why) => why,
    }
}

async fn serve_frames(
    stream: &mut TcpStream,
    mut carry: Vec<u8>,
    index: usize,
    hold: &Hold,
) -> Result<std::convert::Infallible, String> {
    // Frames that came with the handshake's.
    let mut out = Outbox::default();
    let used = handle(&carry, index, hold, &mut out)?;
    carry.drain(..used);
    carry.shrink_to_fit();
    loop {
        if !out.is_empty() {
            stream
                .write_all(out.bytes())
                .await
                .map_err(|e| e.to_string())?;
            out = Outbox::default();
        }
        stream.readable().await.map_err(|e| e.to_string())?;
        let mut buf = [0u8; READ_CHUNK];
        let read = match stream.try_read(&mut buf) {
            Ok(0) => return Err("closed by the server".into()),
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e.to_string()),
        };
        if carry.is_empty() {
            let used = handle(&buf[..read], index, hold, &mut out)?;
            carry.extend_from_slice(&buf[used..read]);
        } else {
            carry.extend_from_slice(&buf[..read]);
            let used = handle(&carry, index, hold, &mut out)?;
            carry.drain(..used);
            if carry.is_empty() {
                carry = Vec::new();
            }
        }
    }
}

/// Handles the complete frames at the start of `bytes`, queueing answers;
/// returns how many bytes they took.
fn handle(bytes: &[u8], index: usize, hold: &Hold, out: &mut Outbox) -> Result<usize, String> {
    let mut pos = 0;
    while let Some(header) =
        parse_header(&bytes[pos..], MAX_IDLE_PAYLOAD).map_err(|e| e.to_string())?
    {
        let end = pos + header.frame_len();
        if bytes.len() < end {
            break;
        }
        let payload = &bytes[pos + header.header_len..end];
        pos = end;
        match header.opcode {
            frame::TEXT if payload == eio::PING => {
                hold.on_ping(index);
                out.text(eio::PONG.as_bytes());
            }
            frame::TEXT if payload.first() == Some(&b'1') => {
                return Err("Engine.IO close from the server".into());
            }
            frame::PING => out.pong(payload),
            frame::CLOSE => return Err("close frame from the server".into()),
            _ => {}
        }
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING_FRAME: &[u8] = &[0x81, 0x01, b'2'];

    fn hold_with_interval(ms: u64) -> Hold {
        let hold = Hold::new(2);
        hold.opened(
            0,
            format!("0{{\"sid\":\"s\",\"pingInterval\":{ms}}}").as_bytes(),
            1,
        );
        hold
    }

    #[test]
    fn pings_are_answered_and_split_frames_kept() {
        let hold = hold_with_interval(25_000);
        let mut out = Outbox::default();
        let mut bytes = PING_FRAME.to_vec();
        bytes.extend_from_slice(&PING_FRAME[..2]);
        assert_eq!(handle(&bytes, 0, &hold, &mut out), Ok(3));
        assert_eq!(hold.pings.get(), 1);
        // One masked text frame "3" with the all-zero key.
        assert_eq!(out.bytes(), &[0x81, 0x81, 0, 0, 0, 0, b'3']);
        assert!(handle(&[0x88, 0x02, 0x03, 0xe8], 0, &hold, &mut out).is_err());
        assert!(handle(&[0x81, 0x01, b'1'], 0, &hold, &mut out).is_err());
    }

    #[test]
    fn lateness_is_the_interval_beyond_ping_interval() {
        let hold = hold_with_interval(100);
        // The generator's clock must have run for longer than the intervals below.
        clock::epoch();
        std::thread::sleep(Duration::from_millis(400));
        // The previous ping came 150 ms ago: this one is 50 ms late.
        hold.last[0].set(clock::now_us().saturating_sub(150_000).max(1));
        hold.holding.set(true);
        hold.on_ping(0);
        let late = hold.held.borrow().max();
        assert!((50_000..60_000).contains(&late), "{late}");
        // A connection whose ping is overdue at the end counts as late too.
        hold.last[1].set(clock::now_us().saturating_sub(300_000).max(1));
        assert_eq!(hold.record_overdue(), 1);
        assert!(hold.held.borrow().max() >= 200_000);
    }
}
