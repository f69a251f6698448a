//! The generated JSON Schema agrees with serde and with tether's decoding, for the
//! shapes contract (tests/shapes):
//!
//! - every value the server serializes validates against the sent form of its
//!   type (and of its event's argument list), and reads back as the same value;
//! - for values a client might send — samples and their mutations (a property
//!   dropped, nulled, retyped or added; an element dropped, added or retyped) —
//!   the accepted form of the type accepts exactly what serde (for event
//!   arguments: tether's decoder) accepts.

#![allow(deprecated)]

mod shapes;

use std::collections::{BTreeMap, BTreeSet};

use jsonschema::Validator;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tether::Bytes;
use tether::contract::ContractEvent;
use tether::protocol::Args;

use shapes::*;

/// The JSON Schema document of the shapes contract.
struct Schemas {
    document: Value,
}

impl Schemas {
    fn new() -> Self {
        let text = shapes::document().json_schema().expect("generates");
        Schemas {
            document: serde_json::from_str(&text).expect("is JSON"),
        }
    }

    /// A validator for the subschema at `pointer`, resolved within the document.
    fn at(&self, pointer: &str) -> Validator {
        assert!(
            self.document.pointer(pointer).is_some(),
            "no schema at {pointer}"
        );
        let mut root = self.document.clone();
        root["$ref"] = json!(format!("#{pointer}"));
        jsonschema::draft7::new(&root).expect("the document is a valid draft-07 schema")
    }

    fn definition(&self, name: &str) -> Validator {
        self.at(&format!("/definitions/{name}"))
    }
}

fn describe_errors(validator: &Validator, value: &Value) -> String {
    validator
        .iter_errors(value)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Serialized `values` validate against `definition` and read back unchanged.
fn assert_sent<T>(schemas: &Schemas, definition: &str, values: &[T])
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let validator = schemas.definition(definition);
    for value in values {
        let json = serde_json::to_value(value).expect("serializes");
        assert!(
            validator.is_valid(&json),
            "{definition}: the serialized {value:?} ({json}) is invalid: {}",
            describe_errors(&validator, &json)
        );
        let back: T = serde_json::from_value(json).expect("reads back");
        assert_eq!(&back, value, "{definition}: round trip");
    }
}

/// Replacement values a mutation puts in place of a property or an element.
fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!("x"),
        json!([]),
        json!({}),
    ]
}

/// `value` and its one-step mutations, applied at every depth.
fn mutations(value: &Value) -> Vec<Value> {
    let mut out = vec![value.clone()];
    match value {
        Value::Object(map) => {
            let mut extra = map.clone();
            extra.insert("unknownField".into(), json!(1));
            out.push(Value::Object(extra));
            for (key, child) in map {
                let mut without = map.clone();
                without.remove(key);
                out.push(Value::Object(without));
                for replacement in replacements()
                    .into_iter()
                    .chain(mutations(child).into_iter().skip(1))
                {
                    let mut changed = map.clone();
                    changed.insert(key.clone(), replacement);
                    out.push(Value::Object(changed));
                }
            }
        }
        Value::Array(items) => {
            if !items.is_empty() {
                out.push(Value::Array(items[..items.len() - 1].to_vec()));
            }
            let mut longer = items.clone();
            longer.push(Value::Null);
            out.push(Value::Array(longer));
            for (index, child) in items.iter().enumerate() {
                for replacement in replacements()
                    .into_iter()
                    .chain(mutations(child).into_iter().skip(1))
                {
                    let mut changed = items.clone();
                    changed[index] = replacement;
                    out.push(Value::Array(changed));
                }
            }
        }
        _ => {}
    }
    out
}

/// Candidates: a few values of every JSON type, and the mutations of `samples`.
fn candidates(samples: &[Value]) -> Vec<Value> {
    let mut all = replacements();
    all.extend([json!("red"), json!([1, 2]), json!({ "a": 1 })]);
    for sample in samples {
        all.extend(mutations(sample));
    }
    all
}

/// `definition` accepts exactly the candidates serde reads as `T`.
fn assert_accepted_like_serde<T: DeserializeOwned>(
    schemas: &Schemas,
    definition: &str,
    samples: &[Value],
) {
    let validator = schemas.definition(definition);
    let mut disagreements = Vec::new();
    for candidate in candidates(samples) {
        let serde = serde_json::from_value::<T>(candidate.clone()).map_err(|e| e.to_string());
        let schema = validator.is_valid(&candidate);
        if serde.is_ok() != schema {
            disagreements.push(format!(
                "  {candidate}: serde {}, schema {}",
                match &serde {
                    Ok(_) => "accepts".to_string(),
                    Err(error) => format!("rejects ({error})"),
                },
                if schema { "accepts" } else { "rejects" }
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{definition} and serde disagree on:\n{}",
        disagreements.join("\n")
    );
}

fn profile() -> Profile {
    Profile {
        display_name: "Ada".into(),
        nickname: None,
        avatar_url: Some("https://example.com/a.png".into()),
        karma: -3,
        legacy_id: Some(7),
        tags: BTreeSet::from(["a".to_string(), "b".to_string()]),
        scores: BTreeMap::from([("chess".to_string(), 1.5)]),
        names_by_id: BTreeMap::from([(1, "one".to_string())]),
        votes_by_color: BTreeMap::from([(Color::Red, 2)]),
        position: (1.0, -2.5),
        rgb: [1, 2, 255],
        extra: json!({ "any": [1, "thing"] }),
        created_at_ms: 1_700_000_000_000,
    }
}

fn flattened() -> Vec<Flattened> {
    let meta = Meta {
        created_by: "ada".into(),
        revision: 3,
    };
    vec![
        Flattened {
            id: 1,
            meta: meta.clone(),
            kind: Kind::Folder { children: 2 },
        },
        Flattened {
            id: 2,
            meta,
            kind: Kind::File { size: 10 },
        },
    ]
}

fn notices() -> Vec<Notice> {
    vec![
        Notice::Joined {
            user: "ada".into(),
            at: 5,
        },
        Notice::Left(UserRef { user: "bob".into() }),
        Notice::ServerRestart,
    ]
}

fn envelopes() -> Vec<Envelope> {
    vec![
        Envelope::Text("hi".into()),
        Envelope::Pair(1, 2),
        Envelope::Empty,
        Envelope::Rich { bold: true },
    ]
}

fn shapes_() -> Vec<Shape> {
    vec![
        Shape::Empty,
        Shape::Dot(Point { x: 1.0, y: 2.0 }),
        Shape::Line(Point { x: 0.0, y: 0.0 }, Point { x: 1.0, y: 1.0 }),
        Shape::Rect { w: 3, h: 4 },
    ]
}

fn loose() -> Vec<Loose> {
    vec![
        Loose::Number(1.5),
        Loose::Text("t".into()),
        Loose::List(vec![1, 2]),
        Loose::Object { a: 1 },
    ]
}

fn json_of<T: Serialize>(values: &[T]) -> Vec<Value> {
    values
        .iter()
        .map(|value| serde_json::to_value(value).expect("serializes"))
        .collect()
}

#[test]
fn sent_values_validate_against_the_sent_forms() {
    let schemas = Schemas::new();
    assert_sent(&schemas, "Profile", &[profile()]);
    assert_sent(&schemas, "Notice", &notices());
    assert_sent(&schemas, "Envelope", &envelopes());
    assert_sent(&schemas, "Flattened", &flattened());
    assert_sent(
        &schemas,
        "WithExtras",
        &[WithExtras {
            name: "n".into(),
            extra: BTreeMap::from([("k".to_string(), "v".to_string())]),
        }],
    );
    assert_sent(&schemas, "Pair", &[Pair(1, "a".into())]);
    assert_sent(&schemas, "Marker", &[Marker]);
    assert_sent(&schemas, "UserId", &[UserId(u64::MAX)]);
    assert_sent(
        &schemas,
        "Tree",
        &[Tree {
            label: "root".into(),
            children: vec![Tree {
                label: "leaf".into(),
                children: vec![],
            }],
        }],
    );
    assert_sent(
        &schemas,
        "Attachment",
        &[Attachment {
            name: "a.bin".into(),
            data: Bytes::from_static(&[0, 1, 255]),
        }],
    );
    assert_sent(
        &schemas,
        "Page_Profile",
        &[Page {
            items: vec![profile()],
            next: Some(2),
        }],
    );
}

#[test]
fn accepted_forms_agree_with_serde() {
    let schemas = Schemas::new();
    let mut sparse = serde_json::to_value(profile()).expect("serializes");
    sparse["nickname"] = json!("ada");
    assert_accepted_like_serde::<Profile>(
        &schemas,
        "ProfileInput",
        &[serde_json::to_value(profile()).expect("serializes"), sparse],
    );
    assert_accepted_like_serde::<Shape>(&schemas, "Shape", &json_of(&shapes_()));
    assert_accepted_like_serde::<Color>(&schemas, "Color", &[json!("red"), json!("blue")]);
    assert_accepted_like_serde::<Loose>(&schemas, "Loose", &json_of(&loose()));
    assert_accepted_like_serde::<Tree>(
        &schemas,
        "Tree",
        &[json!({ "label": "a", "children": [{ "label": "b", "children": [] }] })],
    );
    assert_accepted_like_serde::<Strict>(
        &schemas,
        "Strict",
        &[json!({ "a": 1, "type": "t", "content-type": "text/plain" })],
    );
    assert_accepted_like_serde::<Attachment>(
        &schemas,
        "AttachmentInput",
        &[json!({ "name": "a", "data": [1, 2] })],
    );
    assert_accepted_like_serde::<OldProfile>(&schemas, "OldProfile", &[json!({ "name": "n" })]);
    assert_accepted_like_serde::<UserId>(&schemas, "UserId", &[json!(1)]);
    assert_accepted_like_serde::<AdminAuth>(&schemas, "AdminAuth", &[json!({ "token": "t" })]);
}

/// Server → client arguments as the server serializes them validate against
/// their event's argument list.
#[test]
fn sent_event_arguments_validate() {
    let schemas = Schemas::new();
    let events = "/namespaces/~1/serverToClient/events";
    let check = |event: &str, args: Value| {
        let validator = schemas.at(&format!("{events}/{event}/args"));
        assert!(
            validator.is_valid(&args),
            "{event}: {args} is invalid: {}",
            describe_errors(&validator, &args)
        );
    };
    for notice in notices() {
        check("notice", json!([notice]));
    }
    for (envelope, flat) in envelopes().into_iter().zip(flattened().into_iter().cycle()) {
        check("envelope", serde_json::to_value((envelope, flat)).unwrap());
    }
    check("profile", json!([profile()]));
    check("confirm", json!(["sure?"]));
    check(
        "extras",
        serde_json::to_value((
            WithExtras {
                name: "n".into(),
                extra: BTreeMap::new(),
            },
            Pair(1, "a".into()),
            Marker,
            UserId(3),
            None::<Tree>,
        ))
        .unwrap(),
    );
    let stats = schemas.at("/namespaces/~1admin/serverToClient/events/stats/args");
    assert!(stats.is_valid(&json!([{ "sockets": 3 }])));

    let say_ack = schemas.at("/namespaces/~1/clientToServer/events/updateProfile/ack");
    let ok: tether::contract::AckResult<Profile, String> = Ok(profile()).into();
    let err: tether::contract::AckResult<Profile, String> = Err("no".to_string()).into();
    for ack in [ok, err] {
        let json = serde_json::to_value(&ack).unwrap();
        assert!(
            say_ack.is_valid(&json),
            "{json}: {}",
            describe_errors(&say_ack, &json)
        );
    }
    let kick_ack = schemas.at("/namespaces/~1admin/clientToServer/events/kick/ack");
    let ok: tether::contract::AckResult<(), AdminError> = Ok(()).into();
    assert!(kick_ack.is_valid(&serde_json::to_value(&ok).unwrap()));
}

/// Client → server argument lists: the schema accepts exactly what tether's
/// decoder accepts (trailing `Option` arguments may be left out).
#[test]
fn accepted_event_arguments_agree_with_the_decoder() {
    let schemas = Schemas::new();
    let samples: Vec<(&str, Vec<Value>)> = vec![
        ("updateProfile", vec![json!([profile()])]),
        (
            "draw",
            vec![json!([shapes_()[1], "red"]), json!(["Empty", "blue"])],
        ),
        (
            "search",
            vec![json!(["q", 2, 10]), json!(["q", null, 10]), json!(["q"])],
        ),
        ("note", vec![json!(["text", "tag"]), json!(["text"])]),
        ("upload", vec![json!([{ "name": "a", "data": [1] }])]),
        ("tree:put", vec![json!([{ "label": "a", "children": [] }])]),
        ("setName", vec![json!([{ "name": "n" }])]),
        ("ping", vec![json!([])]),
        (
            "raw",
            vec![json!([{ "x": 1 }, { "a": 1, "type": "t", "content-type": "c" }])],
        ),
        ("loose", vec![json!([json_of(&loose())])]),
    ];
    let mut disagreements = Vec::new();
    for (event, event_samples) in samples {
        let validator = schemas.at(&format!(
            "/namespaces/~1/clientToServer/events/{event}/args"
        ));
        for candidate in event_samples.iter().flat_map(mutations) {
            let Value::Array(items) = &candidate else {
                continue;
            };
            let args = Args::from_json_array(candidate.to_string().into(), Vec::new())
                .expect("a JSON array");
            let decoded = ShapesClientEvent::decode(event, &args).map(drop);
            // tether ignores arguments past the declared ones; the schema, a
            // contract for senders, refuses them.
            let declared = shapes_client_arity(event);
            if items.len() > declared {
                assert!(!validator.is_valid(&candidate), "{event}: {candidate}");
                continue;
            }
            if decoded.is_ok() != validator.is_valid(&candidate) {
                disagreements.push(format!(
                    "  {event} {candidate}: decoder {}, schema {}",
                    match &decoded {
                        Ok(()) => "accepts".to_string(),
                        Err(error) => format!("rejects ({error})"),
                    },
                    if validator.is_valid(&candidate) {
                        "accepts"
                    } else {
                        "rejects"
                    }
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "the argument schemas and the decoder disagree on:\n{}",
        disagreements.join("\n")
    );
}

fn shapes_client_arity(event: &str) -> usize {
    use tether::contract::Contract;
    ShapesClient::event(event).expect("an event").args.len()
}

/// The acknowledgement a client sends for a server event agrees with serde.
#[test]
fn accepted_acknowledgements_agree_with_serde() {
    let schemas = Schemas::new();
    let validator = schemas.at("/namespaces/~1/serverToClient/events/confirm/ack");
    for candidate in candidates(&[json!(true)]) {
        let serde = serde_json::from_value::<bool>(candidate.clone()).is_ok();
        assert_eq!(serde, validator.is_valid(&candidate), "{candidate}");
    }
}
