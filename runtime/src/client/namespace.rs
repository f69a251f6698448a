//! One namespace of the client's connection, as the connection task sees it:
//! its handlers, acknowledgements, state, recovery and the queue of packets
//! resent until acknowledged (socket.io-client's `retries`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::ack::PendingAcks;
use super::auth::AuthSource;
use super::error::AckError;
use super::error::ConnectError;
use super::listeners::Listeners;
use super::recovery::Recovery;
use super::state::ConnectionState;
use super::{Client, Shared};
use crate::protocol::Encoded;

/// How a namespace's acknowledged packets are delivered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Delivery {
    /// How many times a packet is resent without an answer (0: never, and
    /// packets do not go through the retry queue).
    pub(crate) retries: u32,
    /// How long each try waits for the answer.
    pub(crate) ack_timeout: Duration,
}

/// The answer to a namespace joined while the connection runs.
pub(crate) type JoinReply = oneshot::Sender<Result<(), ConnectError>>;

/// One namespace on the connection.
pub(crate) struct NspSocket {
    pub(crate) nsp: Arc<str>,
    pub(crate) auth: AuthSource,
    pub(crate) shared: Weak<Shared>,
    pub(crate) acks: Arc<PendingAcks>,
    pub(crate) listeners: Arc<Listeners>,
    pub(crate) state: watch::Sender<ConnectionState>,
    pub(crate) recovery: Recovery,
    pub(crate) retry: RetryQueue,
    pub(crate) delivery: Delivery,
    /// Waiting for the server's CONNECT answer (a namespace joined at run time).
    pub(crate) joining: Option<JoinReply>,
}

impl NspSocket {
    /// A handle on this namespace, unless every handle is gone or
    /// [`Client::disconnect`] was called.
    pub(crate) fn client(&self) -> Option<Client> {
        let shared = self.shared.upgrade()?;
        (!shared.leaving()).then_some(Client { shared })
    }

    /// Whether the namespace should be left: no handle is left, or one asked.
    pub(crate) fn leaving(&self) -> bool {
        self.shared.upgrade().is_none_or(|shared| shared.leaving())
    }

    /// The namespace is gone for good: its waits fail.
    pub(crate) fn end(&mut self, state: ConnectionState) {
        self.acks.fail_all();
        self.retry.fail_all(&self.acks);
        if let Some(reply) = self.joining.take() {
            let error = match &state {
                ConnectionState::Disconnected(super::DisconnectReason::Refused(refusal)) => {
                    ConnectError::Refused(refusal.clone())
                }
                _ => ConnectError::Closed,
            };
            let _ = reply.send(Err(error));
        }
        self.state.send_replace(state);
    }
}

/// A packet resent until acknowledged.
struct Queued {
    encoded: Encoded,
    ack_id: u64,
    /// Tries started (each lasts an `ack_timeout`).
    tries: u32,
}

/// The packets of a namespace resent until acknowledged, in order, one in
/// flight at a time (socket.io-client's `_queue`). The same ack id serves every
/// try, so a late answer to an earlier try settles the packet too.
#[derive(Default)]
pub(crate) struct RetryQueue {
    items: VecDeque<Queued>,
    /// When the head's current try ends, while one runs.
    deadline: Option<Instant>,
    /// How many packets wait, shared with the handles for the bound.
    pub(crate) len: Arc<AtomicUsize>,
}

impl RetryQueue {
    /// Adds a packet; the head to send now, if it is its first try.
    pub(crate) fn push(
        &mut self,
        encoded: Encoded,
        ack_id: u64,
        delivery: Delivery,
    ) -> Option<Encoded> {
        self.items.push_back(Queued {
            encoded,
            ack_id,
            tries: 0,
        });
        self.start(delivery)
    }

    /// Starts a try of the head when none runs: the packet to send.
    fn start(&mut self, delivery: Delivery) -> Option<Encoded> {
        if self.deadline.is_some() {
            return None;
        }
        let head = self.items.front_mut()?;
        head.tries += 1;
        self.deadline = Some(Instant::now() + delivery.ack_timeout);
        Some(head.encoded.clone())
    }

    /// An acknowledgement with `id` arrived: when it settles the head, the next
    /// packet to send.
    pub(crate) fn acknowledged(&mut self, id: u64, delivery: Delivery) -> Option<Encoded> {
        if self.items.front().is_none_or(|head| head.ack_id != id) {
            return None;
        }
        self.items.pop_front();
        self.len.fetch_sub(1, Ordering::AcqRel);
        self.deadline = None;
        self.start(delivery)
    }

    /// When the current try ends.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Ends a try that ran out: the head is resent (returned) while it has
    /// retries left, else it fails with [`AckError::Timeout`] and the next one is
    /// sent.
    pub(crate) fn expire(&mut self, acks: &PendingAcks, delivery: Delivery) -> Option<Encoded> {
        if self
            .deadline
            .is_none_or(|deadline| deadline > Instant::now())
        {
            return None;
        }
        self.deadline = None;
        let head = self.items.front()?;
        if head.tries > delivery.retries {
            acks.fail(head.ack_id, AckError::Timeout);
            self.items.pop_front();
            self.len.fetch_sub(1, Ordering::AcqRel);
        }
        self.start(delivery)
    }

    /// The packet to send on a new connection: the head again, within its
    /// current try, or starting one.
    pub(crate) fn resume(&mut self, delivery: Delivery) -> Option<Encoded> {
        if self.deadline.is_some() {
            return self.items.front().map(|head| head.encoded.clone());
        }
        self.start(delivery)
    }

    /// Fails every packet (the namespace is gone).
    pub(crate) fn fail_all(&mut self, acks: &PendingAcks) {
        for queued in self.items.drain(..) {
            acks.fail(queued.ack_id, AckError::Disconnected);
        }
        self.len.store(0, Ordering::Release);
        self.deadline = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encode_event;

    fn packet(n: u64) -> Encoded {
        encode_event("/", "n", &(n,), Some(n)).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn one_packet_in_flight_resent_until_its_retries_are_spent() {
        let delivery = Delivery {
            retries: 1,
            ack_timeout: Duration::from_secs(1),
        };
        let acks = PendingAcks::default();
        let (first, mut first_answer) = acks.register(true);
        let (second, _second_answer) = acks.register(true);
        let mut queue = RetryQueue::default();
        queue.len.store(2, Ordering::Release);
        assert_eq!(
            queue.push(packet(first), first, delivery),
            Some(packet(first))
        );
        assert_eq!(
            queue.push(packet(second), second, delivery),
            None,
            "one in flight"
        );
        assert_eq!(queue.expire(&acks, delivery), None, "not yet");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            queue.expire(&acks, delivery),
            Some(packet(first)),
            "retried"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            queue.expire(&acks, delivery),
            Some(packet(second)),
            "gave up"
        );
        assert!(matches!(
            first_answer.try_recv(),
            Ok(Err(AckError::Timeout))
        ));
        assert_eq!(queue.acknowledged(first, delivery), None, "too late");
        assert_eq!(queue.resume(delivery), Some(packet(second)));
        assert_eq!(queue.acknowledged(second, delivery), None);
        assert_eq!(queue.len.load(Ordering::Acquire), 0);
        assert_eq!(queue.deadline(), None);
    }
}
