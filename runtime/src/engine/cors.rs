//! Cross-origin resource sharing for the polling transport.

use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};

/// Which origins may call the server from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowOrigin {
    /// Every origin (`Access-Control-Allow-Origin: *`, or the caller's own origin when
    /// credentials are allowed, since browsers refuse `*` with credentials).
    Any,
    /// Only these exact origins, such as `https://app.example.com`.
    List(Vec<String>),
}

/// A CORS policy, applied to every polling response and answering preflight requests.
///
/// ```
/// use tether::engine::Cors;
///
/// let cors = Cors::allow_origins(["https://app.example.com"]).with_credentials(true);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Allowed origins.
    pub origin: AllowOrigin,
    /// Sends `Access-Control-Allow-Credentials: true` (default false).
    pub credentials: bool,
    /// Allowed request headers; `None` reflects what the preflight asks for.
    pub allowed_headers: Option<Vec<String>>,
    /// How long browsers may cache a preflight answer.
    pub max_age: Option<Duration>,
}

impl Cors {
    /// Allows any origin.
    pub fn any() -> Cors {
        Cors {
            origin: AllowOrigin::Any,
            credentials: false,
            allowed_headers: None,
            max_age: None,
        }
    }

    /// Allows exactly the given origins.
    pub fn allow_origins<I, S>(origins: I) -> Cors
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Cors {
            origin: AllowOrigin::List(origins.into_iter().map(Into::into).collect()),
            ..Cors::any()
        }
    }

    /// Allows or forbids credentials (cookies, `withCredentials`).
    pub fn with_credentials(mut self, credentials: bool) -> Cors {
        self.credentials = credentials;
        self
    }

    /// Sets the allowed request headers.
    pub fn with_allowed_headers<I, S>(mut self, headers: I) -> Cors
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_headers = Some(headers.into_iter().map(Into::into).collect());
        self
    }

    /// Sets how long a preflight answer may be cached.
    pub fn with_max_age(mut self, max_age: Duration) -> Cors {
        self.max_age = Some(max_age);
        self
    }

    fn allowed_origin(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        match &self.origin {
            AllowOrigin::Any if self.credentials => {
                Some(origin.cloned().unwrap_or(HeaderValue::from_static("*")))
            }
            AllowOrigin::Any => Some(HeaderValue::from_static("*")),
            AllowOrigin::List(list) => {
                let origin = origin?;
                let text = origin.to_str().ok()?;
                list.iter()
                    .any(|allowed| allowed == text)
                    .then(|| origin.clone())
            }
        }
    }

    /// Adds the headers every response to a cross-origin request carries.
    pub(crate) fn apply(&self, origin: Option<&HeaderValue>, response: &mut HeaderMap) {
        if let Some(origin) = self.allowed_origin(origin) {
            response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            if self.credentials {
                response.insert(
                    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                    HeaderValue::from_static("true"),
                );
            }
        }
        if !matches!(self.origin, AllowOrigin::Any) || self.credentials {
            response.append(header::VARY, HeaderValue::from_static("Origin"));
        }
    }

    /// Adds the headers of a preflight (`OPTIONS`) answer.
    pub(crate) fn apply_preflight(&self, request: &HeaderMap, response: &mut HeaderMap) {
        self.apply(request.get(header::ORIGIN), response);
        response.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET,HEAD,PUT,PATCH,POST,DELETE"),
        );
        let headers = match &self.allowed_headers {
            Some(list) => HeaderValue::from_str(&list.join(",")).ok(),
            None => request.get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned(),
        };
        if let Some(headers) = headers {
            response.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, headers);
            if self.allowed_headers.is_none() {
                response.append(
                    header::VARY,
                    HeaderValue::from_static("Access-Control-Request-Headers"),
                );
            }
        }
        if let Some(max_age) = self.max_age {
            response.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from(max_age.as_secs()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(origin: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        headers
    }

    #[test]
    fn any_origin_is_a_star() {
        let mut out = HeaderMap::new();
        Cors::any().apply(request("https://a.example").get(header::ORIGIN), &mut out);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }

    #[test]
    fn list_echoes_only_allowed_origins() {
        let cors = Cors::allow_origins(["https://a.example"]).with_credentials(true);
        let mut out = HeaderMap::new();
        cors.apply(request("https://a.example").get(header::ORIGIN), &mut out);
        assert_eq!(
            out[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://a.example"
        );
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        let mut out = HeaderMap::new();
        cors.apply(
            request("https://evil.example").get(header::ORIGIN),
            &mut out,
        );
        assert!(!out.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    }

    #[test]
    fn preflight_reflects_requested_headers() {
        let mut req = request("https://a.example");
        req.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("x-token"),
        );
        let mut out = HeaderMap::new();
        Cors::any().apply_preflight(&req, &mut out);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_HEADERS], "x-token");
        assert!(out.contains_key(header::ACCESS_CONTROL_ALLOW_METHODS));
    }
}
