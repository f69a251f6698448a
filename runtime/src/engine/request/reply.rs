//! The headers of the engine's own answers: polling replies and the WebSocket
//! `101`.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;

/// An answer with `status`, `body` and, when given, `content_type`.
pub(super) fn reply(
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    response
}

/// The `101` that accepts a WebSocket whose key answers to `accept`.
pub(super) fn switching_protocols(accept: &str) -> Response<Full<Bytes>> {
    let mut response = reply(StatusCode::SWITCHING_PROTOCOLS, None, Bytes::new());
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// `Cache-Control` of every polling reply, checked once at compile time.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// A polling reply, its headers in `headers` (an empty map, kept for its room).
pub(super) fn reply_polling(
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
    mut headers: HeaderMap,
) -> Response<Full<Bytes>> {
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polling_reply_fills_the_map_it_was_given() {
        let mut recycled = HeaderMap::with_capacity(16);
        recycled.insert(header::HOST, HeaderValue::from_static("example.com"));
        recycled.clear();
        let room = recycled.capacity();
        let content_type = HeaderValue::from_static("text/html");
        let response = reply_polling(
            StatusCode::OK,
            Some(content_type),
            Bytes::from_static(b"ok"),
            recycled,
        );
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers.capacity(), room, "the map is the one given");
        let names: Vec<_> = headers.keys().map(|name| name.as_str()).collect();
        assert_eq!(names, ["content-type", "cache-control"]);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn a_polling_request_gives_its_header_map_emptied() {
        use super::super::PollingCall;
        let request = http::Request::post("/engine.io/?EIO=4&transport=polling&sid=x")
            .header(header::HOST, "example.com")
            .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .header(header::CONTENT_LENGTH, "2")
            .body(())
            .unwrap();
        let room = request.headers().capacity();
        let (call, headers) = PollingCall::of(request).ok().unwrap();
        assert!(matches!(call, PollingCall::Post(..)));
        assert!(headers.is_empty());
        assert_eq!(headers.capacity(), room);
        let put = http::Request::put("/engine.io/").body(()).unwrap();
        assert!(PollingCall::of(put).is_err());
    }

    #[test]
    fn a_reply_without_content_type_only_says_not_to_store() {
        let response = reply_polling(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            Bytes::new(),
            HeaderMap::new(),
        );
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers().len(), 1);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }
}
