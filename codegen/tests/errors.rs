//! Contracts the generators refuse, each with the error that names the problem.

#![allow(missing_docs)]

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use tether::contract::{Contract, NamespaceDescriptor};
use tether_codegen::{Document, Error};

mod a {
    /// One point.
    #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    pub struct Point {
        pub x: f64,
    }
}

mod b {
    /// Another point.
    #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    pub struct Point {
        pub lat: f64,
        pub lon: f64,
    }
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Profile {
    pub nickname: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct ProfileInput {
    pub anything: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Page<T>")]
pub struct Angled {
    pub a: u8,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "ArrayBuffer")]
pub struct Shadowing {
    pub a: u8,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct ServerToClientEvents {
    pub a: u8,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Bytes {
    pub a: u8,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct BytesInput {
    pub a: u8,
}

/// A type whose hand-written schema uses `if`/`then`.
#[derive(Serialize, Deserialize)]
pub struct Conditional;

impl JsonSchema for Conditional {
    fn schema_name() -> Cow<'static, str> {
        "Conditional".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "if": { "type": "string" }, "then": { "minLength": 1 } })
    }
}

#[tether::events]
pub trait Empty {}

#[tether::events]
pub trait TwoPoints {
    fn a(point: a::Point);
    fn b(point: b::Point);
}

#[tether::events]
pub trait Pages {
    fn numbers(page: Page<u32>);
    fn words(page: Page<String>);
}

#[tether::events]
pub trait Profiles {
    fn profile(profile: Profile) -> ProfileInput;
}

#[tether::events]
pub trait Oddities {
    fn angled(value: Angled);
}

#[tether::events]
pub trait Shadows {
    fn shadow(value: Shadowing);
}

#[tether::events]
pub trait EventMapNames {
    fn map(value: ServerToClientEvents);
}

#[tether::events]
pub trait OwnBytes {
    fn own(value: Bytes, real: tether::Bytes);
}

#[tether::events]
pub trait NamedLikeBytes {
    fn input(value: BytesInput, real: tether::Bytes);
}

#[tether::events]
pub trait Conditions {
    fn conditional(value: Conditional);
}

#[tether::events]
pub trait Colons {
    #[event(name = "a:b")]
    fn colon();
    #[event(name = "a_b")]
    fn underscore();
}

fn listening<L: Contract>() -> Document {
    Document::new("errors", "0").namespace(NamespaceDescriptor::new::<L, Empty>("/"))
}

fn emitting<E: Contract>() -> Document {
    Document::new("errors", "0").namespace(NamespaceDescriptor::new::<Empty, E>("/"))
}

/// How a generator refused a contract's names.
#[derive(Debug, PartialEq)]
enum Refusal {
    /// Two types would get this name.
    Collision(String),
    /// This name cannot be written in the output.
    Invalid(String),
}

use Refusal::{Collision, Invalid};

/// The naming error of `result`, which must be one; its message must name
/// every one of `hints`.
#[track_caller]
fn refusal_hinting(result: Result<String, Error>, hints: &[&str]) -> Refusal {
    let error = match result {
        Ok(output) => panic!("expected a naming error, got:\n{output}"),
        Err(error) => error,
    };
    for hint in hints {
        assert!(error.to_string().contains(hint), "{hint} in {error}");
    }
    match error {
        Error::TypeNameCollision { name, .. } => Collision(name),
        Error::InvalidName { name, .. } => Invalid(name),
        other => panic!("expected a naming error, got {other}"),
    }
}

/// The naming error of `result`, which must be one.
#[track_caller]
fn refusal(result: Result<String, Error>) -> Refusal {
    refusal_hinting(result, &[])
}

#[test]
fn names_the_output_cannot_carry_are_refused() {
    // Two types with one name collide, and the message suggests a rename.
    let two_points = listening::<TwoPoints>().typescript();
    assert_eq!(
        refusal_hinting(two_points, &["`Point2`"]),
        Collision("Point".into())
    );
    // Generic types need a naming rule.
    let pages = emitting::<Pages>().json_schema();
    assert_eq!(
        refusal_hinting(pages, &["Page_{T}"]),
        Collision("Page".into())
    );
    // Names that are not identifiers.
    let angled = listening::<Oddities>().asyncapi();
    assert_eq!(refusal(angled), Invalid("Page<T>".into()));
    // Names that shadow what the output uses.
    let shadows = listening::<Shadows>().typescript();
    assert_eq!(refusal(shadows), Invalid("ArrayBuffer".into()));
    let event_maps = listening::<EventMapNames>().typescript();
    assert_eq!(
        refusal(event_maps),
        Collision("ServerToClientEvents".into())
    );
    // A type named `Bytes` collides with `tether::Bytes`.
    let bytes = listening::<OwnBytes>().typescript();
    assert_eq!(refusal(bytes), Collision("Bytes".into()));
}

#[test]
fn the_accepted_form_cannot_take_an_existing_name() {
    // `Profile` is received by the server (argument) and sent back by it (in
    // the acknowledgement of another contract), so its accepted form needs the
    // name `ProfileInput`, which a type already has.
    let document = Document::new("errors", "0")
        .namespace(NamespaceDescriptor::new::<Profiles, Empty>("/").with_auth::<ProfileInput>());
    let sends_profile =
        Document::new("errors", "0").namespace(NamespaceDescriptor::new::<Profiles, Profiles>("/"));
    assert!(document.typescript().is_ok());
    assert_eq!(
        refusal(sends_profile.typescript()),
        Collision("ProfileInput".into())
    );
}

#[test]
fn only_bytes_is_binary() {
    let ts = listening::<NamedLikeBytes>().typescript().unwrap();
    assert!(
        ts.contains("export type BytesInput = { a: number };"),
        "{ts}"
    );
    assert!(
        ts.contains("input: (value: BytesInput, real: ArrayBuffer | ArrayBufferView) => void;"),
        "{ts}"
    );
}

#[test]
fn conditional_schemas_are_unsupported() {
    let error = listening::<Conditions>().typescript().unwrap_err();
    match &error {
        Error::UnsupportedSchema { location, reason } => {
            assert!(location.contains("`Conditional`"), "{error}");
            assert!(reason.contains("`if`"), "{error}");
        }
        other => panic!("{other}"),
    }
    // The JSON Schema document carries such schemas as they are.
    assert!(listening::<Conditions>().json_schema().is_ok());
}

#[test]
fn namespaces_must_map_to_distinct_names() {
    let twice = Document::new("errors", "0")
        .namespace(NamespaceDescriptor::new::<Empty, Empty>("/chat"))
        .namespace(NamespaceDescriptor::new::<Empty, Empty>("/chat"));
    assert!(matches!(twice.typescript(), Err(Error::InvalidName { .. })));
    let alike = Document::new("errors", "0")
        .namespace(NamespaceDescriptor::new::<Empty, Empty>("/live-chat"))
        .namespace(NamespaceDescriptor::new::<Empty, Empty>("/liveChat"));
    assert_eq!(
        refusal(alike.typescript()),
        Collision("LiveChatServerToClientEvents".into())
    );
    let unnamed =
        Document::new("errors", "0").namespace(NamespaceDescriptor::new::<Empty, Empty>("chat"));
    assert!(matches!(unnamed.asyncapi(), Err(Error::InvalidName { .. })));
}

#[test]
fn asyncapi_message_ids_must_stay_distinct() {
    let colons = listening::<Colons>().asyncapi();
    assert_eq!(refusal(colons), Invalid("a_b".into()));
    assert!(listening::<Colons>().typescript().is_ok());
}
