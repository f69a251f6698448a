//! Redis for the scale-out tests: the shared server (`REDIS_URL`, else
//! `redis://127.0.0.1:6379`), a channel prefix of its own per test so that tests
//! run in parallel against one Redis, tether nodes with a [`RedisAdapter`], and a
//! private `redis-server` process for the outage test.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};

use tether::adapter::redis::{RedisAdapter, RedisConfig};
use tether::server::{Event, Namespace, Server, Socket};

use crate::{PATIENCE, SioServer, sio_config};

/// The handlers the Redis tests give a namespace on every node (tether's and the
/// Node.js one alike): `join(room)`, acknowledged once joined, and `shout(text)`,
/// passed on as `shouted` to every other socket with `socket.broadcast()`.
pub fn join_and_shout(ns: &Namespace) {
    ns.on_connection(|socket: Socket| async move {
        socket.on("join", |socket: Socket, mut event: Event| async move {
            let room: String = event.arg(0)?;
            socket.join(room);
            event.ack(&())?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
        socket.on("shout", |socket: Socket, event: Event| async move {
            let text: String = event.arg(0)?;
            socket.broadcast().emit("shouted", &text)?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
    });
}

/// Emits `join(room)` from `client` and waits for its acknowledgement (see
/// [`join_and_shout`]).
///
/// # Panics
///
/// When the server does not acknowledge within [`PATIENCE`].
pub async fn join(client: &tether::client::Client, room: &str) {
    let () = crate::within(client.emit_with_ack("join", &room))
        .await
        .expect("joined");
}

/// A Node.js socket.io 4.8 server with `@socket.io/redis-adapter` (classic) on
/// the shared Redis under channel prefix `key` (`tests/js/support/node-redis-server.mjs`);
/// returns once its adapter listens.
pub async fn node_redis_server(key: &str) -> crate::node::NodeServer {
    let key = key.to_owned();
    tokio::task::spawn_blocking(move || {
        crate::node::NodeServer::start(
            "node-redis-server.mjs",
            "@socket.io/redis-adapter",
            &[("REDIS_URL", redis_url()), ("KEY", key)],
        )
    })
    .await
    .expect("the Node.js server starts")
}

/// Which variant of the Redis adapter a test's nodes use, tether's and Node's alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Pub/sub with patterns: Node's `createAdapter`.
    Classic,
    /// Sharded pub/sub (`subscriptionMode: "static"`): Node's `createShardedAdapter`.
    Sharded,
}

impl Variant {
    /// The adapter options of a tether node on the Redis at `url` with channel
    /// prefix `key`.
    pub fn config(self, url: &str, key: &str) -> RedisConfig {
        let config = RedisConfig::new(url).with_key(key);
        match self {
            Variant::Classic => config,
            Variant::Sharded => config.with_sharded(),
        }
    }

    /// A tether node of this variant (see [`RedisNode::start`]).
    pub async fn node(self, url: &str, key: &str, setup: impl FnOnce(&Server)) -> RedisNode {
        RedisNode::start_with(self.config(url, key), setup).await
    }

    /// A Node.js node of this variant on the shared Redis (see [`node_redis_server`]).
    pub async fn node_js(self, key: &str) -> crate::node::NodeServer {
        let env = [
            ("REDIS_URL", redis_url()),
            ("KEY", key.to_owned()),
            ("SHARDED", (self == Variant::Sharded).to_string()),
        ];
        tokio::task::spawn_blocking(move || {
            crate::node::NodeServer::start(
                "node-redis-server.mjs",
                "@socket.io/redis-adapter",
                &env,
            )
        })
        .await
        .expect("the Node.js server starts")
    }
}

/// The Redis the tests share: `REDIS_URL`, else `redis://127.0.0.1:6379`.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// `url` without its password, for messages.
fn redis_url_of(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://***@{host}"),
        _ => url.to_owned(),
    }
}

/// A channel prefix no other test uses.
pub fn unique_key(test: &str) -> String {
    use rand::Rng as _;
    format!("tether-test-{test}-{:016x}", rand::rng().random::<u64>())
}

/// A tether server with a Redis adapter, served on an ephemeral port.
pub struct RedisNode {
    /// The server, served.
    pub server: SioServer,
    /// Its adapter.
    pub adapter: RedisAdapter,
    /// The Redis URL, for messages.
    redis: String,
}

impl RedisNode {
    /// A node with the adapter `config` (its URL names the Redis), its handlers set
    /// up by `setup`; returns once it listens to the other nodes.
    ///
    /// # Panics
    ///
    /// If Redis refuses the connection or does not answer within [`PATIENCE`].
    pub async fn start_with(config: RedisConfig, setup: impl FnOnce(&Server)) -> RedisNode {
        let config_url = config.url().to_owned();
        let config = config.with_reconnect(
            std::time::Duration::from_millis(20),
            std::time::Duration::from_millis(300),
        );
        let adapter = crate::within(RedisAdapter::connect(config))
            .await
            .expect("connected to Redis");
        RedisNode::serve(adapter, &config_url, setup).await
    }

    /// A node on the Redis at `url` with channel prefix `key`, its handlers set up
    /// by `setup`; returns once it listens to the other nodes.
    ///
    /// # Panics
    ///
    /// If Redis does not answer within [`PATIENCE`].
    pub async fn start(url: &str, key: &str, setup: impl FnOnce(&Server)) -> RedisNode {
        let config_url = url.to_owned();
        let config = RedisConfig::new(url).with_key(key).with_reconnect(
            std::time::Duration::from_millis(20),
            std::time::Duration::from_millis(300),
        );
        let adapter = RedisAdapter::new(config).expect("a valid Redis URL");
        RedisNode::serve(adapter, &config_url, setup).await
    }

    /// Serves a server on `adapter`, its handlers set up by `setup`; returns once
    /// it listens to the other nodes.
    async fn serve(adapter: RedisAdapter, url: &str, setup: impl FnOnce(&Server)) -> RedisNode {
        let node = RedisNode {
            server: SioServer::with_adapter(sio_config(), adapter.clone(), setup).await,
            adapter,
            redis: redis_url_of(url),
        };
        node.wait_subscribed().await;
        node
    }

    /// Waits until the node listens to the other nodes' broadcasts.
    ///
    /// # Panics
    ///
    /// If it does not within [`PATIENCE`].
    pub async fn wait_subscribed(&self) {
        tokio::time::timeout(PATIENCE, self.adapter.subscribed())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no Redis subscription at {} within {PATIENCE:?}",
                    self.redis
                )
            });
    }
}

/// A `redis-server` process of the test's own, killed when dropped.
pub struct RedisProcess {
    child: Child,
    port: u16,
}

impl RedisProcess {
    /// The `redis-server` binary (`REDIS_SERVER`, else the one on the `PATH`),
    /// if there is one.
    pub fn binary() -> Option<String> {
        if let Ok(binary) = std::env::var("REDIS_SERVER") {
            return Some(binary);
        }
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        found.then(|| "redis-server".to_owned())
    }

    /// A free port on 127.0.0.1.
    pub fn free_port() -> u16 {
        TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port()
    }

    /// Starts `binary` on `port`, without persistence, and waits until it accepts
    /// connections.
    ///
    /// # Panics
    ///
    /// If it does not start or accept connections within [`PATIENCE`].
    pub async fn start(binary: &str, port: u16) -> RedisProcess {
        let port_text = port.to_string();
        RedisProcess::start_with(binary, port, &["--port", &port_text]).await
    }

    /// Starts `binary` with `args` (which say where it listens), on 127.0.0.1,
    /// without persistence, and waits until it accepts TCP connections on `port`.
    ///
    /// # Panics
    ///
    /// If it does not start or accept connections within [`PATIENCE`].
    pub async fn start_with(binary: &str, port: u16, args: &[&str]) -> RedisProcess {
        let mut all = vec!["--bind", "127.0.0.1"];
        all.extend(["--save", "", "--appendonly", "no", "--daemonize", "no"]);
        all.extend(args);
        RedisProcess::start_raw(binary, port, &all).await
    }

    /// Starts `binary` with exactly `args` (a Sentinel takes its configuration
    /// file first), and waits until it accepts TCP connections on `port`.
    ///
    /// # Panics
    ///
    /// If it does not start or accept connections within [`PATIENCE`].
    pub async fn start_raw(binary: &str, port: u16, args: &[&str]) -> RedisProcess {
        let child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let process = RedisProcess { child, port };
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return process;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "redis-server did not listen on port {port} within {PATIENCE:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory of a test's files, removed when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// A new directory under the system's temporary one, named after `name`.
    ///
    /// # Panics
    ///
    /// If it cannot be created.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(unique_key(name));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        TempDir(dir)
    }

    /// Writes file `name` with `contents`; returns its path.
    ///
    /// # Panics
    ///
    /// If it cannot be written.
    pub fn write(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("written");
        path.to_string_lossy().into_owned()
    }

    /// The path of `name` inside.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
