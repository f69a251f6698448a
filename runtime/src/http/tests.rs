//! The header-read timeout and the stop signal of a served connection, through
//! real TCP sockets on a paused clock.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{BoxError, Endpoint, bind};

/// How long [`Slow`] takes over a request to `/slow/wait`.
const SLOW: Duration = Duration::from_secs(100);

/// Answers `/slow/wait` after [`SLOW`] and any other request at once, with `done`;
/// tells `waiting` when a slow request starts.
#[derive(Clone, Default)]
struct Slow {
    waiting: Arc<Notify>,
}

impl Endpoint for Slow {
    fn path(&self) -> &str {
        "/slow/"
    }

    fn call<B>(&self, request: Request<B>) -> impl Future<Output = Response<Full<Bytes>>> + Send
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let wait = request.uri().path() == "/slow/wait";
        let waiting = Arc::clone(&self.waiting);
        async move {
            if wait {
                waiting.notify_one();
                tokio::time::sleep(SLOW).await;
            }
            Response::new(Full::new(Bytes::from_static(b"done")))
        }
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n")
}

/// Reads until a whole `done` answer came; panics if the connection ends first.
async fn read_answer(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 512];
    while !seen.ends_with(b"\r\n\r\ndone") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before answering: {seen:?}");
        seen.extend_from_slice(&buffer[..read]);
    }
}

/// Waits for the server to close the connection, and says when it did.
async fn closed(stream: &mut TcpStream) -> Instant {
    let mut buffer = [0u8; 64];
    match stream.read(&mut buffer).await {
        Ok(0) | Err(_) => Instant::now(),
        Ok(read) => panic!("unexpected bytes: {:?}", &buffer[..read]),
    }
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_finishes_its_request_head_is_cut_off() {
    let server = bind(Slow::default(), "127.0.0.1:0").await.unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let start = Instant::now();
    stream.write_all(b"GET /slow/now HT").await.unwrap();

    let waited = closed(&mut stream).await - start;
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(31)).contains(&waited),
        "cut off after {waited:?}"
    );
    server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_is_not_cut_off_and_each_head_has_its_own_deadline() {
    let server = bind(Slow::default(), "127.0.0.1:0").await.unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();

    stream
        .write_all(get("/slow/wait").as_bytes())
        .await
        .unwrap();
    read_answer(&mut stream).await;
    // Idle for most of the timeout: the next request is still served.
    tokio::time::sleep(Duration::from_secs(25)).await;
    stream.write_all(get("/slow/now").as_bytes()).await.unwrap();
    read_answer(&mut stream).await;
    let answered = Instant::now();
    stream
        .write_all(b"GET /slow/now HTTP/1.1\r\nhost:")
        .await
        .unwrap();

    let waited = closed(&mut stream).await - answered;
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(31)).contains(&waited),
        "cut off {waited:?} after the last answer"
    );
    server.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn stopping_lets_the_request_under_way_finish_then_closes() {
    let slow = Slow::default();
    let server = bind(slow.clone(), "127.0.0.1:0").await.unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(get("/slow/wait").as_bytes())
        .await
        .unwrap();
    slow.waiting.notified().await;

    let stopping = tokio::spawn(server.shutdown(SLOW * 2));
    read_answer(&mut stream).await;
    closed(&mut stream).await;
    stopping.await.unwrap();
}
