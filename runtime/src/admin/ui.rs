//! [`AdminUi`]: the Admin UI's files (the `ui/dist` directory of the npm package
//! `@socket.io/admin-ui`), served from a directory under one path.

use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::Full;

use crate::engine::BoxError;
use crate::http::Endpoint;

/// Serves the Admin UI's built files from a directory, such as
/// `node_modules/@socket.io/admin-ui/ui/dist`, under `/admin-ui/` (see
/// [`AdminUi::with_path`]). It is an [`Endpoint`]: serve it beside the Socket.IO
/// server with a pair, or mount it with [`crate::http::EngineLayer`].
///
/// ```no_run
/// use tether::admin::{AdminOptions, AdminUi, instrument};
/// use tether::server::{Server, ServerConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let io = Server::new(ServerConfig::default());
/// instrument(&io, AdminOptions::without_auth())?;
/// let ui = AdminUi::new("node_modules/@socket.io/admin-ui/ui/dist");
/// // The UI at http://127.0.0.1:3000/admin-ui/, the server at /socket.io/.
/// tether::serve((io, ui), "127.0.0.1:3000").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AdminUi {
    root: Arc<PathBuf>,
    path: Arc<str>,
}

impl AdminUi {
    /// Serves the files of `dir` under `/admin-ui/`.
    pub fn new(dir: impl Into<PathBuf>) -> AdminUi {
        AdminUi {
            root: Arc::new(dir.into()),
            path: Arc::from("/admin-ui/"),
        }
    }

    /// Serves them under `path` instead (a trailing `/` is added when missing).
    pub fn with_path(mut self, path: &str) -> AdminUi {
        let trimmed = path.trim_end_matches('/');
        self.path = Arc::from(format!("{trimmed}/"));
        self
    }

    /// The file a request path names under the directory; `None` when it leaves
    /// the directory or names a hidden file.
    fn file_for(&self, request_path: &str) -> Option<PathBuf> {
        let relative = request_path.strip_prefix(&*self.path).unwrap_or("");
        let relative = if relative.is_empty() {
            "index.html"
        } else {
            relative
        };
        let relative = Path::new(relative);
        let safe = relative.components().all(|component| match component {
            Component::Normal(name) => !name.to_string_lossy().starts_with('.'),
            _ => false,
        });
        safe.then(|| self.root.join(relative))
    }
}

/// The content type of a UI file. The UI ships a handful of kinds of files, so a
/// short table does rather than a MIME database.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json" | "map") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

impl Endpoint for AdminUi {
    fn path(&self) -> &str {
        &self.path
    }

    fn call<B>(&self, request: Request<B>) -> impl Future<Output = Response<Full<Bytes>>> + Send
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let request_path = request.uri().path().to_owned();
        let method = request.method().clone();
        let ui = self.clone();
        async move {
            if method != http::Method::GET && method != http::Method::HEAD {
                return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            }
            // The page loads its files by relative paths: it must be under the slash.
            if !request_path.starts_with(&*ui.path) {
                let mut response = plain(StatusCode::PERMANENT_REDIRECT, "");
                if let Ok(location) = HeaderValue::from_str(&ui.path) {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                return response;
            }
            let Some(file) = ui.file_for(&request_path) else {
                return plain(StatusCode::NOT_FOUND, "not found");
            };
            let kind = content_type(&file);
            let read = tokio::task::spawn_blocking(move || std::fs::read(file)).await;
            match read {
                Ok(Ok(contents)) => {
                    let mut response = Response::new(Full::new(Bytes::from(contents)));
                    response
                        .headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
                    response
                }
                _ => plain(StatusCode::NOT_FOUND, "not found"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_directory() {
        let ui = AdminUi::new("/srv/ui").with_path("/tools/admin");
        assert_eq!(ui.path(), "/tools/admin/");
        assert_eq!(
            ui.file_for("/tools/admin/"),
            Some(PathBuf::from("/srv/ui/index.html"))
        );
        assert_eq!(
            ui.file_for("/tools/admin/js/app.js"),
            Some(PathBuf::from("/srv/ui/js/app.js"))
        );
        assert_eq!(ui.file_for("/tools/admin/../secret"), None);
        assert_eq!(ui.file_for("/tools/admin/.env"), None);
        assert_eq!(ui.file_for("/tools/admin//etc/passwd"), None);
        assert_eq!(
            content_type(Path::new("a/app.js")),
            "text/javascript; charset=utf-8"
        );
    }
}

#[cfg(test)]
mod serving {
    use http_body_util::BodyExt;

    use super::*;

    async fn get(ui: &AdminUi, path: &str) -> (StatusCode, Option<String>, Bytes) {
        let request = Request::get(path)
            .body(Full::new(Bytes::new()))
            .expect("a request");
        let response = ui.call(request).await;
        let status = response.status();
        let kind = response
            .headers()
            .get(header::CONTENT_TYPE)
            .or_else(|| response.headers().get(header::LOCATION))
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        (status, kind, body)
    }

    #[tokio::test]
    async fn the_files_of_the_directory_are_served_under_the_path() {
        let dir = std::env::temp_dir().join(format!("tether-admin-ui-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("js")).expect("a directory");
        std::fs::write(dir.join("index.html"), "<html>ui</html>").expect("written");
        std::fs::write(dir.join("js/app.js"), "console.log(1)").expect("written");
        let ui = AdminUi::new(&dir);

        let (status, kind, body) = get(&ui, "/admin-ui/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kind.as_deref(), Some("text/html; charset=utf-8"));
        assert_eq!(&body[..], b"<html>ui</html>");
        let (status, kind, body) = get(&ui, "/admin-ui/js/app.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kind.as_deref(), Some("text/javascript; charset=utf-8"));
        assert_eq!(&body[..], b"console.log(1)");
        let (status, location, _) = get(&ui, "/admin-ui").await;
        assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(location.as_deref(), Some("/admin-ui/"));
        assert_eq!(
            get(&ui, "/admin-ui/missing.js").await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&ui, "/admin-ui/../Cargo.toml").await.0,
            StatusCode::NOT_FOUND
        );

        let post = Request::post("/admin-ui/")
            .body(Full::new(Bytes::new()))
            .expect("a request");
        assert_eq!(ui.call(post).await.status(), StatusCode::METHOD_NOT_ALLOWED);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
