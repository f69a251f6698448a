//! What handler futures are and what they may return.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future, as handlers return them.
pub type BoxFuture<T = ()> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a handler future may return: `()` or a `Result` whose error is logged.
#[diagnostic::on_unimplemented(
    message = "a tether handler must return `()` or `Result<(), E>` with `E: Display`",
    note = "return `()` or `Result<(), E>`; errors are logged with `tracing` and the connection stays open"
)]
pub trait HandlerResult: Send + 'static {
    /// Logs the outcome when it is an error.
    fn report(self, what: &str);
}

impl HandlerResult for () {
    fn report(self, _what: &str) {}
}

impl<E: fmt::Display + Send + 'static> HandlerResult for Result<(), E> {
    fn report(self, what: &str) {
        if let Err(error) = self {
            tracing::warn!(handler = what, %error, "handler failed");
        }
    }
}
