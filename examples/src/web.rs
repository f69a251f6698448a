//! Serving an example's browser page beside its Socket.IO endpoint.
//!
//! The chat and game examples embed their page in the binary, so they run without
//! Node: `/` is `web/index.html`, `/style.css` its style and `/app.js` its script,
//! bundled by esbuild from `web/src` (TypeScript typed by the generated contract in
//! `examples/generated/`) and committed as `web/dist/app.js`
//! (`npm --prefix tests/js run build:pages` rebuilds them).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use tether::admin::AdminUi;
use tether::http::{EngineLayer, RemoteAddr};
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

/// Copies the peer address axum found into the extension tether reads, so that
/// handshakes show the client's address.
async fn with_remote_addr(
    axum::extract::ConnectInfo(addr): axum::extract::ConnectInfo<SocketAddr>,
    mut request: axum::extract::Request,
) -> axum::extract::Request {
    request.extensions_mut().insert(RemoteAddr(addr));
    request
}

/// Serves `page` and `io` (at `/socket.io/`) on [`listen_addr`](crate::listen_addr)
/// until Ctrl-C or `SIGTERM`, then closes every session (within 2 s).
pub async fn serve_with_page(io: Server, page: Page) -> std::io::Result<()> {
    serve_with_page_and_ui(io, page, None).await
}

/// [`serve_with_page`], with the Admin UI's files too when `ui` is given (see
/// [`crate::admin::admin_ui_from_env`]).
pub async fn serve_with_page_and_ui(
    io: Server,
    page: Page,
    ui: Option<AdminUi>,
) -> std::io::Result<()> {
    let mut app = page.routes();
    if let Some(ui) = ui {
        app = app.layer(EngineLayer::new(ui));
    }
    let app = app
        .layer(EngineLayer::new(io.clone()))
        .layer(axum::middleware::map_request(with_remote_addr));
    let listener = tokio::net::TcpListener::bind(crate::listen_addr()).await?;
    crate::announce(listener.local_addr()?);
    // Events are small: sent at once, not held back by Nagle's algorithm.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        crate::shutdown_signal().await;
        io.close(Duration::from_secs(2)).await;
    })
    .await
}
