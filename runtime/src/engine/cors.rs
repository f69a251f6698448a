//! Cross-origin resource sharing for the polling transport.

use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};

/// Which origins may call the server from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllowOrigin {
    /// Every origin, without credentials (`Access-Control-Allow-Origin: *`).
    Any,
    /// Only these exact origins, such as `https://app.example.com`.
    List(Vec<String>),
    /// Whatever origin the request names, reflected back: every site may call the
    /// server, with credentials when they are allowed. Only for servers that
    /// authenticate by other means than cookies or do not care who calls them.
    MirrorRequest,
}

/// A CORS policy that cannot work safely, refused when it is built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorsError {
    /// Credentials with [`AllowOrigin::Any`]: browsers refuse `*` with credentials,
    /// and reflecting every origin instead would let any site act with the user's
    /// cookies.
    #[error(
        "CORS credentials cannot be combined with any origin (`*`): list the allowed \
         origins with `Cors::allow_origins`, or reflect every origin explicitly with \
         `Cors::mirror_request_origin`"
    )]
    AnyOriginWithCredentials,
}

/// A CORS policy, applied to every polling response and answering preflight requests.
///
/// Built by one of [`Cors::any`], [`Cors::allow_origins`] or
/// [`Cors::mirror_request_origin`], then the `with_*` methods. Credentials with any
/// origin are refused ([`CorsError::AnyOriginWithCredentials`]).
///
/// ```
/// use tether::engine::{Cors, CorsError};
///
/// let cors = Cors::allow_origins(["https://app.example.com"]).with_credentials(true)?;
/// assert_eq!(
///     Cors::any().with_credentials(true),
///     Err(CorsError::AnyOriginWithCredentials)
/// );
/// # Ok::<(), CorsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    origin: AllowOrigin,
    credentials: bool,
    allowed_headers: Option<Vec<String>>,
    max_age: Option<Duration>,
}

impl Cors {
    /// Allows any origin, without credentials (`Access-Control-Allow-Origin: *`).
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

    /// Reflects whatever origin a request names ([`AllowOrigin::MirrorRequest`]):
    /// with credentials, every site may call the server with the user's cookies.
    pub fn mirror_request_origin() -> Cors {
        Cors {
            origin: AllowOrigin::MirrorRequest,
            ..Cors::any()
        }
    }

    /// Allows or forbids credentials (cookies, `withCredentials`; default
    /// forbidden). Refused with [`AllowOrigin::Any`].
    pub fn with_credentials(mut self, credentials: bool) -> Result<Cors, CorsError> {
        if credentials && self.origin == AllowOrigin::Any {
            return Err(CorsError::AnyOriginWithCredentials);
        }
        self.credentials = credentials;
        Ok(self)
    }

    /// The allowed origins.
    pub fn origin(&self) -> &AllowOrigin {
        &self.origin
    }

    /// Whether credentials are allowed (`Access-Control-Allow-Credentials: true`).
    pub fn credentials(&self) -> bool {
        self.credentials
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
            AllowOrigin::Any => Some(HeaderValue::from_static("*")),
            AllowOrigin::List(list) => {
                let origin = origin?;
                let text = origin.to_str().ok()?;
                list.iter()
                    .any(|allowed| allowed == text)
                    .then(|| origin.clone())
            }
            AllowOrigin::MirrorRequest => origin.cloned(),
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
        if self.origin != AllowOrigin::Any {
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

    /// The headers `cors` adds to the response to a request from `origin`.
    fn response_to(cors: &Cors, origin: &str) -> HeaderMap {
        let mut out = HeaderMap::new();
        cors.apply(request(origin).get(header::ORIGIN), &mut out);
        out
    }

    /// Checks that `cors` allows `origin` by name, with credentials; returns the
    /// response headers.
    fn echoed_with_credentials(cors: &Cors, origin: &str) -> HeaderMap {
        let out = response_to(cors, origin);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], origin);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        out
    }

    #[test]
    fn any_origin_is_a_star() {
        let out = response_to(&Cors::any(), "https://a.example");
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }

    #[test]
    fn list_echoes_only_allowed_origins() {
        let cors = Cors::allow_origins(["https://a.example"])
            .with_credentials(true)
            .unwrap();
        echoed_with_credentials(&cors, "https://a.example");
        let out = response_to(&cors, "https://evil.example");
        assert!(!out.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    }

    #[test]
    fn any_origin_refuses_credentials_and_mirroring_says_so() {
        assert_eq!(
            Cors::any().with_credentials(true),
            Err(CorsError::AnyOriginWithCredentials)
        );
        assert_eq!(Cors::any().with_credentials(false), Ok(Cors::any()));
        let cors = Cors::mirror_request_origin()
            .with_credentials(true)
            .unwrap();
        let out = echoed_with_credentials(&cors, "https://b.example");
        assert_eq!(out[header::VARY], "Origin");
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
