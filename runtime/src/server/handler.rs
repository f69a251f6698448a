//! Handler traits of the untyped core, and how handler futures run.
//!
//! A handler's future is first polled right where the packet was read; most
//! handlers finish there without a task of their own. One that has to wait is
//! moved to a task. Either way, handlers start in the order packets arrived, and a
//! handler that fails or panics is logged and never takes the connection down.
//! An event handler's future lives in an allocation its thread reuses, so one that
//! finishes at once costs no allocation.

mod run;
mod slot;

use std::future::Future;

pub use run::EventRun;
pub(crate) use run::{in_span, run, run_on};

use super::Event;
use super::reason::DisconnectReason;
use super::socket::Socket;
use crate::peer::{BoxFuture, ConnectError, HandlerResult};
use crate::protocol::Args;

/// Handles one event (or, as a catch-all, every event) of a socket.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event handler",
    note = "an event handler is an `async` closure `|socket: Socket, event: Event| async move {{ ... }}`"
)]
pub trait EventHandler: Send + Sync + 'static {
    /// Handles `event`, received by `socket`.
    fn call(&self, socket: Socket, event: Event) -> BoxFuture;

    /// Runs the handler on `event` as `run` says. Returns the number of the
    /// connection's handlers waiting in tasks once this one is among them (0 when
    /// it finished at once). Runs the boxed future of [`call`](Self::call) unless
    /// an implementation knows better.
    #[doc(hidden)]
    fn __dispatch(&self, socket: Socket, event: Event, run: &EventRun<'_>) -> usize {
        run.boxed(self.call(socket, event))
    }
}

impl<F, Fut> EventHandler for F
where
    F: Fn(Socket, Event) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerResult,
{
    fn call(&self, socket: Socket, event: Event) -> BoxFuture {
        let future = self(socket, event);
        Box::pin(async move { future.await.report("event") })
    }

    fn __dispatch(&self, socket: Socket, event: Event, run: &EventRun<'_>) -> usize {
        run.unboxed(self(socket, event))
    }
}

/// Runs when a socket has joined a namespace (after the CONNECT answer went out).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a connection handler",
    note = "a connection handler is an `async` closure `|socket: Socket| async move {{ ... }}`"
)]
pub trait ConnectHandler: Send + Sync + 'static {
    /// Handles the new socket.
    fn call(&self, socket: Socket) -> BoxFuture;
}

impl<F, Fut> ConnectHandler for F
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerResult,
{
    fn call(&self, socket: Socket) -> BoxFuture {
        let future = self(socket);
        Box::pin(async move { future.await.report("connection") })
    }
}

/// Handles an event another server node sent with
/// [`Namespace::server_side_emit`](super::Namespace::server_side_emit) (or Node's
/// `serverSideEmit`): its arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a server-side event handler",
    note = "a server-side event handler is an `async` closure `|args: Args| async move {{ ... }}`"
)]
pub trait ServerEventHandler: Send + Sync + 'static {
    /// Handles the event's arguments.
    fn call(&self, args: Args) -> BoxFuture;
}

impl<F, Fut> ServerEventHandler for F
where
    F: Fn(Args) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerResult,
{
    fn call(&self, args: Args) -> BoxFuture {
        let future = self(args);
        Box::pin(async move { future.await.report("server-side event") })
    }
}

/// Runs before a socket joins a namespace and may refuse it; the client receives the
/// error as `connect_error`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a connect middleware",
    note = "a middleware is an `async` closure `|socket: Socket| async move {{ Ok::<(), ConnectError>(()) }}`"
)]
pub trait Middleware: Send + Sync + 'static {
    /// Accepts (`Ok`) or refuses (`Err`) the socket.
    fn call(&self, socket: Socket) -> BoxFuture<Result<(), ConnectError>>;
}

impl<F, Fut> Middleware for F
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
{
    fn call(&self, socket: Socket) -> BoxFuture<Result<(), ConnectError>> {
        Box::pin(self(socket))
    }
}

/// Runs when a socket leaves its namespace.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a disconnect handler",
    note = "a disconnect handler is an `async` closure `|socket: Socket, reason: DisconnectReason| async move {{ ... }}`"
)]
pub trait DisconnectHandler: Send + Sync + 'static {
    /// Handles the departure.
    fn call(&self, socket: Socket, reason: DisconnectReason) -> BoxFuture;
}

impl<F, Fut> DisconnectHandler for F
where
    F: Fn(Socket, DisconnectReason) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerResult,
{
    fn call(&self, socket: Socket, reason: DisconnectReason) -> BoxFuture {
        let future = self(socket, reason);
        Box::pin(async move { future.await.report("disconnect") })
    }
}

#[cfg(test)]
mod tests;
