//! A TCP proxy in front of a server that can cut every connection through it at
//! once: a network that drops, for the tests of reconnection and recovery.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Forwards connections on an ephemeral port of 127.0.0.1 to a target; stops
/// forwarding (and drops what it forwards) when dropped.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    cuts: watch::Sender<u64>,
    /// New connections are dropped at once while set.
    down: Arc<AtomicBool>,
    /// Where new connections go.
    target: Arc<std::sync::Mutex<SocketAddr>>,
    accepting: JoinHandle<()>,
}

impl Proxy {
    /// Starts forwarding to `target`.
    ///
    /// # Panics
    ///
    /// If no port can be bound.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let addr = listener.local_addr().expect("a local address");
        let (cuts, _) = watch::channel(0);
        let watcher = cuts.subscribe();
        let down = Arc::new(AtomicBool::new(false));
        let refusing = down.clone();
        let target = Arc::new(std::sync::Mutex::new(target));
        let current = target.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !refusing.load(Ordering::Acquire) {
                    let target = *current.lock().unwrap_or_else(|p| p.into_inner());
                    tokio::spawn(forward(inbound, target, watcher.clone()));
                }
            }
        });
        Proxy {
            addr,
            cuts,
            down,
            target,
            accepting,
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Drops every connection open through the proxy now; later ones pass.
    pub fn cut(&self) {
        self.cuts.send_modify(|cuts| *cuts += 1);
    }

    /// Sends new connections to `target` from now on (a load balancer moving a
    /// client to another server); open ones stay where they are.
    pub fn retarget(&self, target: SocketAddr) {
        *self.target.lock().unwrap_or_else(|p| p.into_inner()) = target;
    }

    /// Cuts every connection and drops new ones until [`Proxy::come_back`].
    pub fn go_down(&self) {
        self.down.store(true, Ordering::Release);
        self.cut();
    }

    /// Lets connections through again after [`Proxy::go_down`].
    pub fn come_back(&self) {
        self.down.store(false, Ordering::Release);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}

/// Copies both ways between `inbound` and `target` until either side ends or the
/// connections are cut.
async fn forward(mut inbound: TcpStream, target: SocketAddr, mut cuts: watch::Receiver<u64>) {
    cuts.mark_unchanged();
    let Ok(mut outbound) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = cuts.changed() => {}
    }
}
