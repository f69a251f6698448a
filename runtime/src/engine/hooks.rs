//! Hooks on the HTTP side of the engine, as the Node.js server's `initial_headers`,
//! `headers` and `connection_error` events: add headers to responses, observe
//! refused requests.

use std::sync::Arc;

use http::HeaderMap;
use http::request::Parts;

use super::error::RequestError;

/// Adds or changes response headers (`headers`: the response's; `request`: what
/// the client sent, body aside).
pub type HeadersHook = Arc<dyn Fn(&mut HeaderMap, &Parts) + Send + Sync>;

/// Observes a refused request: the error (its [`RequestError::code`] and message
/// are Node's) and what the client sent, body aside.
pub type ConnectionErrorHook = Arc<dyn Fn(&RequestError, &Parts) + Send + Sync>;

/// The hooks of an engine; none by default.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) initial_headers: Option<HeadersHook>,
    pub(crate) headers: Option<HeadersHook>,
    pub(crate) connection_error: Option<ConnectionErrorHook>,
}

impl Hooks {
    /// Whether a request's parts must be kept for a hook.
    pub(crate) fn any(&self) -> bool {
        self.initial_headers.is_some() || self.headers.is_some() || self.connection_error.is_some()
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("initial_headers", &self.initial_headers.is_some())
            .field("headers", &self.headers.is_some())
            .field("connection_error", &self.connection_error.is_some())
            .finish()
    }
}

/// A copy of a request's method, URI, version and headers, for the hooks.
pub(crate) fn parts_of<B>(request: &http::Request<B>) -> Parts {
    let mut copy = http::Request::new(());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy.into_parts().0
}
