//! Waiting for acknowledgements: [`AckFuture`] for one socket, [`AckStream`] for a broadcast.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Weak;
use std::task::{Context, Poll};

use futures_util::Stream;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Sleep};

use super::error::AckError;
use super::socket::SocketInner;
use crate::adapter::{RemoteAck, RemoteAcks};
use crate::engine::Sid;
use crate::peer::decode_ack;
use crate::protocol::{ArgError, Args};

/// Acknowledgements a socket is waiting for, by ack id.
#[derive(Default)]
pub(crate) struct PendingAcks {
    waiting: Mutex<HashMap<u64, oneshot::Sender<Args>>>,
}

impl PendingAcks {
    pub(crate) fn insert(&self, id: u64) -> oneshot::Receiver<Args> {
        let (sender, receiver) = oneshot::channel();
        self.lock().insert(id, sender);
        receiver
    }

    /// Delivers an acknowledgement; unknown ids (late or duplicate) are ignored.
    pub(crate) fn resolve(&self, id: u64, args: Args) {
        let sender = self.lock().remove(&id);
        if let Some(sender) = sender {
            crate::telemetry::with(|metrics| metrics.acks_received.increment(1));
            let _ = sender.send(args);
        } else {
            tracing::debug!(id, "acknowledgement for an unknown id ignored");
        }
    }

    pub(crate) fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Fails every pending acknowledgement (the socket disconnected).
    pub(crate) fn clear(&self) {
        let waiting = std::mem::take(&mut *self.lock());
        drop(waiting);
    }

    fn lock(&self) -> parking_lot::MutexGuard<'_, HashMap<u64, oneshot::Sender<Args>>> {
        self.waiting.lock()
    }
}

pin_project_lite::pin_project! {
    /// The acknowledgement of one emit: resolves to the first argument the client
    /// acknowledged with, decoded as `R`, or an [`AckError`] (timeout, disconnect,
    /// wrong type).
    ///
    /// # Cancel safety
    ///
    /// Dropping it stops the wait; a later acknowledgement is ignored.
    pub struct AckFuture<R> {
        state: AckState,
        deadline: Instant,
        // Made on the first poll, so that emitting works outside a tokio runtime.
        #[pin]
        timer: Option<Sleep>,
        _marker: PhantomData<fn() -> R>,
    }

    impl<R> PinnedDrop for AckFuture<R> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let AckState::Waiting { socket, id, .. } = this.state
                && let Some(socket) = socket.upgrade()
            {
                socket.acks.forget(*id);
            }
        }
    }
}

enum AckState {
    Waiting {
        receiver: oneshot::Receiver<Args>,
        socket: Weak<SocketInner>,
        id: u64,
    },
    Failed(Option<AckError>),
    Done,
}

impl<R> AckFuture<R> {
    pub(crate) fn waiting(
        receiver: oneshot::Receiver<Args>,
        socket: Weak<SocketInner>,
        id: u64,
        deadline: Instant,
    ) -> Self {
        AckFuture {
            state: AckState::Waiting {
                receiver,
                socket,
                id,
            },
            deadline,
            timer: None,
            _marker: PhantomData,
        }
    }

    pub(crate) fn failed(error: AckError) -> Self {
        AckFuture {
            state: AckState::Failed(Some(error)),
            deadline: Instant::now(),
            timer: None,
            _marker: PhantomData,
        }
    }
}

impl<R: DeserializeOwned + 'static> Future for AckFuture<R> {
    type Output = Result<R, AckError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let outcome = match this.state {
            AckState::Failed(error) => Err(error.take().unwrap_or(AckError::Disconnected)),
            AckState::Done => Err(AckError::Disconnected),
            AckState::Waiting { receiver, .. } => match Pin::new(receiver).poll(cx) {
                Poll::Ready(Ok(args)) => decode_ack(args).map_err(AckError::from),
                Poll::Ready(Err(_)) => Err(AckError::Disconnected),
                Poll::Pending => {
                    if this.timer.is_none() {
                        this.timer
                            .set(Some(tokio::time::sleep_until(*this.deadline)));
                    }
                    match this.timer.as_pin_mut().map(|timer| timer.poll(cx)) {
                        Some(Poll::Pending) => return Poll::Pending,
                        _ => {
                            crate::telemetry::with(|metrics| metrics.ack_timeouts.increment(1));
                            Err(AckError::Timeout)
                        }
                    }
                }
            },
        };
        if let AckState::Waiting { socket, id, .. } = std::mem::replace(this.state, AckState::Done)
            && let Some(socket) = socket.upgrade()
        {
            socket.acks.forget(id);
        }
        Poll::Ready(outcome)
    }
}

pin_project_lite::pin_project! {
    /// The acknowledgements of a broadcast: one `(socket id, result)` per targeted
    /// socket, in the order they arrive. Sockets that have not answered by the
    /// timeout yield [`AckError::Timeout`]. With an adapter, the sockets of the other
    /// nodes answer too, with `None` for the id (the adapters' protocol does not
    /// carry it); each socket another node counted but that did not answer in time
    /// yields a timeout, and so does each node that did not report at all.
    ///
    /// Use it as a [`Stream`], or await [`AckStream::collect_all`].
    pub struct AckStream<R> {
        #[pin]
        pending: FuturesUnordered<Tagged<R>>,
        remote: Option<Box<Remote>>,
    }
}

/// One item of an [`AckStream`]: the socket's id when it is on this node, and its
/// acknowledgement.
type AckItem<R> = (Option<Sid>, Result<R, AckError>);

/// The other nodes' side of an [`AckStream`].
struct Remote {
    /// How many nodes will report, until known.
    nodes: Option<BoxFuture<'static, usize>>,
    expected_nodes: Option<usize>,
    reports: mpsc::Receiver<RemoteAck>,
    reported_nodes: usize,
    expected_acks: usize,
    received_acks: usize,
    deadline: Pin<Box<Sleep>>,
    /// Timeouts still to yield once the deadline passed.
    timeouts: usize,
    finished: bool,
}

impl Remote {
    fn complete(&self) -> bool {
        self.expected_nodes
            .is_some_and(|nodes| self.reported_nodes >= nodes)
            && self.received_acks >= self.expected_acks
    }

    /// The next item or end of the other nodes' answers.
    fn poll_next<R: DeserializeOwned>(&mut self, cx: &mut Context<'_>) -> Poll<Option<AckItem<R>>> {
        loop {
            if self.timeouts > 0 {
                self.timeouts -= 1;
                return Poll::Ready(Some((None, Err(AckError::Timeout))));
            }
            if self.finished {
                return Poll::Ready(None);
            }
            if let Some(nodes) = self.nodes.as_mut()
                && let Poll::Ready(count) = nodes.as_mut().poll(cx)
            {
                self.nodes = None;
                self.expected_nodes = Some(count);
            }
            match self.reports.poll_recv(cx) {
                Poll::Ready(Some(RemoteAck::ClientCount(count))) => {
                    self.reported_nodes += 1;
                    self.expected_acks = self.expected_acks.saturating_add(count);
                    continue;
                }
                Poll::Ready(Some(RemoteAck::Unavailable(error))) => {
                    return Poll::Ready(Some((None, Err(AckError::Cluster(error)))));
                }
                Poll::Ready(Some(RemoteAck::Ack(value))) => {
                    self.received_acks += 1;
                    let decoded = crate::protocol::from_value(value)
                        .map_err(|source| AckError::Decode(ArgError::Value { index: 0, source }));
                    return Poll::Ready(Some((None, decoded)));
                }
                Poll::Ready(None) | Poll::Pending => {}
            }
            if self.complete() {
                self.finished = true;
                continue;
            }
            if self.deadline.as_mut().poll(cx).is_ready() {
                self.finished = true;
                let silent_nodes = self
                    .expected_nodes
                    .map_or(0, |nodes| nodes.saturating_sub(self.reported_nodes));
                self.timeouts =
                    self.expected_acks.saturating_sub(self.received_acks) + silent_nodes;
                continue;
            }
            return Poll::Pending;
        }
    }
}

pin_project_lite::pin_project! {
    struct Tagged<R> {
        sid: Sid,
        #[pin]
        future: AckFuture<R>,
    }
}

impl<R: DeserializeOwned + 'static> Future for Tagged<R> {
    type Output = (Sid, Result<R, AckError>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let sid = *this.sid;
        this.future.poll(cx).map(|result| (sid, result))
    }
}

impl<R: DeserializeOwned + 'static> AckStream<R> {
    pub(crate) fn new() -> Self {
        AckStream {
            pending: FuturesUnordered::new(),
            remote: None,
        }
    }

    pub(crate) fn push(&mut self, sid: Sid, future: AckFuture<R>) {
        self.pending.push(Tagged { sid, future });
    }

    /// Adds the other nodes' answers, waited for until `deadline`.
    pub(crate) fn with_remote(mut self, remote: RemoteAcks, deadline: Instant) -> Self {
        self.remote = Some(Box::new(Remote {
            nodes: Some(remote.nodes),
            expected_nodes: None,
            reports: remote.reports,
            reported_nodes: 0,
            expected_acks: 0,
            received_acks: 0,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            timeouts: 0,
            finished: false,
        }));
        self
    }

    /// How many sockets have not answered yet: this node's, and those the other
    /// nodes reported so far.
    pub fn remaining(&self) -> usize {
        let remote = self.remote.as_ref().map_or(0, |remote| {
            remote.expected_acks.saturating_sub(remote.received_acks) + remote.timeouts
        });
        self.pending.len() + remote
    }

    /// Waits for every socket and returns all results.
    pub async fn collect_all(self) -> Vec<(Option<Sid>, Result<R, AckError>)> {
        futures_util::StreamExt::collect(self).await
    }
}

impl<R: DeserializeOwned + 'static> Stream for AckStream<R> {
    type Item = (Option<Sid>, Result<R, AckError>);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        let local = match this.pending.poll_next(cx) {
            Poll::Ready(Some((sid, result))) => return Poll::Ready(Some((Some(sid), result))),
            Poll::Ready(None) => true,
            Poll::Pending => false,
        };
        let remote = match this.remote.as_mut() {
            Some(remote) => match remote.poll_next(cx) {
                Poll::Ready(Some(item)) => return Poll::Ready(Some(item)),
                Poll::Ready(None) => true,
                Poll::Pending => false,
            },
            None => true,
        };
        if local && remote {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}
