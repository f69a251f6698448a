//! Redis for the scale-out tests: the shared server (`REDIS_URL`, else
//! `redis://127.0.0.1:6379`), a channel prefix of its own per test so that tests
//! run in parallel against one Redis, tether nodes with a [`RedisAdapter`], and a
//! private `redis-server` process for the outage test.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};

use tether::adapter::redis::{RedisAdapter, RedisConfig};
use tether::server::{Event, Namespace, Server, Socket};

use crate::client::names_until;
use crate::cluster::{AdapterNode, Trio, handlers};
use crate::{PATIENCE, Probe, sio_config};

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

/// [`join_and_shout`] on `io`'s main namespace.
pub fn join_and_shout_on_main(io: &Server) {
    join_and_shout(&io.main());
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

    /// Two tether nodes with [`crate::cluster::handlers`] and a Node.js node of
    /// this variant, on the shared Redis under a channel prefix named after `test`.
    pub async fn trio(self, test: &str) -> Trio<RedisAdapter> {
        let key = unique_key(test);
        let a = self.node(&redis_url(), &key, handlers).await;
        let b = self.node(&redis_url(), &key, handlers).await;
        let node = self.node_js(&key).await;
        // Node's sharded adapter has no `allRooms`.
        Trio::new(a, b, node, self == Variant::Classic)
    }

    /// A private `redis-server` (see [`RedisProcess::start_private`]) and two
    /// tether nodes of this variant on it, their handlers set up by `setup`, on a
    /// channel prefix named after `test`.
    pub async fn private_pair(
        self,
        test: &str,
        setup: fn(&Server),
    ) -> (RedisProcess, RedisNode, RedisNode) {
        let redis = RedisProcess::start_private().await;
        let key = unique_key(test);
        let a = self.node(&redis.url(), &key, setup).await;
        let b = self.node(&redis.url(), &key, setup).await;
        (redis, a, b)
    }

    /// A tether node of this variant (see [`RedisNode::start`]).
    pub async fn node(self, url: &str, key: &str, setup: impl FnOnce(&Server)) -> RedisNode {
        RedisNode::start_with(self.config(url, key), setup).await
    }

    /// A Node.js socket.io 4.8 server with `@socket.io/redis-adapter` of this
    /// variant on the shared Redis under channel prefix `key`
    /// (`tests/js/support/node-redis-server.mjs`); returns once its adapter listens.
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

/// A channel prefix no other test uses.
pub fn unique_key(test: &str) -> String {
    use rand::Rng as _;
    format!("tether-test-{test}-{:016x}", rand::rng().random::<u64>())
}

/// A tether server with a Redis adapter, served on an ephemeral port.
pub type RedisNode = AdapterNode<RedisAdapter>;

impl AdapterNode<RedisAdapter> {
    /// A node with the adapter `config` (its URL names the Redis), its handlers set
    /// up by `setup`; returns once it listens to the other nodes.
    ///
    /// # Panics
    ///
    /// If Redis refuses the connection or does not answer within [`PATIENCE`].
    pub async fn start_with(config: RedisConfig, setup: impl FnOnce(&Server)) -> RedisNode {
        let config = config.with_reconnect(
            std::time::Duration::from_millis(20),
            std::time::Duration::from_millis(300),
        );
        let adapter = crate::within(RedisAdapter::connect(config))
            .await
            .expect("connected to Redis");
        RedisNode::serve_subscribed(adapter, setup).await
    }

    /// A node on the Redis at `url` with channel prefix `key`, its handlers set up
    /// by `setup`; returns once it listens to the other nodes.
    ///
    /// # Panics
    ///
    /// If Redis does not answer within [`PATIENCE`].
    pub async fn start(url: &str, key: &str, setup: impl FnOnce(&Server)) -> RedisNode {
        let config = RedisConfig::new(url).with_key(key).with_reconnect(
            std::time::Duration::from_millis(20),
            std::time::Duration::from_millis(300),
        );
        let adapter = RedisAdapter::new(config).expect("a valid Redis URL");
        RedisNode::serve_subscribed(adapter, setup).await
    }

    /// Serves a server on `adapter`, its handlers set up by `setup`; returns once
    /// it listens to the other nodes.
    async fn serve_subscribed(adapter: RedisAdapter, setup: impl FnOnce(&Server)) -> RedisNode {
        let node = RedisNode::serve(adapter, sio_config(), setup).await;
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
            .unwrap_or_else(|_| panic!("no Redis subscription within {PATIENCE:?}"));
    }

    /// Waits until this node and `other` listen to each other again, then checks
    /// that a broadcast of `other` reaches this node's client that reports to
    /// `seen`, and nothing before it.
    ///
    /// # Panics
    ///
    /// When it does not.
    pub async fn expect_broadcasts_from(&self, other: &RedisNode, seen: &mut Probe<String>) {
        self.wait_subscribed().await;
        other.wait_subscribed().await;
        other.io().emit("after", &()).unwrap();
        assert_eq!(names_until(seen, "after").await, ["after"]);
    }

    /// Waits until the node noticed that it lost Redis.
    ///
    /// # Panics
    ///
    /// If it does not within [`PATIENCE`].
    pub async fn wait_unsubscribed(&self) {
        crate::within(
            self.adapter
                .subscription()
                .wait_for(|subscribed| !subscribed),
        )
        .await
        .expect("the adapter is alive");
    }
}

/// Stands for the free port a [`RedisProcess`] is started on, in the arguments of
/// [`RedisProcess::start_private_with`].
pub const FREE_PORT: &str = "<free port>";

/// A `redis-server` process of the test's own, killed when dropped.
pub struct RedisProcess {
    child: Child,
    port: u16,
    /// The binary and its arguments, to start it again.
    command: Vec<String>,
    /// Its working directory, where a replica keeps the data it synced; removed
    /// when dropped.
    _dir: TempDir,
}

impl RedisProcess {
    /// The `redis-server` binary, which the test needs.
    ///
    /// # Panics
    ///
    /// If there is none (see [`RedisProcess::binary`]).
    pub fn required_binary() -> String {
        RedisProcess::binary().expect(
            "no redis-server binary: install Debian's redis-server (scripts/test-all.sh does) or set REDIS_SERVER",
        )
    }

    /// Starts the [required binary](RedisProcess::required_binary) on a free port
    /// (see [`RedisProcess::start`]).
    pub async fn start_private() -> RedisProcess {
        RedisProcess::start_private_with(&["--port", FREE_PORT]).await
    }

    /// Starts the [required binary](RedisProcess::required_binary) with `args`,
    /// which say where it listens, [`FREE_PORT`] standing for a free port (see
    /// [`RedisProcess::start_with`]).
    pub async fn start_private_with(args: &[&str]) -> RedisProcess {
        let port = RedisProcess::free_port();
        let port_text = port.to_string();
        let args: Vec<&str> = args
            .iter()
            .map(|&arg| if arg == FREE_PORT { &port_text } else { arg })
            .collect();
        RedisProcess::start_with(&RedisProcess::required_binary(), port, &args).await
    }

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
    /// file first), in a temporary working directory of its own (where a replica
    /// writes what it synced), and waits until it accepts TCP connections on
    /// `port`.
    ///
    /// # Panics
    ///
    /// If it does not start or accept connections within [`PATIENCE`].
    pub async fn start_raw(binary: &str, port: u16, args: &[&str]) -> RedisProcess {
        let dir = TempDir::new("redis-server");
        let dir_arg = dir.path("");
        let command: Vec<String> = std::iter::once(binary)
            .chain(args.iter().copied())
            .chain(["--dir", &dir_arg])
            .map(str::to_owned)
            .collect();
        let process = RedisProcess {
            child: RedisProcess::spawn(&command),
            port,
            command,
            _dir: dir,
        };
        process.wait_listening().await;
        process
    }

    /// Runs `command` (the binary, then its arguments).
    fn spawn(command: &[String]) -> Child {
        Command::new(&command[0])
            .args(&command[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts")
    }

    /// Kills the process, as an outage would.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the process again as it was started, after [`RedisProcess::stop`],
    /// and waits until it accepts TCP connections.
    ///
    /// # Panics
    ///
    /// If it does not start or accept connections within [`PATIENCE`].
    pub async fn restart(&mut self) {
        self.stop();
        self.child = RedisProcess::spawn(&self.command);
        self.wait_listening().await;
    }

    /// Waits until the process accepts TCP connections on its port.
    async fn wait_listening(&self) {
        let port = self.port;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
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
        self.stop();
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
