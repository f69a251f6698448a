//! The markdown report: medians over rounds, ratios of a reference server against
//! each peer, the setup it ran on, and the raw results as one JSON document.

mod metrics;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use self::metrics::{Metric, advantage, find, format, headline};
use crate::cli::ReportArgs;
use crate::conn::{Error, err};
use crate::record::RunResult;

/// Scenarios in display order; others follow alphabetically.
const SCENARIO_ORDER: &[&str] = &[
    "fanout",
    "rooms",
    "mixed",
    "fanout-polling",
    "cluster",
    "cluster-streams",
    "recovery",
    "echo",
    "echo-polling",
    "fanout-msgpack",
    "echo-msgpack",
    "idle",
    "c200k",
    "storm-websocket",
    "storm-upgrade",
    "callgrind-fanout",
    "callgrind-echo",
    "callgrind-echo-saturated",
    "callgrind-echo-polling",
];

/// `key=value` lines describing a run.
type Meta = Vec<(String, String)>;

/// Results grouped by scenario, then server.
type Grouped<'a> = BTreeMap<String, BTreeMap<String, Vec<&'a RunResult>>>;

/// Writes the report (and the combined JSON when asked).
pub fn run(args: &ReportArgs) -> Result<(), Error> {
    let mut results = load(&args.results)?;
    if results.is_empty() {
        return Err(err(format!("no results in {}", args.results.display())));
    }
    let mut meta = match &args.meta {
        Some(path) => read_meta(path)?,
        None => Vec::new(),
    };
    if let Some(path) = &args.merge {
        (results, meta) = merge(path, results, meta)?;
    }
    let mut grouped: Grouped<'_> = BTreeMap::new();
    for r in &results {
        grouped
            .entry(r.scenario.clone())
            .or_default()
            .entry(r.server.clone())
            .or_default()
            .push(r);
    }
    let servers = server_order(&grouped, &args.order);
    let reference = args
        .reference
        .iter()
        .find(|r| servers.contains(r))
        .cloned()
        .unwrap_or_else(|| servers[0].clone());
    let markdown = render(&grouped, &servers, &reference, &meta);
    std::fs::write(&args.out, markdown)?;
    if let Some(path) = &args.json_out {
        let meta: serde_json::Map<_, _> = meta.into_iter().map(|(k, v)| (k, json!(v))).collect();
        let doc = json!({ "meta": meta, "results": results });
        std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")?;
    }
    Ok(())
}

/// Adds the results of an earlier combined JSON document for the scenarios this
/// run did not measure. This run's setup is added with its keys marked by the
/// scenarios it measured; an earlier run's setup is kept while the report still
/// shows one of its results (see [`runs_still_shown`]).
fn merge(
    path: &Path,
    results: Vec<RunResult>,
    meta: Meta,
) -> Result<(Vec<RunResult>, Meta), Error> {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let earlier: Vec<RunResult> = serde_json::from_value(doc["results"].clone())?;
    let mut scenarios: Vec<&str> = results.iter().map(|r| r.scenario.as_str()).collect();
    scenarios.sort_unstable();
    scenarios.dedup();
    let mark = format!(" (run of {})", scenarios.join(", "));
    let earlier_meta: Vec<(String, String)> = doc["meta"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_string()))
        .collect();
    let kept: Vec<RunResult> = earlier
        .into_iter()
        .filter(|r| !scenarios.contains(&r.scenario.as_str()))
        .collect();
    let shown = runs_still_shown(&earlier_meta, kept.iter().map(|r| r.scenario.as_str()));
    let mut merged_meta: Meta = earlier_meta
        .into_iter()
        .filter(|(key, _)| shown.contains(&run_of(key).map(str::to_string)))
        .collect();
    merged_meta.extend(
        meta.into_iter()
            .map(|(key, value)| (format!("{key}{mark}"), value)),
    );
    let mut merged = kept;
    merged.extend(results);
    Ok((merged, merged_meta))
}

/// The scenario list a setup key is marked with (`date (run of a, b)` → `Some("a, b")`),
/// `None` for the base run's unmarked keys.
fn run_of(key: &str) -> Option<&str> {
    key.rsplit_once(" (run of ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
}

/// The earlier runs (by [`run_of`]) whose results the report still shows. Each
/// scenario belongs to the latest run, by its `date` line, that measured it, and
/// to the base run when no marked run did.
fn runs_still_shown<'a>(
    meta: &'a [(String, String)],
    scenarios: impl Iterator<Item = &'a str>,
) -> std::collections::HashSet<Option<String>> {
    let dated: Vec<(&str, &str)> = meta
        .iter()
        .filter_map(|(key, date)| {
            let list = key.strip_prefix("date (run of ")?.strip_suffix(')')?;
            Some((list, date.as_str()))
        })
        .collect();
    scenarios
        .map(|scenario| {
            dated
                .iter()
                .filter(|(list, _)| list.split(", ").any(|s| s == scenario))
                .max_by_key(|(_, date)| *date)
                .map(|(list, _)| list.to_string())
        })
        .collect()
}

fn load(dir: &Path) -> Result<Vec<RunResult>, Error> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    Ok(paths
        .iter()
        .filter_map(|p| RunResult::read(p).ok())
        .collect())
}

fn read_meta(path: &Path) -> Result<Vec<(String, String)>, Error> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect())
}

fn server_order(grouped: &Grouped<'_>, preferred: &[String]) -> Vec<String> {
    let mut present: Vec<String> = grouped
        .values()
        .flat_map(|by_server| by_server.keys().cloned())
        .collect();
    present.sort();
    present.dedup();
    let mut ordered: Vec<String> = preferred
        .iter()
        .filter(|s| present.contains(s))
        .cloned()
        .collect();
    ordered.extend(present.into_iter().filter(|s| !preferred.contains(s)));
    ordered
}

fn scenario_order(grouped: &Grouped<'_>) -> Vec<String> {
    let mut ordered: Vec<String> = SCENARIO_ORDER
        .iter()
        .filter(|s| grouped.contains_key(**s))
        .map(|s| s.to_string())
        .collect();
    ordered.extend(
        grouped
            .keys()
            .filter(|s| !SCENARIO_ORDER.contains(&s.as_str()))
            .cloned(),
    );
    ordered
}

/// One metric of one server over its rounds.
struct Summary {
    median: f64,
    min: f64,
    max: f64,
    rounds: usize,
    lower_bound: bool,
    contended: bool,
}

fn summarize(runs: &[&RunResult], metric: &Metric) -> Option<Summary> {
    let mut values: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.metrics.get(metric.key).copied())
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    let lower_bound = metric.bounded_by_generator
        && runs.iter().any(|r| {
            r.flags
                .iter()
                .any(|f| f == "generator-bound" || f == "not-saturated")
        });
    let contended = runs
        .iter()
        .any(|r| r.flags.iter().any(|f| f == "contended"));
    Some(Summary {
        median,
        min: values[0],
        max: values[n - 1],
        rounds: n,
        lower_bound,
        contended,
    })
}

fn show(metric: &Metric, s: &Summary) -> String {
    let mark = if s.lower_bound { "≥ " } else { "" };
    let disturbed = if s.contended { " †" } else { "" };
    format!("{mark}{}{disturbed}", format(metric.unit, s.median))
}

fn render(
    grouped: &Grouped<'_>,
    servers: &[String],
    reference: &str,
    meta: &[(String, String)],
) -> String {
    let peers: Vec<&String> = servers.iter().filter(|s| *s != reference).collect();
    let rounds = grouped
        .values()
        .flat_map(|m| m.values())
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let mut md = String::new();
    md.push_str("# Benchmarks\n\n");
    md.push_str(
        "Generated by `bench/run.sh`; do not edit by hand. How it measures: \
         [bench/README.md](bench/README.md). Raw results: `bench/results.json`.\n\n",
    );
    md.push_str("## Setup\n\n");
    for (key, value) in meta {
        let _ = writeln!(md, "- **{key}**: {value}");
    }
    let _ = writeln!(md, "- **rounds**: up to {rounds} per scenario and server");
    md.push('\n');

    md.push_str("## Summary\n\n");
    let _ = writeln!(
        md,
        "Medians over the rounds. Ratios say how many times better **{reference}** is than each \
         peer on that metric (above 1: {reference} is better), computed from the medians. \
         `≥` marks a lower bound (the load generator saturated its core, or the server never \
         saturated); `†` marks a figure from a run where other processes took a noticeable \
         share of a pinned core (treat it with care); `n/a` means the server was not run in \
         that scenario.\n"
    );
    let mut header = String::from("| scenario | metric |");
    let mut rule = String::from("|---|---|");
    for s in servers {
        let _ = write!(header, " {s} |");
        rule.push_str("---:|");
    }
    for p in &peers {
        let _ = write!(header, " {reference} vs {p} |");
        rule.push_str("---:|");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    for scenario in scenario_order(grouped) {
        let by_server = &grouped[&scenario];
        for key in headline(&scenario) {
            let Some(metric) = find(key) else { continue };
            let _ = write!(md, "| {scenario} | {} |", metric.label);
            write_row(&mut md, metric, by_server, servers, reference, &peers);
        }
    }
    md.push('\n');
    render_parsers(&mut md, grouped, servers);

    md.push_str("## Details\n\n");
    md.push_str("Each cell: median (min – max over the rounds, number of rounds).\n\n");
    for scenario in scenario_order(grouped) {
        render_scenario(&mut md, &scenario, &grouped[&scenario], servers);
    }
    md
}

/// The MessagePack scenarios against their JSON counterparts, per server: the
/// server's CPU and the bytes on the wire per delivery (per ack for echo).
fn render_parsers(md: &mut String, grouped: &Grouped<'_>, servers: &[String]) {
    const PAIRS: &[(&str, &str, &[&str])] = &[
        (
            "fanout",
            "fanout-msgpack",
            &["ref_server_ns_per_delivery", "bytes_per_delivery"],
        ),
        (
            "echo",
            "echo-msgpack",
            &["server_ns_per_ack", "bytes_per_ack"],
        ),
    ];
    let present: Vec<_> = PAIRS
        .iter()
        .filter(|(json, msgpack, _)| grouped.contains_key(*json) && grouped.contains_key(*msgpack))
        .collect();
    if present.is_empty() {
        return;
    }
    md.push_str("## MessagePack against JSON\n\n");
    md.push_str(
        "Each server with its MessagePack parser (tether `PARSER=msgpack`, socketioxide's \
         `msgpack` feature, Node with `socket.io-msgpack-parser`) against itself with the \
         default JSON parser, same scenario otherwise. Medians over the rounds; the ratio is \
         MessagePack / JSON (below 1: MessagePack costs less).\n\n",
    );
    md.push_str("| scenario | metric | server | JSON | MessagePack | MessagePack / JSON |\n");
    md.push_str("|---|---|---|---:|---:|---:|\n");
    for (json, msgpack, keys) in present {
        for key in *keys {
            let Some(metric) = find(key) else { continue };
            for server in servers {
                let value = |scenario: &str| {
                    grouped
                        .get(scenario)
                        .and_then(|by_server| by_server.get(server))
                        .and_then(|runs| summarize(runs, metric))
                };
                let (Some(a), Some(b)) = (value(json), value(msgpack)) else {
                    continue;
                };
                let ratio = if a.median > 0.0 {
                    format!("{:.2}", b.median / a.median)
                } else {
                    "–".into()
                };
                let _ = writeln!(
                    md,
                    "| {json} | {} | {server} | {} | {} | {ratio} |",
                    metric.label,
                    show(metric, &a),
                    show(metric, &b)
                );
            }
        }
    }
    md.push('\n');
}

fn write_row(
    md: &mut String,
    metric: &Metric,
    by_server: &BTreeMap<String, Vec<&RunResult>>,
    servers: &[String],
    reference: &str,
    peers: &[&String],
) {
    let summary = |s: &str| by_server.get(s).and_then(|runs| summarize(runs, metric));
    for s in servers {
        let cell = summary(s).map_or_else(|| "n/a".to_string(), |v| show(metric, &v));
        let _ = write!(md, " {cell} |");
    }
    let reference_value = summary(reference);
    for p in peers {
        let ratio = match (&reference_value, summary(p)) {
            (Some(r), Some(o)) => advantage(metric.better, r.median, o.median),
            _ => None,
        };
        let cell = ratio.map_or_else(|| "–".to_string(), |x| format!("{x:.2}×"));
        let _ = write!(md, " {cell} |");
    }
    md.push('\n');
}

fn render_scenario(
    md: &mut String,
    scenario: &str,
    by_server: &BTreeMap<String, Vec<&RunResult>>,
    servers: &[String],
) {
    let _ = writeln!(md, "### {scenario}\n");
    if let Some(first) = by_server.values().flatten().next() {
        let _ = writeln!(md, "Parameters: `{}`\n", first.params);
    }
    let present: Vec<&String> = servers
        .iter()
        .filter(|s| by_server.contains_key(*s))
        .collect();
    let mut header = String::from("| metric |");
    let mut rule = String::from("|---|");
    for s in &present {
        let _ = write!(header, " {s} |");
        rule.push_str("---:|");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    let mut keys: Vec<&String> = by_server
        .values()
        .flatten()
        .flat_map(|r| r.metrics.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for metric in metrics::METRICS
        .iter()
        .filter(|m| keys.iter().any(|k| *k == m.key))
    {
        let _ = write!(md, "| {} |", metric.label);
        for s in &present {
            let cell = summarize(&by_server[*s], metric).map_or_else(
                || "n/a".to_string(),
                |v| {
                    format!(
                        "{} ({} – {}, {})",
                        show(metric, &v),
                        format(metric.unit, v.min),
                        format(metric.unit, v.max),
                        v.rounds
                    )
                },
            );
            let _ = write!(md, " {cell} |");
        }
        md.push('\n');
    }
    let flags: Vec<String> = present
        .iter()
        .flat_map(|s| {
            by_server[*s].iter().flat_map(move |r| {
                r.flags
                    .iter()
                    .map(move |f| format!("{s} round {}: {f}", r.round))
            })
        })
        .collect();
    if !flags.is_empty() {
        let _ = writeln!(md, "\nFlags: {}", flags.join("; "));
    }
    md.push('\n');
    if by_server
        .values()
        .flatten()
        .any(|r| r.detail.get("steps").is_some())
    {
        render_steps(md, by_server, &present);
    }
}

/// The per-step curve of each server's first round: offered and delivered load,
/// latency, loss and CPU; in cluster runs also the cross-node deliveries and
/// their p99 beside the same-node p99.
fn render_steps(
    md: &mut String,
    by_server: &BTreeMap<String, Vec<&RunResult>>,
    present: &[&String],
) {
    let first_runs: Vec<(&String, &Vec<serde_json::Value>)> = present
        .iter()
        .filter_map(|s| {
            let steps = by_server[*s].first()?.detail.get("steps")?.as_array()?;
            Some((*s, steps))
        })
        .collect();
    let cluster = first_runs
        .iter()
        .flat_map(|(_, steps)| steps.iter())
        .any(|step| step.get("nodes").is_some());
    md.push_str("<details><summary>Steps (first round)</summary>\n\n");
    md.push_str(
        "| server | broadcasts/s | offered | delivered | p50 | p99 | lost | generator CPU \
         | server CPU | server CPU per delivery |",
    );
    if cluster {
        md.push_str(" cross-node delivered | same-node p99 | cross-node p99 |");
    }
    md.push_str("\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    if cluster {
        md.push_str("---:|---:|---:|");
    }
    md.push('\n');
    for (s, steps) in first_runs {
        for step in steps {
            let num = |k: &str| step.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
            let lat = |k: &str| {
                step.get("latency")
                    .and_then(|l| l.get(k))
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0)
            };
            let optional = |k: &str, unit| {
                step.get(k)
                    .and_then(|v| v.as_f64())
                    .map_or_else(|| "–".to_string(), |v| format(unit, v))
            };
            let server_cpu = optional("server_cpu", metrics::Unit::Core);
            let per_delivery = optional("server_ns_per_delivery", metrics::Unit::Nanos);
            let _ = write!(
                md,
                "| {s} | {:.0} | {} | {} | {} | {} | {:.0} | {} | {server_cpu} | {per_delivery} |",
                num("rate"),
                format(metrics::Unit::Rate, num("offered_per_s")),
                format(metrics::Unit::Rate, num("delivered_per_s")),
                format(metrics::Unit::Millis, lat("p50_ms")),
                format(metrics::Unit::Millis, lat("p99_ms")),
                num("lost"),
                format(metrics::Unit::Core, num("generator_cpu")),
            );
            if cluster {
                let node = |i: usize, path: &[&str]| {
                    let mut value = step.get("nodes").and_then(|n| n.get(i));
                    for key in path {
                        value = value.and_then(|v| v.get(key));
                    }
                    value.and_then(|v| v.as_f64()).unwrap_or(0.0)
                };
                let _ = write!(
                    md,
                    " {} | {} | {} |",
                    format(metrics::Unit::Rate, node(1, &["delivered_per_s"])),
                    format(metrics::Unit::Millis, node(0, &["latency", "p99_ms"])),
                    format(metrics::Unit::Millis, node(1, &["latency", "p99_ms"])),
                );
            }
            md.push('\n');
        }
    }
    md.push_str("\n</details>\n\n");
}

#[cfg(test)]
mod tests {
    use super::{run_of, runs_still_shown};

    fn meta(lines: &[(&str, &str)]) -> Vec<(String, String)> {
        lines
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn each_scenario_is_shown_from_the_latest_run_that_measured_it() {
        let meta = meta(&[
            ("date", "2026-12-01T00:00:00Z"),
            ("date (run of echo, fanout-polling)", "2026-12-02T00:00:00Z"),
            ("date (run of echo)", "2026-12-03T00:00:00Z"),
            ("date (run of fanout-polling, idle)", "2026-12-04T00:00:00Z"),
        ]);
        let shown = runs_still_shown(&meta, ["echo", "fanout-polling", "rooms"].into_iter());
        assert!(shown.contains(&None), "rooms comes from the base run");
        assert!(shown.contains(&Some("echo".to_string())));
        assert!(shown.contains(&Some("fanout-polling, idle".to_string())));
        let superseded = Some("echo, fanout-polling".to_string());
        assert!(!shown.contains(&superseded), "superseded twice over");
        assert_eq!(shown.len(), 3);
        let shown = runs_still_shown(&meta, ["echo"].into_iter());
        assert!(
            !shown.contains(&None),
            "the base run shows nothing any more"
        );
    }

    #[test]
    fn setup_keys_name_their_run() {
        assert_eq!(run_of("machine"), None);
        assert_eq!(run_of("machine (run of echo, idle)"), Some("echo, idle"));
    }
}
