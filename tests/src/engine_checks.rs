//! Checks the Engine.IO tests share: refused WebSocket handshakes, WebSocket
//! sessions that end, upgrade probes and the replies of polls left waiting.

use tether::engine::CloseReason;
use tokio::task::JoinHandle;

use crate::http::Reply;
use crate::server::TestServer;
use crate::ws::{WsClient, WsEvent};

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

    /// Expects the server to refuse each query in `polling` (as a `GET`) and in
    /// `websocket` (as a WebSocket) with the Engine.IO error `code` and `message`,
    /// status `400`.
    ///
    /// # Panics
    ///
    /// If one is not refused that way; the message names the query.
    pub async fn expect_requests_refused(
        &self,
        polling: &[&str],
        websocket: &[&str],
        code: u8,
        message: &str,
    ) {
        for query in polling {
            let reply = self.get(query).await;
            expect_refusal(&format!("GET {query}"), &reply, code, message);
        }
        for query in websocket {
            let reply = self.refuse_websocket(query).await;
            expect_refusal(&format!("WebSocket {query}"), &reply, code, message);
        }
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

/// Checks `reply` to the request `what` is the Engine.IO error `code` with
/// `message`, status `400`.
fn expect_refusal(what: &str, reply: &Reply, code: u8, message: &str) {
    let expected = serde_json::json!({ "code": code, "message": message }).to_string();
    assert_eq!(
        (reply.status.as_u16(), String::from_utf8_lossy(&reply.body)),
        (400, expected.as_str().into()),
        "{what}"
    );
    reply.assert_error(400, code, message);
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
