//! The browser arena page, embedded in the binary so the example runs without
//! Node: `/` is `web/index.html`, `/style.css` its style and `/app.js` its script,
//! bundled by esbuild from `web/src` (TypeScript typed by
//! `examples/generated/game.ts`) and committed as `web/dist/app.js`.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX_HTML: &str = include_str!("web/index.html");
const STYLE_CSS: &str = include_str!("web/style.css");
const APP_JS: &str = include_str!("web/dist/app.js");

/// The routes serving the page and its files.
pub fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { file("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/style.css",
            get(|| async { file("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route(
            "/app.js",
            get(|| async { file("text/javascript; charset=utf-8", APP_JS) }),
        )
}

/// An embedded file with its content type; browsers check with the server before
/// reusing a cached copy, so a rebuilt example is picked up at once.
fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
}
