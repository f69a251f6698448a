//! Snapshots of the three outputs for the shapes contract (tests/shapes), checked
//! in under tests/snapshots through `expect-test`. A mismatch prints a diff; accept
//! the new output with `UPDATE_EXPECT=1 cargo test -p tether-codegen --test snapshots`.

mod shapes;

use expect_test::expect_file;

fn generated(suffix: &str) -> String {
    shapes::document()
        .files("shapes")
        .expect("the shapes contract generates")
        .into_iter()
        .find(|file| file.name.ends_with(suffix))
        .expect("a file with that suffix")
        .contents
}

#[test]
fn json_schema_snapshot() {
    expect_file!["snapshots/shapes.schema.json"].assert_eq(&generated(".schema.json"));
}

#[test]
fn typescript_snapshot() {
    expect_file!["snapshots/shapes.ts"].assert_eq(&generated(".ts"));
}

#[test]
fn asyncapi_snapshot() {
    expect_file!["snapshots/shapes.asyncapi.json"].assert_eq(&generated(".asyncapi.json"));
}
