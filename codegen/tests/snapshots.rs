//! Snapshots of the three outputs for the shapes contract (tests/shapes), checked
//! in under tests/snapshots. A mismatch prints a diff and the command that
//! accepts the new output.

mod shapes;

use std::path::PathBuf;

use tether_codegen::GeneratedFile;

const UPDATE_VARIABLE: &str = "TETHER_UPDATE_SNAPSHOTS";

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn generated(suffix: &str) -> GeneratedFile {
    shapes::document()
        .files("shapes")
        .expect("the shapes contract generates")
        .into_iter()
        .find(|file| file.name.ends_with(suffix))
        .expect("a file with that suffix")
}

fn assert_snapshot(suffix: &str) {
    let file = generated(suffix);
    let result = if std::env::var_os(UPDATE_VARIABLE).is_some() {
        file.write_to(snapshot_dir()).map(drop)
    } else {
        file.check_in(snapshot_dir())
    };
    if let Err(error) = result {
        panic!(
            "{error}\naccept the new output with: \
             {UPDATE_VARIABLE}=1 cargo test -p tether-codegen --test snapshots"
        );
    }
}

#[test]
fn json_schema_snapshot() {
    assert_snapshot(".schema.json");
}

#[test]
fn typescript_snapshot() {
    assert_snapshot(".ts");
}

#[test]
fn asyncapi_snapshot() {
    assert_snapshot(".asyncapi.json");
}
