//! The breaking-change check on a table of contract pairs, one or more per rule:
//! each pair is two versions of a namespace written as Rust contracts, and the
//! test asserts the kinds of change reported with the pairings they break
//! (old clients → new server, new clients → old server).

#![allow(dead_code, missing_docs)]

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tether_codegen::compat::{self, Change, ChangeKind, Flow, Report, Snapshot};
use tether_codegen::{Document, NamespaceDescriptor};

mod pairs;

use pairs::{arg_one, arg_optional, arg_renamed, arg_retyped, arg_two, arg_two_optional, version};

/// `(kind, breaks old clients → new server, breaks new clients → old server)`.
type Row = (ChangeKind, bool, bool);

/// The distinct rows of the report of `old` → `new`, contract versions left out.
fn rows(old: Snapshot, new: Snapshot) -> BTreeSet<String> {
    compat::check(&old, &new)
        .changes()
        .iter()
        .filter(|change| change.kind != ChangeKind::VersionChanged)
        .map(|change| {
            format!(
                "{:?} {} {}",
                change.kind,
                change.breaks.old_clients_new_server,
                change.breaks.new_clients_old_server
            )
        })
        .collect()
}

/// Asserts the rows of the report of `old` → `new`; a failure points at the
/// caller's line.
#[track_caller]
fn expect(old: Snapshot, new: Snapshot, expected: &[Row]) {
    let report = compat::check(&old, &new);
    let expected: BTreeSet<String> = expected
        .iter()
        .map(|(kind, a, b)| format!("{kind:?} {a} {b}"))
        .collect();
    assert_eq!(rows(old, new), expected, "report:\n{report}");
}

/// `expect!(old => new, rows)`: [`expect`] on the snapshots of two `version!`
/// modules; `expect!(old => new, fields rows)`: [`expect_fields`].
macro_rules! expect {
    ($old:ident => $new:ident, fields $expected:expr) => {
        expect_fields($old::snapshot(), $new::snapshot(), &$expected)
    };
    ($old:ident => $new:ident, $expected:expr) => {
        expect($old::snapshot(), $new::snapshot(), &$expected)
    };
}

/// The changes in `report` to events flowing `direction`.
fn flowing(report: &Report, direction: Flow) -> impl Iterator<Item = &Change> {
    report
        .changes()
        .iter()
        .filter(move |change| change.direction == Some(direction))
}

/// The client-to-server changes of `old` → `new`, each as `(kind, label,
/// breaks old clients → new server, breaks new clients → old server)`.
fn client_rows(
    old: Snapshot,
    new: Snapshot,
    label: impl Fn(&Change) -> String,
) -> Vec<(ChangeKind, String, bool, bool)> {
    let report = compat::check(&old, &new);
    flowing(&report, Flow::ClientToServer)
        .map(|change| {
            let breaks = &change.breaks;
            let (old_clients, new_clients) =
                (breaks.old_clients_new_server, breaks.new_clients_old_server);
            (change.kind, label(change), old_clients, new_clients)
        })
        .collect()
}

use ChangeKind::*;

// ---- events ----

version!(ev_a { #[tether::events] pub trait Client { fn a(); fn b(); } #[tether::events] pub trait Server { fn s(); fn t(); } });
version!(ev_b { #[tether::events] pub trait Client { fn a(); } #[tether::events] pub trait Server { fn s(); } });
version!(ev_c { #[tether::events] pub trait Client { fn a(); fn c(); } #[tether::events] pub trait Server { fn s(); fn u(); } });

#[test]
fn events_removed_added_renamed() {
    // Client events: removed breaks old clients, added breaks new clients;
    // server events break neither (unknown events are ignored).
    expect!(ev_a => ev_b, [(EventRemoved, true, false), (EventRemoved, false, false)]);
    expect!(ev_b => ev_a, [(EventAdded, false, true), (EventAdded, false, false)]);
    // Renamed = removed + added.
    let event = |change: &Change| change.event.clone().unwrap();
    assert_eq!(
        client_rows(ev_a::snapshot(), ev_c::snapshot(), event),
        [
            (EventAdded, "c".to_owned(), false, true),
            (EventRemoved, "b".to_owned(), true, false)
        ]
    );
}

// ---- arguments ----

#[test]
fn argument_added() {
    // `send` gains a required argument old clients do not send; `note` one old
    // servers do not send to new clients.
    expect!(arg_one => arg_two, [(ArgumentAdded, true, false), (ArgumentAdded, false, true)]);
    expect!(arg_one => arg_two_optional, [(ArgumentAdded, false, false)]);
}

#[test]
fn argument_removed() {
    // Extra arguments are ignored: removing one breaks only new clients
    // (which stop sending what the old server requires).
    expect!(arg_two => arg_one, [(ArgumentRemoved, false, true), (ArgumentRemoved, true, false)]);
    let report = compat::check(&arg_two::snapshot(), &arg_one::snapshot());
    let server_side = flowing(&report, Flow::ServerToClient)
        .next()
        .expect("the server event changed too");
    assert_eq!(server_side.location, "args[1] (b)");
    // Old clients still require the `b` the new server stopped sending.
    assert!(
        server_side.breaks.old_clients_new_server && !server_side.breaks.new_clients_old_server
    );
}

#[test]
fn argument_retyped_renamed_and_made_optional_or_required() {
    expect!(arg_one => arg_retyped, [(TypeChanged, true, true)]);
    expect!(arg_one => arg_renamed, [(ArgumentRenamed, false, false)]);
    let made_optional = [
        (ArgumentMadeOptional, false, true),
        (NullAccepted, false, true),
    ];
    expect!(arg_one => arg_optional, made_optional);
    let made_required = [
        (ArgumentMadeRequired, true, false),
        (NullRefused, true, false),
    ];
    expect!(arg_optional => arg_one, made_required);
}

// ---- numbers ----

version!(num_u32 { #[tether::events] pub trait Client { fn send(n: u32); } #[tether::events] pub trait Server { fn note(n: u32); } });
version!(num_u8 { #[tether::events] pub trait Client { fn send(n: u8); } #[tether::events] pub trait Server { fn note(n: u8); } });
version!(num_f64 { #[tether::events] pub trait Client { fn send(n: f64); } #[tether::events] pub trait Server { fn note(n: f64); } });
version!(num_i64 { #[tether::events] pub trait Client { fn send(n: i64); } #[tether::events] pub trait Server { fn note(n: i64); } });

#[test]
fn numbers_widen_and_narrow_by_direction() {
    // Clients send `send`, the server sends `note`: a widening breaks whoever
    // receives from the new sender, a narrowing whoever sends to the new
    // receiver.
    expect!(num_u32 => num_f64, [(NumberWidened, false, true), (NumberWidened, true, false)]);
    expect!(num_f64 => num_u32, [(NumberNarrowed, true, false), (NumberNarrowed, false, true)]);
    expect!(num_u32 => num_u8, [(NumberNarrowed, true, false), (NumberNarrowed, false, true)]);
    expect!(num_u8 => num_u32, [(NumberWidened, false, true), (NumberWidened, true, false)]);
    // u32 -> i64: negative numbers and larger ones are accepted now.
    expect!(num_u32 => num_i64, [(NumberWidened, false, true), (NumberWidened, true, false)]);
    let report = compat::check(&num_u32::snapshot(), &num_u8::snapshot());
    let detail = &report.breaking().next().unwrap().detail;
    assert_eq!(detail, "uint32 -> uint8");
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Bounded {
    #[schemars(range(min = 1, max = 10))]
    pub n: u32,
}

version!(bound_none { #[tether::events] pub trait Client { fn send(b: Bounded); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Bounded { pub n: u32 }
});
version!(bound_some { #[tether::events] pub trait Client { fn send(b: Bounded); } #[tether::events] pub trait Server { } });

#[test]
fn number_bounds() {
    expect!(bound_none => bound_some, [(NumberNarrowed, true, false)]);
    expect!(bound_some => bound_none, [(NumberWidened, false, true)]);
}

// ---- strings ----

version!(str_plain { #[tether::events] pub trait Client { fn send(s: Text); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Text { pub body: String }
});
version!(str_max10 { #[tether::events] pub trait Client { fn send(s: Text); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Text { #[schemars(length(max = 10))] pub body: String }
});
version!(str_max5 { #[tether::events] pub trait Client { fn send(s: Text); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Text { #[schemars(length(max = 5))] pub body: String }
});
version!(str_email { #[tether::events] pub trait Client { fn send(s: Text); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Text { #[schemars(email)] pub body: String }
});
version!(str_pattern_a { #[tether::events] pub trait Client { fn send(s: Text); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Text { #[schemars(regex(pattern = "^a"))] pub body: String }
});
version!(str_pattern_b { #[tether::events] pub trait Client { fn send(s: Text); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Text { #[schemars(regex(pattern = "^b"))] pub body: String }
});

#[test]
fn string_lengths_formats_patterns() {
    expect!(str_max10 => str_max5, [(StringNarrowed, true, false)]);
    expect!(str_max5 => str_max10, [(StringWidened, false, true)]);
    expect!(str_plain => str_max10, [(StringNarrowed, true, false)]);
    expect!(str_max10 => str_plain, [(StringWidened, false, true)]);
    expect!(str_plain => str_email, [(StringNarrowed, true, false)]);
    expect!(str_email => str_plain, [(StringWidened, false, true)]);
    expect!(str_pattern_a => str_pattern_b, [(StringNarrowed, true, true)]);
    let report = compat::check(&str_max10::snapshot(), &str_max5::snapshot());
    let change = report.breaking().next().unwrap();
    assert_eq!(change.location, "args[0] (s).body");
    assert_eq!(change.detail, "maxLength 10 -> 5");
}

// ---- acknowledgements ----

version!(ack_none { #[tether::events] pub trait Client { fn ask(q: String); } #[tether::events] pub trait Server { fn poll(q: String); } });
version!(ack_u32 { #[tether::events] pub trait Client { fn ask(q: String) -> u32; } #[tether::events] pub trait Server { fn poll(q: String) -> u32; } });
version!(ack_f64 { #[tether::events] pub trait Client { fn ask(q: String) -> f64; } #[tether::events] pub trait Server { fn poll(q: String) -> f64; } });
version!(ack_string { #[tether::events] pub trait Client { fn ask(q: String) -> String; } #[tether::events] pub trait Server { fn poll(q: String) -> String; } });

#[test]
fn acknowledgements() {
    // Client event: an ack added leaves new clients waiting on old servers; an
    // ack removed leaves old clients waiting. Server event: both pairings break
    // either way (one side waits, the other's handler gets no callback).
    expect!(ack_none => ack_u32, [(AckAdded, false, true), (AckAdded, true, true)]);
    expect!(ack_u32 => ack_none, [(AckRemoved, true, false), (AckRemoved, true, true)]);
    // The ack of a client event is sent by the server: widening it breaks old
    // clients; the ack of a server event is sent by clients: widening it breaks
    // the old server.
    expect!(ack_u32 => ack_f64, [(NumberWidened, true, false), (NumberWidened, false, true)]);
    expect!(ack_u32 => ack_string, [(TypeChanged, true, true)]);
    let report = compat::check(&ack_u32::snapshot(), &ack_string::snapshot());
    assert!(
        report
            .changes()
            .iter()
            .all(|change| change.location == "ack" || change.kind == VersionChanged)
    );
}

// ---- fields ----

version!(fld_base { #[tether::events] pub trait Client { fn save(p: Profile); } #[tether::events] pub trait Server { fn saved(p: Profile); }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Profile { pub name: String, pub nick: Option<String>, pub age: u32 }
});
version!(fld_required { #[tether::events] pub trait Client { fn save(p: Profile); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Profile { pub name: String, pub nick: String, pub age: u32 }
});
version!(fld_removed { #[tether::events] pub trait Client { fn save(p: Profile); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Profile { pub name: String, pub nick: Option<String> }
});
version!(fld_retyped { #[tether::events] pub trait Client { fn save(p: Profile); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Profile { pub name: String, pub nick: Option<String>, pub age: String }
});
version!(fld_added { #[tether::events] pub trait Client { fn save(p: Profile); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Profile { pub name: String, pub nick: Option<String>, pub age: u32, pub email: String, pub bio: Option<String> }
});
version!(fld_closed { #[tether::events] pub trait Client { fn save(p: Profile); } #[tether::events] pub trait Server { }
    #[derive(Serialize, Deserialize, JsonSchema)] #[serde(deny_unknown_fields)] pub struct Profile { pub name: String, pub nick: Option<String>, pub age: u32 }
});

/// Asserts the client-side rows of the report of `old` → `new`, changes to the
/// `save(p: Profile)` argument, each as `(kind, path under p, breaks old
/// clients → new server, breaks new clients → old server)`.
#[track_caller]
fn expect_fields(old: Snapshot, new: Snapshot, expected: &[(ChangeKind, &str, bool, bool)]) {
    let expected: Vec<_> = expected
        .iter()
        .map(|&(kind, path, a, b)| (kind, format!("args[0] (p){path}"), a, b))
        .collect();
    let location = |change: &Change| change.location.clone();
    assert_eq!(client_rows(old, new, location), expected);
}

#[test]
fn fields() {
    let made_required = [
        (FieldMadeRequired, ".nick", true, false),
        (NullRefused, ".nick", true, false),
    ];
    expect!(fld_base => fld_required, fields made_required);
    let made_optional = [
        (FieldMadeOptional, ".nick", false, true),
        (NullAccepted, ".nick", false, true),
    ];
    expect!(fld_required => fld_base, fields made_optional);
    // serde ignores unknown fields: a removed field breaks only the old server
    // (which requires it) when new clients omit it.
    expect!(fld_base => fld_removed, fields [(FieldRemoved, ".age", false, true)]);
    expect!(fld_base => fld_retyped, fields [(TypeChanged, ".age", true, true)]);
    let added = [
        (FieldAdded, ".email", true, false),
        (FieldAdded, ".bio", false, false),
    ];
    expect!(fld_base => fld_added, fields added);
    expect!(fld_base => fld_closed, fields [(UnknownFieldsChanged, "", true, false)]);
}

// ---- enums ----

version!(en_rgb { #[tether::events] pub trait Client { fn paint(c: Color, s: Shape, e: Event); } #[tether::events] pub trait Server { fn painted(c: Color, s: Shape, e: Event); }
    #[derive(Serialize, Deserialize, JsonSchema)] pub enum Color { Red, Green, Blue }
    #[derive(Serialize, Deserialize, JsonSchema)] #[serde(tag = "kind")] pub enum Shape { Circle { r: f64 }, Square { side: f64 } }
    #[derive(Serialize, Deserialize, JsonSchema)] pub enum Event { Ping, Move { x: i32 }, Say(String) }
});
version!(en_rg { #[tether::events] pub trait Client { fn paint(c: Color, s: Shape, e: Event); } #[tether::events] pub trait Server { fn painted(c: Color, s: Shape, e: Event); }
    #[derive(Serialize, Deserialize, JsonSchema)] pub enum Color { Red, Green }
    #[derive(Serialize, Deserialize, JsonSchema)] #[serde(tag = "kind")] pub enum Shape { Circle { r: f64 }, Square { side: f64 } }
    #[derive(Serialize, Deserialize, JsonSchema)] pub enum Event { Ping, Move { x: i32 }, Say(String) }
});
version!(en_shape { #[tether::events] pub trait Client { fn paint(c: Color, s: Shape, e: Event); } #[tether::events] pub trait Server { fn painted(c: Color, s: Shape, e: Event); }
    #[derive(Serialize, Deserialize, JsonSchema)] pub enum Color { Red, Green, Blue }
    #[derive(Serialize, Deserialize, JsonSchema)] #[serde(tag = "kind")] pub enum Shape { Circle { r: u32 } }
    #[derive(Serialize, Deserialize, JsonSchema)] pub enum Event { Ping, Move { x: i32 }, Say(String) }
});
version!(en_event { #[tether::events] pub trait Client { fn paint(c: Color, s: Shape, e: Event); } #[tether::events] pub trait Server { fn painted(c: Color, s: Shape, e: Event); }
    #[derive(Serialize, Deserialize, JsonSchema)] pub enum Color { Red, Green, Blue }
    #[derive(Serialize, Deserialize, JsonSchema)] #[serde(tag = "kind")] pub enum Shape { Circle { r: f64 }, Square { side: f64 } }
    #[derive(Serialize, Deserialize, JsonSchema)] pub enum Event { Ping, Pong, Move { x: i32 }, Say(String), Jump { height: u8 } }
});

#[test]
fn enum_variants() {
    // A variant removed breaks the receiver of old senders; a variant added
    // breaks an old (exhaustive) receiver of new senders.
    expect!(en_rgb => en_rg, [(VariantRemoved, true, false), (VariantRemoved, false, true)]);
    expect!(en_rg => en_rgb, [(VariantAdded, false, true), (VariantAdded, true, false)]);
    // Internally tagged: variants matched by tag, their fields compared.
    let report = compat::check(&en_rgb::snapshot(), &en_shape::snapshot());
    let client: Vec<_> = flowing(&report, Flow::ClientToServer)
        .map(|change| (change.kind, change.location.clone(), change.detail.clone()))
        .collect();
    assert!(
        client.contains(&(
            VariantRemoved,
            "args[1] (s)".to_owned(),
            "variant kind=\"Square\"".to_owned()
        )),
        "{report}"
    );
    assert!(
        client
            .iter()
            .any(|(kind, location, _)| *kind == NumberNarrowed
                && location == "args[1] (s)<kind=\"Circle\">.r"),
        "{report}"
    );
    // Externally tagged with unit and data variants.
    let report = compat::check(&en_rgb::snapshot(), &en_event::snapshot());
    let added: BTreeSet<_> = flowing(&report, Flow::ServerToClient)
        .map(|change| {
            (
                change.kind,
                change.detail.clone(),
                change.breaks.old_clients_new_server,
            )
        })
        .collect();
    assert_eq!(
        added,
        BTreeSet::from([
            (VariantAdded, "variant \"Pong\"".to_owned(), true),
            (VariantAdded, "variant Jump".to_owned(), true)
        ]),
        "{report}"
    );
}

// ---- nested, recursive, unchanged ----

version!(tree_a { #[tether::events] pub trait Client { fn plant(t: Tree); } #[tether::events] pub trait Server { fn grown(t: Vec<Tree>); }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Tree { pub label: String, pub children: Vec<Tree> }
});
version!(tree_b { #[tether::events] pub trait Client { fn plant(t: Tree); } #[tether::events] pub trait Server { fn grown(t: Vec<Tree>); }
    #[derive(Serialize, Deserialize, JsonSchema)] pub struct Tree { pub label: u64, pub children: Vec<Tree> }
});

#[test]
fn recursive_types_terminate_and_unchanged_contracts_report_nothing() {
    let report = compat::check(&tree_a::snapshot(), &tree_a::snapshot());
    assert!(report.changes().is_empty() && !report.is_breaking());
    assert_eq!(report.to_string(), "no changes\n");
    let report = compat::check(&tree_a::snapshot(), &tree_b::snapshot());
    let locations: BTreeSet<_> = report
        .changes()
        .iter()
        .filter(|change| change.kind == TypeChanged)
        .map(|change| change.location.clone())
        .collect();
    assert_eq!(
        locations,
        BTreeSet::from([
            "args[0] (t).label".to_owned(),
            "args[0] (t)[].label".to_owned()
        ])
    );
}

// ---- namespaces, auth, versions ----

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Token {
    pub token: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Token")]
pub struct TokenWithTenant {
    pub token: String,
    pub tenant: String,
}

#[tether::events(version = "1")]
pub trait V1Client {
    fn hello();
}
#[tether::events(version = "1")]
pub trait V1Server {
    fn welcome();
}
#[tether::events(version = "2")]
pub trait V2Client {
    fn hello();
}
#[tether::events(version = "2")]
pub trait V2Server {
    fn welcome();
}

fn document(namespaces: &[NamespaceDescriptor]) -> Snapshot {
    namespaces
        .iter()
        .fold(Document::new("t", "1"), |document, namespace| {
            document.namespace(*namespace)
        })
        .snapshot()
        .expect("generates")
}

#[test]
fn namespaces_auth_and_versions() {
    let root = NamespaceDescriptor::new::<V1Client, V1Server>("/");
    let admin = NamespaceDescriptor::new::<V1Client, V1Server>("/admin");
    expect(
        document(&[root, admin]),
        document(&[root]),
        &[(NamespaceRemoved, true, false)],
    );
    expect(
        document(&[root]),
        document(&[root, admin]),
        &[(NamespaceAdded, false, true)],
    );

    let token = root.with_auth::<Token>();
    let tenant = root.with_auth::<TokenWithTenant>();
    expect(
        document(&[token]),
        document(&[tenant]),
        &[(FieldAdded, true, false)],
    );
    // A namespace without auth accepts any payload: declaring one narrows.
    expect(
        document(&[root]),
        document(&[token]),
        &[(TypeChanged, true, false)],
    );

    let v2 = NamespaceDescriptor::new::<V2Client, V2Server>("/");
    let report = compat::check(&document(&[root]), &document(&[v2]));
    assert_eq!(report.changes().len(), 1);
    let change = &report.changes()[0];
    assert_eq!(
        (change.kind, change.detail.as_str()),
        (VersionChanged, "1 -> 2")
    );
    assert!(!report.is_breaking());
    assert_eq!(document(&[v2]).version("/"), Some("2"));
}

#[test]
fn hashed_versions_follow_the_schemas_not_the_docs() {
    assert!(
        arg_one::snapshot()
            .version("/")
            .unwrap()
            .starts_with("sha1-")
    );
    assert_ne!(
        arg_one::snapshot().version("/"),
        arg_two::snapshot().version("/")
    );
    // Same events and types, different doc comments and contract names.
    version!(docs_a { #[tether::events] pub trait Client { /// One.
        fn send(a: String); } #[tether::events] pub trait Server { fn note(a: String); } });
    version!(docs_b { #[tether::events] pub trait Client { /// Two.
        fn send(a: String); } #[tether::events] pub trait Server { fn note(a: String); } });
    assert_eq!(
        docs_a::snapshot().version("/"),
        docs_b::snapshot().version("/")
    );
    assert_eq!(
        docs_a::snapshot().version("/"),
        arg_one::snapshot().version("/")
    );
}

#[test]
fn every_shape_compared_with_itself_reports_nothing() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        root.join("tests/snapshots/shapes.schema.json"),
        root.join("../examples/generated/chat.schema.json"),
        root.join("../examples/generated/game.schema.json"),
    ] {
        let snapshot = Snapshot::read(&file).expect("a snapshot");
        let report = compat::check(&snapshot, &snapshot);
        assert!(report.changes().is_empty(), "{}:\n{report}", file.display());
    }
}

/// A one-event snapshot whose argument is `schema`.
fn raw(schema: serde_json::Value) -> Snapshot {
    let document = serde_json::json!({
        "namespaces": { "/": {
            "clientToServer": { "events": { "send": { "args": {
                "type": "array", "items": [schema], "minItems": 1, "maxItems": 1
            } } } },
            "serverToClient": { "events": {} }
        } },
        "definitions": {}
    });
    Snapshot::parse(&document.to_string(), "raw").expect("a snapshot")
}

#[test]
fn uninterpreted_keywords_and_untagged_alternatives() {
    use serde_json::json;
    // A keyword the check does not interpret breaks both ways when it changes.
    expect(
        raw(json!({ "type": "object", "minProperties": 1 })),
        raw(json!({ "type": "object", "minProperties": 2 })),
        &[(SchemaChanged, true, true)],
    );
    // Untagged alternatives are matched by equivalence.
    expect(
        raw(json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] })),
        raw(json!({ "anyOf": [{ "type": "string" }] })),
        &[(VariantRemoved, true, false)],
    );
    expect(
        raw(json!({ "anyOf": [{ "type": "string" }] })),
        raw(json!({ "anyOf": [{ "type": "string" }, { "type": "boolean" }] })),
        &[(VariantAdded, false, true)],
    );
    // Any value (`serde_json::Value`) to a type narrows, and back widens.
    expect(
        raw(json!(true)),
        raw(json!({ "type": "string" })),
        &[(TypeChanged, true, false)],
    );
    expect(
        raw(json!({ "type": "string" })),
        raw(json!({})),
        &[(TypeChanged, false, true)],
    );
    // Exclusive bounds.
    expect(
        raw(json!({ "type": "number", "minimum": 0 })),
        raw(json!({ "type": "number", "exclusiveMinimum": 0 })),
        &[(NumberNarrowed, true, false)],
    );
    // A reference to a definition is compared by what it points to.
    let with_def = |schema: serde_json::Value| {
        let mut document: serde_json::Value =
            serde_json::from_str(&raw(json!({ "$ref": "#/definitions/Id" })).to_json()).unwrap();
        document["definitions"]["Id"] = schema;
        Snapshot::parse(&document.to_string(), "raw").unwrap()
    };
    expect(
        with_def(json!({ "type": "string" })),
        raw(json!({ "type": "string" })),
        &[],
    );
    expect(
        with_def(json!({ "type": "string" })),
        with_def(json!({ "type": "integer" })),
        &[(TypeChanged, true, true)],
    );
}
