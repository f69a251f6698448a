//! A bounded soak: the `bench_server` example runs in a process of its own while
//! thousands of clients connect, emit (with and without acks, to rooms) and
//! disconnect on every transport: the Rust client over WebSocket, polling and
//! polling upgraded to WebSocket, and raw clients that drop their WebSocket
//! without a close frame or abandon a polling request. After a warm-up round sets
//! the plateau, the server's resident memory and thread count must come back to
//! it (within 5 %) and its open file descriptors to their idle count once the
//! loaded rounds end.
//!
//! The loaded phase lasts `SOAK_SECS` seconds (default 40; the whole test takes
//! about a minute in a debug build). A longer run:
//!
//! ```text
//! SOAK_SECS=900 cargo test --release -p tether-tests --test soak -- --nocapture
//! ```
//!
//! The test builds the example with the test's own cargo profile first (a no-op
//! when it is up to date).

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tether::client::{Client, TransportMode};
use tether_tests::{HttpRequest, WsClient};
use tokio::time::Instant;

/// Clients of the warm-up round, which sets the plateau.
const WARM_UP_CLIENTS: usize = 1600;
/// Clients of each loaded round.
const ROUND_CLIENTS: usize = 400;
/// Clients at work at once.
const CONCURRENCY: usize = 40;
/// How far above the plateau memory and threads may end.
const TOLERANCE: f64 = 0.05;
/// How long the server has to come back to its plateau after a round.
const SETTLE: Duration = Duration::from_secs(20);

/// The `bench_server` example in a child process, killed on drop.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start() -> ServerProcess {
        let binary = tether_tests::examples::build_example("bench_server");
        let mut command = Command::new(&binary);
        command
            // A single node: with REDIS_URL the example would join a cluster, and
            // its Redis connections would count among the descriptors.
            .env_remove("REDIS_URL")
            .env("PORT", "0")
            .env("THREADS", "2")
            // Short deadlines: the heartbeat and connect-timeout queues hold a
            // closed session's allocation until its deadline there has passed, so
            // with these the plateau is reached within the warm-up round.
            .env("PING_INTERVAL_MS", "1000")
            .env("PING_TIMEOUT_MS", "2000")
            .env("CONNECT_TIMEOUT_MS", "2000")
            .env("RUST_LOG", "error");
        let (child, url) = tether_tests::examples::spawn_listening(command);
        let addr = url
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("not an http URL: {url:?}"))
            .parse()
            .expect("a socket address");
        ServerProcess { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Resident memory (KiB), threads and open file descriptors of the process.
    fn usage(&self) -> Usage {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
        };
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("fd directory")
            .count() as u64;
        Usage {
            rss_kib: field("VmRSS:"),
            threads: field("Threads:"),
            fds,
        }
    }

    /// Waits until the usage satisfies `ok`; the last reading either way.
    async fn settle(&self, ok: impl Fn(&Usage) -> bool) -> (bool, Usage) {
        let deadline = Instant::now() + SETTLE;
        loop {
            let usage = self.usage();
            if ok(&usage) || Instant::now() >= deadline {
                return (ok(&usage), usage);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, Copy)]
struct Usage {
    rss_kib: u64,
    threads: u64,
    fds: u64,
}

/// What one client does; every kind ends its connection.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Rust(TransportMode),
    /// A raw WebSocket that joins, emits, and drops its TCP connection.
    DroppedWebSocket,
    /// A raw polling session that joins, emits, then closes with `1`.
    ClosedPolling,
    /// A raw polling session that joins and abandons its pending GET.
    AbandonedPolling,
}

const KINDS: [Kind; 6] = [
    Kind::Rust(TransportMode::WebSocket),
    Kind::Rust(TransportMode::Polling),
    Kind::Rust(TransportMode::PollingThenWebSocket),
    Kind::DroppedWebSocket,
    Kind::ClosedPolling,
    Kind::AbandonedPolling,
];

async fn rust_client(url: String, mode: TransportMode, index: usize) -> Result<(), String> {
    let client = Client::builder(url)
        .transport(mode)
        .connect()
        .await
        .map_err(|error| format!("connect: {error}"))?;
    let room = format!("room-{}", index % 8);
    let joined: bool = client
        .emit_with_ack("join", &room)
        .await
        .map_err(|error| format!("join: {error}"))?;
    if !joined {
        return Err("join answered false".into());
    }
    for round in 0..3 {
        let payload = format!("client {index}, emit {round}");
        let echoed: String = client
            .emit_with_ack("echo", &payload)
            .await
            .map_err(|error| format!("echo: {error}"))?;
        if echoed != payload {
            return Err(format!("echo answered {echoed:?}"));
        }
    }
    client
        .emit(
            "room_broadcast",
            &(room, serde_json::json!({ "from": index })),
        )
        .map_err(|error| format!("room_broadcast: {error}"))?;
    client.disconnect();
    tokio::time::timeout(Duration::from_secs(10), client.disconnected())
        .await
        .map_err(|_| "no disconnect within 10 s".to_owned())?;
    Ok(())
}

async fn dropped_websocket(addr: SocketAddr) -> Result<(), String> {
    let mut ws = WsClient::connect(addr, "/socket.io/?EIO=4&transport=websocket").await;
    let open = ws.expect_text().await;
    if !open.starts_with('0') {
        return Err(format!("open packet {open:?}"));
    }
    ws.send_text("40").await;
    let answer = ws.expect_text().await;
    if !answer.starts_with("40{") {
        return Err(format!("CONNECT answer {answer:?}"));
    }
    ws.send_text(r#"421["echo","raw"]"#).await;
    let ack = ws.expect_text().await;
    if ack != r#"431["raw"]"# {
        return Err(format!("ack {ack:?}"));
    }
    drop(ws);
    Ok(())
}

async fn raw_polling(addr: SocketAddr, abandon: bool) -> Result<(), String> {
    let base = "/socket.io/?EIO=4&transport=polling";
    let open = HttpRequest::get(base).send(addr).await;
    let sid = open
        .text()
        .strip_prefix("0{\"sid\":\"")
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| format!("open payload {:?}", open.text()))?
        .to_owned();
    let path = format!("{base}&sid={sid}");
    let posted = HttpRequest::post(path.clone(), "40\x1e421[\"echo\",\"poll\"]")
        .send(addr)
        .await;
    if posted.text() != "ok" {
        return Err(format!("POST answered {:?}", posted.text()));
    }
    let mut seen = String::new();
    while !seen.contains("431[\"poll\"]") {
        let polled = HttpRequest::get(path.clone()).send(addr).await;
        if polled.status != 200 {
            return Err(format!("GET answered {}", polled.status));
        }
        seen.push_str(polled.text());
    }
    if abandon {
        let pending = tokio::spawn(HttpRequest::get(path).send(addr));
        // Long enough for the request to reach the server, which then waits for
        // data; aborting it closes the connection.
        tokio::time::sleep(Duration::from_millis(100)).await;
        pending.abort();
        let _ = pending.await;
    } else {
        let posted = HttpRequest::post(path, "1").send(addr).await;
        if posted.text() != "ok" {
            return Err(format!("close POST answered {:?}", posted.text()));
        }
    }
    Ok(())
}

/// Runs `clients` clients, `CONCURRENCY` at a time, cycling through the kinds;
/// returns the failures.
async fn round(server: &ServerProcess, clients: usize, first: usize) -> Vec<String> {
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let url = server.url();
    let addr = server.addr;
    futures_util::stream::iter(first..first + clients)
        .map(|index| {
            let url = url.clone();
            let failures = failures.clone();
            let done = done.clone();
            async move {
                let kind = KINDS[index % KINDS.len()];
                let work = async move {
                    match kind {
                        Kind::Rust(mode) => rust_client(url, mode, index).await,
                        Kind::DroppedWebSocket => dropped_websocket(addr).await,
                        Kind::ClosedPolling => raw_polling(addr, false).await,
                        Kind::AbandonedPolling => raw_polling(addr, true).await,
                    }
                };
                let outcome = match tokio::spawn(work).await {
                    Ok(outcome) => outcome,
                    Err(error) => Err(format!("panicked: {error}")),
                };
                if let Err(error) = outcome {
                    failures
                        .lock()
                        .expect("failures")
                        .push(format!("client {index} ({kind:?}): {error}"));
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<()>()
        .await;
    assert_eq!(done.load(Ordering::Relaxed), clients);
    Arc::try_unwrap(failures)
        .map(|failures| failures.into_inner().expect("failures"))
        .unwrap_or_default()
}

fn soak_duration() -> Duration {
    let secs = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|secs| secs.parse().ok())
        .unwrap_or(40);
    Duration::from_secs(secs)
}

fn within(value: u64, plateau: u64) -> bool {
    value as f64 <= plateau as f64 * (1.0 + TOLERANCE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_threads_and_descriptors_come_back_after_thousands_of_clients() {
    let server = ServerProcess::start();
    let idle = server.usage();

    let warm_up = round(&server, WARM_UP_CLIENTS, 0).await;
    assert!(warm_up.is_empty(), "warm-up failures: {warm_up:#?}");
    let (settled, plateau) = server.settle(|usage| usage.fds <= idle.fds).await;
    assert!(
        settled,
        "descriptors after the warm-up: {plateau:?}, idle {idle:?}"
    );

    let started = Instant::now();
    let mut clients = WARM_UP_CLIENTS;
    let mut rounds = 0;
    while started.elapsed() < soak_duration() {
        let failures = round(&server, ROUND_CLIENTS, clients).await;
        assert!(
            failures.is_empty(),
            "round {rounds}: {} failures: {failures:#?}",
            failures.len()
        );
        clients += ROUND_CLIENTS;
        rounds += 1;
        eprintln!("soak: round {rounds}: {:?}", server.usage());
    }
    let loaded = started.elapsed();
    let (settled, end) = server
        .settle(|usage| {
            usage.fds <= idle.fds
                && within(usage.rss_kib, plateau.rss_kib)
                && within(usage.threads, plateau.threads)
        })
        .await;
    eprintln!(
        "soak: {clients} clients in {rounds} loaded rounds ({loaded:.1?}) after a warm-up of \
         {WARM_UP_CLIENTS}; idle {idle:?}, plateau {plateau:?}, end {end:?}"
    );
    assert!(
        settled,
        "the server did not come back to its plateau: plateau {plateau:?}, end {end:?}"
    );
}
