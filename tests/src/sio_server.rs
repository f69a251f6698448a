//! In-process Socket.IO servers on ephemeral ports, and probes through which
//! handlers report to the test what they saw.

use std::fmt::Debug;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tether::adapter::Adapter;
use tether::http::Serving;
use tether::server::{Server, ServerConfig};
use tokio::sync::mpsc;

use crate::sio::SioClient;
use crate::{PATIENCE, QUIET};

/// The options most tests use: the defaults (heartbeat 25 s / 20 s, so no ping
/// shows up unless a test asks for one).
pub fn sio_config() -> ServerConfig {
    ServerConfig::default()
}

/// A Socket.IO server running in the test's runtime.
#[derive(Debug)]
pub struct SioServer {
    /// The server being served; register handlers on it before clients connect.
    pub io: Server,
    serving: Option<Serving>,
    addr: SocketAddr,
}

impl SioServer {
    /// Serves `io` on `127.0.0.1:0`.
    ///
    /// # Panics
    ///
    /// If no port can be bound.
    pub async fn start(io: Server) -> SioServer {
        SioServer::start_on(io, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serves `io` on `addr`, such as the address of a server stopped before (to
    /// test that clients come back).
    ///
    /// # Panics
    ///
    /// If `addr` cannot be bound.
    pub async fn start_on(io: Server, addr: SocketAddr) -> SioServer {
        let serving = tether::bind(io.clone(), addr)
            .await
            .expect("bind the address");
        let addr = serving.local_addr();
        SioServer {
            io,
            serving: Some(serving),
            addr,
        }
    }

    /// A server with [`sio_config`], its handlers set up by `setup`, served.
    pub async fn with(setup: impl FnOnce(&Server)) -> SioServer {
        let io = Server::new(sio_config());
        setup(&io);
        SioServer::start(io).await
    }

    /// A server with `config` and `adapter`, its handlers set up by `setup`,
    /// served.
    pub async fn with_adapter(
        config: ServerConfig,
        adapter: impl Adapter,
        setup: impl FnOnce(&Server),
    ) -> SioServer {
        let io = Server::with_adapter(config, adapter);
        setup(&io);
        SioServer::start(io).await
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL a client connects to: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The Socket.IO path.
    pub fn path(&self) -> String {
        self.io.config().engine().path().to_owned()
    }

    /// The names of the server's namespaces (dynamic children included), sorted.
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .io
            .namespaces()
            .iter()
            .map(|ns| ns.name().to_owned())
            .collect();
        names.sort();
        names
    }

    /// Waits until the main namespace holds exactly `count` sockets (a client's
    /// disconnect handled, a join done), within [`PATIENCE`].
    pub async fn wait_for_sockets(&self, count: usize) {
        let main = self.io.main();
        crate::until(&format!("{count} sockets on /"), || {
            main.socket_count() == count
        })
        .await;
    }

    /// The connected socket `sid` of namespace `nsp`.
    ///
    /// # Panics
    ///
    /// If `sid` is no socket id or no such socket is connected.
    pub fn socket(&self, nsp: &str, sid: &str) -> tether::server::Socket {
        self.io
            .of(nsp)
            .socket(tether::engine::Sid::parse(sid).expect("a sid"))
            .expect("a connected socket")
    }

    /// A client with an Engine.IO session and no namespace joined.
    pub async fn open(&self) -> SioClient {
        SioClient::open(self.addr, &self.path()).await
    }

    /// A client that joined `nsp` with no auth payload; also returns its socket id.
    pub async fn client(&self, nsp: &str) -> (SioClient, String) {
        self.client_with_auth(nsp, None).await
    }

    /// A client that joined `nsp` with `auth`; also returns its socket id.
    pub async fn client_with_auth(&self, nsp: &str, auth: Option<Value>) -> (SioClient, String) {
        let mut client = self.open().await;
        let sid = client.join_ok(nsp, auth).await;
        (client, sid)
    }

    /// Disconnects every client and stops listening. Polling sessions that linger
    /// for their client's last poll are not waited for; the test's runtime drops them.
    pub async fn stop(mut self) {
        self.io.close(Duration::ZERO).await;
        if let Some(serving) = self.serving.take() {
            serving.shutdown(Duration::from_secs(2)).await;
        }
    }
}

/// The sending half of a [`Probe`]: handlers report through it.
#[derive(Debug)]
pub struct Report<T>(mpsc::UnboundedSender<T>);

impl<T> Clone for Report<T> {
    fn clone(&self) -> Self {
        Report(self.0.clone())
    }
}

impl<T> Report<T> {
    /// Reports `value` to the test (ignored once the test stopped listening).
    pub fn send(&self, value: T) {
        let _ = self.0.send(value);
    }
}

/// What handlers reported, in order.
#[derive(Debug)]
pub struct Probe<T>(mpsc::UnboundedReceiver<T>);

/// A new probe and the handle handlers report through.
pub fn probe<T>() -> (Report<T>, Probe<T>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    (Report(sender), Probe(receiver))
}

impl<T: Debug> Probe<T> {
    /// The next report.
    ///
    /// # Panics
    ///
    /// If none arrives within [`PATIENCE`].
    pub async fn next(&mut self) -> T {
        match tokio::time::timeout(PATIENCE, self.0.recv()).await {
            Ok(Some(value)) => value,
            Ok(None) => panic!("every reporter is gone"),
            Err(_) => panic!("no report within {PATIENCE:?}"),
        }
    }

    /// The next `count` reports, in order.
    pub async fn take(&mut self, count: usize) -> Vec<T> {
        let mut values = Vec::with_capacity(count);
        for _ in 0..count {
            values.push(self.next().await);
        }
        values
    }

    /// Asserts nothing more is reported for [`QUIET`].
    pub async fn expect_silence(&mut self) {
        if let Ok(Some(value)) = tokio::time::timeout(QUIET, self.0.recv()).await {
            panic!("unexpected report {value:?}");
        }
    }
}
