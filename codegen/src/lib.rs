//! JSON Schema, TypeScript typings for socket.io-client, and AsyncAPI 3, generated
//! from tether contracts.
//!
//! A [`Document`] gathers namespaces — each a [`NamespaceDescriptor`] binding the
//! contract clients send, the contract the server sends and, optionally, the auth
//! payload — and renders them from the descriptors `#[tether::events]` generates.
//! schemars is the single source of truth for payload types: every output is built
//! from the same schemas.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//! use tether::contract::NamespaceDescriptor;
//! use tether_codegen::Document;
//!
//! #[derive(Serialize, Deserialize, JsonSchema)]
//! pub struct ChatMessage { pub room: String, pub text: String }
//!
//! #[derive(Serialize, Deserialize, JsonSchema)]
//! pub struct ChatAuth { pub name: String }
//!
//! /// Events a chat client sends.
//! #[tether::events]
//! pub trait ChatClient {
//!     /// Joins a room; acknowledged with its history.
//!     fn join(room: String) -> Vec<ChatMessage>;
//! }
//!
//! /// Events the chat server sends.
//! #[tether::events]
//! pub trait ChatServer {
//!     fn message(msg: ChatMessage);
//! }
//!
//! let document = Document::new("Chat API", "1.0.0")
//!     .namespace(NamespaceDescriptor::new::<ChatClient, ChatServer>("/chat").with_auth::<ChatAuth>());
//!
//! let ts = document.typescript()?;
//! assert!(ts.contains("export interface ChatClientToServerEvents {"));
//! assert!(ts.contains("join: (room: string, ack: (response: ChatMessage[]) => void) => void;"));
//! assert!(ts.contains("export type ChatAuthPayload = ChatAuth;"));
//!
//! let schema: serde_json::Value = serde_json::from_str(&document.json_schema()?).unwrap();
//! assert!(schema["definitions"]["ChatMessage"].is_object());
//!
//! let asyncapi: serde_json::Value = serde_json::from_str(&document.asyncapi()?).unwrap();
//! assert_eq!(asyncapi["operations"]["chat.receive.join"]["action"], "receive");
//!
//! let dir = std::env::temp_dir().join(format!("tether-codegen-doc-{}", std::process::id()));
//! document.write_all(&dir, "chat")?; // chat.schema.json, chat.ts, chat.asyncapi.json
//! document.check_all(&dir, "chat")?; // Err(Error::Stale { .. }) once a contract changes
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), tether_codegen::Error>(())
//! ```
//!
//! # Which schema describes a payload
//!
//! A payload is described as the server handles it: what the server **sends**
//! (arguments of server → client events, acknowledgements of client → server
//! events) with schemars' *serialize* contract, what it **accepts** (arguments of
//! client → server events, acknowledgements of server → client events, the auth
//! payload) with the *deserialize* contract. So an `Option` field the server
//! always writes is a required `T | null` where clients receive it, and may be
//! left out where clients send it.
//!
//! A type used both ways whose two forms differ (an `Option` field, a
//! `#[serde(default)]`, `bytes::Bytes`, or a type inside it that differs) is
//! written twice: `Name` as the server sends it, `NameInput` as it accepts it.
//! Everywhere else a type keeps its one name.
//!
//! # TypeScript
//!
//! For each namespace the file declares `{P}ServerToClientEvents` and
//! `{P}ClientToServerEvents`, the two type arguments of socket.io-client's
//! `Socket<ListenEvents, EmitEvents>`, and `{P}AuthPayload` when the namespace
//! declares one. The prefix `{P}` is empty for `/`; for any other namespace it is
//! the namespace's runs of ASCII letters and digits, each capitalized, joined
//! (`/chat` → `Chat`, `/admin/live-stats` → `AdminLiveStats`), with `Namespace`
//! in front when it would start with a digit. Two namespaces with one prefix are
//! an error.
//!
//! An event is a function property: its arguments in order, then, when it is
//! acknowledged, a callback taking the one acknowledgement value (socket.io-client
//! resolves `emitWithAck` to the callback's first argument, and `timeout(ms)`
//! prepends the error argument itself). An event without acknowledgement never
//! ends with a function. Trailing `Option` arguments of client → server events may
//! be left out (`name?: T | null`); when such an event is acknowledged too, its
//! parameters are a union of tuples, one per number of arguments sent, each ending
//! with the callback. Doc comments become JSDoc and `#[deprecated]` becomes
//! `@deprecated`. The file is an ES module of types, plus one constant per
//! namespace: `{P}ContractVersion`, its contracts' version
//! ([`NamespaceDescriptor::contract_version`]), which clients present as
//! `auth.contract` to a server negotiating versions.
//!
//! | Rust (serde) | schema (draft-07) | TypeScript |
//! |---|---|---|
//! | `bool`, `String`, `char` | `boolean`, `string` | `boolean`, `string` |
//! | every integer and float, **64-bit and 128-bit too** | `integer`/`number` | `number` (precision beyond 2^53 is lost by `JSON.parse`; send such values as strings) |
//! | `()`, unit struct | `null` | `null` |
//! | `Option<T>` | `type: [T, "null"]` / `anyOf [T, null]` | `T \| null`; a field that may be absent is `field?:` |
//! | `Vec<T>`, `HashSet<T>`, slices | `items` | `T[]` |
//! | `[T; N]` (`N <= 16`), tuples, tuple structs | `items` + `minItems`/`maxItems` | `[T, T]`, `[A, B]` |
//! | `HashMap<String, V>`, `#[serde(flatten)]` maps | `additionalProperties` | `{ [key: string]: V }` |
//! | maps with integer keys | `patternProperties` | `{ [key: string]: V }` |
//! | maps with unit-enum keys | `properties`, none required | `{ A?: V; B?: V }` |
//! | structs, `rename`/`rename_all`, `default`, `skip_serializing_if` | `properties` + `required` | object type, `?:` where not required |
//! | `#[serde(flatten)]` struct | merged `properties` | merged properties |
//! | `#[serde(flatten)]` enum | `oneOf`/`allOf` beside `properties` | intersection with a union |
//! | externally tagged enum | `oneOf` of `"Unit"` and `{ Variant: … }` | union of literals and objects |
//! | `#[serde(tag = "t")]` | `oneOf` with `const` tags (newtype variants `allOf`) | discriminated union (`{ t: "A" } & A`) |
//! | `#[serde(tag = "t", content = "c")]` | `oneOf` with `const` tags | `{ t: "A"; c: … } \| …` |
//! | `#[serde(untagged)]` | `anyOf` | union |
//! | unit-only enum | `enum` | union of string literals |
//! | `bytes::Bytes` | definition `Bytes` | `ArrayBuffer` as sent by the server, `ArrayBuffer \| ArrayBufferView` as accepted (binary attachments) |
//! | `serde_json::Value` | `true` | `unknown` |
//! | `Box<T>`, `Arc<T>`, `#[serde(transparent)]` | `T` | `T` |
//!
//! Validation keywords TypeScript cannot express (`minLength`, `pattern`,
//! `minimum`, `format`, `uniqueItems`, `not`) are left out, so a TypeScript type is
//! never narrower than its schema. A schema using `if`/`then`/`else`,
//! `dependencies`, nested definitions or 2019+ keywords is refused with
//! [`Error::UnsupportedSchema`], as is a schema name that is not an identifier or
//! is reserved in TypeScript ([`Error::InvalidName`]).
//!
//! # Name collisions
//!
//! Payload types are named by their schema name. schemars gives two types with one
//! name (two `Point`s in different modules, `Page<A>` and `Page<B>`) distinct
//! names by appending a number; such a name is refused with
//! [`Error::TypeNameCollision`], never written. Since a type really named `Page2`
//! cannot be told apart from a suffixed `Page`, a name that is another
//! definition's name plus a number (from 2 on, with all lower numbers taken) is
//! refused too. Rename one of the types (`#[schemars(rename = "…")]`; for generic
//! types `#[schemars(rename = "Page_{T}")]`).
//!
//! # JSON Schema and AsyncAPI
//!
//! The JSON Schema document is draft-07: `definitions` holds every payload type,
//! `namespaces` every event's arguments (as a tuple whose items are titled with the
//! argument names) and acknowledgement, per namespace and direction. The AsyncAPI
//! 3.1 document has a channel per namespace, a message per event and operations
//! from the server's side (`receive` for client events, `send` for server events,
//! acknowledgements as `reply`); see the `asyncapi` module's source for its ids.
//!
//! # Evolving contracts
//!
//! The JSON Schema document doubles as a snapshot of the contracts:
//! [`compat::check`] compares two of them and reports each change with the
//! pairing it breaks (old clients with the new server, new clients with the old
//! server), and the `tether-contract` command does the same from the command
//! line (`tether-contract diff old.schema.json new.schema.json`, exit code 1 on a
//! breaking change). See the [`compat`] module.
//!
//! # Keeping generated files fresh
//!
//! Generate with [`Document::write_all`] from a small binary or example, check the
//! files in, and add a test that calls [`Document::check_all`] on them and prints
//! the command that regenerates them when it fails with [`Error::Stale`]:
//!
//! ```no_run
//! # fn document() -> tether_codegen::Document { tether_codegen::Document::new("API", "1") }
//! #[test]
//! fn generated_files_are_fresh() {
//!     if let Err(error) = document().check_all("generated", "api") {
//!         panic!("{error}\nregenerate with: cargo run --example export_contracts -- generated");
//!     }
//! }
//! ```

mod asyncapi;
mod collect;
pub mod compat;
mod error;
mod events;
mod files;
mod json_schema;
mod model;
mod names;
mod schema;
mod typescript;

use std::path::{Path, PathBuf};

use serde_json::Value;
pub use tether::contract::NamespaceDescriptor;

pub use crate::error::Error;
pub use crate::files::GeneratedFile;

/// The API description to generate: a title, a version and namespaces.
///
/// See the [crate documentation](crate) for an example and for what each output
/// holds.
#[derive(Debug, Clone)]
pub struct Document {
    title: String,
    version: String,
    description: Option<String>,
    namespaces: Vec<NamespaceDescriptor>,
}

impl Document {
    /// An empty document titled `title`, at version `version` (of the API, not of
    /// tether).
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Document {
            title: title.into(),
            version: version.into(),
            description: None,
            namespaces: Vec::new(),
        }
    }

    /// Sets a description of the whole API (written to the JSON Schema and
    /// AsyncAPI documents).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Adds a namespace.
    pub fn namespace(mut self, namespace: NamespaceDescriptor) -> Self {
        self.namespaces.push(namespace);
        self
    }

    fn model(&self) -> Result<model::Model, Error> {
        collect::collect(&self.namespaces)
    }

    /// The JSON Schema document (draft-07), pretty-printed.
    pub fn json_schema(&self) -> Result<String, Error> {
        json_schema::render(self, &self.model()?)
    }

    /// The TypeScript module for socket.io-client.
    pub fn typescript(&self) -> Result<String, Error> {
        typescript::render(self, &self.model()?)
    }

    /// The AsyncAPI 3.1 document, pretty-printed JSON.
    pub fn asyncapi(&self) -> Result<String, Error> {
        asyncapi::render(self, &self.model()?)
    }

    /// The three files: `<basename>.schema.json`, `<basename>.ts` and
    /// `<basename>.asyncapi.json`.
    pub fn files(&self, basename: &str) -> Result<Vec<GeneratedFile>, Error> {
        let model = self.model()?;
        Ok(vec![
            GeneratedFile {
                name: format!("{basename}.schema.json"),
                contents: json_schema::render(self, &model)?,
            },
            GeneratedFile {
                name: format!("{basename}.ts"),
                contents: typescript::render(self, &model)?,
            },
            GeneratedFile {
                name: format!("{basename}.asyncapi.json"),
                contents: asyncapi::render(self, &model)?,
            },
        ])
    }

    /// Writes [`files`](Self::files) into `dir`, creating it if needed, and
    /// returns their paths. Files already up to date are not rewritten.
    pub fn write_all(&self, dir: impl AsRef<Path>, basename: &str) -> Result<Vec<PathBuf>, Error> {
        files::write(dir.as_ref(), &self.files(basename)?)
    }

    /// Checks that the [`files`](Self::files) in `dir` are what the contracts
    /// generate now: [`Error::Stale`], with a diff, when any differs or is missing.
    pub fn check_all(&self, dir: impl AsRef<Path>, basename: &str) -> Result<(), Error> {
        files::check(dir.as_ref(), &self.files(basename)?)
    }
}

/// JSON with two-space indentation and a final newline.
pub(crate) fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
