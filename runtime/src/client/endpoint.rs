//! Where the client connects: host, port, Engine.IO path, namespace from the URL,
//! extra query parameters and headers. URLs are parsed by the `url` crate and
//! query strings written by `form_urlencoded`, as browsers do.

use http::HeaderMap;
use url::{Host, Url};

use super::error::ConnectError;

/// The parsed server address.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// The server's URL as given, for the scheme, host and port.
    url: Url,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The Engine.IO path, with leading and trailing `/` (`/socket.io/`).
    pub(crate) path: String,
    /// The namespace the URL names by its path, if any (`http://host/admin`).
    pub(crate) namespace: Option<String>,
    /// Query parameters added to every request (the URL's, then the builder's).
    query: Vec<(String, String)>,
    /// Headers added to every request (and to the WebSocket handshake).
    pub(crate) headers: HeaderMap,
    /// Whether the URL asked for TLS (`https://`, `wss://`).
    pub(crate) secure: bool,
    /// The packet form the server speaks.
    pub(crate) parser: crate::protocol::Parser,
    /// The TLS configuration of an `https://` or `wss://` URL.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// Always `None` without the `tls` feature.
    #[cfg(not(feature = "tls"))]
    pub(crate) tls: Option<std::convert::Infallible>,
    /// The cookies the server set on the current Engine.IO connection; `None`
    /// when turned off.
    pub(crate) cookies: Option<super::cookies::CookieJar>,
}

impl Endpoint {
    /// Parses `url` (`http://host:port[/namespace][?query]` or `ws://…`).
    pub(crate) fn parse(url: &str, path: &str) -> Result<Endpoint, ConnectError> {
        let invalid = |reason: &str| ConnectError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let parsed = Url::parse(url).map_err(|error| invalid(&error.to_string()))?;
        let secure = match parsed.scheme() {
            "http" | "ws" => false,
            "https" | "wss" => true,
            scheme => return Err(ConnectError::UnsupportedScheme(scheme.to_owned())),
        };
        if secure && cfg!(not(feature = "tls")) {
            return Err(ConnectError::UnsupportedScheme(format!(
                "{} (enable tether's `tls` feature)",
                parsed.scheme()
            )));
        }
        let host = match parsed.host() {
            Some(Host::Domain(domain)) => domain.to_owned(),
            Some(Host::Ipv4(address)) => address.to_string(),
            Some(Host::Ipv6(address)) => address.to_string(),
            None => return Err(invalid("missing host")),
        };
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| invalid("missing port"))?;
        let namespace = Some(parsed.path().trim_end_matches('/'))
            .filter(|path| !path.is_empty())
            .map(str::to_owned);
        let query = parsed.query_pairs().into_owned().collect();
        Ok(Endpoint {
            url: parsed,
            host,
            port,
            path: normalize_path(path),
            namespace,
            query,
            headers: HeaderMap::new(),
            tls: None,
            secure,
            parser: crate::protocol::Parser::Default,
            cookies: Some(super::cookies::CookieJar::default()),
        })
    }

    /// `host:port`, as the `Host` header gives it.
    pub(crate) fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Adds a query parameter to every request.
    pub(crate) fn add_query(&mut self, name: &str, value: &str) {
        self.query.push((name.to_owned(), value.to_owned()));
    }

    /// The path and query of an Engine.IO request over `transport`, for a new
    /// session or for session `sid`.
    pub(crate) fn path_and_query(&self, transport: &str, sid: Option<&str>) -> String {
        format!("{}?{}", self.path, self.query_string(transport, sid))
    }

    /// The query of an Engine.IO request: `EIO`, `transport`, `sid`, then the
    /// URL's and the builder's parameters.
    fn query_string(&self, transport: &str, sid: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("EIO", "4");
        query.append_pair("transport", transport);
        if let Some(sid) = sid {
            query.append_pair("sid", sid);
        }
        query.extend_pairs(&self.query);
        query.finish()
    }

    /// Adds the cookies for a request to the Engine.IO path.
    pub(crate) fn apply_cookies(&self, headers: &mut HeaderMap) {
        if let Some(jar) = &self.cookies {
            jar.apply(headers, &self.path);
        }
    }

    /// Keeps the cookies a response to a request to the Engine.IO path sets.
    pub(crate) fn store_cookies(&self, headers: &HeaderMap) {
        if let Some(jar) = &self.cookies {
            jar.store(headers, &self.path);
        }
    }

    /// The WebSocket URL of a new Engine.IO session, or of an upgrade of session
    /// `sid`.
    pub(crate) fn websocket_url(&self, sid: Option<&str>) -> String {
        let mut url = self.url.clone();
        // Switching between special schemes (`http` → `ws`) always succeeds.
        let _ = url.set_scheme(if self.secure { "wss" } else { "ws" });
        url.set_path(&self.path);
        url.set_query(Some(&self.query_string("websocket", sid)));
        url.set_fragment(None);
        // A URL's credentials go in headers, not in the request line.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.into()
    }
}

/// `socket.io` → `/socket.io/`.
fn normalize_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        format!("/{trimmed}/")
    }
}

/// The frames of `encoded` in `parser`'s form; none (and a log line) when it does
/// not convert.
pub(crate) fn frames_of(
    parser: crate::protocol::Parser,
    encoded: &crate::protocol::Encoded,
) -> Vec<crate::engine::Frame> {
    match parser.frames(encoded) {
        Ok(frames) => frames.into_iter().collect(),
        Err(error) => {
            tracing::warn!(%error, "a packet does not convert to the server's form");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_origin_and_namespace() {
        let endpoint = Endpoint::parse("http://127.0.0.1:3000/admin", "/socket.io").unwrap();
        assert_eq!(endpoint.host, "127.0.0.1");
        assert_eq!(endpoint.port, 3000);
        assert_eq!(endpoint.namespace.as_deref(), Some("/admin"));
        assert_eq!(
            endpoint.websocket_url(None),
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(
            endpoint.websocket_url(Some("abc")),
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket&sid=abc"
        );
        let mut with_query = Endpoint::parse("http://h:1/?v=1&w=a%20b", "/socket.io/").unwrap();
        with_query.add_query("a b", "c&d=é");
        assert_eq!(
            with_query.path_and_query("polling", Some("S")),
            "/socket.io/?EIO=4&transport=polling&sid=S&v=1&w=a+b&a+b=c%26d%3D%C3%A9"
        );
        assert_eq!(
            with_query.websocket_url(None),
            "ws://h:1/socket.io/?EIO=4&transport=websocket&v=1&w=a+b&a+b=c%26d%3D%C3%A9"
        );
        let v6 = Endpoint::parse("http://[::1]:80", "/socket.io/").unwrap();
        assert_eq!(v6.authority(), "[::1]:80");
        assert_eq!(
            v6.websocket_url(None),
            "ws://[::1]/socket.io/?EIO=4&transport=websocket"
        );
        let plain = Endpoint::parse("ws://example.com", "custom").unwrap();
        assert_eq!((plain.port, plain.namespace), (80, None));
        assert_eq!(plain.path, "/custom/");
    }

    #[test]
    fn tls_urls_need_the_feature_and_garbage_is_refused() {
        let tls = Endpoint::parse("https://example.com", "/socket.io/");
        if cfg!(feature = "tls") {
            let tls = tls.unwrap();
            assert!(tls.secure);
            assert_eq!(tls.port, 443);
            assert!(
                tls.websocket_url(None)
                    .starts_with("wss://example.com/socket.io/?EIO=4")
            );
        } else {
            assert!(matches!(tls, Err(ConnectError::UnsupportedScheme(_))));
        }
        assert!(matches!(
            Endpoint::parse("ftp://example.com", "/socket.io/"),
            Err(ConnectError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            Endpoint::parse("not a url", "/socket.io/"),
            Err(ConnectError::InvalidUrl { .. })
        ));
        assert!(matches!(
            Endpoint::parse("127.0.0.1:3000", "/socket.io/"),
            Err(ConnectError::InvalidUrl { .. }) | Err(ConnectError::UnsupportedScheme(_))
        ));
    }
}
