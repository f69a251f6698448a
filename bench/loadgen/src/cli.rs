//! Command-line interface: one subcommand per scenario, plus the report.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Engine.IO v4 / Socket.IO v5 load generator for the tether bench contract.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The scenarios and tools.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Clients on `/` (optionally in rooms, optionally partly on polling) receive
    /// broadcasts from one publisher at stepped open-loop rates.
    Fanout(FanoutArgs),
    /// Clients emit `echo` with acks, a fixed number in flight (or at a fixed rate).
    Echo(EchoArgs),
    /// Many idle clients; reports the server's resident memory per connection.
    Idle(IdleArgs),
    /// Opens connections as fast as the server accepts them.
    Storm(StormArgs),
    /// Very many idle WebSocket connections held for a long time: ping lateness,
    /// dropped connections, server and kernel memory.
    Hold(HoldArgs),
    /// Stops one node of a two-node cluster with recovery on while broadcasts go
    /// on; times its clients' return to the other node.
    Recovery(RecoveryArgs),
    /// Turns two callgrind runs (load and idle) into instructions per unit of work.
    Callgrind(CallgrindArgs),
    /// Summarises result files into a markdown report with medians and ratios.
    Report(ReportArgs),
    /// Waits until the given cores are idle (other work on the machine has stopped).
    Quiet(QuietArgs),
}

/// Options of the quiet-machine wait.
#[derive(Debug, Args)]
pub struct QuietArgs {
    /// Cores that must be idle.
    #[arg(long, value_delimiter = ',', default_value = "0,1")]
    pub cores: Vec<usize>,
    /// Fraction of each core that must be idle over one second.
    #[arg(long, default_value_t = 0.85)]
    pub idle: f64,
    /// Longest wait, in seconds; exits with status 2 if the cores are still busy.
    #[arg(long, default_value_t = 60.0)]
    pub max_wait_secs: f64,
}

/// Options every scenario shares.
#[derive(Debug, Args)]
pub struct Common {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: Ipv4Addr,
    /// Server port.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,
    /// Server process id, to read its CPU time and memory from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Other processes of the server side (a second node, Redis): their CPU time
    /// counts as the server's, and on the server's core as its own.
    #[arg(long, value_delimiter = ',')]
    pub extra_pids: Vec<u32>,
    /// Server label written into the result.
    #[arg(long, default_value = "server")]
    pub label: String,
    /// Scenario name written into the result (defaults to the subcommand's).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Round number written into the result.
    #[arg(long, default_value_t = 1)]
    pub round: u32,
    /// Where to write the JSON result (stdout when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Spread client source addresses over 127.0.0.1 ..= 127.0.0.N.
    #[arg(long, default_value_t = 32)]
    pub src_addrs: u8,
    /// Connection handshakes in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Timeout of each protocol step, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Socket.IO parser: `json` (text frames) or `msgpack` (socket.io-msgpack-parser's
    /// binary frames; WebSocket clients only).
    #[arg(long, default_value = "json", value_parser = ["json", "msgpack"])]
    pub parser: String,
}

impl Common {
    /// Every process of the server side, the server first.
    pub fn server_pids(&self) -> Vec<u32> {
        self.server_pid
            .into_iter()
            .chain(self.extra_pids.iter().copied())
            .collect()
    }

    /// The server's pid, which `scenario` cannot run without.
    pub fn required_server_pid(&self, scenario: &str) -> Result<u32, crate::conn::Error> {
        self.server_pid
            .ok_or_else(|| crate::conn::err(format!("the {scenario} scenario needs --server-pid")))
    }

    /// Timeout of each protocol step.
    pub fn step_timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Options of the fan-out family (`fanout`, `rooms`, `mixed`).
#[derive(Debug, Args)]
pub struct FanoutArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
    /// Number of clients; the first one is also the publisher.
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Offered broadcasts per second, one step each, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "25,50,100,200,400,700,1000,1500,2000,3000"
    )]
    pub rates: Vec<f64>,
    /// Length of each step, in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub step_secs: f64,
    /// Pause after each step, so its deliveries land before the next one, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub settle_ms: u64,
    /// Put clients into this many rooms and publish with `room_broadcast` (0: `broadcast` to all).
    #[arg(long, default_value_t = 0)]
    pub rooms: usize,
    /// Percentage of clients on HTTP long-polling instead of WebSocket.
    #[arg(long, default_value_t = 0)]
    pub polling_percent: u32,
    /// Stop stepping once a step's p99 latency exceeds this, in milliseconds.
    #[arg(long, default_value_t = 1000.0)]
    pub stop_p99_ms: f64,
    /// Stop stepping once a step delivers less than this fraction of its offered load.
    #[arg(long, default_value_t = 0.9)]
    pub stop_ratio: f64,
    /// Keep stepping past saturation (for fixed workloads such as callgrind).
    #[arg(long)]
    pub no_stop: bool,
    /// Longest wait for late deliveries after the last step, in seconds.
    #[arg(long, default_value_t = 5.0)]
    pub drain_secs: f64,
    /// Offered broadcasts per second at which latency and CPU per delivery are reported.
    #[arg(long, default_value_t = 50.0)]
    pub ref_rate: f64,
    /// Port of a second node of the same cluster: every other client connects
    /// there (the publisher stays on the first), and latencies are reported per node.
    #[arg(long)]
    pub second_port: Option<u16>,
    /// Before the steps, time `fetch` requests (one at a time, from an extra
    /// client on the first node) for this many seconds (0: none).
    #[arg(long, default_value_t = 0.0)]
    pub fetch_secs: f64,
}

/// Options of the recovery scenario.
#[derive(Debug, Args)]
pub struct RecoveryArgs {
    /// Shared options (`--port` is the node that stays).
    #[command(flatten)]
    pub common: Common,
    /// Port of the node that is stopped; every other client connects there.
    #[arg(long)]
    pub second_port: u16,
    /// Process id of the node that is stopped.
    #[arg(long)]
    pub stop_pid: u32,
    /// Signal the node is stopped with (`TERM`: a graceful stop; `KILL`).
    #[arg(long, default_value = "TERM")]
    pub signal: String,
    /// Number of clients, half on each node (plus the publisher on the first).
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Broadcasts per second from the publisher, before and after the stop.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Broadcasting before the stop, in seconds.
    #[arg(long, default_value_t = 2.0)]
    pub before_secs: f64,
    /// Longest wait for the stopped node's clients to be back, in seconds.
    #[arg(long, default_value_t = 30.0)]
    pub limit_secs: f64,
    /// Broadcasting once they are back (or the wait is over), in seconds.
    #[arg(long, default_value_t = 1.0)]
    pub after_secs: f64,
}

/// Options of the echo scenario.
#[derive(Debug, Args)]
pub struct EchoArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
    /// Number of clients.
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// Echoes in flight per client (closed loop).
    #[arg(long, default_value_t = 8)]
    pub inflight: usize,
    /// Total echoes per second over all clients, open loop, instead of a fixed number in flight.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Warm-up before measuring, in seconds.
    #[arg(long, default_value_t = 1.0)]
    pub warmup_secs: f64,
    /// Measured time, in seconds.
    #[arg(long, default_value_t = 5.0)]
    pub secs: f64,
    /// Clients on HTTP long-polling instead of WebSocket (closed loop only; with
    /// `--rate 0` they only keep a GET pending, as idle clients).
    #[arg(long)]
    pub polling: bool,
}

/// Options of the idle-memory scenario.
#[derive(Debug, Args)]
pub struct IdleArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
    /// Number of idle clients.
    #[arg(long, default_value_t = 5000)]
    pub clients: usize,
    /// Time to wait once all are connected before reading memory, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub settle_secs: f64,
}

/// Options of the many-connections hold scenario.
#[derive(Debug, Args)]
pub struct HoldArgs {
    /// Shared options (`--src-addrs` must give every source address fewer
    /// connections than the ephemeral port range holds).
    #[command(flatten)]
    pub common: Common,
    /// Number of idle WebSocket connections.
    #[arg(long, default_value_t = 200_000)]
    pub clients: usize,
    /// How long to hold them once all are connected, in seconds.
    #[arg(long, default_value_t = 300.0)]
    pub hold_secs: f64,
    /// Interval of the memory samples (server RSS, kernel TCP memory), in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub sample_ms: u64,
}

/// How a connection is established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    /// WebSocket from the first request.
    Websocket,
    /// HTTP long-polling handshake, then upgrade to WebSocket.
    Upgrade,
}

/// Options of the connect-storm scenario.
#[derive(Debug, Args)]
pub struct StormArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
    /// Number of connections to open.
    #[arg(long, default_value_t = 5000)]
    pub clients: usize,
    /// How each connection is established.
    #[arg(long, value_enum, default_value = "websocket")]
    pub transport: Transport,
}

/// Inputs of the callgrind computation.
#[derive(Debug, Args)]
pub struct CallgrindArgs {
    /// Result of the loaded run.
    #[arg(long)]
    pub load_json: PathBuf,
    /// Result of the idle run (same clients and duration, no work).
    #[arg(long)]
    pub idle_json: PathBuf,
    /// callgrind output file of the loaded run.
    #[arg(long)]
    pub load_out: PathBuf,
    /// callgrind output file of the idle run.
    #[arg(long)]
    pub idle_out: PathBuf,
    /// Server label written into the result.
    #[arg(long)]
    pub label: String,
    /// Scenario name written into the result.
    #[arg(long)]
    pub scenario: String,
    /// Round number written into the result.
    #[arg(long, default_value_t = 1)]
    pub round: u32,
    /// Where to write the JSON result (stdout when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Inputs of the report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Directory of result files (`*.json`).
    #[arg(long)]
    pub results: PathBuf,
    /// `key=value` lines describing the machine, versions and command.
    #[arg(long)]
    pub meta: Option<PathBuf>,
    /// Markdown output.
    #[arg(long)]
    pub out: PathBuf,
    /// Combined raw results as one JSON document.
    #[arg(long)]
    pub json_out: Option<PathBuf>,
    /// An earlier combined JSON document: its results for the scenarios not in
    /// `--results` are kept, and its setup beside this run's.
    #[arg(long)]
    pub merge: Option<PathBuf>,
    /// Preferred reference servers for ratios, first present wins.
    #[arg(long, value_delimiter = ',', default_value = "tether,socketioxide")]
    pub reference: Vec<String>,
    /// Server column order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "tether,socketioxide,node,raw"
    )]
    pub order: Vec<String>,
}
