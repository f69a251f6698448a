//! Running handler futures: polled once where the packet was read, moved to a
//! task only when they have to wait, with panics caught and logged.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use super::slot::Slot;
use crate::peer::{BoxFuture, HandlerResult};

/// A future where a handler runs: polled once in place, then handed to a task
/// if it has to wait, and let go of when it is done.
trait Parked: Future<Output = ()> + Unpin + Send + 'static {
    /// Lets go of the future once it has finished.
    fn finish(self);
}

impl Parked for BoxFuture {
    fn finish(self) {}
}

impl<F: Future + Send + 'static> Parked for Slot<F>
where
    F::Output: HandlerResult,
{
    #[inline]
    fn finish(self) {
        self.recycle();
    }
}

/// Where the handlers of one event run: the event's span, the connection's count
/// of handlers waiting in tasks, and its runtime. Passed to
/// [`EventHandler`](super::EventHandler)'s hidden dispatch method.
#[doc(hidden)]
pub struct EventRun<'a> {
    span: &'a tracing::Span,
    waiting: Option<&'a Arc<AtomicUsize>>,
    runtime: Option<&'a tokio::runtime::Handle>,
}

impl<'a> EventRun<'a> {
    /// Handlers run inside `span`; those that wait count in `waiting`, and run on
    /// `runtime` when dispatched from outside any runtime.
    pub(crate) fn new(
        span: &'a tracing::Span,
        waiting: Option<&'a Arc<AtomicUsize>>,
        runtime: Option<&'a tokio::runtime::Handle>,
    ) -> EventRun<'a> {
        EventRun {
            span,
            waiting,
            runtime,
        }
    }

    /// Runs a handler's boxed future. Returns the waiting count once this future
    /// is in it (0 when it finished at once).
    pub(crate) fn boxed(&self, future: BoxFuture) -> usize {
        run_parked(in_span(future, self.span), self.waiting, self.runtime)
    }

    /// Runs a handler's future in an allocation reused across the handlers of
    /// this thread, so that a future that finishes on its first poll costs no
    /// allocation; its output is reported as an event handler's. Returns as
    /// [`boxed`](Self::boxed).
    #[inline]
    pub(crate) fn unboxed<F>(&self, future: F) -> usize
    where
        F: Future + Send + 'static,
        F::Output: HandlerResult,
    {
        if self.span.is_disabled() {
            run_parked(Slot::new(future, "event"), self.waiting, self.runtime)
        } else {
            // The outcome is reported inside the span too.
            let reported = async move { future.await.report("event") };
            let future = tracing::Instrument::instrument(reported, self.span.clone());
            run_parked(Slot::new(future, "event"), self.waiting, self.runtime)
        }
    }
}

/// Polls `future` once where we are; moves it to a task only if it has to wait.
/// A panic is caught and logged.
pub(crate) fn run(future: BoxFuture) {
    run_parked(future, None, None);
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
    run_parked(future, None, runtime);
}

/// Like [`run_on`]; while the future waits in its task, `waiting` counts it.
/// Returns the count once this future is in it (0 when it finished at once).
#[inline]
fn run_parked<P: Parked>(
    mut future: P,
    waiting: Option<&Arc<AtomicUsize>>,
    runtime: Option<&tokio::runtime::Handle>,
) -> usize {
    let fallback = fallback_runtime(runtime);
    let entered = fallback.and_then(|runtime| runtime.map(tokio::runtime::Handle::enter));
    let mut cx = Context::from_waker(Waker::noop());
    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut future).poll(&mut cx)));
    drop(entered);
    match polled {
        Ok(Poll::Ready(())) => {
            finish_caught(|| future.finish());
            0
        }
        Ok(Poll::Pending) => {
            let runtime = match fallback {
                None => None,
                Some(Some(runtime)) => Some(runtime),
                Some(None) => {
                    tracing::error!(
                        "a handler has to wait, but no tokio runtime can run it: dropped"
                    );
                    finish_caught(|| drop(future));
                    return 0;
                }
            };
            let count = waiting.map_or(0, |waiting| waiting.fetch_add(1, Ordering::AcqRel) + 1);
            let task = CatchPanic {
                future: Some(future),
                waiting: waiting.cloned(),
            };
            match runtime {
                Some(runtime) => drop(runtime.spawn(task)),
                None => drop(tokio::spawn(task)),
            }
            count
        }
        Err(_) => {
            tracing::error!("a handler panicked");
            finish_caught(|| drop(future));
            0
        }
    }
}

/// `None` inside a tokio runtime; outside any, `Some(runtime)`: the handler runs
/// in `runtime`'s context, so it may use tokio's timers and tasks. (Inside a task
/// there is a runtime: no lookup.)
#[inline]
fn fallback_runtime(
    runtime: Option<&tokio::runtime::Handle>,
) -> Option<Option<&tokio::runtime::Handle>> {
    let outside = tokio::task::try_id().is_none() && tokio::runtime::Handle::try_current().is_err();
    outside.then_some(runtime)
}

/// Runs `finish`, which drops a handler's future; a panic of its destructor is
/// logged like one of the handler.
fn finish_caught(finish: impl FnOnce()) {
    if std::panic::catch_unwind(AssertUnwindSafe(finish)).is_err() {
        tracing::error!("a handler panicked while dropped");
    }
}

/// Logs a panic of the wrapped future instead of letting it unwind, lets go of
/// the future once it is done, and leaves the waiting count then.
struct CatchPanic<P> {
    /// The future, until it is done.
    future: Option<P>,
    waiting: Option<Arc<AtomicUsize>>,
}

impl<P> Drop for CatchPanic<P> {
    fn drop(&mut self) {
        if let Some(waiting) = &self.waiting {
            waiting.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl<P: Parked> Future for CatchPanic<P> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(future) = &mut self.future else {
            return Poll::Ready(());
        };
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(future).poll(cx)));
        match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(())) => {
                let done = self.future.take();
                finish_caught(|| done.map_or((), Parked::finish));
            }
            Err(_) => {
                tracing::error!("a handler panicked");
                let done = self.future.take();
                finish_caught(|| drop(done));
            }
        }
        Poll::Ready(())
    }
}
