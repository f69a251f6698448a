//! Handler traits of the untyped core, and how handler futures run.
//!
//! A handler's future is first polled right where the packet was read; most
//! handlers finish there without a task of their own. One that has to wait is
//! moved to a task. Either way, handlers start in the order packets arrived, and a
//! handler that fails or panics is logged and never takes the connection down.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

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

/// Polls `future` once where we are; moves it to a task only if it has to wait.
/// A panic is caught and logged.
pub(crate) fn run(future: BoxFuture) {
    run_counted(future, None, None);
}

/// `future` run inside `span`, each time it is polled; as it is when no
/// subscriber wants the span, so that a disabled span costs no allocation.
#[inline]
pub(crate) fn in_span(future: BoxFuture, span: &tracing::Span) -> BoxFuture {
    if span.is_disabled() {
        future
    } else {
        Box::pin(tracing::Instrument::instrument(future, span.clone()))
    }
}

/// Like [`run`], for calls that may come from outside any tokio runtime (such as
/// `Socket::disconnect` on a plain thread): a future that has to wait then runs
/// on `runtime`, the one its connection opened on.
pub(crate) fn run_on(future: BoxFuture, runtime: Option<&tokio::runtime::Handle>) {
    run_counted(future, None, runtime);
}

/// Like [`run_on`]; while the future waits in its task, `waiting` counts it.
/// Returns the count once this future is in it (0 when it finished at once).
pub(crate) fn run_counted(
    mut future: BoxFuture,
    waiting: Option<&Arc<AtomicUsize>>,
    runtime: Option<&tokio::runtime::Handle>,
) -> usize {
    // Outside any runtime, the handler runs in `runtime`'s context, so it may use
    // tokio's timers and tasks. (Inside a task there is a runtime: no lookup.)
    let outside = tokio::task::try_id().is_none() && tokio::runtime::Handle::try_current().is_err();
    let fallback = if outside { runtime } else { None };
    let entered = fallback.map(tokio::runtime::Handle::enter);
    let mut cx = Context::from_waker(Waker::noop());
    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
    drop(entered);
    match polled {
        Ok(Poll::Ready(())) => 0,
        Ok(Poll::Pending) => {
            if outside && fallback.is_none() {
                tracing::error!("a handler has to wait, but no tokio runtime can run it: dropped");
                return 0;
            }
            let count = waiting.map_or(0, |waiting| waiting.fetch_add(1, Ordering::AcqRel) + 1);
            let task = CatchPanic {
                future,
                waiting: waiting.cloned(),
            };
            match fallback {
                Some(runtime) => drop(runtime.spawn(task)),
                None => drop(tokio::spawn(task)),
            }
            count
        }
        Err(_) => {
            tracing::error!("a handler panicked");
            0
        }
    }
}

/// Logs a panic of the wrapped future instead of letting it unwind, and leaves
/// the waiting count when done.
struct CatchPanic {
    future: BoxFuture,
    waiting: Option<Arc<AtomicUsize>>,
}

impl Drop for CatchPanic {
    fn drop(&mut self) {
        if let Some(waiting) = &self.waiting {
            waiting.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Future for CatchPanic {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let future = &mut self.future;
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(_) => {
                tracing::error!("a handler panicked");
                Poll::Ready(())
            }
        }
    }
}
