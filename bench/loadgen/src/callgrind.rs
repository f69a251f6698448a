//! Instructions per unit of work from two callgrind runs of the server: one
//! loaded, one idle with the same clients for the same time, subtracted.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::cli::CallgrindArgs;
use crate::conn::{Error, err};
use crate::record::RunResult;

/// Reads the total instruction count (`summary:` or `totals:` line) of a callgrind output file.
pub fn total_instructions(path: &Path) -> Result<u64, Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .find_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| err(format!("{}: no summary line", path.display())))
}

/// Computes the result.
pub fn run(args: &CallgrindArgs) -> Result<RunResult, Error> {
    let load = RunResult::read(&args.load_json)?;
    let idle = RunResult::read(&args.idle_json)?;
    let ir_load = total_instructions(&args.load_out)?;
    let ir_idle = total_instructions(&args.idle_out)?;
    let (key, unit) = if load.metrics.contains_key("delivered_total") {
        ("delivered_total", "delivery")
    } else {
        ("acks_total", "ack")
    };
    let units = load.metrics.get(key).copied().unwrap_or(0.0)
        - idle.metrics.get(key).copied().unwrap_or(0.0);
    if units <= 0.0 {
        return Err(err(format!("the loaded run did no work ({key} = {units})")));
    }
    let extra = ir_load.saturating_sub(ir_idle) as f64;
    // Timing flags do not apply to instruction counts; missing work does.
    let missing = ["lost_below_saturation", "lost_at_saturation", "unanswered"]
        .iter()
        .filter_map(|k| load.metrics.get(*k))
        .sum::<f64>();
    let flags = if missing > 0.0 {
        vec![format!("incomplete: {missing} deliveries or acks missing")]
    } else {
        Vec::new()
    };
    let mut metrics = BTreeMap::new();
    metrics.insert(format!("ir_per_{unit}"), extra / units);
    metrics.insert("ir_load".into(), ir_load as f64);
    metrics.insert("ir_idle".into(), ir_idle as f64);
    metrics.insert("units".into(), units);
    Ok(RunResult {
        scenario: args.scenario.clone(),
        server: args.label.clone(),
        round: args.round,
        params: json!({ "load": load.params, "idle": idle.params }),
        metrics,
        flags,
        detail: json!({ "load_metrics": load.metrics, "idle_metrics": idle.metrics }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_summary_line() {
        let dir = std::env::temp_dir().join(format!("loadgen-cg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("callgrind.out");
        std::fs::write(
            &path,
            "version: 1\nevents: Ir\nfl=x\n0 5\nsummary: 123456\ntotals: 123456\n",
        )
        .unwrap();
        assert_eq!(total_instructions(&path).unwrap(), 123_456);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
