//! The scenarios, and what they share: launching many clients with bounded
//! concurrency, and keeping connections alive.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::time::sleep;

use crate::conn::{Error, answer_ping};
use crate::procfs::CpuUse;
use crate::ws::Ws;

pub mod echo;
pub mod fanout;
pub mod hold;
pub mod idle;
pub mod recovery;
pub mod storm;

/// A generator using this fraction of its core or more is the bottleneck.
pub const GENERATOR_BOUND: f64 = 0.9;

/// Other processes taking more than this fraction of a pinned core make a run unreliable.
pub const CONTENDED: f64 = 0.2;

/// Flags for a measured window: `generator-bound` and `contended`.
pub fn cpu_flags(cpu: &CpuUse) -> Vec<String> {
    let mut flags = Vec::new();
    if cpu.own_fraction >= GENERATOR_BOUND {
        flags.push("generator-bound".into());
    }
    if cpu.contention.is_some_and(|c| c > CONTENDED) {
        flags.push("contended".into());
    }
    flags
}

/// Launches client connections with a bounded number of handshakes in flight,
/// and counts how many succeeded or failed.
pub struct Launch {
    permits: Semaphore,
    ready: Cell<usize>,
    failed: Cell<usize>,
    first_error: RefCell<Option<String>>,
}

impl Launch {
    /// At most `concurrency` handshakes at once.
    pub fn new(concurrency: usize) -> Rc<Self> {
        Rc::new(Self {
            permits: Semaphore::new(concurrency.max(1)),
            ready: Cell::new(0),
            failed: Cell::new(0),
            first_error: RefCell::new(None),
        })
    }

    /// Runs one handshake under a permit and records its outcome.
    pub async fn connect<T>(&self, handshake: impl Future<Output = Result<T, Error>>) -> Option<T> {
        let permit = self.permits.acquire().await.ok()?;
        let outcome = handshake.await;
        drop(permit);
        match outcome {
            Ok(value) => {
                self.ready.set(self.ready.get() + 1);
                Some(value)
            }
            Err(e) => {
                self.failed.set(self.failed.get() + 1);
                self.first_error
                    .borrow_mut()
                    .get_or_insert_with(|| e.to_string());
                None
            }
        }
    }

    /// Connections established so far.
    pub fn ready(&self) -> usize {
        self.ready.get()
    }

    /// Connections that failed so far.
    pub fn failed(&self) -> usize {
        self.failed.get()
    }

    /// The first failure, if any.
    pub fn first_error(&self) -> Option<String> {
        self.first_error.borrow().clone()
    }

    /// Waits until `total` handshakes have finished one way or the other, or `limit` passes.
    /// Returns how long it took.
    pub async fn wait_all(&self, total: usize, limit: Duration) -> Duration {
        let start = Instant::now();
        while self.ready() + self.failed() < total && start.elapsed() < limit {
            sleep(Duration::from_millis(5)).await;
        }
        start.elapsed()
    }
}

/// Keeps an idle connection alive by answering pings, until it closes.
pub async fn keep_alive(mut ws: Ws) {
    while ws.read(answer_ping).await.is_ok() {}
}

/// A generous limit for connecting `clients` clients.
pub fn connect_limit(clients: usize) -> Duration {
    Duration::from_secs(30) + Duration::from_millis(clients as u64 * 20)
}

/// Converts seconds given on the command line into a duration.
pub fn secs(value: f64) -> Duration {
    Duration::from_secs_f64(value.max(0.0))
}
