//! Handlers added and removed while the client runs (`on`, `once`, `off`,
//! `off_any`) and outgoing hooks (socket.io-client's `onAnyOutgoing`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::event::{EventHandler, Handlers};
use super::{Client, Event};
use crate::peer::BoxFuture;
use crate::protocol::Encoded;

/// Sees each event the client sends.
pub(crate) type OutgoingHook = Arc<dyn Fn(&Client, &Event) + Send + Sync>;

/// A namespace's handlers and outgoing hooks, shared by its handles and the
/// connection task.
#[derive(Default)]
pub(crate) struct Listeners {
    handlers: RwLock<Handlers>,
    /// Copied on write, so that sending an event only clones an `Arc`.
    outgoing: RwLock<Arc<[OutgoingHook]>>,
}

impl Listeners {
    pub(crate) fn new(handlers: Handlers) -> Listeners {
        Listeners {
            handlers: RwLock::new(handlers),
            outgoing: RwLock::new(Arc::new([])),
        }
    }

    pub(crate) fn handlers(&self) -> RwLockReadGuard<'_, Handlers> {
        self.handlers.read()
    }

    fn handlers_mut(&self) -> RwLockWriteGuard<'_, Handlers> {
        self.handlers.write()
    }

    fn add_outgoing(&self, hook: OutgoingHook) {
        let mut hooks = self.outgoing.write();
        *hooks = hooks.iter().cloned().chain(std::iter::once(hook)).collect();
    }

    /// Runs the outgoing hooks on `encoded`, when there are some and it is an event.
    pub(crate) fn notify_outgoing(&self, client: &Client, encoded: &Encoded) {
        let hooks = self.outgoing.read().clone();
        if hooks.is_empty() {
            return;
        }
        let Some((name, args)) = crate::protocol::decode_event(encoded) else {
            return;
        };
        let event = Event::new(name, args, None);
        for hook in hooks.iter() {
            hook(client, &event);
        }
    }
}

impl Client {
    /// Handles the server's event `event` from now on, as
    /// [`ClientBuilder::on`](super::ClientBuilder::on) does (replacing the
    /// event's handler, if any).
    pub fn on(&self, event: &str, handler: impl EventHandler) {
        self.shared
            .listeners
            .handlers_mut()
            .on(event, Arc::new(handler));
    }

    /// Handles the next `event` from the server, then no more.
    pub fn once(&self, event: &str, handler: impl EventHandler) {
        let once = Arc::new_cyclic(|this: &Weak<Once>| Once {
            event: event.to_owned(),
            spent: AtomicBool::new(false),
            this: this.clone(),
            listeners: Arc::downgrade(&self.shared.listeners),
            handler: Box::new(handler),
        });
        self.shared.listeners.handlers_mut().on(event, once);
    }

    /// Handles every event from the server from now on, before the event's own
    /// handler, as [`ClientBuilder::on_any`](super::ClientBuilder::on_any) does.
    pub fn on_any(&self, handler: impl EventHandler) {
        self.shared
            .listeners
            .handlers_mut()
            .on_any(Arc::new(handler));
    }

    /// Removes the handler of `event`.
    pub fn off(&self, event: &str) {
        self.shared.listeners.handlers_mut().off(event);
    }

    /// Removes every catch-all handler (`on_any`, and the `on_contract` ones).
    pub fn off_any(&self) {
        self.shared.listeners.handlers_mut().off_any();
    }

    /// Runs `hook` with each event this client sends, when it is written to the
    /// connection (socket.io-client's `onAnyOutgoing`): a buffered emit when the
    /// client is connected again, a retried one on each try; a dropped volatile
    /// emit never. The hook is a plain function run on the client's task.
    pub fn on_any_outgoing(&self, hook: impl Fn(&Client, &Event) + Send + Sync + 'static) {
        self.shared.listeners.add_outgoing(Arc::new(hook));
    }

    /// Removes every outgoing hook.
    pub fn off_any_outgoing(&self) {
        *self.shared.listeners.outgoing.write() = Arc::new([]);
    }
}

/// A handler that removes itself after its first event.
struct Once {
    event: String,
    spent: AtomicBool,
    this: Weak<Once>,
    listeners: Weak<Listeners>,
    handler: Box<dyn EventHandler>,
}

impl EventHandler for Once {
    fn call(&self, client: Client, event: Event) -> BoxFuture {
        if self.spent.swap(true, Ordering::AcqRel) {
            return Box::pin(async {});
        }
        if let Some(listeners) = self.listeners.upgrade() {
            listeners
                .handlers_mut()
                .off_if(&self.event, self.this.as_ptr().cast::<()>());
        }
        self.handler.call(client, event)
    }
}
