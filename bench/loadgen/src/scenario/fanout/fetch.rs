//! The fetch phase of a cluster run: one extra client on the first node emits
//! `fetch` with an ack, one request at a time; the server gathers the sockets of
//! every node (`fetch_sockets`) and acks their number. Each round trip is timed.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::conn::{Error, Target, next_text};
use crate::record::{Latency, new_histogram, record};
use crate::{clock, eio};

/// What the fetch phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    /// Requests sent.
    pub sent: u64,
    /// Requests answered.
    pub answered: u64,
    /// Answered requests per second (one in flight at a time).
    pub per_s: f64,
    /// Round trip of the answered requests.
    pub latency: Latency,
    /// Fewest sockets an answer counted.
    pub sockets_min: u64,
    /// Most sockets an answer counted.
    pub sockets_max: u64,
    /// Why the phase ended early, if it did.
    pub error: Option<String>,
}

/// Runs the phase for `length` from a new client with index `index` on `target`.
pub async fn run(target: &Target, index: usize, length: Duration) -> FetchReport {
    let mut hist = new_histogram();
    let mut report = FetchReport {
        sent: 0,
        answered: 0,
        per_s: 0.0,
        latency: Latency::default(),
        sockets_min: u64::MAX,
        sockets_max: 0,
        error: None,
    };
    let start = Instant::now();
    if let Err(e) = requests(target, index, length, &mut hist, &mut report).await {
        report.error = Some(e.to_string());
    }
    report.per_s = report.answered as f64 / start.elapsed().as_secs_f64().max(1e-9);
    report.latency = Latency::of(&hist);
    if report.answered == 0 {
        report.sockets_min = 0;
    }
    report
}

async fn requests(
    target: &Target,
    index: usize,
    length: Duration,
    hist: &mut Histogram<u64>,
    report: &mut FetchReport,
) -> Result<(), Error> {
    let mut ws = target.socketio(index).await?;
    let start = Instant::now();
    let mut id = 1;
    while start.elapsed() < length {
        let sent_at = clock::now_us();
        ws.send_text(eio::fetch(id).as_bytes()).await?;
        report.sent += 1;
        let count = loop {
            let frame = next_text(&mut ws, target.step_timeout).await?;
            if let Some((ack, args)) = eio::parse_ack(&frame)
                && ack == id
            {
                break eio::first_number_arg(args).unwrap_or(0);
            }
        };
        record(hist, clock::now_us().saturating_sub(sent_at));
        report.answered += 1;
        report.sockets_min = report.sockets_min.min(count);
        report.sockets_max = report.sockets_max.max(count);
        id += 1;
    }
    Ok(())
}
