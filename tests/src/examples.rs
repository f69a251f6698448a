//! The example programs of `tether-examples`, built and run as processes of
//! their own.

use std::path::PathBuf;
use std::process::Command;

/// Builds an example of `tether-examples` with the profile this test was built
/// with, and returns its path.
///
/// # Panics
///
/// When it does not build.
pub fn build_example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => "dev".to_owned(),
        Some(other) => other.to_owned(),
    };
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "tether-examples",
            "--example",
            name,
        ])
        .args(["--profile", &profile])
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build --example {name} failed");
    profile_dir.join("examples").join(name)
}
