//! A bound contract's handler costs no allocation of its own: an acknowledged
//! event through the typed dispatcher allocates no more on the server's thread
//! than the same event through an untyped closure handler, whose future runs in
//! a reused allocation. Counted by a global allocator, on the server's thread
//! only, over real WebSocket round trips.

#![allow(
    unsafe_code,
    reason = "a counting global allocator forwards to the system's"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::SinkExt;
use tether::contract::TypedSocket;
use tether::server::{Event, Server, ServerConfig, Socket};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

mod support;

use support::{Ws, read};

/// Counts the allocations of threads that asked to be counted.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; counting
// touches an atomic and a const-initialized thread-local without a destructor,
// neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What the client asks.
#[tether::events(rename_all = "camelCase")]
pub trait Sums {
    fn add_up(a: i64, b: i64) -> i64;
}

/// What the server sends: nothing.
#[tether::events]
pub trait Quiet {}

struct Adder;

impl SumsHandler for Adder {
    type Emits = Quiet;

    async fn add_up(&self, _socket: TypedSocket<Quiet>, a: i64, b: i64) -> i64 {
        a + b
    }
}

/// The same event on `/untyped`, answered by a closure.
async fn add_up_untyped(_socket: Socket, mut event: Event) {
    let sum = event.arg::<i64>(0).unwrap_or(0) + event.arg::<i64>(1).unwrap_or(0);
    if let Some(ack) = event.take_ack() {
        let _ = ack.send(&(sum,));
    }
}

/// A socket on `nsp`.
async fn join(addr: std::net::SocketAddr, nsp: &str) -> Ws {
    let stream = TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    assert!(read(&mut ws).await.starts_with("0{"), "Engine.IO open");
    ws.send(Message::text(format!("40{nsp},"))).await.unwrap();
    assert!(read(&mut ws).await.starts_with(&format!("40{nsp},{{")));
    ws
}

/// Sends `rounds` acknowledged `addUp` events on `nsp`, one at a time; returns
/// the server thread's allocations per event.
async fn allocations_per_event(ws: &mut Ws, nsp: &str, rounds: u64) -> f64 {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for id in 0..rounds {
        let packet = format!(r#"42{nsp},{id}["addUp",{id},2]"#);
        ws.send(Message::text(packet)).await.unwrap();
        assert_eq!(read(ws).await, format!("43{nsp},{id}[{}]", id + 2));
    }
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    (after - before) as f64 / rounds as f64
}

#[test]
fn a_typed_handler_allocates_no_more_than_a_closure() {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let io = Server::new(ServerConfig::default());
            io.of("/typed").bind::<Sums, _>(Adder);
            io.of("/untyped").on("addUp", add_up_untyped);
            let server = tether::bind(io, "127.0.0.1:0").await.unwrap();
            addr_tx.send(server.local_addr()).unwrap();
            COUNTED.set(true);
            let _ = stop_rx.await;
            COUNTED.set(false);
        });
    });
    let addr = addr_rx.recv().unwrap();

    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (typed, untyped) = client.block_on(async {
        let mut typed = join(addr, "/typed").await;
        let mut untyped = join(addr, "/untyped").await;
        // Warm up: buffers grow and per-thread caches fill.
        allocations_per_event(&mut typed, "/typed", 64).await;
        allocations_per_event(&mut untyped, "/untyped", 64).await;
        let typed_cost = allocations_per_event(&mut typed, "/typed", 512).await;
        let untyped_cost = allocations_per_event(&mut untyped, "/untyped", 512).await;
        (typed_cost, untyped_cost)
    });
    stop_tx.send(()).unwrap();
    server.join().unwrap();

    assert!(
        untyped > 0.5,
        "the count sees the server's allocations: {untyped}"
    );
    assert!(
        typed <= untyped + 0.1,
        "a typed event costs {typed} allocations on the server, a closure's {untyped}"
    );
}
