//! In-process Engine.IO servers on ephemeral ports, with a handler that echoes and
//! records what happens.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use tether::engine::{CloseReason, Connection, Engine, EngineConfig, EngineHandler, Message, Sid};
use tether::http::Serving;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::http::{HttpRequest, Reply};
use crate::payload::OpenPacket;
use crate::ws::WsClient;
use crate::{PATIENCE, QUIET};

/// What the server's handler saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session opened.
    Open(Sid),
    /// A message arrived.
    Message(Sid, Message),
    /// A session ended, at this instant.
    Close(Sid, CloseReason, Instant),
}

/// A handler that echoes every message back to its sender and records every event.
#[derive(Debug)]
pub struct Recorder {
    echo: bool,
    events: Mutex<Vec<Event>>,
    changed: Notify,
}

impl Recorder {
    /// A recorder; `echo` sends every message back to its sender.
    pub fn new(echo: bool) -> Recorder {
        Recorder {
            echo,
            events: Mutex::new(Vec::new()),
            changed: Notify::new(),
        }
    }

    fn record(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(event);
        self.changed.notify_waiters();
    }

    /// Everything recorded so far.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The messages received from `sid`, in order.
    pub fn messages(&self, sid: &str) -> Vec<Message> {
        self.events()
            .into_iter()
            .filter_map(|event| match event {
                Event::Message(from, message) if from.as_str() == sid => Some(message),
                _ => None,
            })
            .collect()
    }

    /// Waits until `found` returns `Some` for the recorded events, at most `within`.
    pub async fn wait_for<T>(
        &self,
        within: Duration,
        mut found: impl FnMut(&[Event]) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + within;
        loop {
            let changed = self.changed.notified();
            if let Some(value) = found(&self.events()) {
                return Some(value);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return found(&self.events());
            }
        }
    }

    /// How `sid` ended and when, if it has.
    pub fn close_of(&self, sid: &str) -> Option<(CloseReason, Instant)> {
        self.events().into_iter().find_map(|event| match event {
            Event::Close(id, reason, at) if id.as_str() == sid => Some((reason, at)),
            _ => None,
        })
    }
}

impl EngineHandler for Recorder {
    type Data = ();

    fn on_open(&self, conn: &Connection<()>) {
        self.record(Event::Open(conn.id()));
    }

    fn on_message(&self, conn: &Connection<()>, message: Message) {
        if self.echo {
            let _ = match &message {
                Message::Text(text) => conn.send_text(text),
                Message::Binary(bytes) => conn.send_binary(bytes.clone()),
            };
        }
        self.record(Event::Message(conn.id(), message));
    }

    fn on_close(&self, conn: &Connection<()>, reason: CloseReason) {
        self.record(Event::Close(conn.id(), reason, Instant::now()));
    }
}

/// The options most tests use: path `/engine.io/` and a heartbeat slow enough
/// (25 s / 20 s, the defaults) that no ping shows up unless a test asks for one.
pub fn quiet_config() -> EngineConfig {
    EngineConfig::default().with_path("/engine.io/")
}

/// An Engine.IO server running in the test's runtime.
pub struct TestServer {
    /// The engine being served.
    pub engine: Engine<Recorder>,
    serving: Serving,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("serving", &self.serving)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Serves an echoing [`Recorder`] with `config` on `127.0.0.1:0`.
    pub async fn start(config: EngineConfig) -> TestServer {
        TestServer::start_with(config, Recorder::new(true)).await
    }

    /// Serves `recorder` with `config` on `127.0.0.1:0`.
    ///
    /// # Panics
    ///
    /// If no port can be bound.
    pub async fn start_with(config: EngineConfig, recorder: Recorder) -> TestServer {
        let engine = Engine::new(config, recorder);
        let serving = tether::bind(engine.clone(), "127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        TestServer { engine, serving }
    }

    /// Serves an echo server with the [`quiet_config`].
    pub async fn quiet() -> TestServer {
        TestServer::start(quiet_config()).await
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.serving.local_addr()
    }

    /// The handler, with everything it recorded.
    pub fn recorder(&self) -> &Recorder {
        self.engine.handler()
    }

    /// `<path>?<query>` on this server's Engine.IO path.
    pub fn path(&self, query: &str) -> String {
        format!("{}?{query}", self.engine.config().path())
    }

    /// `GET <path>?<query>`.
    pub async fn get(&self, query: &str) -> Reply {
        HttpRequest::get(self.path(query)).send(self.addr()).await
    }

    /// `POST <path>?<query>` with `body`.
    pub async fn post(&self, query: &str, body: impl Into<bytes::Bytes>) -> Reply {
        HttpRequest::post(self.path(query), body)
            .send(self.addr())
            .await
    }

    /// Sends any request to this server.
    pub async fn send(&self, request: HttpRequest) -> Reply {
        request.send(self.addr()).await
    }

    /// Opens a polling session and checks the handshake succeeded.
    ///
    /// # Panics
    ///
    /// If the handshake fails.
    pub async fn open_polling(&self) -> PollingSession {
        let reply = self.get("EIO=4&transport=polling").await;
        assert_eq!(reply.status, 200, "polling handshake: {:?}", reply.body);
        let open = OpenPacket::parse(reply.text());
        PollingSession {
            addr: self.addr(),
            path: self.engine.config().path().to_owned(),
            open,
            handshake: reply,
        }
    }

    /// Opens a WebSocket session and reads its open packet.
    pub async fn open_websocket(&self) -> (WsClient, OpenPacket) {
        let mut ws = WsClient::connect(self.addr(), &self.path("EIO=4&transport=websocket")).await;
        let open = OpenPacket::parse(&ws.expect_text().await);
        (ws, open)
    }

    /// Opens a WebSocket with `sid`, as a client upgrading a polling session does.
    pub async fn upgrade_socket(&self, sid: &str) -> WsClient {
        WsClient::connect(
            self.addr(),
            &self.path(&format!("EIO=4&transport=websocket&sid={sid}")),
        )
        .await
    }

    /// The live connection `sid`.
    ///
    /// # Panics
    ///
    /// If there is none.
    pub fn connection(&self, sid: &str) -> Connection<()> {
        let id = Sid::parse(sid).unwrap_or_else(|| panic!("not a sid: {sid}"));
        self.engine
            .connection(id)
            .unwrap_or_else(|| panic!("no live connection {sid}"))
    }

    /// Whether the server still knows session `sid`.
    pub fn is_live(&self, sid: &str) -> bool {
        Sid::parse(sid).is_some_and(|id| self.engine.connection(id).is_some())
    }

    /// Waits until the handler is told `sid` ended; returns the reason and when.
    ///
    /// # Panics
    ///
    /// If it does not end within `within`.
    pub async fn closed_within(&self, sid: &str, within: Duration) -> (CloseReason, Instant) {
        self.recorder()
            .wait_for(within, |_| self.recorder().close_of(sid))
            .await
            .unwrap_or_else(|| panic!("session {sid} still open after {within:?}"))
    }

    /// Waits until the handler is told `sid` ended, within [`PATIENCE`].
    pub async fn closed(&self, sid: &str) -> CloseReason {
        self.closed_within(sid, PATIENCE).await.0
    }

    /// Waits until the handler is told `sid` ended, within [`PATIENCE`], and
    /// checks the reason.
    pub async fn expect_closed(&self, sid: &str, reason: CloseReason) {
        assert_eq!(self.closed(sid).await, reason, "the close of {sid}");
    }

    /// Waits until the handler is told polling `session` ended for `reason`, then
    /// checks a `GET` finds it gone.
    pub async fn expect_ended(&self, session: &PollingSession, reason: CloseReason) {
        self.expect_closed(session.sid(), reason).await;
        session.expect_unknown().await;
    }

    /// Waits until the server holds no session, within [`PATIENCE`].
    pub async fn expect_empty(&self) {
        self.expect_connection_count(0, PATIENCE).await;
    }

    /// Asserts the handler has not been told `sid` ended, after watching for [`QUIET`].
    pub async fn assert_open(&self, sid: &str) {
        let closed = self
            .recorder()
            .wait_for(QUIET, |_| self.recorder().close_of(sid))
            .await;
        assert_eq!(closed, None, "session {sid} ended");
        assert!(self.is_live(sid), "session {sid} is not live");
    }

    /// Waits until the server holds exactly `count` sessions.
    ///
    /// # Panics
    ///
    /// If it does not within `within`.
    pub async fn expect_connection_count(&self, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.engine.connection_count() != count {
            assert!(
                Instant::now() < deadline,
                "{} sessions after {within:?}, expected {count}",
                self.engine.connection_count()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Closes every session and stops listening. Sessions that linger for their
    /// client's last poll are not waited for; the test's runtime drops them.
    pub async fn stop(self) {
        self.engine.close_all(Duration::ZERO).await;
        self.serving.shutdown(Duration::from_secs(2)).await;
    }
}

/// A polling session opened by a test.
#[derive(Debug, Clone)]
pub struct PollingSession {
    addr: SocketAddr,
    path: String,
    /// The decoded handshake.
    pub open: OpenPacket,
    /// The raw handshake reply.
    pub handshake: Reply,
}

impl PollingSession {
    /// The session id.
    pub fn sid(&self) -> &str {
        &self.open.sid
    }

    /// `<path>?EIO=4&transport=polling&sid=<sid>`.
    pub fn path(&self) -> String {
        format!(
            "{}?EIO=4&transport=polling&sid={}",
            self.path, self.open.sid
        )
    }

    /// A `GET` for this session.
    pub fn get_request(&self) -> HttpRequest {
        HttpRequest::get(self.path())
    }

    /// A `POST` of `body` for this session.
    pub fn post_request(&self, body: impl Into<bytes::Bytes>) -> HttpRequest {
        HttpRequest::post(self.path(), body)
    }

    /// Polls once.
    pub async fn get(&self) -> Reply {
        self.get_request().send(self.addr).await
    }

    /// Posts `body`.
    pub async fn post(&self, body: impl Into<bytes::Bytes>) -> Reply {
        self.post_request(body).send(self.addr).await
    }

    /// Starts a `GET` in a task, so the test can act while it is pending.
    pub fn spawn_get(&self) -> tokio::task::JoinHandle<Reply> {
        let request = self.get_request();
        let addr = self.addr;
        tokio::spawn(async move { request.send(addr).await })
    }

    /// Starts a `GET` in a task and gives it [`QUIET`] to reach the server (which
    /// shows no sign of a waiting poll), checking it is still unanswered then.
    ///
    /// # Panics
    ///
    /// If the server answered the `GET` within [`QUIET`].
    pub async fn spawn_pending_get(&self) -> tokio::task::JoinHandle<Reply> {
        let get = self.spawn_get();
        tokio::time::sleep(QUIET).await;
        assert!(
            !get.is_finished(),
            "a GET with nothing to send was answered"
        );
        get
    }

    /// Asserts the session is gone: a `GET` gets `400`, code 1, `Session ID unknown`.
    pub async fn expect_unknown(&self) {
        self.get().await.assert_error(400, 1, "Session ID unknown");
    }
}
