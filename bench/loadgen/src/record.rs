//! Latency histograms and the JSON record every scenario writes.

use std::collections::BTreeMap;
use std::path::Path;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// A latency histogram in microseconds, from 1 µs to 10 minutes, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// Records one latency, clamped into the histogram's range.
pub fn record(hist: &mut Histogram<u64>, micros: u64) {
    hist.saturating_record(micros.max(1));
}

/// Percentiles of a latency histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Number of samples.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest sample.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl Latency {
    /// Summarises a histogram.
    pub fn of(hist: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        if hist.is_empty() {
            return Self::default();
        }
        Self {
            count: hist.len(),
            p50_ms: ms(hist.value_at_quantile(0.50)),
            p90_ms: ms(hist.value_at_quantile(0.90)),
            p99_ms: ms(hist.value_at_quantile(0.99)),
            p999_ms: ms(hist.value_at_quantile(0.999)),
            max_ms: ms(hist.max()),
            mean_ms: hist.mean() / 1000.0,
        }
    }
}

/// The outcome of one scenario against one server in one round.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    /// Scenario name (`fanout`, `rooms`, `echo`, ...).
    pub scenario: String,
    /// Server label (`tether`, `socketioxide`, `node`, `raw`).
    pub server: String,
    /// Round number, for interleaved repeats.
    pub round: u32,
    /// The parameters the scenario ran with.
    pub params: serde_json::Value,
    /// Headline numbers, summarised across rounds by the report.
    pub metrics: BTreeMap<String, f64>,
    /// Caveats, such as `generator-bound` (the figure is a lower bound).
    pub flags: Vec<String>,
    /// Per-step or per-phase details.
    pub detail: serde_json::Value,
}

impl RunResult {
    /// Writes the result as pretty JSON to `path`, or to stdout when `path` is `None`.
    pub fn write(&self, path: Option<&Path>) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        match path {
            Some(path) => std::fs::write(path, json + "\n"),
            None => {
                println!("{json}");
                Ok(())
            }
        }
    }

    /// Reads a result written by [`RunResult::write`].
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }
}
