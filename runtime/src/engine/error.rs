//! HTTP errors of the Engine.IO server, with the codes and messages of the Node.js server.

use bytes::Bytes;
use http::{Response, StatusCode, header};
use http_body_util::Full;

/// Why an HTTP request to the Engine.IO endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Code 0: the `transport` query parameter is missing, unknown or disabled.
    #[error("Transport unknown")]
    UnknownTransport,
    /// Code 1: the `sid` names no live session.
    #[error("Session ID unknown")]
    UnknownSid,
    /// Code 2: a handshake that is not a `GET`.
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// Code 3: anything else wrong with the request (transport or protocol version
    /// other than the session's, an invalid WebSocket opening handshake, ...).
    #[error("Bad request")]
    BadRequest,
    /// Code 3 with status `426 Upgrade Required`: a WebSocket opening handshake whose
    /// `Sec-WebSocket-Version` is not 13 (RFC 6455, section 4.4); the response names
    /// the supported version.
    #[error("Unsupported WebSocket version")]
    UnsupportedWebSocketVersion,
    /// Code 4: refused by the `allow_request` hook, with its message.
    #[error("{0}")]
    Forbidden(String),
    /// Code 5: an `EIO` protocol version other than 4.
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
}

impl RequestError {
    /// The numeric code sent in the JSON body.
    pub fn code(&self) -> u8 {
        match self {
            RequestError::UnknownTransport => 0,
            RequestError::UnknownSid => 1,
            RequestError::BadHandshakeMethod => 2,
            RequestError::BadRequest | RequestError::UnsupportedWebSocketVersion => 3,
            RequestError::Forbidden(_) => 4,
            RequestError::UnsupportedProtocolVersion => 5,
        }
    }

    /// The HTTP status: 403 for `Forbidden`, 426 for `UnsupportedWebSocketVersion`,
    /// 400 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::Forbidden(_) => StatusCode::FORBIDDEN,
            RequestError::UnsupportedWebSocketVersion => StatusCode::UPGRADE_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The JSON body `{"code":N,"message":"..."}`, with the Node.js server's message
    /// for the code (or the `allow_request` hook's message).
    pub fn body(&self) -> String {
        let message = match self {
            RequestError::UnsupportedWebSocketVersion => RequestError::BadRequest.to_string(),
            other => other.to_string(),
        };
        serde_json::json!({ "code": self.code(), "message": message }).to_string()
    }

    /// The full HTTP response.
    pub(crate) fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(self.body())));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        if matches!(self, RequestError::UnsupportedWebSocketVersion) {
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                header::HeaderValue::from_static("13"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_the_node_server() {
        assert_eq!(
            RequestError::UnknownSid.body(),
            r#"{"code":1,"message":"Session ID unknown"}"#
        );
        let forbidden = RequestError::Forbidden("no".into());
        assert_eq!(forbidden.body(), r#"{"code":4,"message":"no"}"#);
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    }
}
