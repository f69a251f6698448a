//! Serving an example's browser page beside its Socket.IO endpoint.
//!
//! The chat and game examples embed their page in the binary, so they run without
//! Node: `/` is `web/index.html`, `/style.css` its style and `/app.js` its script,
//! bundled by esbuild from `web/src` (TypeScript typed by the generated contract in
//! `examples/generated/`) and committed as `web/dist/app.js`
//! (`npm --prefix tests/js run build:pages` rebuilds them).

use std::time::Duration;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use tether::http::EngineLayer;
use tether::server::Server;

/// The embedded files of one page.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// `web/index.html`, served as `/`.
    pub index_html: &'static str,
    /// `web/style.css`, served as `/style.css`.
    pub style_css: &'static str,
    /// `web/dist/app.js`, served as `/app.js`.
    pub app_js: &'static str,
}

impl Page {
    /// The routes serving the page and its files.
    pub fn routes(self) -> Router {
        Router::new()
            .route(
                "/",
                get(move || async move { file("text/html; charset=utf-8", self.index_html) }),
            )
            .route(
                "/style.css",
                get(move || async move { file("text/css; charset=utf-8", self.style_css) }),
            )
            .route(
                "/app.js",
                get(move || async move { file("text/javascript; charset=utf-8", self.app_js) }),
            )
    }
}

/// An embedded file with its content type; browsers check with the server before
/// reusing a cached copy, so a rebuilt example is picked up at once.
fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
}

/// Serves `page` and `io` (at `/socket.io/`) on [`listen_addr`](crate::listen_addr)
/// until Ctrl-C or `SIGTERM`, then closes every session (within 2 s).
pub async fn serve_with_page(io: Server, page: Page) -> std::io::Result<()> {
    let app = page.routes().layer(EngineLayer::new(io.clone()));
    let listener = tokio::net::TcpListener::bind(crate::listen_addr()).await?;
    crate::announce(listener.local_addr()?);
    // Events are small: sent at once, not held back by Nagle's algorithm.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            crate::shutdown_signal().await;
            io.close(Duration::from_secs(2)).await;
        })
        .await
}
