//! Events from the server, the [`AckSender`] that answers them, and handlers.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use tokio::sync::mpsc;

use super::Client;
use super::outbox::{Outgoing, push};
use crate::peer::{BoxFuture, EmitError, HandlerResult};
use crate::protocol::EmitArgs;
use crate::protocol::encode_ack;

/// An event received from the server: its name, its arguments and, when the server
/// asked for one, the means to acknowledge it.
pub type Event = crate::peer::Event<AckSender>;

impl Event {
    /// Acknowledges the event with `data` (a tuple spreads into several arguments,
    /// `()` sends none). Does nothing when the server asked for no acknowledgement.
    pub fn ack<T: Serialize + ?Sized>(&mut self, data: &T) -> Result<(), EmitError> {
        match self.take_ack() {
            Some(ack) => ack.send(data),
            None => Ok(()),
        }
    }

    /// A copy for another handler of the same event, sharing the acknowledgement.
    pub(crate) fn share(&self) -> Event {
        self.share_with(AckSender::share)
    }
}

/// Sends the acknowledgement of one server event; usable once.
///
/// Every handler of the event (catch-alls included) gets one; the first answer
/// goes out, later ones are ignored. The answer goes out on the connection the
/// event arrived on; if that connection was lost meanwhile, it is dropped (the
/// server stopped waiting for it).
#[derive(Debug)]
pub struct AckSender {
    outbox: mpsc::Sender<Outgoing>,
    nsp: Arc<str>,
    id: u64,
    generation: u64,
    answered: Arc<AtomicBool>,
}

impl AckSender {
    pub(crate) fn new(
        outbox: mpsc::Sender<Outgoing>,
        nsp: Arc<str>,
        id: u64,
        generation: u64,
    ) -> AckSender {
        AckSender {
            outbox,
            nsp,
            id,
            generation,
            answered: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Another sender for the same acknowledgement.
    fn share(&self) -> AckSender {
        AckSender {
            outbox: self.outbox.clone(),
            nsp: self.nsp.clone(),
            id: self.id,
            generation: self.generation,
            answered: self.answered.clone(),
        }
    }

    /// The ack id the server chose.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sends the acknowledgement: a tuple spreads into several arguments, `()` sends
    /// none, anything else is one argument. Does nothing when another handler of
    /// the event answered first.
    pub fn send<T: Serialize + ?Sized>(self, data: &T) -> Result<(), EmitError> {
        let encoded = encode_ack(&self.nsp, self.id, &EmitArgs::new(data))?;
        if self.answered.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        push(
            &self.outbox,
            Outgoing::Ack {
                encoded,
                generation: self.generation,
            },
        )
    }
}

/// Handles one event (or, as a catch-all, every event) from the server.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a client event handler",
    note = "a client event handler is an `async` closure `|client: Client, event: Event| async move {{ ... }}`"
)]
pub trait EventHandler: Send + Sync + 'static {
    /// Handles `event`, received by `client`.
    fn call(&self, client: Client, event: Event) -> BoxFuture;
}

impl<F, Fut> EventHandler for F
where
    F: Fn(Client, Event) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerResult,
{
    fn call(&self, client: Client, event: Event) -> BoxFuture {
        let future = self(client, event);
        Box::pin(async move { future.await.report("client event") })
    }
}

/// The handlers registered on a [`ClientBuilder`](super::ClientBuilder).
#[derive(Default, Clone)]
pub(crate) struct Handlers {
    by_event: HashMap<String, Arc<dyn EventHandler>>,
    any: Vec<Arc<dyn EventHandler>>,
}

impl Handlers {
    pub(crate) fn on(&mut self, event: &str, handler: Arc<dyn EventHandler>) {
        self.by_event.insert(event.to_owned(), handler);
    }

    pub(crate) fn on_any(&mut self, handler: Arc<dyn EventHandler>) {
        self.any.push(handler);
    }

    pub(crate) fn off(&mut self, event: &str) {
        self.by_event.remove(event);
    }

    /// Removes `event`'s handler if it is still `handler` (a spent `once`).
    pub(crate) fn off_if(&mut self, event: &str, handler: *const ()) {
        let current = self
            .by_event
            .get(event)
            .map(|current| Arc::as_ptr(current).cast::<()>());
        if current == Some(handler) {
            self.by_event.remove(event);
        }
    }

    pub(crate) fn off_any(&mut self) {
        self.any.clear();
    }

    /// The handlers of event `name`: every catch-all, then the event's own
    /// handler (one per name: a later registration replaces an earlier one).
    pub(crate) fn targets(&self, name: &str) -> Vec<Arc<dyn EventHandler>> {
        self.any
            .iter()
            .chain(self.by_event.get(name))
            .cloned()
            .collect()
    }
}

/// The futures of `targets` handling `event`, sharing its acknowledgement sender.
/// Called with no lock held: a `once` handler removes itself.
pub(crate) fn dispatch(
    targets: &[Arc<dyn EventHandler>],
    client: &Client,
    event: Event,
) -> Vec<BoxFuture> {
    let Some((last, others)) = targets.split_last() else {
        tracing::debug!(event = event.name(), "no handler for event");
        return Vec::new();
    };
    let mut futures: Vec<BoxFuture> = others
        .iter()
        .map(|handler| handler.call(client.clone(), event.share()))
        .collect();
    futures.push(last.call(client.clone(), event));
    futures
}
