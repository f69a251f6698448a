//! What both ends of a Socket.IO connection handle alike, the server's sockets and
//! the Rust client: an [`Event`] received from the other side, what its handlers
//! return ([`HandlerResult`], [`BoxFuture`]), how an acknowledgement decodes, and the
//! errors of an emit ([`EmitError`]) and of a refused connection
//! ([`ConnectError`]). It sits below `server` and `client`; each re-exports what its
//! users name (`tether::server::Event` and `tether::client::Event` are this
//! [`Event`] with their own acknowledgement sender).

mod ack;
mod error;
mod event;
mod handler;

pub(crate) use ack::{AckDecodeError, decode_ack};
pub use error::{ConnectError, EmitError};
pub use event::Event;
pub use handler::{BoxFuture, HandlerResult};
