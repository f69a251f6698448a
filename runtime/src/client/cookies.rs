//! The cookies a server sets on one Engine.IO connection (`Set-Cookie` on
//! polling responses and on the WebSocket handshake), sent back on its later
//! requests, as socket.io-client does in Node.js with `withCredentials`: the
//! server's `io` cookie, or a load balancer's sticky-session cookie.
//!
//! Parsing is the `cookie` crate's; this jar keeps the few rules a client of one
//! origin needs (RFC 6265 §5.1.4 paths, `Expires`, `Max-Age`), not a browser's
//! (domains and `Secure` are moot: every request goes to the same origin).

use std::sync::Arc;

use cookie::Cookie;
use cookie::time::OffsetDateTime;
use http::{HeaderMap, HeaderValue, header};
use parking_lot::{Mutex, MutexGuard};

/// Most cookies kept; past it, the oldest goes.
const MAX_COOKIES: usize = 50;

/// The longest `Set-Cookie` value taken (RFC 6265 asks user agents for 4096
/// bytes per cookie).
const MAX_SET_COOKIE_LEN: usize = 4096;

/// A shared jar: the polling requests and the WebSocket of one connection use it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CookieJar {
    cookies: Arc<Mutex<Vec<Stored>>>,
}

#[derive(Debug)]
struct Stored {
    name: String,
    value: String,
    path: String,
    expires: Option<OffsetDateTime>,
}

impl CookieJar {
    fn lock(&self) -> MutexGuard<'_, Vec<Stored>> {
        self.cookies.lock()
    }

    /// Forgets every cookie (a new Engine.IO connection starts afresh, as in
    /// socket.io-client).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Takes the `Set-Cookie` headers of a response to a request for `path`.
    pub(crate) fn store(&self, headers: &HeaderMap, path: &str) {
        let now = OffsetDateTime::now_utc();
        let mut cookies = self.lock();
        for value in headers.get_all(header::SET_COOKIE) {
            if value.len() > MAX_SET_COOKIE_LEN {
                continue;
            }
            let Ok(text) = value.to_str() else { continue };
            let Ok(cookie) = Cookie::parse(text) else {
                continue;
            };
            if cookie.name().is_empty() {
                continue;
            }
            let cookie_path = match cookie.path() {
                Some(given) if given.starts_with('/') => given.to_owned(),
                _ => default_path(path),
            };
            // Max-Age wins over Expires (RFC 6265 §5.3, step 3).
            let expires = match cookie.max_age() {
                Some(max_age) => Some(now.saturating_add(max_age)),
                None => cookie.expires_datetime(),
            };
            cookies.retain(|stored| stored.name != cookie.name() || stored.path != cookie_path);
            if expires.is_some_and(|expires| expires <= now) {
                continue;
            }
            if cookies.len() == MAX_COOKIES {
                cookies.remove(0);
            }
            cookies.push(Stored {
                name: cookie.name().to_owned(),
                value: cookie.value().to_owned(),
                path: cookie_path,
                expires,
            });
        }
    }

    /// Adds the cookies for a request to `path` to `headers`, after any `Cookie`
    /// header already there (one header, as RFC 6265 asks).
    pub(crate) fn apply(&self, headers: &mut HeaderMap, path: &str) {
        let now = OffsetDateTime::now_utc();
        let mut cookies = self.lock();
        cookies.retain(|stored| stored.expires.is_none_or(|expires| expires > now));
        // Longer paths first (RFC 6265 §5.4, step 2).
        let mut matching: Vec<&Stored> = cookies
            .iter()
            .filter(|stored| path_matches(path, &stored.path))
            .collect();
        if matching.is_empty() {
            return;
        }
        matching.sort_by_key(|stored| std::cmp::Reverse(stored.path.len()));
        let mut line = match headers
            .get(header::COOKIE)
            .and_then(|value| value.to_str().ok())
        {
            Some(given) if !given.is_empty() => format!("{given}; "),
            _ => String::new(),
        };
        let pairs: Vec<String> = matching
            .iter()
            .map(|stored| format!("{}={}", stored.name, stored.value))
            .collect();
        line.push_str(&pairs.join("; "));
        if let Ok(value) = HeaderValue::try_from(line) {
            headers.insert(header::COOKIE, value);
        }
    }
}

/// The directory of `path` (RFC 6265 §5.1.4): `/socket.io/` → `/socket.io`.
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(end) => path[..end].to_owned(),
    }
}

/// Whether a request to `path` gets a cookie of `cookie_path` (RFC 6265 §5.1.4).
fn path_matches(path: &str, cookie_path: &str) -> bool {
    path == cookie_path
        || (path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || path[cookie_path.len()..].starts_with('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_cookies(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::SET_COOKIE, value.parse().unwrap());
        }
        headers
    }

    fn cookie_line(jar: &CookieJar, path: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        jar.apply(&mut headers, path);
        headers
            .get(header::COOKIE)
            .map(|value| value.to_str().unwrap().to_owned())
    }

    #[test]
    fn keeps_paths_expiry_and_replacements() {
        let jar = CookieJar::default();
        jar.store(
            &set_cookies(&[
                "io=abc; Path=/; HttpOnly; SameSite=Lax",
                "deep=1; Path=/socket.io/x",
                "here=2",
                "gone=3; Max-Age=0",
                "old=4; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                "later=5; Max-Age=3600; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                "=nameless",
                "garbage",
            ]),
            "/socket.io/",
        );
        assert_eq!(
            cookie_line(&jar, "/socket.io/").as_deref(),
            Some("here=2; later=5; io=abc")
        );
        assert_eq!(
            cookie_line(&jar, "/socket.io/x").as_deref(),
            Some("deep=1; here=2; later=5; io=abc")
        );
        assert_eq!(cookie_line(&jar, "/other").as_deref(), Some("io=abc"));
        jar.store(
            &set_cookies(&["io=def", "later=; Max-Age=-1; Path=/socket.io"]),
            "/",
        );
        assert_eq!(
            cookie_line(&jar, "/socket.io/").as_deref(),
            Some("here=2; io=def")
        );
        let mut given = HeaderMap::new();
        given.insert(header::COOKIE, "mine=1".parse().unwrap());
        jar.apply(&mut given, "/");
        assert_eq!(given[header::COOKIE], "mine=1; io=def");
        jar.clear();
        assert_eq!(cookie_line(&jar, "/"), None);
    }

    #[test]
    fn the_jar_is_bounded() {
        let jar = CookieJar::default();
        for n in 0..200 {
            jar.store(&set_cookies(&[&format!("c{n}=v")]), "/");
        }
        let line = cookie_line(&jar, "/").unwrap();
        assert_eq!(line.split("; ").count(), MAX_COOKIES);
        assert!(line.contains("c199=v") && !line.contains("c0=v"));
    }
}
