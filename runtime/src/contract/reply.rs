//! How a generated dispatcher runs a handler method's future and acknowledges
//! with its output: boxed for the caller to run ([`Boxed`]), or in place where the
//! event was read, in an allocation the thread reuses (the server's dispatch).

use std::future::Future;

use serde::Serialize;

use super::dispatch::AckSink;
use super::payload::AckResult;
use crate::server::{BoxFuture, EventRun};

/// Runs the future a generated dispatcher built for one event; what running
/// returns is up to the runner.
#[doc(hidden)]
pub trait Runner {
    /// What [`run`](Self::run) returns.
    type Output;

    /// Runs `future`, or hands it back to run.
    fn run<F>(self, future: F) -> Self::Output
    where
        F: Future<Output = ()> + Send + 'static;
}

/// Boxes the future for the caller to run.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Boxed;

impl Runner for Boxed {
    type Output = BoxFuture;

    fn run<F>(self, future: F) -> BoxFuture
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Box::pin(future)
    }
}

/// Polls the future where the event was read, in an allocation reused across the
/// handlers of the thread; returns the connection's count of waiting handlers
/// (0 when it finished at once).
impl Runner for &EventRun<'_> {
    type Output = usize;

    #[inline]
    fn run<F>(self, future: F) -> usize
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.unboxed(future)
    }
}

/// Runs a handler future whose event has no acknowledgement.
#[doc(hidden)]
pub fn reply_none<R, A, F>(runner: R, _ack: Option<A>, future: F) -> R::Output
where
    R: Runner,
    F: Future<Output = ()> + Send + 'static,
{
    runner.run(future)
}

/// Runs a handler future and acknowledges with its value.
#[doc(hidden)]
pub fn reply_value<R, A, F>(runner: R, ack: Option<A>, future: F) -> R::Output
where
    R: Runner,
    A: AckSink,
    F: Future + Send + 'static,
    F::Output: Serialize,
{
    runner.run(async move {
        let value = future.await;
        if let Some(ack) = ack {
            ack.send_one(&value);
        }
    })
}

/// Runs a handler future and acknowledges with its `Result` in the
/// [`AckResult`] envelope.
#[doc(hidden)]
pub fn reply_result<R, A, F, T, E>(runner: R, ack: Option<A>, future: F) -> R::Output
where
    R: Runner,
    A: AckSink,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Serialize,
    E: Serialize,
{
    reply_value(runner, ack, async move { AckResult::from(future.await) })
}
