//! The compat report's rendering, snapshots on disk, `served_versions`, and the
//! `tether-contract` command.

#![allow(missing_docs)]

use std::process::Command;

use tether_codegen::compat::{self, Snapshot};

mod pairs;

use pairs::{arg_one, arg_retyped, arg_two, arg_two_optional};

#[test]
fn served_versions_lists_compatible_snapshots() {
    let current = arg_two_optional::snapshot();
    let served = compat::served_versions(&current, &[arg_one::snapshot(), arg_retyped::snapshot()]);
    let served = &served["/"];
    assert_eq!(served.len(), 2, "{served:?}");
    assert_eq!(served[0], current.version("/").unwrap());
    assert_eq!(served[1], arg_one::snapshot().version("/").unwrap());
}

#[test]
fn report_renders_and_serializes() {
    let report = compat::check(&arg_one::snapshot(), &arg_two::snapshot());
    let text = report.to_string();
    assert!(
        text.contains("BREAKING (old clients -> new server): namespace /, event \"send\" (client -> server), args[1] (b): argument added (required)"),
        "{text}"
    );
    assert!(text.ends_with("breaking\n"), "{text}");
    let json = report.to_json();
    assert_eq!(json["breaking"], true);
    assert_eq!(json["breaks"]["oldClientsNewServer"], true);
    let added = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| {
            change["kind"] == "argument_added" && change["direction"] == "clientToServer"
        })
        .expect("argument_added");
    assert_eq!(added["event"], "send");
    assert_eq!(added["breaks"]["newClientsOldServer"], false);
}

#[test]
fn snapshots_round_trip_and_bad_ones_are_refused() {
    let snapshot = arg_two::snapshot();
    assert_eq!(Snapshot::parse(&snapshot.to_json(), "x").unwrap(), snapshot);
    for bad in ["[]", "{}", "{\"namespaces\": {\"/\": {}}}", "not json"] {
        let error = Snapshot::parse(bad, "bad.json").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("invalid contract snapshot bad.json"),
            "{error}"
        );
    }
}

#[test]
fn the_command_diffs_snapshots_and_writes_them() {
    let dir = std::env::temp_dir().join(format!("tether-contract-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let old = dir.join("api-old.schema.json");
    let new = dir.join("api.schema.json");
    let compatible = dir.join("api-compatible.schema.json");
    std::fs::write(&old, arg_one::snapshot().to_json()).unwrap();
    std::fs::write(&new, arg_two::snapshot().to_json()).unwrap();
    std::fs::write(&compatible, arg_two_optional::snapshot().to_json()).unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_tether-contract"))
            .args(args)
            .output()
            .expect("runs")
    };

    let breaking = run(&["diff".as_ref(), old.as_os_str(), new.as_os_str()]);
    assert_eq!(breaking.status.code(), Some(1));
    let text = String::from_utf8(breaking.stdout).unwrap();
    assert!(text.contains("argument added (required)"), "{text}");

    let fine = run(&[
        "diff".as_ref(),
        old.as_os_str(),
        compatible.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(fine.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&fine.stdout).unwrap();
    assert_eq!(json["breaking"], false);

    let missing = run(&[
        "diff".as_ref(),
        old.as_os_str(),
        dir.join("nope.json").as_os_str(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let usage = run(&["frobnicate".as_ref()]);
    assert_eq!(usage.status.code(), Some(2));

    let snapshots = dir.join("snapshots");
    let written = run(&["snapshot".as_ref(), old.as_os_str(), snapshots.as_os_str()]);
    assert_eq!(written.status.code(), Some(0));
    let version = arg_one::snapshot().version("/").unwrap().to_owned();
    let path = snapshots.join(format!("api-old@{version}.json"));
    assert_eq!(
        String::from_utf8(written.stdout).unwrap().trim(),
        path.display().to_string()
    );
    assert_eq!(Snapshot::read(&path).unwrap(), arg_one::snapshot());
    run(&["snapshot".as_ref(), new.as_os_str(), snapshots.as_os_str()]);

    let served = run(&[
        "served".as_ref(),
        compatible.as_os_str(),
        snapshots.as_os_str(),
    ]);
    assert_eq!(served.status.code(), Some(0));
    let served: serde_json::Value = serde_json::from_slice(&served.stdout).unwrap();
    let list: Vec<&str> = served["/"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(list.contains(&version.as_str()), "{served}");
    // arg_two's clients are served too, but not its server → client `note(a, b)`
    // whose `b` the current server stopped sending.
    assert_eq!(list.len(), 2, "{served}");
    std::fs::remove_dir_all(&dir).unwrap();
}
