//! Checks the Engine.IO tests share: servers with a session open, refused
//! requests, WebSocket sessions that end, upgrade probes and the replies of polls
//! left waiting.

use tether::engine::{CloseReason, Connection};
use tokio::task::JoinHandle;

use crate::http::Reply;
use crate::payload::OpenPacket;
use crate::server::{PollingSession, TestServer};
use crate::ws::{WsClient, WsEvent};

/// An Engine.IO error reply's code and message.
pub type EioError = (u8, &'static str);

/// Error 0: the query names no transport the server serves.
pub const TRANSPORT_UNKNOWN: EioError = (0, "Transport unknown");
/// Error 1: no session has the query's sid.
pub const SESSION_ID_UNKNOWN: EioError = (1, "Session ID unknown");
/// Error 2: a handshake that is not a `GET`.
pub const BAD_HANDSHAKE_METHOD: EioError = (2, "Bad handshake method");
/// Error 3: a request the protocol does not allow.
pub const BAD_REQUEST: EioError = (3, "Bad request");
/// Error 5: the query names no protocol version the server speaks.
pub const UNSUPPORTED_PROTOCOL_VERSION: EioError = (5, "Unsupported protocol version");

/// How a test sends a request to an Engine.IO server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A `GET`.
    Get,
    /// A `POST` of this body.
    Post(&'static str),
    /// A WebSocket opening handshake.
    WebSocket,
}

/// How a WebSocket session ended, seen from both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsEnding {
    /// The close code of the server's close frame, `None` when the connection went
    /// away without one.
    pub code: Option<u16>,
    /// The data frames the client received before the end.
    pub before: Vec<WsEvent>,
    /// Why the handler was told the session ended.
    pub reason: CloseReason,
}

impl TestServer {
    /// A [`TestServer::quiet`] server with one polling session open.
    pub async fn quiet_with_polling() -> (TestServer, PollingSession) {
        let server = TestServer::quiet().await;
        let session = server.open_polling().await;
        (server, session)
    }

    /// A [`TestServer::quiet`] server with one polling session open, and the
    /// server's connection of that session.
    pub async fn quiet_with_polling_connection() -> (TestServer, PollingSession, Connection<()>) {
        let (server, session) = TestServer::quiet_with_polling().await;
        let conn = server.connection(session.sid());
        (server, session, conn)
    }

    /// A [`TestServer::quiet`] server with one WebSocket session open: the server,
    /// the client and the session's open packet.
    pub async fn quiet_with_websocket() -> (TestServer, WsClient, OpenPacket) {
        let server = TestServer::quiet().await;
        let (ws, open) = server.open_websocket().await;
        (server, ws, open)
    }

    /// A [`TestServer::quiet`] server with one WebSocket session open, and the
    /// server's connection of that session.
    pub async fn quiet_with_websocket_connection()
    -> (TestServer, WsClient, OpenPacket, Connection<()>) {
        let (server, ws, open) = TestServer::quiet_with_websocket().await;
        let conn = server.connection(&open.sid);
        (server, ws, open, conn)
    }

    /// Opens a WebSocket to `<path>?<query>` and expects the server to refuse it;
    /// returns the server's reply.
    ///
    /// # Panics
    ///
    /// If the server accepts the WebSocket.
    pub async fn refuse_websocket(&self, query: &str) -> Reply {
        match WsClient::connect_with(self.addr(), &self.path(query), &[]).await {
            Ok(_) => panic!("the WebSocket {query:?} must be refused"),
            Err(reply) => reply,
        }
    }

    /// Sends `query` `via` a `GET`, a `POST` or a WebSocket handshake, and
    /// expects the server to refuse it with status `400` and `error`.
    ///
    /// # Panics
    ///
    /// If it is not refused that way; the message names the request.
    pub async fn expect_refused(&self, via: Via, query: &str, error: EioError) {
        let reply = match via {
            Via::Get => self.get(query).await,
            Via::Post(body) => self.post(query, body).await,
            Via::WebSocket => self.refuse_websocket(query).await,
        };
        let (code, message) = error;
        let expected = serde_json::json!({ "code": code, "message": message }).to_string();
        assert_eq!(
            (reply.status.as_u16(), String::from_utf8_lossy(&reply.body)),
            (400, expected.as_str().into()),
            "{via:?} {query}"
        );
        reply.assert_error(400, code, message);
    }

    /// Reads until `ws`, the client of session `sid`, ends, then waits until the
    /// handler is told the session ended; returns how it ended on both sides.
    ///
    /// # Panics
    ///
    /// If the connection or the session does not end within [`crate::PATIENCE`].
    pub async fn websocket_ending(&self, ws: &mut WsClient, sid: &str) -> WsEnding {
        let (code, before) = ws.expect_closed().await;
        let reason = self.closed(sid).await;
        WsEnding {
            code,
            before,
            reason,
        }
    }

    /// Opens a WebSocket upgrading session `sid` and exchanges the probe (`2probe`,
    /// answered `3probe`); the upgrade then waits for the client's `5`.
    ///
    /// # Panics
    ///
    /// If the probe is not answered.
    pub async fn probe_upgrade(&self, sid: &str) -> WsClient {
        let mut ws = self.upgrade_socket(sid).await;
        ws.send_text("2probe").await;
        assert_eq!(ws.expect_text().await, "3probe", "the probe's answer");
        ws
    }
}

/// The reply to a `GET` started with [`crate::PollingSession::spawn_get`] or
/// [`crate::PollingSession::spawn_pending_get`].
///
/// # Panics
///
/// If it is not answered within [`crate::PATIENCE`], or its task failed.
pub async fn reply_of(get: JoinHandle<Reply>) -> Reply {
    crate::within(get).await.expect("the GET's task")
}
