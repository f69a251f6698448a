//! Writes the JSON Schema, TypeScript and AsyncAPI files of every example
//! contract into a directory:
//!
//! ```text
//! cargo run -p tether-examples --example export_contracts -- examples/generated
//! ```
//!
//! For each contract `<name>` (see `tether_examples::contracts`) it writes
//! `<name>.schema.json`, `<name>.ts` and `<name>.asyncapi.json`. The test
//! `examples/tests/generated.rs` fails when the checked-in files are stale.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: export_contracts <out-dir>");
        return ExitCode::from(2);
    };
    for (name, document) in tether_examples::contracts() {
        match document.write_all(&dir, name) {
            Ok(paths) => {
                for path in paths {
                    println!("{}", path.display());
                }
            }
            Err(error) => {
                eprintln!("export_contracts: {name}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
