//! PostgreSQL for the Postgres adapter tests: the database at `DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/test` when it answers, else a server of
//! the tests' own (Debian's `initdb` and `postgres` under
//! `/usr/lib/postgresql/*/bin`, in a temporary directory, on a free port; it stops
//! when the test process ends). Each test takes a channel prefix and an
//! attachments table of its own, so tests run in parallel on one database.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tether::adapter::postgres::{PostgresAdapter, PostgresConfig};
use tether::server::Server;

use crate::{PATIENCE, SioServer, sio_config};

/// The address tried when `DATABASE_URL` is not set.
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server the tests started, if they did; kept so that its stdin stays open
/// (it stops when the test process ends and that pipe closes).
static OWN_SERVER: Mutex<Option<Child>> = Mutex::new(None);

/// The database the tests share.
///
/// # Panics
///
/// When `DATABASE_URL` is set but does not answer, or no database answers and
/// none can be started (the message says why).
pub fn database_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if let Err(error) = answers(&url) {
                panic!("DATABASE_URL={url} does not answer: {error}");
            }
            return url;
        }
        if answers(DEFAULT_URL).is_ok() {
            return DEFAULT_URL.to_owned();
        }
        start_own().unwrap_or_else(|reason| {
            panic!(
                "no PostgreSQL for the Postgres adapter tests: {DEFAULT_URL} does not answer, \
                 DATABASE_URL is not set, and none could be started ({reason}); install \
                 Debian's `postgresql` package or set DATABASE_URL"
            )
        })
    })
    .clone()
}

/// Connects to `url` and runs `SELECT 1`, on a runtime of its own.
fn answers(url: &str) -> Result<(), String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| error.to_string())?;
        runtime.block_on(async move {
            let config = PostgresConfig::new(url);
            tokio::time::timeout(Duration::from_secs(5), PostgresAdapter::connect(config))
                .await
                .map_err(|_| "no answer within 5 s".to_owned())?
                .map(drop)
                .map_err(|error| error.to_string())
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the check panicked".to_owned()))
}

/// The directory of Debian's PostgreSQL binaries (the newest version).
fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("postgres").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

/// Starts a server of the tests' own; returns its URL.
fn start_own() -> Result<String, String> {
    let bin = binaries().ok_or("no initdb/postgres under /usr/lib/postgresql/*/bin")?;
    let port = crate::redis::RedisProcess::free_port();
    // As root, the server runs as the `postgres` user (it refuses to run as root).
    let script = r#"
        set -e
        dir=$(mktemp -d /tmp/tether-pg-XXXXXX)
        run=""
        if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; run="runuser -u postgres --"; fi
        $run "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        $run "$BIN/postgres" -D "$dir/data" -p "$PORT" -k "$dir" \
            -c listen_addresses=127.0.0.1 >"$dir/server.log" 2>&1 &
        pid=$!
        echo started
        cat >/dev/null || true
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rm -rf "$dir"
    "#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("BIN", &bin)
        .env("PORT", port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("sh: {error}"))?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|error| error.to_string())?;
    if line.trim() != "started" {
        let _ = child.kill();
        return Err("initdb failed".to_owned());
    }
    *OWN_SERVER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(child);
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match answers(&url) {
            Ok(()) => return Ok(url),
            Err(error) if std::time::Instant::now() > deadline => {
                return Err(format!(
                    "the server started at {url} does not answer: {error}"
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A channel prefix (and attachments table name) no other test uses.
pub fn unique_prefix(test: &str) -> String {
    use rand::Rng as _;
    format!("tt_{test}_{:08x}", rand::rng().random::<u32>())
}

/// The adapter options of the tests: the shared database, channel prefix and
/// attachments table `prefix`, quick reconnection, and heartbeats every 300 ms
/// (so that a Node.js node started after a tether node hears of it at once).
pub fn config(prefix: &str) -> PostgresConfig {
    config_at(database_url(), prefix)
}

/// As [`config`], for the database at `url`.
pub fn config_at(url: String, prefix: &str) -> PostgresConfig {
    PostgresConfig::new(url)
        .with_channel_prefix(prefix)
        .with_table_name(prefix)
        .with_heartbeat(Duration::from_millis(300), Duration::from_secs(10))
        .with_reconnect(Duration::from_millis(20), Duration::from_millis(300))
}

/// A tether server with a Postgres adapter, served on an ephemeral port.
pub struct PostgresNode {
    /// The server, served.
    pub server: SioServer,
    /// Its adapter.
    pub adapter: PostgresAdapter,
}

impl PostgresNode {
    /// A node with adapter options `config`, its handlers set up by `setup`;
    /// returns once it listens to the other nodes.
    ///
    /// # Panics
    ///
    /// If the database refuses the connection or the node does not listen within
    /// [`PATIENCE`].
    pub async fn start(config: PostgresConfig, setup: impl FnOnce(&Server)) -> PostgresNode {
        let adapter = crate::within(PostgresAdapter::connect(config))
            .await
            .expect("connected to Postgres");
        let server = SioServer::with_adapter(sio_config(), adapter.clone(), setup).await;
        tokio::time::timeout(PATIENCE, adapter.listening())
            .await
            .expect("the node listens");
        PostgresNode { server, adapter }
    }

    /// Waits until this node knows `count` other nodes on namespace `/`.
    ///
    /// # Panics
    ///
    /// If it does not within [`PATIENCE`].
    pub async fn wait_for_nodes(&self, count: usize) {
        let waited = tokio::time::timeout(PATIENCE, async {
            while self.adapter.nodes("/").len() != count {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "the node knows {:?}, not {count} other nodes",
            self.adapter.nodes("/")
        );
    }
}

/// A Node.js socket.io 4.8 server with `@socket.io/postgres-adapter` on the shared
/// database under channel prefix and table `prefix`
/// (`tests/js/support/node-postgres-server.mjs`); returns once its adapter listens.
pub async fn node_postgres_server(prefix: &str) -> crate::node::NodeServer {
    let prefix = prefix.to_owned();
    let url = database_url();
    tokio::task::spawn_blocking(move || {
        crate::node::NodeServer::start(
            "node-postgres-server.mjs",
            "@socket.io/postgres-adapter",
            &[("DATABASE_URL", url), ("PREFIX", prefix)],
        )
    })
    .await
    .expect("the Node.js server starts")
}
