//! The model every generator renders: definitions, and namespaces with their
//! events' argument and acknowledgement schemas.

use serde_json::Value;
use tether::contract::{ContractInfo, EventDescriptor};

/// The definition schemars gives `bytes::Bytes`, reserved before anything else so
/// that no other type can take its name.
pub(crate) const BYTES: &str = "Bytes";

/// The suffix of the accepted form of a type whose two forms differ.
pub(crate) const INPUT_SUFFIX: &str = "Input";

/// Which way a value travels, from the server's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// The server serializes it: a client receives it.
    Out,
    /// The server deserializes it: a client sends it.
    In,
}

/// One shared definition.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub(crate) name: String,
    pub(crate) schema: Value,
    /// The form it describes.
    pub(crate) flow: Flow,
    /// Whether it is `bytes::Bytes`, a binary attachment.
    pub(crate) bytes: bool,
}

/// One event argument.
#[derive(Debug, Clone)]
pub(crate) struct Arg {
    pub(crate) name: &'static str,
    pub(crate) schema: Value,
    pub(crate) optional: bool,
}

/// One event with its schemas.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) descriptor: &'static EventDescriptor,
    pub(crate) args: Vec<Arg>,
    pub(crate) ack: Option<Value>,
}

/// The events of one direction of a namespace.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    pub(crate) contract: ContractInfo,
    pub(crate) events: Vec<Event>,
}

/// One namespace.
#[derive(Debug, Clone)]
pub(crate) struct Namespace {
    pub(crate) path: &'static str,
    /// The prefix of its TypeScript names (see [`crate::names::namespace_prefix`]).
    pub(crate) prefix: String,
    /// Its AsyncAPI channel id.
    pub(crate) channel: String,
    pub(crate) auth: Option<Value>,
    /// Its contract version (`NamespaceDescriptor::contract_version`).
    pub(crate) version: String,
    pub(crate) client_to_server: Side,
    pub(crate) server_to_client: Side,
}

/// Everything the generators render.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    /// Sorted by name; `$ref`s point to `#/definitions/<name>`.
    pub(crate) defs: Vec<Def>,
    pub(crate) namespaces: Vec<Namespace>,
}

impl Model {
    /// The definition named `name`.
    pub(crate) fn def(&self, name: &str) -> Option<&Def> {
        self.defs
            .binary_search_by(|def| def.name.as_str().cmp(name))
            .ok()
            .map(|index| &self.defs[index])
    }
}
