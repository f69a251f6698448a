//! Procedural macros of [tether](https://docs.rs/tether): `#[tether::events]` turns a
//! trait into a typed event contract, and `#[derive(tether::Room)]` turns an
//! application's room type into room names. Use them through the `tether` crate,
//! which re-exports both; the generated code names only `tether` items, so a crate
//! using them needs `tether`, `serde` and `schemars` and nothing else.
//!
//! `macros/EXPANSION.md` in the repository shows the full expansion of a small
//! contract.

mod attr;
mod case;
mod check;
mod ctxt;
mod model;
mod render;
mod room;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use syn::{DeriveInput, ItemTrait, parse_macro_input};

use crate::ctxt::{Ctxt, to_compile_errors};
use crate::model::ContractDef;

/// Declares an event contract: the events one side of a connection may send.
///
/// Each method is an event: its arguments are the event's arguments (any type
/// that is `serde::Serialize + serde::Deserialize + schemars::JsonSchema`;
/// `bytes::Bytes` fields travel as binary), its return type, if any, is the
/// acknowledgement. A return type written `Result<T, E>` is a fallible
/// acknowledgement, sent as `{"ok":true,"data":T}` or `{"ok":false,"error":E}`
/// (use a type alias to send a `Result` with serde's own representation).
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use schemars::JsonSchema;
///
/// #[derive(Clone, Serialize, Deserialize, JsonSchema)]
/// pub struct ChatMessage { pub room: String, pub from: String, pub text: String }
///
/// /// Events a chat client sends.
/// #[tether::events(rename_all = "camelCase")]
/// pub trait ChatClient {
///     /// Enters a room; acknowledged with its recent history.
///     fn join_room(room: String) -> Vec<ChatMessage>;
///     /// Says something; refused when the text is empty.
///     #[event(name = "chat:send")]
///     fn say(room: String, text: String) -> Result<(), String>;
///     #[deprecated(note = "use `join_room`")]
///     fn enter(room: String);
/// }
/// # fn main() {}
/// ```
///
/// # What it generates
///
/// For `trait ChatClient` (the trait itself is replaced):
///
/// - `struct ChatClient;`, the contract marker, with the trait's docs, implementing
///   `tether::contract::Contract`: its name, docs and one `EventDescriptor` per
///   event (wire name, Rust name, argument names and schemas, acknowledgement
///   schema, docs, deprecation) for code generators.
/// - `enum ChatClientEvent`, one variant per event (`JoinRoom { room }`),
///   decodable from an untyped event through `tether::contract::ContractEvent`.
/// - `trait ChatClientHandler`, the receiving side: `type Emits` (the contract its
///   sockets may send), one method per event, as
///   `fn join_room(&self, socket: TypedSocket<Self::Emits>, room: String) -> impl Future<Output = Vec<ChatMessage>> + Send`
///   (implement it with `async fn`), and the `on_connect` / `on_disconnect` hooks.
/// - `trait ChatClientEmitter`, the sending side, implemented for every
///   `T: Emit<ChatClient>`: `fn join_room(&self, room: impl Arg<String>) -> Self::Ack<Vec<ChatMessage>>`;
///   an event without acknowledgement returns `Result<(), EmitError>`.
///
/// # Options
///
/// - `#[tether::events(rename_all = "...")]`: wire names from method names, one of
///   `camelCase`, `PascalCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`,
///   `SCREAMING-KEBAB-CASE`, `lowercase`, `UPPERCASE`, `dot.case`, `colon:case`.
/// - `#[tether::events(version = "...")]`: the contract's declared version
///   (`Contract::VERSION`), which clients present when the server negotiates
///   contract versions; without it the version is a hash of the schemas.
/// - `#[event(name = "...")]` on a method: its wire name, as is.
/// - `#[deprecated]` and doc comments on a method: carried into the descriptors,
///   the event enum, and the handler and emitter methods.
///
/// # Errors
///
/// Every problem is reported at once, each at its own tokens: a `self` receiver,
/// an argument pattern other than an identifier, generics, borrowed or `impl Trait`
/// types, `async`/`const`/`unsafe` methods or default bodies, items other than
/// methods, reserved names (`connect`, `connect_error`, `disconnect`,
/// `disconnecting`, `newListener`, `removeListener`), duplicate wire names after
/// renaming, method names that clash with the handler hooks, unknown attribute
/// arguments, and types that cannot travel (with a note on what they need).
#[proc_macro_attribute]
pub fn events(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as ItemTrait);
    expand_events(args.into(), &item).into()
}

/// Expands `#[tether::events]` with these arguments on this trait.
pub(crate) fn expand_events(args: TokenStream2, item: &ItemTrait) -> TokenStream2 {
    let cx = Ctxt::new();
    let def = ContractDef::parse(&cx, args, item);
    match cx.check() {
        Ok(()) => render::render(&def),
        Err(error) => to_compile_errors(error),
    }
}

/// Turns a struct or enum into room names: implements
/// `From<T>` and `From<&T>` for `tether::server::Room`, so values of `T` go
/// wherever rooms do (`join`, `leave`, `to`, `except`) and a misspelt room is a
/// compile error.
///
/// Each struct or variant is named by its `#[room("...")]` template, where `{0}` or
/// `{field}` stands for a field (formatted with `Display`; a format spec such as
/// `{0:>4}` is allowed) and `{{`/`}}` are literal braces. Without a template, the
/// name is the snake_case identifier followed by `:field` for each field.
///
/// ```
/// #[derive(tether::Room)]
/// enum GameRoom {
///     Lobby,
///     #[room("match:{0}")]
///     Match(u64),
///     #[room("team:{team}:{id}")]
///     Team { id: u32, team: String },
///     Spectators(u64),
/// }
///
/// use tether::server::Room;
/// assert_eq!(Room::from(GameRoom::Lobby).as_str(), "lobby");
/// assert_eq!(Room::from(GameRoom::Match(42)).as_str(), "match:42");
/// assert_eq!(Room::from(&GameRoom::Team { id: 7, team: "red".into() }).as_str(), "team:red:7");
/// assert_eq!(Room::from(GameRoom::Spectators(3)).as_str(), "spectators:3");
/// ```
#[proc_macro_derive(Room, attributes(room))]
pub fn derive_room(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    room::derive(input).into()
}
