//! A raw Socket.IO client over HTTP long-polling, for tests that must control when
//! the client polls (volatile emits, clients that fall behind).

use std::net::SocketAddr;

use crate::http::HttpRequest;
use crate::payload::{self, OpenPacket};

/// An Engine.IO polling session; its packets are read and written as raw text.
#[derive(Debug, Clone)]
pub struct SioPolling {
    addr: SocketAddr,
    path: String,
    /// The Engine.IO handshake.
    pub open: OpenPacket,
}

impl SioPolling {
    /// Opens a polling session on `path` (such as `/socket.io/`).
    ///
    /// # Panics
    ///
    /// If the handshake fails.
    pub async fn open(addr: SocketAddr, path: &str) -> SioPolling {
        let reply = HttpRequest::get(format!("{path}?EIO=4&transport=polling"))
            .send(addr)
            .await;
        assert_eq!(reply.status, 200, "polling handshake: {:?}", reply.body);
        SioPolling {
            addr,
            path: path.to_owned(),
            open: OpenPacket::parse(reply.text()),
        }
    }

    fn url(&self) -> String {
        format!(
            "{}?EIO=4&transport=polling&sid={}",
            self.path, self.open.sid
        )
    }

    /// Posts Engine.IO packets (`"40"`, `"42[\"x\"]"`, `"bAQID"`) in one payload.
    ///
    /// # Panics
    ///
    /// If the server does not answer `200 ok`.
    pub async fn post(&self, packets: &[&str]) {
        let reply = HttpRequest::post(self.url(), payload::join(packets))
            .send(self.addr)
            .await;
        assert_eq!((reply.status.as_u16(), reply.text()), (200, "ok"));
    }

    /// Polls once; returns the Engine.IO packets of the payload.
    ///
    /// # Panics
    ///
    /// If the server does not answer `200`.
    pub async fn get(&self) -> Vec<String> {
        let reply = HttpRequest::get(self.url()).send(self.addr).await;
        assert_eq!(reply.status, 200, "poll: {:?}", reply.body);
        payload::split(reply.text())
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Starts a poll in a task, so the test can act while it is pending.
    pub fn spawn_get(&self) -> tokio::task::JoinHandle<Vec<String>> {
        let client = self.clone();
        tokio::spawn(async move { client.get().await })
    }

    /// Polls until the payload holds something other than pings (which are
    /// answered); returns the other packets.
    pub async fn get_packets(&self) -> Vec<String> {
        loop {
            let packets: Vec<String> = self.get().await;
            let pings = packets.iter().filter(|packet| *packet == "2").count();
            for _ in 0..pings {
                self.post(&["3"]).await;
            }
            let others: Vec<String> = packets.into_iter().filter(|packet| packet != "2").collect();
            if !others.is_empty() {
                return others;
            }
        }
    }
}
