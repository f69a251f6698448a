//! Breaking-change checks between two versions of a contract set.
//!
//! A **snapshot** is the JSON Schema document [`Document::json_schema`](crate::Document::json_schema) writes
//! (`<name>.schema.json`): every namespace with its contract version, auth
//! payload, and each event's arguments and acknowledgement, plus the shared
//! definitions. Commit the snapshot of each release; [`check`] compares one with
//! the contracts of today and reports every change with its kind and with which
//! pairing it breaks:
//!
//! - **old clients → new server** ([`Breaks::old_clients_new_server`]): clients
//!   built against the old contracts, still deployed (open tabs, mobile apps),
//!   talking to the new server;
//! - **new clients → old server** ([`Breaks::new_clients_old_server`]): clients
//!   built against the new contracts reaching a server still running the old
//!   ones (a rolling deploy, a rollback).
//!
//! Which pairing a change breaks follows from the direction each payload
//! travels. A payload change **narrows** when some value valid before is not
//! accepted any more (a field made required, an enum variant removed, `f64` →
//! `u32`, a lower `maxLength`): it breaks where an old sender talks to a new
//! receiver. It **widens** when some value valid now was not before (an enum
//! variant added, `u32` → `f64`, a field made optional): it breaks where a new
//! sender talks to an old, exhaustive receiver. Client → server arguments and
//! the acknowledgements of server → client events are sent by clients; server →
//! client arguments and the acknowledgements of client → server events by the
//! server.
//!
//! | change | old clients → new server | new clients → old server |
//! |---|---|---|
//! | client → server event removed (or renamed) | breaks | |
//! | client → server event added | | breaks |
//! | server → client event removed or added | | |
//! | required argument added to a client → server event | breaks | |
//! | argument removed from a client → server event (required before) | | breaks |
//! | acknowledgement added to a client → server event | | breaks (no answer comes) |
//! | acknowledgement removed from a client → server event | breaks (no answer comes) | |
//! | acknowledgement added to or removed from a server → client event | breaks | breaks |
//! | a payload narrowed | where clients send it | where the server sends it |
//! | a payload widened | where the server sends it | where clients send it |
//!
//! Extra trailing arguments are ignored by tether and by socket.io-client, so an
//! argument added as optional, or removed, never breaks the side that keeps
//! sending or not sending it. Renaming an argument changes nothing on the wire
//! (arguments are positional) and is reported without breaking anything, as are
//! a changed contract version and doc comments (which are not compared).
//!
//! Schemas are compared structurally after resolving `$ref`s into the
//! definitions: nullability, `type` (with `integer` inside `number`), `enum` and
//! `const`, tagged enums' variants (matched by tag), untagged alternatives,
//! object properties with `required` and `additionalProperties`, array items and
//! tuple lengths, and the bounds of numbers (`minimum`, `maximum`, integer
//! `format` widths such as `uint8`) and strings (`minLength`, `maxLength`,
//! `pattern`, `format`). A keyword it does not understand that changed is
//! reported as breaking both ways.
//!
//! tether's runtime decodes payloads with serde: validation keywords serde does
//! not enforce (a `maxLength` from `#[schemars(length(max = …))]`) are reported
//! as the contract states them, though a tether receiver would not refuse the
//! value.
//!
//! ```
//! use tether_codegen::{Document, NamespaceDescriptor, compat};
//!
//! mod v1 {
//!     #[tether::events]
//!     pub trait Client { fn join(room: String); }
//!     #[tether::events]
//!     pub trait Server { fn joined(room: String); }
//! }
//! mod v2 {
//!     #[tether::events]
//!     pub trait Client { fn join(room: String, password: String); }
//!     #[tether::events]
//!     pub trait Server { fn joined(room: String); }
//! }
//!
//! let old = Document::new("Chat", "1")
//!     .namespace(NamespaceDescriptor::new::<v1::Client, v1::Server>("/"))
//!     .snapshot()?;
//! let new = Document::new("Chat", "2")
//!     .namespace(NamespaceDescriptor::new::<v2::Client, v2::Server>("/"))
//!     .snapshot()?;
//! let report = compat::check(&old, &new);
//! assert!(report.is_breaking());
//! let change = report.breaking().next().unwrap();
//! assert_eq!(change.kind, compat::ChangeKind::ArgumentAdded);
//! assert!(change.breaks.old_clients_new_server && !change.breaks.new_clients_old_server);
//! # Ok::<(), tether_codegen::Error>(())
//! ```

mod diff;
mod keywords;
mod report;
mod resolve;
mod schema_diff;
mod snapshot;

pub use report::{Breaks, Change, ChangeKind, Flow, Report};
pub use snapshot::{Snapshot, served_versions};

/// Compares two versions of a contract set: `old` (a committed snapshot) with
/// `new` (usually today's [`Document::snapshot`](crate::Document::snapshot)).
pub fn check(old: &Snapshot, new: &Snapshot) -> Report {
    diff::compare(old, new)
}
