//! The public API of `tether`, with every feature on, as the `public-api` crate
//! lists it from rustdoc's JSON output, must equal the committed `tether.txt`, so a
//! change to the surface shows in review. Refresh the listing with
//! `scripts/public-api.sh --bless` (see README.md beside this file).

use std::path::{Path, PathBuf};
use std::process::Command;

const LISTING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tether.txt");
const BLESS_VARIABLE: &str = "UPDATE_EXPECT";

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("public-api/ sits in the workspace root")
}

/// A `rustdoc` that accepts the unstable JSON output on the stable toolchain:
/// `RUSTC_BOOTSTRAP` is set for rustdoc alone, so the dependencies (whose build
/// scripts probe for it, as proc-macro2's does) build as on any stable run.
fn rustdoc_wrapper(dir: &Path) -> PathBuf {
    let real = std::env::var("RUSTDOC").unwrap_or_else(|_| "rustdoc".to_owned());
    let path = dir.join("rustdoc-with-bootstrap");
    let script = format!("#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec '{real}' \"$@\"\n");
    std::fs::write(&path, script).expect("the wrapper is writable");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("the wrapper is executable");
    }
    path
}

/// Runs rustdoc on `tether` (all features) and returns its JSON file.
fn rustdoc_json() -> PathBuf {
    let root = workspace_root();
    // A target directory of its own: building `tether` alone resolves other
    // features than the workspace does, and a second `tether_macros` beside the
    // workspace's would confuse its doctests.
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target_dir = scratch.join("rustdoc-json");
    let wrapper = rustdoc_wrapper(scratch);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(root)
        .env("RUSTDOC", wrapper)
        .env_remove("RUSTC_BOOTSTRAP")
        .args(["rustdoc", "--package", "tether", "--lib", "--all-features"])
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo rustdoc failed: {status}");
    target_dir.join("doc").join("tether.json")
}

#[test]
fn the_public_api_matches_the_committed_listing() {
    let json = rustdoc_json();
    let api = public_api::Builder::from_rustdoc_json(&json)
        .omit_blanket_impls(true)
        .build()
        .expect("the rustdoc JSON reads");
    let listing = api.to_string();
    if std::env::var_os(BLESS_VARIABLE).is_some() {
        std::fs::write(LISTING, &listing).expect("the listing is writable");
        return;
    }
    let committed = std::fs::read_to_string(LISTING).unwrap_or_default();
    if committed == listing {
        return;
    }
    let committed_lines: std::collections::BTreeSet<&str> = committed.lines().collect();
    let current_lines: std::collections::BTreeSet<&str> = listing.lines().collect();
    let mut report = String::new();
    for line in committed_lines.difference(&current_lines) {
        report.push_str(&format!("- {line}\n"));
    }
    for line in current_lines.difference(&committed_lines) {
        report.push_str(&format!("+ {line}\n"));
    }
    panic!(
        "the public API of tether differs from public-api/tether.txt \
         (- listed, + now); if the change is meant, refresh it with \
         `scripts/public-api.sh --bless` and commit it:\n{report}"
    );
}
