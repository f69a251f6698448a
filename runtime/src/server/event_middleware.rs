//! Event middlewares (Node's `socket.use`): functions that see each incoming event
//! before its handlers, and may rewrite it, drop it or reject it.
//!
//! They run where the packet was read, in the order they were added: the
//! namespace's ([`Namespace::use_event_middleware`](super::Namespace::use_event_middleware))
//! first, then the socket's ([`Socket::use_event_middleware`]). They are plain
//! functions, not futures, so events keep their arrival order and a socket without
//! middlewares pays one check per event; work that must wait belongs in the
//! handler.
//!
//! A rejected event is not dispatched. The socket's error handlers
//! ([`Socket::on_error`]) receive the [`EventRejection`], as Node's `error` event
//! does, and an acknowledgement the client asked for is answered with
//! `{"error":"rejected","event":<name>,"message":<message>}` (plus `"data"` when the
//! rejection carries some), so the client learns why instead of waiting for its
//! timeout.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use serde::Serialize;

use super::socket::Socket;
use crate::engine::Text;
use crate::protocol::Args;

/// An incoming event as event middlewares see it: its name and arguments, both of
/// which a middleware may replace.
#[derive(Debug)]
pub struct IncomingEvent {
    name: Text,
    args: Args,
    wants_ack: bool,
}

impl IncomingEvent {
    pub(crate) fn new(name: Text, args: Args, wants_ack: bool) -> IncomingEvent {
        IncomingEvent {
            name,
            args,
            wants_ack,
        }
    }

    pub(crate) fn into_parts(self) -> (Text, Args) {
        (self.name, self.args)
    }

    /// The event name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The arguments.
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// Whether the client waits for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.wants_ack
    }

    /// Renames the event: the handlers of `name` receive it.
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = Text::from(name.into());
    }

    /// Replaces the arguments (build them with [`Args::from_json_array`]).
    pub fn set_args(&mut self, args: Args) {
        self.args = args;
    }
}

/// What an event middleware lets happen to an event it does not reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventFlow {
    /// On to the next middleware, then the handlers.
    Pass,
    /// Dropped quietly: no handler, no error handler, no acknowledgement.
    Drop,
}

/// Why an event middleware refused an event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRejection {
    /// The reason, for the error handlers and the client's acknowledgement.
    pub message: String,
    /// Details sent along in the acknowledgement, if any.
    pub data: Option<serde_json::Value>,
}

impl EventRejection {
    /// A rejection with `message`.
    pub fn new(message: impl Into<String>) -> EventRejection {
        EventRejection {
            message: message.into(),
            data: None,
        }
    }

    /// Adds details for the client's acknowledgement.
    pub fn with_data(mut self, data: serde_json::Value) -> EventRejection {
        self.data = Some(data);
        self
    }
}

impl fmt::Display for EventRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EventRejection {}

/// The acknowledgement a rejected event's sender gets.
#[derive(Serialize)]
pub(crate) struct RejectedAck<'a> {
    error: &'static str,
    event: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a serde_json::Value>,
}

impl<'a> RejectedAck<'a> {
    pub(crate) fn new(event: &'a str, rejection: &'a EventRejection) -> RejectedAck<'a> {
        RejectedAck {
            error: "rejected",
            event,
            message: &rejection.message,
            data: rejection.data.as_ref(),
        }
    }
}

/// Sees each incoming event of a socket before its handlers.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event middleware",
    note = "an event middleware is a closure `|socket: &Socket, event: &mut IncomingEvent| -> Result<EventFlow, EventRejection>`"
)]
pub trait EventMiddleware: Send + Sync + 'static {
    /// Lets `event` pass (possibly rewritten), drops it, or rejects it.
    fn check(
        &self,
        socket: &Socket,
        event: &mut IncomingEvent,
    ) -> Result<EventFlow, EventRejection>;
}

impl<F> EventMiddleware for F
where
    F: Fn(&Socket, &mut IncomingEvent) -> Result<EventFlow, EventRejection> + Send + Sync + 'static,
{
    fn check(
        &self,
        socket: &Socket,
        event: &mut IncomingEvent,
    ) -> Result<EventFlow, EventRejection> {
        self(socket, event)
    }
}

/// Receives the events a socket's middlewares rejected (Node's `error` event).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an error handler",
    note = "an error handler is a closure `|socket: &Socket, rejection: &EventRejection| {{ ... }}`"
)]
pub trait ErrorHandler: Send + Sync + 'static {
    /// Handles `rejection` of an event of `socket`.
    fn call(&self, socket: &Socket, rejection: &EventRejection);
}

impl<F> ErrorHandler for F
where
    F: Fn(&Socket, &EventRejection) + Send + Sync + 'static,
{
    fn call(&self, socket: &Socket, rejection: &EventRejection) {
        self(socket, rejection)
    }
}

/// A list of middlewares, shared so that a dispatch can run it without a lock.
pub(crate) type Middlewares = Arc<[Arc<dyn EventMiddleware>]>;

/// What the middlewares made of an event.
pub(crate) enum Outcome {
    Pass(IncomingEvent),
    Drop,
    Rejected(IncomingEvent, EventRejection),
}

/// Runs `lists` in order on `event`.
pub(crate) fn run<'a>(
    lists: impl IntoIterator<Item = &'a Middlewares>,
    socket: &Socket,
    mut event: IncomingEvent,
) -> Outcome {
    for middleware in lists.into_iter().flat_map(|list| list.iter()) {
        let checked =
            std::panic::catch_unwind(AssertUnwindSafe(|| middleware.check(socket, &mut event)));
        match checked {
            Ok(Ok(EventFlow::Pass)) => {}
            Ok(Ok(EventFlow::Drop)) => return Outcome::Drop,
            Ok(Err(rejection)) => return Outcome::Rejected(event, rejection),
            Err(_) => {
                tracing::error!(event = event.name(), "an event middleware panicked");
                return Outcome::Rejected(event, EventRejection::new("internal error"));
            }
        }
    }
    Outcome::Pass(event)
}
