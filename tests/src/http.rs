//! A minimal HTTP/1.1 client: one TCP connection per request, so requests made at
//! the same time really are concurrent, as a browser's polling requests are.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::PATIENCE;

/// An HTTP request to send to a test server.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    method: Method,
    path_and_query: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Bytes>,
    chunked: bool,
}

impl HttpRequest {
    /// A request with `method` for `path_and_query` (such as `/engine.io/?EIO=4`).
    pub fn new(method: Method, path_and_query: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method,
            path_and_query: path_and_query.into(),
            headers: Vec::new(),
            body: None,
            chunked: false,
        }
    }

    /// A `GET` request.
    pub fn get(path_and_query: impl Into<String>) -> HttpRequest {
        HttpRequest::new(Method::GET, path_and_query)
    }

    /// A `POST` request with `body`.
    pub fn post(path_and_query: impl Into<String>, body: impl Into<Bytes>) -> HttpRequest {
        HttpRequest::new(Method::POST, path_and_query).body(body)
    }

    /// Adds a header.
    ///
    /// # Panics
    ///
    /// If the name or value is not a valid header.
    pub fn header(mut self, name: &str, value: &str) -> HttpRequest {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("header name");
        let value = HeaderValue::from_str(value).expect("header value");
        self.headers.push((name, value));
        self
    }

    /// Sets the body (sent with a `Content-Length`).
    pub fn body(mut self, body: impl Into<Bytes>) -> HttpRequest {
        self.body = Some(body.into());
        self
    }

    /// Sends the body with chunked transfer encoding, without a `Content-Length`.
    pub fn chunked(mut self) -> HttpRequest {
        self.chunked = true;
        self
    }

    /// Sends the request to `addr` on a new connection and reads the whole reply.
    ///
    /// # Panics
    ///
    /// If the server cannot be reached, closes the connection without answering, or
    /// takes longer than [`PATIENCE`].
    pub async fn send(self, addr: SocketAddr) -> Reply {
        let description = format!("{} {}", self.method, self.path_and_query);
        match tokio::time::timeout(PATIENCE, self.try_send(addr)).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(error)) => panic!("{description}: {error}"),
            Err(_) => panic!("{description}: no reply within {PATIENCE:?}"),
        }
    }

    /// Sends the request like [`HttpRequest::send`], returning transport errors
    /// (such as a connection the server reset) instead of panicking.
    pub async fn try_send(self, addr: SocketAddr) -> Result<Reply, hyper::Error> {
        let stream = TcpStream::connect(addr)
            .await
            .expect("connect to test server");
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let driver = tokio::spawn(connection);
        let mut request = Request::builder()
            .method(self.method)
            .uri(self.path_and_query)
            .header(http::header::HOST, addr.to_string())
            .body(body_of(self.body, self.chunked))
            .expect("valid request");
        request.headers_mut().extend(self.headers);
        let response = sender.send_request(request).await;
        let result = match response {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                body.collect().await.map(|collected| Reply {
                    status: parts.status,
                    headers: parts.headers,
                    body: collected.to_bytes(),
                })
            }
            Err(error) => Err(error),
        };
        driver.abort();
        result
    }
}

fn body_of(body: Option<Bytes>, chunked: bool) -> BoxBody<Bytes, Infallible> {
    match (body, chunked) {
        (None, _) => Empty::new().boxed(),
        (Some(body), false) => Full::new(body).boxed(),
        (Some(body), true) => {
            let chunks: Vec<Result<Frame<Bytes>, Infallible>> = body
                .chunks(16 * 1024)
                .map(|chunk| Ok(Frame::data(Bytes::copy_from_slice(chunk))))
                .collect();
            StreamBody::new(futures_util::stream::iter(chunks)).boxed()
        }
    }
}

/// A complete HTTP reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Reply {
    /// The body as UTF-8 text.
    ///
    /// # Panics
    ///
    /// If the body is not UTF-8.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }

    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("ASCII header value"))
    }

    /// Every value of a header, as text.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().expect("ASCII header value"))
            .collect()
    }

    /// Asserts an Engine.IO error reply: `status`, `application/json`, and exactly
    /// the body `{"code":code,"message":message}`.
    ///
    /// # Panics
    ///
    /// If the reply is anything else.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: u8, message: &str) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status of an error reply (body {:?})",
            self.body
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        let expected = serde_json::json!({ "code": code, "message": message }).to_string();
        assert_eq!(self.text(), expected, "error body");
    }
}
