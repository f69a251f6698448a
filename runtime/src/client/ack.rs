//! Acknowledgements the client waits for, and the [`AckFuture`] that resolves them.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use super::error::AckError;
use crate::peer::EmitError;
use crate::peer::decode_ack;
use crate::protocol::Args;

/// What an [`AckFuture`] receives: the answer, or why there is none.
pub(crate) type AckOutcome = Result<Args, AckError>;

struct Waiting {
    sender: oneshot::Sender<AckOutcome>,
    /// The packet asking for it has been written to a connection.
    sent: bool,
    /// The packet is resent until acknowledged (`retries`): a lost connection
    /// does not fail it.
    reliable: bool,
}

/// Acknowledgements waiting for the server, by ack id; shared by the client handles
/// (which register them) and the connection task (which resolves them).
#[derive(Default)]
pub(crate) struct PendingAcks {
    state: Mutex<AckTable>,
}

#[derive(Default)]
struct AckTable {
    next_id: u64,
    waiting: HashMap<u64, Waiting>,
}

impl PendingAcks {
    /// A fresh ack id and the receiver of its answer; a `reliable` one survives
    /// lost connections.
    pub(crate) fn register(&self, reliable: bool) -> (u64, oneshot::Receiver<AckOutcome>) {
        let (sender, receiver) = oneshot::channel();
        let mut table = self.lock();
        let id = table.next_id;
        table.next_id += 1;
        table.waiting.insert(
            id,
            Waiting {
                sender,
                sent: false,
                reliable,
            },
        );
        (id, receiver)
    }

    /// Records that the packet asking for `id` went out on a connection.
    pub(crate) fn mark_sent(&self, id: u64) {
        if let Some(waiting) = self.lock().waiting.get_mut(&id) {
            waiting.sent = true;
        }
    }

    /// Delivers an acknowledgement; unknown ids (late or duplicate) are ignored.
    pub(crate) fn resolve(&self, id: u64, args: Args) {
        let waiting = self.lock().waiting.remove(&id);
        match waiting {
            Some(waiting) => {
                let _ = waiting.sender.send(Ok(args));
            }
            None => tracing::debug!(id, "acknowledgement for an unknown id ignored"),
        }
    }

    /// Fails the wait for `id` with `error`.
    pub(crate) fn fail(&self, id: u64, error: AckError) {
        if let Some(waiting) = self.lock().waiting.remove(&id) {
            let _ = waiting.sender.send(Err(error));
        }
    }

    /// Stops waiting for `id`.
    pub(crate) fn forget(&self, id: u64) {
        self.lock().waiting.remove(&id);
    }

    /// The connection was lost: every acknowledgement asked for on it fails with
    /// [`AckError::Disconnected`]. Those whose packet is still buffered stay, as
    /// the packet will be sent on the next connection.
    pub(crate) fn fail_sent(&self) {
        let mut table = self.lock();
        table
            .waiting
            .retain(|_, waiting| waiting.reliable || !waiting.sent);
    }

    /// The client stopped: every acknowledgement fails.
    pub(crate) fn fail_all(&self) {
        let waiting = std::mem::take(&mut self.lock().waiting);
        drop(waiting);
    }

    fn lock(&self) -> MutexGuard<'_, AckTable> {
        self.state.lock()
    }
}

pin_project_lite::pin_project! {
    /// The acknowledgement of one [`Client::emit_with_ack`](super::Client::emit_with_ack):
    /// resolves to the first argument the server acknowledged with, decoded as `R`
    /// ([`Args`] receives them all), or an [`AckError`]:
    /// [`Timeout`](AckError::Timeout) when no answer comes within the timeout
    /// (the client's [`ack_timeout`](super::ClientBuilder::ack_timeout), 10 s by
    /// default, or [`AckFuture::timeout`]); [`Disconnected`](AckError::Disconnected)
    /// when the connection the event went out on was lost, or the client stopped.
    ///
    /// An emit made while the client is reconnecting waits in the buffer, and its
    /// timeout runs meanwhile. With [`retries`](super::ClientBuilder::retries),
    /// the packet is resent after each `ack_timeout` without an answer and the
    /// future fails with [`Timeout`](AckError::Timeout) once the retries are
    /// spent (a lost connection does not fail it); [`AckFuture::timeout`] still
    /// bounds the whole wait.
    ///
    /// # Cancel safety
    ///
    /// Dropping it stops the wait; a later acknowledgement is ignored.
    pub struct AckFuture<R> {
        state: State,
        deadline: Option<Instant>,
        // Made on the first poll, so that emitting works outside a tokio runtime.
        #[pin]
        timer: Option<Sleep>,
        _marker: PhantomData<fn() -> R>,
    }

    impl<R> PinnedDrop for AckFuture<R> {
        fn drop(this: Pin<&mut Self>) {
            if let State::Waiting { acks, id, .. } = this.project().state {
                acks.forget(*id);
            }
        }
    }
}

enum State {
    Waiting {
        receiver: oneshot::Receiver<AckOutcome>,
        acks: Arc<PendingAcks>,
        id: u64,
    },
    Failed(Option<AckError>),
    Done,
}

impl<R> AckFuture<R> {
    /// Waits for `id`; `timeout: None` when the connection task bounds the wait.
    pub(crate) fn waiting(
        receiver: oneshot::Receiver<AckOutcome>,
        acks: Arc<PendingAcks>,
        id: u64,
        timeout: Option<Duration>,
    ) -> Self {
        AckFuture {
            state: State::Waiting { receiver, acks, id },
            deadline: timeout.map(|timeout| Instant::now() + timeout),
            timer: None,
            _marker: PhantomData,
        }
    }

    pub(crate) fn failed(error: EmitError) -> Self {
        AckFuture {
            state: State::Failed(Some(AckError::Emit(error))),
            deadline: None,
            timer: None,
            _marker: PhantomData,
        }
    }

    /// Waits at most `timeout` from now instead of the client's default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.deadline = Some(Instant::now() + timeout);
        self
    }
}

impl<R: DeserializeOwned + 'static> Future for AckFuture<R> {
    type Output = Result<R, AckError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let outcome = match this.state {
            State::Failed(error) => Err(error.take().unwrap_or(AckError::Disconnected)),
            State::Done => Err(AckError::Disconnected),
            State::Waiting { receiver, .. } => match Pin::new(receiver).poll(cx) {
                Poll::Ready(Ok(Ok(args))) => decode_ack(args).map_err(AckError::from),
                Poll::Ready(Ok(Err(error))) => Err(error),
                Poll::Ready(Err(_)) => Err(AckError::Disconnected),
                Poll::Pending => {
                    let Some(deadline) = *this.deadline else {
                        return Poll::Pending;
                    };
                    if this.timer.is_none() {
                        this.timer.set(Some(tokio::time::sleep_until(deadline)));
                    }
                    match this.timer.as_pin_mut().map(|timer| timer.poll(cx)) {
                        Some(Poll::Pending) => return Poll::Pending,
                        _ => Err(AckError::Timeout),
                    }
                }
            },
        };
        if let State::Waiting { acks, id, .. } = std::mem::replace(this.state, State::Done) {
            acks.forget(id);
        }
        Poll::Ready(outcome)
    }
}
