//! The JSON Schema, TypeScript and AsyncAPI files checked in under
//! `examples/generated` are what the example contracts generate now.

use std::path::PathBuf;

#[test]
fn generated_contract_files_are_fresh() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("generated");
    let mut failures = Vec::new();
    for (name, document) in tether_examples::contracts() {
        if let Err(error) = document.check_all(&dir, name) {
            failures.push(format!("{name}: {error}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nregenerate with: {}",
        failures.join("\n"),
        tether_examples::EXPORT_COMMAND
    );
}
