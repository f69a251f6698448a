//! Load generator for the tether benchmarks: speaks Engine.IO v4 / Socket.IO v5
//! directly (WebSocket and HTTP long-polling) on one single-threaded runtime, so it
//! can be pinned to one core, and writes one JSON result per run.

mod callgrind;
mod cli;
mod clock;
mod conn;
mod eio;
mod msgpack;
mod polling;
mod procfs;
mod record;
mod report;
mod scenario;
mod ws;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::conn::Error;
use crate::record::RunResult;

fn main() -> ExitCode {
    let cli = Cli::parse();
    clock::epoch();
    let outcome = match &cli.command {
        Command::Report(args) => report::run(args),
        Command::Callgrind(args) => {
            callgrind::run(args).and_then(|r| write(&r, args.out.as_deref()))
        }
        Command::Quiet(args) => return wait_quiet(args),
        command => run_scenario(command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Waits for idle cores; exit status 2 when they stayed busy.
fn wait_quiet(args: &cli::QuietArgs) -> ExitCode {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return ExitCode::FAILURE;
    };
    let limit = std::time::Duration::from_secs_f64(args.max_wait_secs.max(0.0));
    if runtime.block_on(procfs::wait_quiet(&args.cores, args.idle, limit)) {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "loadgen: cores {:?} still busy after {:.0} s; results may be disturbed",
            args.cores, args.max_wait_secs
        );
        ExitCode::from(2)
    }
}

fn write(result: &RunResult, out: Option<&std::path::Path>) -> Result<(), Error> {
    result.write(out).map_err(Into::into)
}

/// Runs a scenario on a current-thread runtime: every client lives on this one thread.
fn run_scenario(command: &Command) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let common = match command {
        Command::Fanout(a) => Some(&a.common),
        Command::Echo(a) => Some(&a.common),
        Command::Idle(a) => Some(&a.common),
        Command::Storm(a) => Some(&a.common),
        Command::Hold(a) => Some(&a.common),
        Command::Recovery(a) => Some(&a.common),
        Command::Report(_) | Command::Callgrind(_) | Command::Quiet(_) => None,
    };
    if common.is_some_and(|common| common.parser == "msgpack") {
        eio::use_msgpack();
    }
    let (result, out) = local.block_on(&runtime, async {
        match command {
            Command::Fanout(a) => (scenario::fanout::run(a).await, a.common.out.clone()),
            Command::Echo(a) => (scenario::echo::run(a).await, a.common.out.clone()),
            Command::Idle(a) => (scenario::idle::run(a).await, a.common.out.clone()),
            Command::Storm(a) => (scenario::storm::run(a).await, a.common.out.clone()),
            Command::Hold(a) => (scenario::hold::run(a).await, a.common.out.clone()),
            Command::Recovery(a) => (scenario::recovery::run(a).await, a.common.out.clone()),
            Command::Report(_) | Command::Callgrind(_) | Command::Quiet(_) => {
                unreachable!("handled by main")
            }
        }
    });
    write(&result?, out.as_deref())
}
