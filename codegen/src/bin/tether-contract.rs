//! `tether-contract`: breaking-change checks between contract snapshots.
//!
//! ```text
//! tether-contract diff OLD.json NEW.json [--json]   report changes; exit 1 when one breaks
//! tether-contract snapshot SCHEMA.json DIR          copy a snapshot into DIR, named by version
//! tether-contract served CURRENT.json DIR           versions of DIR's snapshots CURRENT serves
//! ```
//!
//! Exit codes: 0 compatible (or done), 1 breaking changes, 2 usage or input error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tether_codegen::compat::{self, Snapshot};

const USAGE: &str = "usage:
  tether-contract diff OLD.json NEW.json [--json]
      Compares two contract snapshots (the generated *.schema.json) and prints every
      change with the pairing it breaks; exits with 1 when a change breaks one.
  tether-contract snapshot SCHEMA.json DIR
      Writes SCHEMA.json into DIR as <name>@<version>.json, <version> being its
      namespaces' contract versions.
  tether-contract served CURRENT.json DIR
      Prints, per namespace, the versions among DIR's snapshots whose clients
      CURRENT still serves (JSON), for ContractVersions::serve_all.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tether-contract: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["diff", rest @ ..] => {
            let json = rest.contains(&"--json");
            let files: Vec<&str> = rest
                .iter()
                .copied()
                .filter(|arg| *arg != "--json")
                .collect();
            let [old, new] = files.as_slice() else {
                return Err(format!("diff takes two files\n{USAGE}"));
            };
            let old = Snapshot::read(old).map_err(|error| error.to_string())?;
            let new = Snapshot::read(new).map_err(|error| error.to_string())?;
            let report = compat::check(&old, &new);
            if json {
                println!("{:#}", report.to_json());
            } else {
                print!("{report}");
            }
            Ok(if report.is_breaking() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        ["snapshot", source, dir] => {
            let snapshot = Snapshot::read(source).map_err(|error| error.to_string())?;
            let path = snapshot_path(Path::new(source), Path::new(dir), &snapshot);
            std::fs::create_dir_all(dir).map_err(|error| format!("{dir}: {error}"))?;
            std::fs::write(&path, snapshot.to_json())
                .map_err(|error| format!("{}: {error}", path.display()))?;
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        ["served", current, dir] => {
            let current = Snapshot::read(current).map_err(|error| error.to_string())?;
            let snapshots = Snapshot::read_dir(dir).map_err(|error| error.to_string())?;
            let served = compat::served_versions(&current, &snapshots);
            println!("{:#}", serde_json::json!(served));
            Ok(ExitCode::SUCCESS)
        }
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.to_owned()),
    }
}

/// `DIR/<name>@<versions>.json`: `<name>` is the source's file name without
/// `.schema.json`, `<versions>` its namespaces' versions joined with `_`, with
/// characters unsafe in file names replaced.
fn snapshot_path(source: &Path, dir: &Path, snapshot: &Snapshot) -> PathBuf {
    let file = source
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = file
        .strip_suffix(".schema.json")
        .or_else(|| file.strip_suffix(".json"))
        .unwrap_or(&file)
        .to_owned();
    let mut versions: Vec<&str> = snapshot
        .namespaces()
        .filter_map(|namespace| snapshot.version(namespace))
        .collect();
    versions.dedup();
    let versions: String = versions
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let versions = if versions.is_empty() {
        "unversioned".to_owned()
    } else {
        versions
    };
    dir.join(format!("{name}@{versions}.json"))
}
