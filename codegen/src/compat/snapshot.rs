//! Snapshots: the committed JSON Schema documents compared by the check.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::report::Flow;
use crate::{Document, Error};

/// One version of a contract set: a JSON Schema document as
/// [`Document::json_schema`] writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub(crate) document: Map<String, Value>,
}

impl Snapshot {
    /// Parses a snapshot; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Snapshot, Error> {
        let invalid = |reason: String| Error::InvalidSnapshot {
            source_name: source_name.to_owned(),
            reason,
        };
        let value: Value =
            serde_json::from_str(text).map_err(|error| invalid(format!("not JSON: {error}")))?;
        let Value::Object(document) = value else {
            return Err(invalid("not a JSON object".into()));
        };
        let Some(Value::Object(namespaces)) = document.get("namespaces") else {
            return Err(invalid("no `namespaces` object".into()));
        };
        for (path, namespace) in namespaces {
            for side in ["clientToServer", "serverToClient"] {
                if !namespace
                    .get(side)
                    .and_then(|side| side.get("events"))
                    .is_some_and(Value::is_object)
                {
                    return Err(invalid(format!(
                        "namespace `{path}` has no `{side}.events`"
                    )));
                }
            }
        }
        if document
            .get("definitions")
            .is_some_and(|definitions| !definitions.is_object())
        {
            return Err(invalid("`definitions` is not an object".into()));
        }
        Ok(Snapshot { document })
    }

    /// Reads and parses the snapshot at `path`.
    pub fn read(path: impl AsRef<Path>) -> Result<Snapshot, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Snapshot::parse(&text, &path.display().to_string())
    }

    /// Every `*.json` snapshot in `dir`, sorted by file name.
    pub fn read_dir(dir: impl AsRef<Path>) -> Result<Vec<Snapshot>, Error> {
        let dir = dir.as_ref();
        let io = |source| Error::Io {
            path: dir.to_owned(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|ext| ext == "json") {
                paths.push(path);
            }
        }
        paths.sort();
        paths.iter().map(Snapshot::read).collect()
    }

    /// The snapshot as pretty-printed JSON, as [`Document::json_schema`] writes it.
    pub fn to_json(&self) -> String {
        crate::pretty(&Value::Object(self.document.clone()))
    }

    /// The namespaces' paths, in document order.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.namespaces_map().keys().map(String::as_str)
    }

    /// The contract version of `namespace`, when the snapshot records one.
    pub fn version(&self, namespace: &str) -> Option<&str> {
        self.namespaces_map()
            .get(namespace)?
            .get("version")?
            .as_str()
    }

    pub(crate) fn namespaces_map(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        match self.document.get("namespaces") {
            Some(Value::Object(map)) => map,
            _ => EMPTY.get_or_init(Map::new),
        }
    }

    pub(crate) fn definitions(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        match self.document.get("definitions") {
            Some(Value::Object(map)) => map,
            _ => EMPTY.get_or_init(Map::new),
        }
    }
}

impl Document {
    /// The document's [`Snapshot`]: its JSON Schema document, for
    /// [`compat::check`](crate::compat::check).
    pub fn snapshot(&self) -> Result<Snapshot, Error> {
        Snapshot::parse(&self.json_schema()?, "<document>")
    }
}

/// For each namespace of `current`, the contract versions among `snapshots`
/// whose clients it still serves: those the check finds no change breaking
/// old clients → new server for, in that namespace. `current`'s own version
/// is listed first.
///
/// Give each list to the server's
/// [`ContractVersions::serve_all`](tether::contract::ContractVersions::serve_all).
pub fn served_versions(
    current: &Snapshot,
    snapshots: &[Snapshot],
) -> BTreeMap<String, Vec<String>> {
    let mut served: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for namespace in current.namespaces() {
        let list = served.entry(namespace.to_owned()).or_default();
        if let Some(version) = current.version(namespace) {
            list.push(version.to_owned());
        }
    }
    for old in snapshots {
        let report = super::check(old, current);
        for namespace in current.namespaces() {
            let Some(version) = old.version(namespace) else {
                continue;
            };
            let breaks = report.changes().iter().any(|change| {
                change.namespace == namespace && change.breaks.old_clients_new_server
            });
            let list = served.entry(namespace.to_owned()).or_default();
            if !breaks && !list.iter().any(|known| known == version) {
                list.push(version.to_owned());
            }
        }
    }
    served
}

/// Which way the payloads of an event side travel: `(arguments, acknowledgement)`.
pub(crate) fn side_flows(side: &str) -> (Flow, Flow) {
    if side == "clientToServer" {
        (Flow::ClientToServer, Flow::ServerToClient)
    } else {
        (Flow::ServerToClient, Flow::ClientToServer)
    }
}
