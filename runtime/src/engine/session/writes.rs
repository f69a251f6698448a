//! Who writes a WebSocket session's socket: its flusher (see [`crate::engine::direct`])
//! or its own task, one at a time, and never in the middle of another's frame.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::MutexGuard;
use tokio::net::TcpStream;

use super::{Session, State};
use crate::engine::direct::try_write_slices;
use crate::engine::frame_writer::{self, Written};
use crate::engine::packet::Frame;

/// Who may write a WebSocket session's socket. One party writes at a time, and a
/// frame left half written is finished before anything else goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer {
    /// Nobody: the next frame queued lists the session with its flusher.
    Idle,
    /// On a flusher's list: the flusher writes the queue when the session's turn
    /// comes, unless the session's task has taken it over by then.
    Listed,
    /// A flusher task is writing; the session's task waits for it to finish.
    Flusher,
    /// The session's task writes (its own answers, a full socket, a close).
    Driver,
}

/// What the WebSocket driver may do about writing, from [`Session::claim_writes`].
pub(crate) enum Claim {
    /// A flusher is writing; it wakes the driver when it is done.
    Busy,
    /// The driver holds the socket if it took anything to write. `drained` tells
    /// that the session is closed and nothing more is queued.
    Granted { drained: bool },
}

impl<D> Session<D> {
    /// Lets flushers write to `stream` (the WebSocket driver's connection) from now on.
    pub(crate) fn attach_direct(&self, stream: Arc<TcpStream>) {
        self.lock().direct = Some(stream);
    }

    /// A flusher's turn for this session: writes the queue to the socket without
    /// waiting, or hands the socket to the session's task when it is full, the
    /// session closes, or the task asked for it. `batch` is the flusher's empty
    /// buffer. Returns whether the session must be listed again (frames were
    /// queued while it was being written).
    pub(crate) fn flush_direct(self: &Arc<Self>, batch: &mut VecDeque<Frame>) -> bool {
        let mut state = self.lock();
        if state.writer != Writer::Listed {
            return false;
        }
        let stream = match &state.direct {
            Some(stream) if !needs_driver(&state) => stream.clone(),
            _ => return self.hand_to_driver(state),
        };
        if state.queue.is_empty() {
            state.writer = Writer::Idle;
            return false;
        }
        std::mem::swap(&mut state.queue, batch);
        state.writer = Writer::Flusher;
        drop(state);
        let written =
            frame_writer::try_write_frames(batch, |slices| try_write_slices(&stream, slices));
        let mut state = self.lock();
        match written {
            Written::All if needs_driver(&state) => self.hand_to_driver(state),
            Written::All if state.queue.is_empty() => {
                state.writer = Writer::Idle;
                false
            }
            Written::All => {
                state.writer = Writer::Listed;
                true
            }
            Written::Partial(rest) => {
                state.partial = rest;
                requeue(&mut state, batch);
                self.hand_to_driver(state)
            }
            Written::Blocked | Written::Failed => {
                requeue(&mut state, batch);
                self.hand_to_driver(state)
            }
        }
    }

    fn hand_to_driver(&self, mut state: MutexGuard<'_, State>) -> bool {
        state.writer = Writer::Driver;
        drop(state);
        self.driver.notify_one();
        false
    }

    /// Takes what the WebSocket driver must write now: `partial` (the end of a
    /// half-written frame) first, then `batch` (both empty on entry). With
    /// anything to write, or `control` bytes of its own, the driver holds the
    /// socket until [`Session::release_writes`].
    pub(crate) fn claim_writes(
        &self,
        batch: &mut VecDeque<Frame>,
        partial: &mut Vec<u8>,
        control: bool,
    ) -> Claim {
        let mut state = self.lock();
        if state.writer == Writer::Flusher {
            state.driver_waits = true;
            return Claim::Busy;
        }
        state.driver_waits = false;
        match state.flush_after.take() {
            Some(last) if last + 1 < state.queue.len() => {
                batch.extend(state.queue.drain(..=last));
                self.driver.notify_one();
            }
            _ => std::mem::swap(&mut state.queue, batch),
        }
        std::mem::swap(&mut state.partial, partial);
        if !batch.is_empty() || !partial.is_empty() || control {
            state.writer = Writer::Driver;
        } else if state.writer == Writer::Driver {
            state.writer = Writer::Idle;
        }
        Claim::Granted {
            drained: state.closed.is_some() && state.queue.is_empty(),
        }
    }

    /// Ends a write of the driver's; it looks again when more was queued meanwhile.
    pub(crate) fn release_writes(&self) {
        let mut state = self.lock();
        if state.writer != Writer::Driver {
            return;
        }
        state.writer = Writer::Idle;
        if !state.queue.is_empty() {
            drop(state);
            self.driver.notify_one();
        }
    }

    /// Takes the socket back from the flushers for good, as the driver ends; yields
    /// the end of a half-written frame to write before a close frame. `None` while
    /// a flusher is still writing: the driver is woken when it is done.
    pub(crate) fn retire_writes(&self) -> Option<Vec<u8>> {
        let mut state = self.lock();
        state.direct = None;
        if state.writer == Writer::Flusher {
            state.driver_waits = true;
            return None;
        }
        state.writer = Writer::Driver;
        Some(std::mem::take(&mut state.partial))
    }
}

/// Whether a flusher must leave the socket to the session's task.
fn needs_driver(state: &State) -> bool {
    state.closed.is_some()
        || state.flush_after.is_some()
        || state.driver_waits
        || !state.partial.is_empty()
}

/// Puts frames a flusher could not write back in front of the queue (or drops
/// them when the session closed without delivering what was queued).
fn requeue(state: &mut State, batch: &mut VecDeque<Frame>) {
    if state.closed.is_some_and(|reason| !reason.flushes()) {
        batch.clear();
        return;
    }
    let put_back = batch.len();
    batch.append(&mut state.queue);
    std::mem::swap(batch, &mut state.queue);
    if let Some(last) = state.flush_after.as_mut() {
        *last += put_back;
    }
}
