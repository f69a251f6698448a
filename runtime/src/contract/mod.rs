//! Typed event contracts: what `#[tether::events]` generates code against, and the
//! descriptors code generators read.
//!
//! A contract is a trait whose methods are events. For each one the macro
//! generates, next to a unit struct with the trait's name implementing
//! [`Contract`] (its descriptors):
//!
//! | generated | for |
//! |---|---|
//! | `enum {Name}Event` | one variant per event; implements [`ContractEvent`] to decode an untyped [`Event`](crate::server::Event) |
//! | `trait {Name}Handler` | the receiving side: one method per event taking a [`TypedSocket`] and the arguments, returning the acknowledgement; plus `on_connect`/`on_disconnect` hooks |
//! | `trait {Name}Emitter` | the sending side: one method per event, for every [`Emit<{Name}>`](Emit) target |
//!
//! [`Namespace::bind`](crate::server::Namespace::bind) connects them: the namespace
//! listens to one contract and its sockets emit another.
//!
//! # On the wire
//!
//! - Arguments travel as the event's Socket.IO arguments, in declaration order;
//!   a missing trailing `Option` argument decodes as `None`, extra arguments are
//!   ignored.
//! - An acknowledgement `T` travels as the ack's one argument. A fallible one,
//!   declared `Result<T, E>`, travels as `{"ok":true,"data":T}` or
//!   `{"ok":false,"error":E}` ([`AckResult`]).
//! - Arguments that do not decode never reach the handler: a client that asked for
//!   an acknowledgement gets `{"error":"invalid_arguments","event":…,"message":…}`
//!   ([`InvalidArguments`]), the connection stays open, and a `tracing` warning is
//!   logged.
//! - A namespace may negotiate contract versions
//!   ([`TypedNamespace::contract_versions`]): a client presenting, as
//!   `auth.contract`, a version the namespace does not serve is refused at
//!   CONNECT with `contract_mismatch` ([`ContractVersions`]).
//!
//! # Examples
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use schemars::JsonSchema;
//! use tether::contract::TypedSocket;
//! use tether::server::{ConnectError, Server, ServerConfig};
//!
//! #[derive(Clone, Serialize, Deserialize, JsonSchema)]
//! pub struct Note { pub from: String, pub text: String }
//!
//! /// Events a client sends.
//! #[tether::events(rename_all = "camelCase")]
//! pub trait NotesClient {
//!     /// Posts a note to a board; acknowledged with its position, or refused.
//!     fn post_note(board: String, text: String) -> Result<u32, String>;
//! }
//!
//! /// Events the server sends.
//! #[tether::events]
//! pub trait NotesServer {
//!     fn note(board: String, note: Note);
//! }
//!
//! struct Boards;
//!
//! impl NotesClientHandler for Boards {
//!     type Emits = NotesServer;
//!
//!     async fn on_connect(&self, socket: TypedSocket<NotesServer>) -> Result<(), ConnectError> {
//!         socket.join("main");
//!         Ok(())
//!     }
//!
//!     async fn post_note(
//!         &self,
//!         socket: TypedSocket<NotesServer>,
//!         board: String,
//!         text: String,
//!     ) -> Result<u32, String> {
//!         if text.is_empty() {
//!             return Err("empty note".into());
//!         }
//!         let note = Note { from: socket.id().to_string(), text };
//!         socket.namespace().to(&board).note(&board, note).map_err(|e| e.to_string())?;
//!         Ok(1)
//!     }
//! }
//!
//! let io = Server::new(ServerConfig::default());
//! io.of("/notes").bind::<NotesClient, _>(Boards);
//! assert_eq!(<NotesClient as tether::contract::Contract>::events()[0].name, "postNote");
//! ```

/// Completes a typed view of an untyped handle, a struct holding the handle in
/// `$field` and the contract `C` as a `_contract` marker: `Clone` and `Debug`
/// whatever `C` is (derives would require `C: Clone + Debug`), and
/// `Self::typed(handle)` to make one. The struct itself is written out where it
/// is documented, so compiler errors about it point there.
macro_rules! typed_view {
    ($name:ident { $field:ident: $inner:ty }) => {
        impl<C> Clone for $name<C> {
            fn clone(&self) -> Self {
                Self::typed(self.$field.clone())
            }
        }

        impl<C> ::std::fmt::Debug for $name<C> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($name))
                    .field(&self.$field)
                    .finish()
            }
        }

        impl<C> $name<C> {
            /// The typed view of `handle`.
            fn typed(handle: $inner) -> Self {
                $name {
                    $field: handle,
                    _contract: ::std::marker::PhantomData,
                }
            }
        }
    };
}
#[cfg(any(feature = "client", feature = "emitter"))]
pub(crate) use typed_view;

mod broadcast;
mod descriptor;
mod dispatch;
mod emit;
mod middleware;
mod payload;
mod reply;
mod socket;
mod version;

pub use broadcast::{TypedBroadcast, TypedNamespace};
pub use descriptor::{
    AckShape, ArgDescriptor, Contract, ContractInfo, Deprecation, EventDescriptor,
    NamespaceDescriptor, SchemaFn, schema_of,
};
pub use dispatch::{ContractEvent, DecodeError, Handles, Listen};
pub use emit::Emit;
pub use middleware::{TypedMiddleware, typed_middleware};
pub use payload::{AckResult, Arg, InvalidArguments, Payload};
pub use socket::{TypedSocket, TypedSocketEmitter};
pub use version::{CONTRACT_AUTH_KEY, CONTRACT_MISMATCH, ContractVersions};

#[doc(hidden)]
pub use dispatch::{AckSink, ClientListen, decode_arg};
#[doc(hidden)]
pub use emit::EventName;
#[doc(hidden)]
pub use reply::{Boxed, Runner, reply_none, reply_result, reply_value};
