//! Writing WebSocket frames straight from the task that produced them.
//!
//! While a WebSocket driver handles a burst of incoming messages it opens a
//! [`FlushScope`]. Frames its handlers queue for idle WebSocket sessions (a
//! broadcast reaches hundreds at once) are not announced to those sessions' tasks;
//! when the burst ends, the scope writes each session's queue to its socket itself
//! with one non-blocking vectored write. Only a socket that cannot take everything
//! wakes its own task, which writes the rest with the usual timeout. A broadcast
//! thus costs one system call per recipient and no task wake-ups.
//!
//! A session's socket has one writer at a time: the scope writes only while the
//! session's lock is held and its driver is not writing (`State::writing`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::frame_writer;
use super::packet::Frame;
use super::session::{Phase, Session};

/// A session whose queued frames a [`FlushScope`] writes when it ends.
pub(crate) trait DirectFlush: Send + Sync {
    /// Writes the queued frames to the socket, or wakes the driver to do it.
    fn flush_direct(&self);
}

#[derive(Default)]
struct Deferred {
    active: bool,
    sessions: Vec<Arc<dyn DirectFlush>>,
}

thread_local! {
    static DEFERRED: RefCell<Deferred> = RefCell::new(Deferred::default());
}

/// While alive, frames queued on this thread for idle WebSocket sessions are
/// written when it drops, instead of waking each session's task.
pub(crate) struct FlushScope {
    outermost: bool,
}

impl FlushScope {
    /// Opens a scope on this thread (a scope inside another is part of it).
    pub(crate) fn enter() -> FlushScope {
        let outermost = DEFERRED.with(|deferred| {
            let mut deferred = deferred.borrow_mut();
            !std::mem::replace(&mut deferred.active, true)
        });
        FlushScope { outermost }
    }
}

impl Drop for FlushScope {
    fn drop(&mut self) {
        if !self.outermost {
            return;
        }
        let mut sessions = DEFERRED.with(|deferred| {
            let mut deferred = deferred.borrow_mut();
            deferred.active = false;
            std::mem::take(&mut deferred.sessions)
        });
        for session in sessions.drain(..) {
            session.flush_direct();
        }
        DEFERRED.with(|deferred| {
            let mut deferred = deferred.borrow_mut();
            if deferred.sessions.is_empty() {
                deferred.sessions = sessions;
            }
        });
    }
}

/// Registers `session` with this thread's open scope; `false` when none is open.
pub(crate) fn defer(session: Arc<dyn DirectFlush>) -> bool {
    DEFERRED.with(|deferred| {
        let mut deferred = deferred.borrow_mut();
        if deferred.active {
            deferred.sessions.push(session);
        }
        deferred.active
    })
}

impl<D: Send + Sync + 'static> DirectFlush for Session<D> {
    fn flush_direct(&self) {
        let mut state = self.lock();
        state.deferred = false;
        if state.queue.is_empty() {
            return;
        }
        let writable = state.phase == Phase::WebSocket
            && !state.writing
            && state.closed.is_none()
            && state.flush_after.is_none();
        let outcome = match (&state.direct, writable) {
            (Some(stream), true) => {
                let stream = stream.clone();
                try_write_frames(&stream, &mut state.queue)
            }
            _ => Written::Blocked,
        };
        match outcome {
            Written::All => {}
            Written::Partial(rest) => {
                state.partial = Some(rest);
                state.writing = true;
                drop(state);
                self.driver.notify_one();
            }
            Written::Blocked => {
                drop(state);
                self.driver.notify_one();
            }
        }
    }
}

/// What a non-blocking write of a queue achieved.
#[derive(Debug, PartialEq)]
pub(crate) enum Written {
    /// Every frame went out.
    All,
    /// The socket took part of a frame: these bytes must go out before anything
    /// else; the frames they belong to have left the queue.
    Partial(Vec<u8>),
    /// The socket took whole frames or nothing (or failed): the queue holds the rest.
    Blocked,
}

/// Writes as much of `queue` as `stream` takes without blocking.
pub(crate) fn try_write_frames(stream: &TcpStream, queue: &mut VecDeque<Frame>) -> Written {
    while !queue.is_empty() {
        let (result, count, total) =
            frame_writer::with_slices(queue, |slices| stream.try_write_vectored(slices));
        let written = match result {
            Ok(written) => written,
            Err(_) => return Written::Blocked,
        };
        if written < total {
            if written == 0 {
                return Written::Blocked;
            }
            let rest = frame_writer::remainder(queue.iter().take(count), written, total - written);
            queue.drain(..count);
            return Written::Partial(rest);
        }
        queue.drain(..count);
    }
    Written::All
}

/// A TCP stream shared by a WebSocket driver (which reads it and writes when the
/// socket is busy) and the [`FlushScope`]s that write to it directly.
#[derive(Clone)]
pub(crate) struct SharedTcp(pub(crate) Arc<TcpStream>);

impl AsyncRead for SharedTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            // The WebSocket library hands over an initialised buffer, so this
            // costs nothing there.
            match self.0.try_read(buf.initialize_unfilled()) {
                Ok(read) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for SharedTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return Poll::Ready(result),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write_vectored(bufs) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return Poll::Ready(result),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(socket2::SockRef::from(&*self.0).shutdown(std::net::Shutdown::Write))
    }
}
