//! Node.js servers for the interoperability tests: a script of `tests/js/support`
//! started as a child process, killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running Node.js server script.
#[derive(Debug)]
pub struct NodeServer {
    child: Child,
    url: String,
}

impl NodeServer {
    /// Runs `tests/js/support/<script>` with `env`, and returns once it printed
    /// `listening on <url>`. Blocking: call it from `spawn_blocking` in async tests.
    ///
    /// # Panics
    ///
    /// When `tests/js/node_modules/<package>` is missing (`npm ci` in `tests/js`
    /// installs it; `scripts/test-all.sh` does), or the script does not start.
    pub fn start(script: &str, package: &str, env: &[(&str, String)]) -> NodeServer {
        let mut child = node_command(script, package, env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut server = NodeServer {
            child,
            url: String::new(),
        };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server prints its address");
        server.url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        server
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        let port = self.url.rsplit(':').next().unwrap_or_default();
        port.parse().expect("a port in the URL")
    }
}

/// Runs `tests/js/support/<script>` with `env` to its end, and returns what it
/// printed. Blocking: call it from `spawn_blocking` in async tests.
///
/// # Panics
///
/// When `tests/js/node_modules/<package>` is missing, or the script fails.
pub fn run_script(script: &str, package: &str, env: &[(&str, String)]) -> String {
    let output = node_command(script, package, env)
        .stdin(Stdio::null())
        .output()
        .expect("node starts");
    assert!(
        output.status.success(),
        "{script} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `node support/<script>` in `tests/js` with `env`, once `package` is there.
///
/// # Panics
///
/// When `tests/js/node_modules/<package>` is missing (`npm ci` in `tests/js`
/// installs it; `scripts/test-all.sh` does).
fn node_command(script: &str, package: &str, env: &[(&str, String)]) -> Command {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js");
    assert!(
        js.join("node_modules").join(package).is_dir(),
        "{package} is not installed: run `npm ci` in {}",
        js.display()
    );
    let mut command = Command::new("node");
    command
        .arg(PathBuf::from("support").join(script))
        .current_dir(&js);
    for (name, value) in env {
        command.env(name, value);
    }
    command
}
