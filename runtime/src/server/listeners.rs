//! A socket's own listeners: event handlers, catch-alls, event middlewares, error
//! handlers and outgoing hooks, added and removed at run time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Event;
use super::event_middleware::{ErrorHandler, EventMiddleware};
use super::handler::{EventHandler, EventRun};
use super::namespace::Listeners;
use super::socket::{Socket, SocketInner};
use crate::peer::BoxFuture;
use crate::protocol::Encoded;

/// Sees each event sent to a socket (Node's `onAnyOutgoing`).
pub(crate) type OutgoingHook = Arc<dyn Fn(&Socket, &Event) + Send + Sync>;

impl Socket {
    /// Runs `hook` with each event sent to this socket, by an emit or a broadcast,
    /// once it is queued for the client (Node's `socket.onAnyOutgoing`). The hook
    /// is a plain function called on the sending task; events a volatile emit
    /// dropped are not reported, and acknowledgements are not events. During a
    /// broadcast it runs while the namespace's room index is read: it must not
    /// join or leave rooms, or broadcast, itself; hand such work to a task.
    ///
    /// ```no_run
    /// # fn demo(socket: tether::server::Socket) {
    /// socket.on_any_outgoing(|socket, event| {
    ///     tracing::debug!(sid = %socket.id(), event = event.name(), "sent");
    /// });
    /// # }
    /// ```
    pub fn on_any_outgoing(&self, hook: impl Fn(&Socket, &Event) + Send + Sync + 'static) {
        self.add_listener(|listeners| listeners.add_outgoing(Arc::new(hook)));
        self.inner.watched.store(true, Ordering::Relaxed);
    }

    /// Removes every outgoing hook of this socket.
    pub fn off_any_outgoing(&self) {
        if let Some(listeners) = &mut self.inner.local().listeners {
            listeners.remove_outgoing();
        }
        let observed = self.inner.ns.observer().is_some();
        self.inner.watched.store(observed, Ordering::Relaxed);
    }

    /// Handles `event` on this socket only (see also `Namespace::on`).
    pub fn on(&self, event: &str, handler: impl EventHandler) {
        let handler: Arc<dyn EventHandler> = Arc::new(handler);
        self.add_listener(|listeners| listeners.add(event, handler));
    }

    /// Handles every event of this socket (called before the event's own handlers).
    pub fn on_any(&self, handler: impl EventHandler) {
        let handler: Arc<dyn EventHandler> = Arc::new(handler);
        self.add_listener(|listeners| listeners.add_any(handler));
    }

    /// Handles the next `event` of this socket, then no more.
    pub fn once(&self, event: &str, handler: impl EventHandler) {
        let handler: Arc<dyn EventHandler> = Arc::new(Once {
            event: event.into(),
            spent: AtomicBool::new(false),
            handler: Box::new(handler),
        });
        self.add_listener(|listeners| listeners.add(event, handler));
    }

    /// Removes this socket's own handlers of `event` (the namespace's stay).
    pub fn off(&self, event: &str) {
        if let Some(listeners) = &mut self.inner.local().listeners {
            listeners.remove(event);
        }
    }

    /// Removes this socket's own catch-all handlers.
    pub fn off_any(&self) {
        if let Some(listeners) = &mut self.inner.local().listeners {
            listeners.remove_any();
        }
    }

    /// Adds an event middleware (Node's `socket.use`): it sees each incoming event
    /// of this socket before the handlers, after the namespace's middlewares, and
    /// may rewrite it, drop it ([`EventFlow::Drop`](super::EventFlow::Drop)) or reject it. A rejected event
    /// goes to the [`on_error`](Self::on_error) handlers instead of its own, and its
    /// acknowledgement, when the client asked for one, is
    /// `{"error":"rejected","event":…,"message":…}`. See
    /// They are plain functions run where the packet was read, so events keep
    /// their arrival order; work that must wait belongs in the handler.
    ///
    /// ```no_run
    /// use tether::server::{EventFlow, EventRejection, IncomingEvent, Socket};
    ///
    /// # fn demo(socket: Socket) {
    /// socket.use_event_middleware(|socket: &Socket, event: &mut IncomingEvent| {
    ///     if event.name().starts_with("admin:") && socket.data::<bool>() != Some(true) {
    ///         return Err(EventRejection::new("not an admin"));
    ///     }
    ///     Ok(EventFlow::Pass)
    /// });
    /// socket.on_error(|socket: &Socket, rejection: &EventRejection| {
    ///     tracing::info!(sid = %socket.id(), %rejection, "event refused");
    /// });
    /// # }
    /// ```
    pub fn use_event_middleware(&self, middleware: impl EventMiddleware) {
        self.add_listener(|listeners| listeners.add_middleware(Arc::new(middleware)));
    }

    /// Runs `handler` for each event of this socket a middleware rejected (Node's
    /// `error` event on a server socket).
    pub fn on_error(&self, handler: impl ErrorHandler) {
        self.add_listener(|listeners| listeners.add_error_handler(Arc::new(handler)));
    }
}

/// A handler that runs for one event, then takes itself off the socket.
impl Socket {
    /// Adds to the socket's listeners with `add`, creating them on first use.
    fn add_listener(&self, add: impl FnOnce(&mut Listeners)) {
        add(self
            .inner
            .local()
            .listeners
            .get_or_insert_with(Default::default));
    }
}

struct Once {
    event: Box<str>,
    spent: AtomicBool,
    handler: Box<dyn EventHandler>,
}

impl Once {
    /// Whether this is the first event: it leaves the socket's listeners then.
    fn first(&self, socket: &Socket) -> bool {
        if self.spent.swap(true, Ordering::AcqRel) {
            return false;
        }
        if let Some(listeners) = &mut socket.inner.local().listeners {
            listeners.remove_one(&self.event, (self as *const Once).cast());
        }
        true
    }
}

impl EventHandler for Once {
    fn call(&self, socket: Socket, event: Event) -> BoxFuture {
        if !self.first(&socket) {
            return Box::pin(std::future::ready(()));
        }
        self.handler.call(socket, event)
    }

    fn __dispatch(&self, socket: Socket, event: Event, run: &EventRun<'_>) -> usize {
        if !self.first(&socket) {
            return 0;
        }
        self.handler.__dispatch(socket, event, run)
    }
}

/// Runs `socket`'s outgoing hooks on `encoded`, when it is an event.
pub(crate) fn notify_outgoing(socket: &Arc<SocketInner>, encoded: &Encoded) {
    if let Some(observer) = socket.ns.observer() {
        observer.packet_sent(socket, encoded);
    }
    let hooks = socket
        .local()
        .listeners
        .as_ref()
        .and_then(|listeners| listeners.outgoing());
    let Some(hooks) = hooks else { return };
    let Some((name, args)) = crate::protocol::decode_event(encoded) else {
        return;
    };
    let event = Event::new(name, args, None);
    let socket = Socket::from_inner(socket.clone());
    for hook in hooks.iter() {
        hook(&socket, &event);
    }
}
