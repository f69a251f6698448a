//! Event middlewares that see a contract's decoded events.

use std::marker::PhantomData;

use super::descriptor::Contract;
use super::dispatch::ContractEvent;
use crate::server::{EventFlow, EventMiddleware, EventRejection, IncomingEvent, Socket};

/// An [`EventMiddleware`] that hands `check` each incoming event of contract `C`
/// decoded into its event enum (`C::Event`), for rules written against the
/// contract rather than against names and JSON. Built by [`typed_middleware`].
///
/// Events that do not decode as one of `C`'s pass untouched: their handlers
/// answer them (with `invalid_arguments` for the typed ones). The middleware
/// decodes each event once more than the handler does; it reads events and cannot
/// rewrite them (an untyped [`EventMiddleware`] can).
pub struct TypedMiddleware<C, F> {
    check: F,
    contract: PhantomData<fn() -> C>,
}

/// A middleware for [`Namespace::use_event_middleware`](crate::server::Namespace::use_event_middleware)
/// or [`Socket::use_event_middleware`] that sees `C`'s decoded events.
///
/// ```
/// use tether::contract::typed_middleware;
/// use tether::server::{EventFlow, EventRejection, Server, ServerConfig, Socket};
///
/// #[tether::events]
/// trait NotesClient {
///     fn post_note(board: String, text: String);
/// }
///
/// let io = Server::new(ServerConfig::default());
/// io.of("/notes").use_event_middleware(typed_middleware::<NotesClient, _>(
///     |_socket: &Socket, event: &NotesClientEvent| match event {
///         NotesClientEvent::PostNote { text, .. } if text.len() > 280 => {
///             Err(EventRejection::new("a note has at most 280 bytes"))
///         }
///         _ => Ok(EventFlow::Pass),
///     },
/// ));
/// ```
pub fn typed_middleware<C, F>(check: F) -> TypedMiddleware<C, F>
where
    C: Contract,
    F: Fn(&Socket, &C::Event) -> Result<EventFlow, EventRejection> + Send + Sync + 'static,
{
    TypedMiddleware {
        check,
        contract: PhantomData,
    }
}

impl<C, F> EventMiddleware for TypedMiddleware<C, F>
where
    C: Contract,
    F: Fn(&Socket, &C::Event) -> Result<EventFlow, EventRejection> + Send + Sync + 'static,
{
    fn check(
        &self,
        socket: &Socket,
        event: &mut IncomingEvent,
    ) -> Result<EventFlow, EventRejection> {
        match C::Event::decode(event.name(), event.args()) {
            Ok(decoded) => (self.check)(socket, &decoded),
            Err(_) => Ok(EventFlow::Pass),
        }
    }
}
