//! Where the client connects: host, port, Engine.IO path, namespace from the URL,
//! extra query parameters and headers.

use http::HeaderMap;

use super::error::ConnectError;

/// The parsed server address.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The Engine.IO path, with leading and trailing `/` (`/socket.io/`).
    pub(crate) path: String,
    /// The namespace the URL names by its path, if any (`http://host/admin`).
    pub(crate) namespace: Option<String>,
    /// Query parameters added to every request, encoded, each after a `&`.
    pub(crate) query: String,
    /// Headers added to every request (and to the WebSocket handshake).
    pub(crate) headers: HeaderMap,
    /// Whether the URL asked for TLS (`https://`, `wss://`).
    pub(crate) secure: bool,
    /// The packet form the server speaks.
    pub(crate) parser: crate::server::Parser,
    /// The TLS configuration of an `https://` or `wss://` URL.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// Always `None` without the `tls` feature.
    #[cfg(not(feature = "tls"))]
    pub(crate) tls: Option<std::convert::Infallible>,
}

impl Endpoint {
    /// Parses `url` (`http://host:port[/namespace]` or `ws://…`).
    pub(crate) fn parse(url: &str, path: &str) -> Result<Endpoint, ConnectError> {
        let invalid = |reason: &str| ConnectError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|error: http::uri::InvalidUri| invalid(&error.to_string()))?;
        let (default_port, secure) = match uri.scheme_str() {
            Some("http" | "ws") => (80, false),
            Some("https" | "wss") => (443, true),
            Some(scheme) => return Err(ConnectError::UnsupportedScheme(scheme.to_owned())),
            None => return Err(invalid("missing scheme (`http://` or `ws://`)")),
        };
        if secure && cfg!(not(feature = "tls")) {
            return Err(ConnectError::UnsupportedScheme(format!(
                "{} (enable tether's `tls` feature)",
                uri.scheme_str().unwrap_or_default()
            )));
        }
        let host = uri.host().ok_or_else(|| invalid("missing host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let namespace = Some(uri.path().trim_end_matches('/'))
            .filter(|path| !path.is_empty())
            .map(str::to_owned);
        let query = uri
            .query()
            .filter(|query| !query.is_empty())
            .map(|query| format!("&{query}"))
            .unwrap_or_default();
        Ok(Endpoint {
            host,
            port: uri.port_u16().unwrap_or(default_port),
            path: normalize_path(path),
            namespace,
            query,
            headers: HeaderMap::new(),
            tls: None,
            secure,
            parser: crate::server::Parser::Default,
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
        self.query.push('&');
        self.query.push_str(&encode_component(name));
        self.query.push('=');
        self.query.push_str(&encode_component(value));
    }

    /// The path and query of an Engine.IO request over `transport`, for a new
    /// session or for session `sid`.
    pub(crate) fn path_and_query(&self, transport: &str, sid: Option<&str>) -> String {
        let mut target = format!("{}?EIO=4&transport={transport}", self.path);
        if let Some(sid) = sid {
            target.push_str("&sid=");
            target.push_str(sid);
        }
        target.push_str(&self.query);
        target
    }

    /// The WebSocket URL of a new Engine.IO session, or of an upgrade of session
    /// `sid`.
    pub(crate) fn websocket_url(&self, sid: Option<&str>) -> String {
        format!(
            "{}://{}{}",
            if self.secure { "wss" } else { "ws" },
            self.authority(),
            self.path_and_query("websocket", sid)
        )
    }
}

/// Percent-encodes a query component (everything but RFC 3986 unreserved bytes).
fn encode_component(component: &str) -> String {
    let mut encoded = String::with_capacity(component.len());
    for byte in component.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
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
    parser: crate::server::Parser,
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
        let mut with_query = Endpoint::parse("http://h:1/?v=1", "/socket.io/").unwrap();
        with_query.add_query("a b", "c&d=é");
        assert_eq!(
            with_query.path_and_query("polling", Some("S")),
            "/socket.io/?EIO=4&transport=polling&sid=S&v=1&a%20b=c%26d%3D%C3%A9"
        );
        let v6 = Endpoint::parse("http://[::1]:80", "/socket.io/").unwrap();
        assert_eq!(v6.authority(), "[::1]:80");
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
                    .starts_with("wss://example.com:443/")
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
