//! Contract versions: what a namespace's pair of contracts is called, and the
//! CONNECT check that refuses clients built against a version the server cannot
//! serve ([`ContractVersions`]).

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};

use super::broadcast::TypedNamespace;
use super::descriptor::{Contract, ContractInfo};
use crate::server::{ConnectError, Socket};

/// The auth payload key a client presents its contract version under.
pub const CONTRACT_AUTH_KEY: &str = "contract";

/// The `code` of the refusal a client with an unserved version receives.
pub const CONTRACT_MISMATCH: &str = "contract_mismatch";

/// See [`NamespaceDescriptor::contract_version`](super::NamespaceDescriptor::contract_version).
pub(crate) fn namespace_version(listen: &ContractInfo, emits: &ContractInfo) -> String {
    match (listen.version, emits.version) {
        (Some(a), Some(b)) if a == b => a.to_owned(),
        (Some(a), Some(b)) => format!("{a}+{b}"),
        (Some(a), None) | (None, Some(a)) => a.to_owned(),
        (None, None) => schema_hash(listen, emits),
    }
}

/// `sha1-` and the first 16 hex digits of the SHA-1 of the two contracts'
/// events with their schemas, descriptions removed.
fn schema_hash(listen: &ContractInfo, emits: &ContractInfo) -> String {
    let mut generator = SchemaSettings::draft07()
        .with(|settings| settings.meta_schema = None)
        .into_generator();
    let mut side = |contract: &ContractInfo| -> Value {
        contract
            .events
            .iter()
            .map(|event| {
                let args: Vec<Value> = event
                    .args
                    .iter()
                    .map(|arg| json!([(arg.schema)(&mut generator).to_value(), arg.optional]))
                    .collect();
                let ack = event
                    .ack_schema(&mut generator)
                    .map(|schema| schema.to_value());
                json!([event.name, args, ack])
            })
            .collect()
    };
    let listen = side(listen);
    let emits = side(emits);
    let definitions: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    let mut all = json!([listen, emits, definitions]);
    strip_descriptions(&mut all);
    let digest = Sha1::digest(all.to_string().as_bytes());
    let hex: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha1-{hex}")
}

/// Removes the string `description` annotations, which doc comments produce.
fn strip_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("description").is_some_and(Value::is_string) {
                map.remove("description");
            }
            map.values_mut().for_each(strip_descriptions);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_descriptions),
        _ => {}
    }
}

/// The contract versions a namespace serves: the current one and older ones
/// whose clients it still accepts. Set with
/// [`TypedNamespace::contract_versions`].
///
/// A client presents its version as the string under `contract` in its auth
/// payload ([`CONTRACT_AUTH_KEY`]; the generated TypeScript exports it as
/// `{Prefix}ContractVersion`, and the Rust client sends it when built with
/// `ClientBuilder::contract`). A version the namespace does not serve is
/// refused before any other middleware runs, with a `connect_error` whose
/// message is `contract_mismatch` and whose data is
/// `{"code": "contract_mismatch", "server": <current>, "client": <presented>}`.
/// A client presenting no version is accepted (it predates versioning).
///
/// Which older versions to serve is the application's call; tether-codegen's
/// `compat::served_versions` lists the snapshots whose clients the current
/// contracts still accept.
///
/// ```
/// use tether::contract::{ContractVersions, NamespaceDescriptor};
///
/// #[tether::events(version = "3")]
/// pub trait Client { fn hello(name: String); }
/// #[tether::events(version = "3")]
/// pub trait Server { fn welcome(text: String); }
///
/// let versions = ContractVersions::of::<Client, Server>().serve("2");
/// assert_eq!(versions.current(), "3");
/// assert!(versions.serves("2") && versions.serves("3") && !versions.serves("1"));
/// assert_eq!(NamespaceDescriptor::new::<Client, Server>("/").contract_version(), "3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractVersions {
    current: String,
    older: Vec<String>,
}

impl ContractVersions {
    /// Serves version `current` only.
    pub fn new(current: impl Into<String>) -> Self {
        ContractVersions {
            current: current.into(),
            older: Vec::new(),
        }
    }

    /// Serves the current version of the pair listening to `L` and emitting `E`
    /// (see [`NamespaceDescriptor::contract_version`](super::NamespaceDescriptor::contract_version)).
    pub fn of<L: Contract, E: Contract>() -> Self {
        ContractVersions::new(super::NamespaceDescriptor::new::<L, E>("/").contract_version())
    }

    /// Also accepts clients of `version`.
    pub fn serve(mut self, version: impl Into<String>) -> Self {
        let version = version.into();
        if !self.serves(&version) {
            self.older.push(version);
        }
        self
    }

    /// Also accepts clients of each of `versions`.
    pub fn serve_all<V: Into<String>>(self, versions: impl IntoIterator<Item = V>) -> Self {
        versions.into_iter().fold(self, Self::serve)
    }

    /// The current version.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// Whether clients of `version` are accepted.
    pub fn serves(&self, version: &str) -> bool {
        self.current == version || self.older.iter().any(|older| older == version)
    }

    /// Accepts or refuses an auth payload (see the type's documentation).
    pub fn check(&self, auth: &Value) -> Result<(), ConnectError> {
        match auth.get(CONTRACT_AUTH_KEY) {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(version)) if self.serves(version) => Ok(()),
            Some(presented) => Err(ConnectError::new(CONTRACT_MISMATCH).with_data(json!({
                "code": CONTRACT_MISMATCH,
                "server": self.current,
                "client": presented,
            }))),
        }
    }
}

impl<C: Contract> TypedNamespace<C> {
    /// Negotiates contract versions: clients presenting a version `versions`
    /// does not serve are refused at CONNECT, before the namespace's other
    /// middlewares (and the handler's `on_connect`) run. See
    /// [`ContractVersions`].
    ///
    /// ```
    /// use tether::contract::{ContractVersions, TypedSocket};
    /// use tether::server::{Server, ServerConfig};
    ///
    /// #[tether::events(version = "2")]
    /// pub trait GreetClient { fn hello(name: String); }
    /// #[tether::events(version = "2")]
    /// pub trait GreetServer { fn welcome(text: String); }
    ///
    /// struct Greeter;
    /// impl GreetClientHandler for Greeter {
    ///     type Emits = GreetServer;
    ///     async fn hello(&self, socket: TypedSocket<GreetServer>, name: String) {
    ///         let _ = socket.welcome(format!("hello {name}"));
    ///     }
    /// }
    ///
    /// let io = Server::new(ServerConfig::default());
    /// io.of("/")
    ///     .bind::<GreetClient, _>(Greeter)
    ///     .contract_versions(ContractVersions::of::<GreetClient, GreetServer>().serve("1"));
    /// ```
    pub fn contract_versions(self, versions: ContractVersions) -> Self {
        self.untyped().prepend_middleware(move |socket: Socket| {
            let verdict = versions.check(&socket.auth_value());
            if let Err(error) = &verdict {
                tracing::debug!(
                    sid = %socket.id(),
                    ns = socket.ns(),
                    data = ?error.data,
                    "connection refused: contract version not served"
                );
            }
            std::future::ready(verdict)
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_or_served_versions_pass_others_are_refused() {
        let versions = ContractVersions::new("3").serve_all(["2", "2"]);
        assert!(versions.check(&json!({})).is_ok());
        assert!(versions.check(&json!({ "contract": null })).is_ok());
        assert!(versions.check(&json!({ "contract": "3" })).is_ok());
        assert!(versions.check(&json!({ "contract": "2" })).is_ok());
        let refused = versions.check(&json!({ "contract": "1" })).unwrap_err();
        assert_eq!(refused.message, "contract_mismatch");
        assert_eq!(
            refused.data,
            Some(json!({ "code": "contract_mismatch", "server": "3", "client": "1" }))
        );
        let refused = versions.check(&json!({ "contract": 7 })).unwrap_err();
        assert_eq!(refused.data.unwrap()["client"], 7);
    }
}
