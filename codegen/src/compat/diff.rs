//! Comparing two snapshots: namespaces and events here, payload schemas in
//! [`super::schema_diff`].

use serde_json::{Map, Value};

use super::report::{Breaks, Change, ChangeKind, Flow, Report};
use super::schema_diff::{Finding, SchemaDiff};
use super::snapshot::{Snapshot, side_flows};

const SIDES: [&str; 2] = ["clientToServer", "serverToClient"];

/// See [`super::check`].
pub(crate) fn compare(old: &Snapshot, new: &Snapshot) -> Report {
    let mut cx = Cx {
        old_defs: old.definitions(),
        new_defs: new.definitions(),
        changes: Vec::new(),
    };
    let old_namespaces = old.namespaces_map();
    let new_namespaces = new.namespaces_map();
    for (path, new_entry) in new_namespaces {
        match old_namespaces.get(path) {
            Some(old_entry) => cx.namespace(path, old_entry, new_entry),
            None => cx.push(
                Change::at(path, ChangeKind::NamespaceAdded),
                Breaks {
                    old_clients_new_server: false,
                    new_clients_old_server: true,
                },
            ),
        }
    }
    for path in old_namespaces.keys() {
        if !new_namespaces.contains_key(path) {
            cx.push(
                Change::at(path, ChangeKind::NamespaceRemoved),
                Breaks {
                    old_clients_new_server: true,
                    new_clients_old_server: false,
                },
            );
        }
    }
    Report {
        changes: cx.changes,
    }
}

impl Change {
    fn at(namespace: &str, kind: ChangeKind) -> Change {
        Change {
            namespace: namespace.to_owned(),
            event: None,
            direction: None,
            location: String::new(),
            kind,
            detail: String::new(),
            breaks: Breaks::NONE,
        }
    }
}

struct Cx<'a> {
    old_defs: &'a Map<String, Value>,
    new_defs: &'a Map<String, Value>,
    changes: Vec<Change>,
}

/// Where the findings of one payload go.
struct Place<'p> {
    namespace: &'p str,
    event: Option<&'p str>,
    direction: Option<Flow>,
    flow: Flow,
}

impl Cx<'_> {
    fn push(&mut self, mut change: Change, breaks: Breaks) {
        change.breaks = breaks;
        self.changes.push(change);
    }

    fn diff(&self) -> SchemaDiff<'_> {
        SchemaDiff::new(self.old_defs, self.new_defs)
    }

    fn record(&mut self, place: &Place<'_>, findings: Vec<Finding>) {
        for finding in findings {
            self.changes.push(Change {
                namespace: place.namespace.to_owned(),
                event: place.event.map(str::to_owned),
                direction: place.direction,
                location: finding.location,
                kind: finding.kind,
                detail: finding.detail,
                breaks: place.flow.breaks(finding.narrows, finding.widens),
            });
        }
    }

    fn namespace(&mut self, path: &str, old: &Value, new: &Value) {
        let old_version = old.get("version").and_then(Value::as_str);
        let new_version = new.get("version").and_then(Value::as_str);
        if old_version != new_version {
            let mut change = Change::at(path, ChangeKind::VersionChanged);
            change.detail = format!(
                "{} -> {}",
                old_version.unwrap_or("none"),
                new_version.unwrap_or("none")
            );
            self.push(change, Breaks::NONE);
        }

        // A namespace without a declared auth payload takes any.
        let any = Value::Bool(true);
        let old_auth = old.get("auth").unwrap_or(&any);
        let new_auth = new.get("auth").unwrap_or(&any);
        let mut diff = self.diff();
        diff.compare(old_auth, new_auth, "auth");
        let findings = diff.finish();
        let place = Place {
            namespace: path,
            event: None,
            direction: None,
            flow: Flow::ClientToServer,
        };
        self.record(&place, findings);

        for side in SIDES {
            let empty = Map::new();
            let events = |entry: &Value| -> Map<String, Value> {
                entry
                    .get(side)
                    .and_then(|side| side.get("events"))
                    .and_then(Value::as_object)
                    .unwrap_or(&empty)
                    .clone()
            };
            let old_events = events(old);
            let new_events = events(new);
            let (args_flow, _) = side_flows(side);
            for (name, new_event) in &new_events {
                match old_events.get(name) {
                    Some(old_event) => self.event(path, side, name, old_event, new_event),
                    None => {
                        let mut change = Change::at(path, ChangeKind::EventAdded);
                        change.event = Some(name.clone());
                        change.direction = Some(args_flow);
                        let breaks = Breaks {
                            old_clients_new_server: false,
                            new_clients_old_server: args_flow == Flow::ClientToServer,
                        };
                        self.push(change, breaks);
                    }
                }
            }
            for name in old_events.keys() {
                if !new_events.contains_key(name) {
                    let mut change = Change::at(path, ChangeKind::EventRemoved);
                    change.event = Some(name.clone());
                    change.direction = Some(args_flow);
                    let breaks = Breaks {
                        old_clients_new_server: args_flow == Flow::ClientToServer,
                        new_clients_old_server: false,
                    };
                    self.push(change, breaks);
                }
            }
        }
    }

    fn event(&mut self, namespace: &str, side: &str, name: &str, old: &Value, new: &Value) {
        let (args_flow, ack_flow) = side_flows(side);
        let place = |flow| Place {
            namespace,
            event: Some(name),
            direction: Some(args_flow),
            flow,
        };

        let null = Value::Null;
        let mut diff = self.diff();
        diff.compare_args(
            old.get("args").unwrap_or(&null),
            new.get("args").unwrap_or(&null),
        );
        let findings = diff.finish();
        self.record(&place(args_flow), findings);

        let client_sends = args_flow == Flow::ClientToServer;
        match (old.get("ack"), new.get("ack")) {
            (None, None) => {}
            (Some(old_ack), Some(new_ack)) => {
                let mut diff = self.diff();
                diff.compare(old_ack, new_ack, "ack");
                let findings = diff.finish();
                self.record(&place(ack_flow), findings);
            }
            (None, Some(_)) => {
                // A client awaiting an answer the old server never sends; a
                // server awaiting an answer old clients never send, and new
                // clients' handlers given no callback by the old server.
                let mut change = Change::at(namespace, ChangeKind::AckAdded);
                change.event = Some(name.to_owned());
                change.direction = Some(args_flow);
                let breaks = Breaks {
                    old_clients_new_server: !client_sends,
                    new_clients_old_server: true,
                };
                self.push(change, breaks);
            }
            (Some(_), None) => {
                let mut change = Change::at(namespace, ChangeKind::AckRemoved);
                change.event = Some(name.to_owned());
                change.direction = Some(args_flow);
                let breaks = Breaks {
                    old_clients_new_server: true,
                    new_clients_old_server: !client_sends,
                };
                self.push(change, breaks);
            }
        }
    }
}
