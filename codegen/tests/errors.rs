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

#[test]
fn two_types_with_one_name_collide() {
    let error = listening::<TwoPoints>().typescript().unwrap_err();
    assert!(
        matches!(&error, Error::TypeNameCollision { name, .. } if name == "Point"),
        "{error}"
    );
    assert!(error.to_string().contains("`Point2`"), "{error}");
}

#[test]
fn generic_types_need_a_naming_rule() {
    let error = emitting::<Pages>().json_schema().unwrap_err();
    assert!(
        matches!(&error, Error::TypeNameCollision { name, .. } if name == "Page"),
        "{error}"
    );
    assert!(error.to_string().contains("Page_{T}"), "{error}");
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
    let error = sends_profile.typescript().unwrap_err();
    assert!(
        matches!(&error, Error::TypeNameCollision { name, .. } if name == "ProfileInput"),
        "{error}"
    );
}

#[test]
fn names_that_are_not_identifiers_are_refused() {
    let error = listening::<Oddities>().asyncapi().unwrap_err();
    assert!(
        matches!(&error, Error::InvalidName { name, .. } if name == "Page<T>"),
        "{error}"
    );
}

#[test]
fn names_that_shadow_what_the_output_uses_are_refused() {
    let error = listening::<Shadows>().typescript().unwrap_err();
    assert!(
        matches!(&error, Error::InvalidName { name, .. } if name == "ArrayBuffer"),
        "{error}"
    );
    let error = listening::<EventMapNames>().typescript().unwrap_err();
    assert!(
        matches!(&error, Error::TypeNameCollision { name, .. } if name == "ServerToClientEvents"),
        "{error}"
    );
}

#[test]
fn a_type_named_bytes_collides_with_bytes() {
    let error = listening::<OwnBytes>().typescript().unwrap_err();
    assert!(
        matches!(&error, Error::TypeNameCollision { name, .. } if name == "Bytes"),
        "{error}"
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
    let error = alike.typescript().unwrap_err();
    assert!(
        matches!(&error, Error::TypeNameCollision { name, .. } if name == "LiveChatServerToClientEvents"),
        "{error}"
    );
    let unnamed =
        Document::new("errors", "0").namespace(NamespaceDescriptor::new::<Empty, Empty>("chat"));
    assert!(matches!(unnamed.asyncapi(), Err(Error::InvalidName { .. })));
}

#[test]
fn asyncapi_message_ids_must_stay_distinct() {
    let error = listening::<Colons>().asyncapi().unwrap_err();
    assert!(
        matches!(&error, Error::InvalidName { name, .. } if name == "a_b"),
        "{error}"
    );
    assert!(listening::<Colons>().typescript().is_ok());
}
