//! Contracts that evolve: the server the contract-evolution JavaScript test
//! (`tests/js/test/contract-evolution.test.mjs`) drives with socket.io-client.
//!
//! - `/<pair>` for each pair of [`pairs`]: the pair's **new** contracts, so that a
//!   client typed by the old ones shows what deployed clients meet after the
//!   upgrade;
//! - `/versioned`: version 2 of a greeting contract, negotiating versions: it
//!   serves the versions among its older snapshots (0 and 1) that
//!   `tether_codegen::compat` finds compatible, and refuses the others at CONNECT
//!   with `contract_mismatch`.
//!
//! `contract_evolution export DIR` writes, instead of serving, each pair's
//! `<pair>.old.schema.json`, `<pair>.old.ts`, `<pair>.new.schema.json` and
//! `<pair>.new.ts`, and `versioned.v<N>.schema.json` / `.ts` for N = 0, 1, 2.
//!
//! ```text
//! PORT=3000 cargo run --example contract_evolution
//! cargo run --example contract_evolution -- export /tmp/contracts
//! ```

mod pairs;

use std::process::ExitCode;
use std::time::Duration;

use tether::contract::ContractVersions;
use tether::server::{Server, ServerConfig};
use tether_codegen::{Document, NamespaceDescriptor, compat};

/// Three versions of a greeting contract; 2 is current, 1 compatible with it
/// (2 only added an optional argument), 0 not (its argument was a number).
mod greeting {
    pub mod v0 {
        /// Greeting requests.
        #[tether::events(version = "0")]
        pub trait Client {
            /// Greets someone by number.
            fn hello(name: u32) -> String;
        }
        /// Greeting notices.
        #[tether::events(version = "0")]
        pub trait Server {
            /// A notice.
            fn notice(text: String);
        }
    }

    pub mod v1 {
        /// Greeting requests.
        #[tether::events(version = "1")]
        pub trait Client {
            /// Greets someone.
            fn hello(name: String) -> String;
        }
        /// Greeting notices.
        #[tether::events(version = "1")]
        pub trait Server {
            /// A notice.
            fn notice(text: String);
        }
    }

    pub mod v2 {
        use tether::contract::TypedSocket;

        /// Greeting requests.
        #[tether::events(version = "2")]
        pub trait Client {
            /// Greets someone, with an optional greeting word.
            fn hello(name: String, greeting: Option<String>) -> String;
        }
        /// Greeting notices.
        #[tether::events(version = "2")]
        pub trait Server {
            /// A notice.
            fn notice(text: String);
        }

        pub struct Greeter;

        impl ClientHandler for Greeter {
            type Emits = Server;

            async fn hello(
                &self,
                _socket: TypedSocket<Server>,
                name: String,
                greeting: Option<String>,
            ) -> String {
                format!("{} {name}", greeting.as_deref().unwrap_or("hello"))
            }
        }
    }
}

fn versioned_documents() -> Vec<(&'static str, Document)> {
    let document = |namespace| Document::new("greeting", "1").namespace(namespace);
    vec![
        (
            "v0",
            document(NamespaceDescriptor::new::<
                greeting::v0::Client,
                greeting::v0::Server,
            >("/")),
        ),
        (
            "v1",
            document(NamespaceDescriptor::new::<
                greeting::v1::Client,
                greeting::v1::Server,
            >("/")),
        ),
        (
            "v2",
            document(NamespaceDescriptor::new::<
                greeting::v2::Client,
                greeting::v2::Server,
            >("/")),
        ),
    ]
}

fn export(dir: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|error| format!("{dir}: {error}"))?;
    let write = |name: String, text: String| {
        let path = std::path::Path::new(dir).join(name);
        std::fs::write(&path, text).map_err(|error| format!("{}: {error}", path.display()))
    };
    let mut documents: Vec<(String, Document)> = Vec::new();
    for pair in pairs::pairs() {
        documents.push((format!("{}.old", pair.name), pair.old));
        documents.push((format!("{}.new", pair.name), pair.new));
    }
    for (version, document) in versioned_documents() {
        documents.push((format!("versioned.{version}"), document));
    }
    for (name, document) in documents {
        let schema = document.json_schema().map_err(|error| error.to_string())?;
        let ts = document.typescript().map_err(|error| error.to_string())?;
        write(format!("{name}.schema.json"), schema)?;
        write(format!("{name}.ts"), ts)?;
    }
    Ok(())
}

/// The versions `/versioned` serves: its own, and those of its older snapshots
/// the compatibility check finds its clients still served by it.
fn served_versions() -> Result<ContractVersions, tether_codegen::Error> {
    let mut snapshots = Vec::new();
    let mut current = None;
    for (version, document) in versioned_documents() {
        let snapshot = document.snapshot()?;
        if version == "v2" {
            current = Some(snapshot);
        } else {
            snapshots.push(snapshot);
        }
    }
    let current = current.ok_or_else(|| tether_codegen::Error::InvalidSnapshot {
        source_name: "v2".into(),
        reason: "missing".into(),
    })?;
    let served = compat::served_versions(&current, &snapshots);
    Ok(
        ContractVersions::of::<greeting::v2::Client, greeting::v2::Server>()
            .serve_all(served.get("/").cloned().unwrap_or_default()),
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    tether_examples::init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [command, dir] = args.as_slice()
        && command == "export"
    {
        return match export(dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("contract_evolution: {error}");
                ExitCode::FAILURE
            }
        };
    }

    let io = Server::new(ServerConfig::default());
    for pair in pairs::pairs() {
        (pair.bind)(&io.of(&format!("/{}", pair.name)));
    }
    let versions = match served_versions() {
        Ok(versions) => versions,
        Err(error) => {
            eprintln!("contract_evolution: {error}");
            return ExitCode::FAILURE;
        }
    };
    io.of("/versioned")
        .bind::<greeting::v2::Client, _>(greeting::v2::Greeter)
        .contract_versions(versions);

    let server = match tether::bind(io.clone(), tether_examples::listen_addr()).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("contract_evolution: {error}");
            return ExitCode::FAILURE;
        }
    };
    tether_examples::announce(server.local_addr());
    tether_examples::shutdown_signal().await;
    io.close(Duration::from_secs(3)).await;
    server.shutdown(Duration::from_secs(2)).await;
    ExitCode::SUCCESS
}
