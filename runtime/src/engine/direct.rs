//! Writing WebSocket frames without waking each session's task.
//!
//! A broadcast queues the same frame for hundreds of sessions at once. Rather than
//! wake each session's task to write it, a session on a plain TCP stream is put on a
//! [`Flusher`]'s list, and one flusher task goes down that list in order, writing
//! each session's queue with one non-blocking vectored write. Frames queued for a
//! session while it waits on the list go out in the same write, so a busy server
//! writes fewer, larger batches; and sessions are served first come, first served,
//! whatever order the runtime would have polled their tasks in.
//!
//! A socket that cannot take everything at once is handed to its session's task,
//! which waits for it with the usual write timeout. See [`Writer`] for who may
//! write a session's socket when.
//!
//! [`Writer`]: super::session::Writer

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;

use super::session::Session;

/// Sessions a flusher task writes in a row before it lets other tasks run.
const FLUSH_TURN: usize = 64;
/// Most flusher lists (and tasks) per engine: one per runtime worker, up to this.
const MAX_SHARDS: usize = 64;

/// The lists of sessions waiting for a flusher task, one list per runtime worker so
/// that several workers can write at once. Each session always uses the same list.
pub(crate) struct Flusher<D> {
    shards: OnceLock<Box<[Shard<D>]>>,
}

struct Shard<D> {
    state: Mutex<ShardState<D>>,
}

struct ShardState<D> {
    waiting: VecDeque<Arc<Session<D>>>,
    /// A flusher task is working through `waiting`.
    running: bool,
}

impl<D> Default for Flusher<D> {
    fn default() -> Self {
        Flusher {
            shards: OnceLock::new(),
        }
    }
}

impl<D: Send + Sync + 'static> Flusher<D> {
    /// Puts `session` at the end of its list, starting the list's flusher task when
    /// none runs. `false` (and nothing listed) outside a tokio runtime: the caller
    /// must wake the session's own task instead.
    pub(crate) fn schedule(self: &Arc<Self>, session: &Arc<Session<D>>) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        let shards = self.shards.get_or_init(|| {
            let workers = runtime.metrics().num_workers().clamp(1, MAX_SHARDS);
            (0..workers)
                .map(|_| Shard {
                    state: Mutex::new(ShardState {
                        waiting: VecDeque::new(),
                        running: false,
                    }),
                })
                .collect()
        });
        let index = session.id.spread() % shards.len();
        let mut shard = shards[index].state.lock();
        shard.waiting.push_back(session.clone());
        if !shard.running {
            shard.running = true;
            drop(shard);
            runtime.spawn(self.clone().run(index));
        }
        true
    }

    /// The flusher task of list `index`: writes sessions in the order they were
    /// listed until the list is empty, letting other tasks run every
    /// [`FLUSH_TURN`] sessions.
    async fn run(self: Arc<Self>, index: usize) {
        let Some(shard) = self.shards.get().and_then(|shards| shards.get(index)) else {
            return;
        };
        // Should the runtime drop this task midway, the next session listed starts
        // another.
        let mut running = Running(Some(shard));
        let mut batch = VecDeque::new();
        loop {
            for _ in 0..FLUSH_TURN {
                let next = {
                    let mut state = shard.state.lock();
                    let next = state.waiting.pop_front();
                    if next.is_none() {
                        state.running = false;
                        running.0 = None;
                    }
                    next
                };
                let Some(session) = next else {
                    return;
                };
                if session.flush_direct(&mut batch) {
                    self.schedule(&session);
                }
            }
            tokio::task::yield_now().await;
        }
    }
}

/// Marks a list's flusher task as gone if the task is dropped before it ends.
struct Running<'a, D>(Option<&'a Shard<D>>);

impl<D> Drop for Running<'_, D> {
    fn drop(&mut self) {
        if let Some(shard) = self.0 {
            shard.state.lock().running = false;
        }
    }
}

thread_local! {
    /// The session whose task is handling incoming messages on this thread.
    static DRIVING: Cell<usize> = const { Cell::new(0) };
}

/// While alive, frames queued for `session` on this thread are left for its own
/// task, which writes right after handling what it read: answers to a client's
/// messages need no flusher.
pub(crate) struct Driving {
    previous: usize,
}

impl Driving {
    /// Marks `session`'s task as handling messages on this thread.
    pub(crate) fn enter<D>(session: &Session<D>) -> Driving {
        let previous = DRIVING.with(|driving| driving.replace(address(session)));
        Driving { previous }
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        DRIVING.with(|driving| driving.set(self.previous));
    }
}

/// Whether `session`'s own task is handling messages on this thread.
pub(crate) fn is_driving<D>(session: &Session<D>) -> bool {
    DRIVING.with(|driving| driving.get() == address(session))
}

fn address<D>(session: &Session<D>) -> usize {
    std::ptr::from_ref(session) as usize
}

/// A TCP stream shared by a WebSocket session's task, which reads it (and writes
/// when the socket is full), and the flusher tasks that write to it directly.
#[derive(Clone)]
pub(crate) struct DirectTcp(pub(crate) Arc<TcpStream>);

impl DirectTcp {
    /// Wraps an accepted stream.
    pub(crate) fn new(stream: TcpStream) -> DirectTcp {
        DirectTcp(Arc::new(stream))
    }

    /// Runs `write` once the socket is writable, until it does not find it full.
    fn poll_try_write(
        &self,
        cx: &mut Context<'_>,
        write: impl Fn(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match write(&self.0) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return Poll::Ready(result),
            }
        }
    }
}

/// Writes `bufs` without waiting: one slice with `send`, which costs the kernel
/// less than `writev`, several with `writev`.
pub(crate) fn try_write_slices(stream: &TcpStream, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    match bufs {
        [one] => stream.try_write(one),
        _ => stream.try_write_vectored(bufs),
    }
}

impl AsyncRead for DirectTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            // The WebSocket library hands over an initialised buffer, so this
            // costs nothing there.
            let unfilled = buf.initialize_unfilled();
            let wanted = unfilled.len();
            let read = Cell::new(0);
            // A read that does not fill the buffer drained the socket (as tokio's
            // own `TcpStream::poll_read` assumes on epoll and kqueue): reporting it
            // as `WouldBlock` to `try_io` clears the readiness, so the next read
            // attempt waits for the next event instead of failing in a system call.
            let result = self.0.try_io(Interest::READABLE, || {
                let count = self.0.try_read(unfilled)?;
                read.set(count);
                if count > 0 && count < wanted {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                Ok(count)
            });
            match result {
                Ok(count) => {
                    buf.advance(count);
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock && read.get() > 0 => {
                    buf.advance(read.get());
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for DirectTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_try_write(cx, |stream| stream.try_write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_try_write(cx, |stream| try_write_slices(stream, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Does nothing: the stream is shared, and closes when the last owner drops it.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
