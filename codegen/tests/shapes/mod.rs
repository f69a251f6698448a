//! A contract with every shape the generators translate: each serde enum
//! representation, flatten, rename rules, optional and defaulted fields, maps,
//! tuples, bytes, recursion, a generic type, deprecation, two namespaces and auth.
#![allow(deprecated, dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tether::Bytes;
use tether::contract::NamespaceDescriptor;
use tether_codegen::Document;

/// A color, as a lower-case string. (No variant has a doc comment: schemars
/// describes the keys of a map keyed by an enum only then.)
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    Red,
    Green,
    Blue,
}

/// A point on the canvas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A shape, externally tagged (serde's default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub enum Shape {
    /// Nothing to draw.
    Empty,
    Dot(Point),
    Line(Point, Point),
    Rect {
        /// Width in pixels.
        w: u32,
        h: u32,
    },
}

/// Who a notice is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserRef {
    pub user: String,
}

/// A notice, internally tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// Someone joined.
    Joined {
        user: String,
        at: u64,
    },
    /// Someone left.
    Left(UserRef),
    ServerRestart,
}

/// An envelope, adjacently tagged by `t` with the content in `c`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "t", content = "c")]
pub enum Envelope {
    Text(String),
    Pair(u8, u8),
    Empty,
    Rich { bold: bool },
}

/// Anything that fits, untagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Loose {
    Number(f64),
    Text(String),
    List(Vec<u8>),
    Object { a: u8 },
}

/// Metadata flattened into [`Flattened`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub created_by: String,
    pub revision: u32,
}

/// What a [`Flattened`] is, flattened into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type")]
pub enum Kind {
    Folder { children: u32 },
    File { size: u64 },
}

/// A struct with a flattened struct and a flattened enum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Flattened {
    pub id: u32,
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub kind: Kind,
}

/// Known fields, plus any other string field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WithExtras {
    pub name: String,
    #[serde(flatten)]
    pub extra: BTreeMap<String, String>,
}

/// Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Strict {
    pub a: u8,
    /// A field named with a reserved word.
    #[serde(rename = "type")]
    pub kind: String,
    /// A field whose name needs quotes.
    #[serde(rename = "content-type")]
    pub content_type: String,
}

/// A user id, a newtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserId(pub u64);

/// A tuple struct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Pair(pub u8, pub String);

/// A unit struct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Marker;

/// A recursive type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tree {
    pub label: String,
    pub children: Vec<Tree>,
}

/// A page of results; renamed per item type so that two pages cannot collide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Page_{T}")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<u32>,
}

/// A file, sent as a binary attachment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Attachment {
    pub name: String,
    pub data: Bytes,
}

/// A replaced type.
#[deprecated = "use Profile"]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OldProfile {
    pub name: String,
}

/// A profile: rename rules, optional and defaulted fields, every kind of map and
/// sequence. Used both ways, so its two forms differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The name others see.
    pub display_name: String,
    /// Always written, maybe `null`.
    pub nickname: Option<String>,
    /// Left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Zero when left out.
    #[serde(default)]
    pub karma: i64,
    /// An old field.
    #[deprecated]
    pub legacy_id: Option<u32>,
    pub tags: BTreeSet<String>,
    pub scores: BTreeMap<String, f64>,
    pub names_by_id: BTreeMap<u32, String>,
    pub votes_by_color: BTreeMap<Color, u32>,
    pub position: (f64, f64),
    pub rgb: [u8; 3],
    pub extra: serde_json::Value,
    pub created_at_ms: u64,
}

/// The auth payload of `/admin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdminAuth {
    pub token: String,
}

/// Why an admin command failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AdminError {
    NotAllowed,
    UnknownUser,
}

/// Events a shapes client sends.
#[tether::events(rename_all = "camelCase")]
pub trait ShapesClient {
    /// Replaces the sender's profile; acknowledged with the stored profile.
    fn update_profile(profile: Profile) -> Result<Profile, String>;
    /// Draws a shape.
    fn draw(shape: Shape, color: Color);
    /// Searches profiles; `page` and `limit` may be left out.
    fn search(query: String, page: Option<u32>, limit: Option<u32>) -> Page<Profile>;
    /// Leaves a note; `tag` may be left out.
    fn note(text: String, tag: Option<String>);
    /// Uploads a file; acknowledged with its size.
    fn upload(file: Attachment) -> u64;
    /// Stores a tree.
    #[event(name = "tree:put")]
    fn put_tree(tree: Tree);
    /// Sets the sender's name.
    #[deprecated(since = "0.2.0", note = "use updateProfile")]
    fn set_name(name: OldProfile);
    /// Acknowledged with the server's clock.
    fn ping() -> u64;
    /// Sends anything, and a strict struct.
    fn raw(value: serde_json::Value, strict: Strict);
    /// Sends loose values.
    fn loose(values: Vec<Loose>);
}

/// Events the shapes server sends.
#[tether::events]
pub trait ShapesServer {
    /// A notice for everyone.
    fn notice(notice: Notice);
    /// An envelope and a flattened struct.
    fn envelope(envelope: Envelope, flat: Flattened);
    /// A profile changed.
    fn profile(profile: Profile);
    /// Asks the client a question; the client acknowledges with its answer.
    fn confirm(question: String) -> bool;
    /// A file for the client.
    fn attachment(file: Attachment);
    /// Structs of every other kind.
    fn extras(extras: WithExtras, pair: Pair, marker: Marker, id: UserId, tree: Option<Tree>);
}

/// Commands of `/admin`.
#[tether::events]
pub trait AdminClient {
    /// Disconnects a user.
    fn kick(user: UserId) -> Result<(), AdminError>;
}

/// What `/admin` sends.
#[tether::events]
pub trait AdminServer {
    /// Counters by name.
    fn stats(counters: BTreeMap<String, u64>);
}

/// The document of the shapes contract: namespaces `/` and `/admin`.
pub fn document() -> Document {
    Document::new("tether-codegen shapes", "0.1.0")
        .description("Every shape the generators translate.")
        .namespace(NamespaceDescriptor::new::<ShapesClient, ShapesServer>("/"))
        .namespace(
            NamespaceDescriptor::new::<AdminClient, AdminServer>("/admin").with_auth::<AdminAuth>(),
        )
}
