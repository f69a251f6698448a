//! What a contract says about itself: [`Contract`], [`EventDescriptor`] and the
//! namespace binding a code generator reads ([`NamespaceDescriptor`]).

use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::dispatch::ContractEvent;

/// Produces the JSON Schema of one type with a caller's generator, so that every
/// type of a document shares the generator's definitions (`$defs`) and settings.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T` as `generator` references it (usually a `$ref` into its
/// definitions).
pub fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// A set of events one side may send, declared with `#[tether::events]` on a trait.
///
/// The macro implements it for a unit struct named like the trait; that struct is
/// the contract's marker, used as a type argument (`TypedSocket<ChatServer>`) and by
/// code generators, which need nothing but [`Contract::events`].
///
/// # Examples
///
/// ```
/// use tether::contract::{AckShape, Contract};
///
/// /// Events a chat client sends.
/// #[tether::events]
/// pub trait ChatClient {
///     /// Enters a room; acknowledged with its recent messages.
///     fn join(room: String) -> Vec<String>;
///     #[event(name = "typing:start")]
///     fn typing(room: String);
/// }
///
/// assert_eq!(ChatClient::NAME, "ChatClient");
/// assert_eq!(ChatClient::docs(), "Events a chat client sends.");
/// let join = ChatClient::event("join").unwrap();
/// assert_eq!(join.args[0].name, "room");
/// assert!(matches!(join.ack, AckShape::Value(_)));
/// assert_eq!(ChatClient::events()[1].name, "typing:start");
/// assert_eq!(ChatClient::events()[1].rust_name, "typing");
/// ```
pub trait Contract: Send + Sync + 'static {
    /// One decoded event of this contract (the generated `…Event` enum).
    type Event: ContractEvent;

    /// The contract's name: the trait's identifier.
    const NAME: &'static str;

    /// The version declared with `#[tether::events(version = "...")]`, if any
    /// (see [`NamespaceDescriptor::contract_version`]).
    const VERSION: Option<&'static str> = None;

    /// The trait's doc comment (lines joined with `\n`, empty when there is none).
    fn docs() -> &'static str;

    /// Every event, in declaration order.
    fn events() -> &'static [EventDescriptor];

    /// The event with this wire name.
    fn event(name: &str) -> Option<&'static EventDescriptor> {
        Self::events().iter().find(|event| event.name == name)
    }
}

/// One event of a contract, as a code generator sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EventDescriptor {
    /// The name on the wire, after `#[event(name = ...)]` and `rename_all`.
    pub name: &'static str,
    /// The name of the trait method that declared it.
    pub rust_name: &'static str,
    /// The method's doc comment (lines joined with `\n`, empty when there is none).
    pub docs: &'static str,
    /// Set when the method is `#[deprecated]`.
    pub deprecated: Option<Deprecation>,
    /// The arguments, in order.
    pub args: &'static [ArgDescriptor],
    /// What the receiver acknowledges with.
    pub ack: AckShape,
}

impl EventDescriptor {
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        rust_name: &'static str,
        docs: &'static str,
        deprecated: Option<Deprecation>,
        args: &'static [ArgDescriptor],
        ack: AckShape,
    ) -> Self {
        EventDescriptor {
            name,
            rust_name,
            docs,
            deprecated,
            args,
            ack,
        }
    }

    /// The schema of the acknowledgement's one argument as it travels (for a
    /// fallible acknowledgement, the `{"ok":…}` envelope of
    /// [`AckResult`](super::AckResult)); `None` when the event has no
    /// acknowledgement.
    pub fn ack_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        match self.ack {
            AckShape::None => None,
            AckShape::Value(schema) => Some(schema(generator)),
            AckShape::Result { wire, .. } => Some(wire(generator)),
        }
    }
}

/// One argument of an event.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ArgDescriptor {
    /// The parameter name in the trait.
    pub name: &'static str,
    /// Its schema.
    pub schema: SchemaFn,
    /// Whether its type is an `Option`: a client may send `null`, or leave it out
    /// when it is trailing (a missing trailing argument decodes as `None`).
    pub optional: bool,
}

impl ArgDescriptor {
    #[doc(hidden)]
    pub const fn __new(name: &'static str, schema: SchemaFn, optional: bool) -> Self {
        ArgDescriptor {
            name,
            schema,
            optional,
        }
    }
}

/// What an event is acknowledged with.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum AckShape {
    /// No acknowledgement: the method returns nothing.
    None,
    /// One value: the method returns `T` (not a `Result`).
    Value(SchemaFn),
    /// A fallible acknowledgement: the method returns `Result<T, E>`, sent as
    /// `{"ok":true,"data":T}` or `{"ok":false,"error":E}` (see
    /// [`AckResult`](super::AckResult)).
    Result {
        /// The schema of `T`.
        ok: SchemaFn,
        /// The schema of `E`.
        err: SchemaFn,
        /// The schema of the whole envelope.
        wire: SchemaFn,
    },
}

impl AckShape {
    /// Whether the event has an acknowledgement.
    pub fn is_some(&self) -> bool {
        !matches!(self, AckShape::None)
    }
}

/// The `#[deprecated]` attribute of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Deprecation {
    /// `since = "..."`, if given.
    pub since: Option<&'static str>,
    /// The note (`#[deprecated = "..."]` or `note = "..."`), if given.
    pub note: Option<&'static str>,
}

impl Deprecation {
    #[doc(hidden)]
    pub const fn __new(since: Option<&'static str>, note: Option<&'static str>) -> Self {
        Deprecation { since, note }
    }
}

/// The name, docs and events of one contract, without its type. Made by
/// [`ContractInfo::of`]; fields may be added in minor releases.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ContractInfo {
    /// [`Contract::NAME`].
    pub name: &'static str,
    /// [`Contract::docs`].
    pub docs: &'static str,
    /// [`Contract::events`].
    pub events: &'static [EventDescriptor],
    /// [`Contract::VERSION`].
    pub version: Option<&'static str>,
}

impl ContractInfo {
    /// The description of contract `C`.
    pub fn of<C: Contract>() -> Self {
        ContractInfo {
            name: C::NAME,
            docs: C::docs(),
            events: C::events(),
            version: C::VERSION,
        }
    }
}

/// A namespace as a code generator sees it: what clients send (`listen`), what the
/// server sends (`emits`), and the auth payload clients connect with, if typed.
///
/// # Examples
///
/// ```
/// use tether::contract::NamespaceDescriptor;
///
/// #[tether::events]
/// pub trait Client { fn hello(name: String); }
/// #[tether::events]
/// pub trait Server { fn welcome(text: String); }
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Auth { token: String }
///
/// let chat = NamespaceDescriptor::new::<Client, Server>("/chat").with_auth::<Auth>();
/// assert_eq!(chat.listen.name, "Client");
/// assert_eq!(chat.emits.events[0].name, "welcome");
/// assert!(chat.auth.is_some());
/// ```
///
/// Made by [`NamespaceDescriptor::new`]; fields may be added in minor releases.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct NamespaceDescriptor {
    /// The namespace name, such as `/` or `/chat`.
    pub name: &'static str,
    /// The events clients send and the server handles.
    pub listen: ContractInfo,
    /// The events the server sends.
    pub emits: ContractInfo,
    /// The schema of the CONNECT auth payload, when the namespace declares one.
    pub auth: Option<SchemaFn>,
}

impl NamespaceDescriptor {
    /// Namespace `name`, listening to `L` and emitting `E`.
    pub fn new<L: Contract, E: Contract>(name: &'static str) -> Self {
        NamespaceDescriptor {
            name,
            listen: ContractInfo::of::<L>(),
            emits: ContractInfo::of::<E>(),
            auth: None,
        }
    }

    /// Declares the auth payload type clients connect with.
    pub fn with_auth<A: JsonSchema>(mut self) -> Self {
        self.auth = Some(schema_of::<A>);
        self
    }

    /// The version of this namespace's pair of contracts, which clients present
    /// in their auth payload when the server negotiates versions (see
    /// [`ContractVersions`](super::ContractVersions)).
    ///
    /// The declared versions (`#[tether::events(version = "...")]`) when there
    /// are any: the one version when both contracts declare the same or only one
    /// declares, `"{listen}+{emits}"` when they differ. Otherwise `sha1-` and 16
    /// hex digits hashing the events' names, arguments and acknowledgements with
    /// their JSON Schemas (descriptions left out, so editing a doc comment keeps
    /// the version). The auth payload is not part of it.
    pub fn contract_version(&self) -> String {
        super::version::namespace_version(&self.listen, &self.emits)
    }
}
