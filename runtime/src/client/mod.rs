//! The Rust client: connects to a Socket.IO server (tether's, or Node.js
//! `socket.io` 4.x) over WebSocket or HTTP long-polling (with the upgrade to
//! WebSocket, see [`TransportMode`]), emits events with or without
//! acknowledgement, handles the server's events, and reconnects with backoff.
//!
//! - [`Client::builder`] takes the server URL (`http://host:port`, `ws://`, or
//!   `https://` / `wss://` with feature `tls`), and optionally the Engine.IO path
//!   (default `/socket.io/`), the namespace (default `/`, or the URL's path), an
//!   auth payload or an async auth callback evaluated on every connection
//!   ([`ClientBuilder::auth_with`]), handlers and timeouts;
//!   [`ClientBuilder::connect`] joins the namespace or fails with a
//!   [`ConnectError`] (for a refusal: the server's `message` and `data`).
//! - [`Client::socket`] joins another namespace over the same connection
//!   (socket.io-client's `Manager`); each namespace has its own handlers, auth and
//!   state, and every one is joined again after a reconnection.
//! - Delivery as socket.io-client's: [`ClientBuilder::retries`] resends a packet
//!   until acknowledged, [`Client::emit_volatile`] drops an event when not
//!   connected, [`AckFuture::timeout`] bounds one emit; [`Client::on_any_outgoing`]
//!   sees what goes out, and handlers can be added and removed while connected
//!   ([`Client::on`], [`Client::once`], [`Client::off`], [`Client::off_any`]).
//! - Cookies the server or a balancer sets are sent back on every request of the
//!   connection ([`ClientBuilder::cookies`]).
//! - [`Client::emit`] and [`Client::emit_with_ack`] take arguments as the server's
//!   emits do: a tuple spreads into several arguments, `bytes::Bytes` anywhere
//!   travels as a binary attachment.
//! - [`Client::typed`] gives a [`TypedClient`], on which the emitter trait that
//!   `#[tether::events]` generates works; [`ClientBuilder::on_contract`] receives
//!   the server's events decoded as a contract's event enum, and
//!   [`ClientBuilder::handle`] hands them to an implementation of the client
//!   handler trait the macro generates, whose methods return the contract's
//!   typed acknowledgements.
//! - When the connection is lost, the client reconnects with exponential backoff
//!   ([`Reconnect`]), joins the namespace again with the same auth payload, and
//!   sends what was emitted meanwhile (at most [`MAX_BUFFERED_PACKETS`]).
//!   It does not reconnect after [`Client::disconnect`] or when the server
//!   disconnects the socket. [`Client::state_changes`] follows the state.
//!
//! # Limits
//!
//! One task per connection runs it, for every namespace joined over it (their
//! event handlers run on it too).
//! Every queue is bounded and every wait has a timeout:
//!
//! | what | limit | past it |
//! |---|---|---|
//! | packets waiting to be written, including while reconnecting | [`MAX_BUFFERED_PACKETS`] (1,024) | `emit` fails with [`EmitError::QueueFull`] (a volatile emit is dropped) |
//! | packets waiting in a namespace's retry queue | [`MAX_BUFFERED_PACKETS`] | `emit` fails with [`EmitError::QueueFull`] |
//! | namespaces waiting to be joined over one connection | 64 | [`ConnectError::Protocol`] |
//! | cookies kept per connection | 50, 4 KiB each | the oldest is dropped, a larger one ignored |
//! | event handlers running at once | [`MAX_RUNNING_HANDLERS`] (256) | the client stops reading until one finishes |
//! | connecting and joining, per attempt | 20 s ([`ClientBuilder::connect_timeout`]) | [`ConnectError::Timeout`], or the next attempt |
//! | waiting for an acknowledgement | 10 s ([`ClientBuilder::ack_timeout`], [`AckFuture::timeout`]) | [`AckError::Timeout`] |
//! | silence from the server | its `pingInterval + pingTimeout` | the connection counts as lost (`ping timeout`) |
//! | upgrading from polling to WebSocket | 10 s | polling goes on |
//! | one incoming WebSocket message / polling response | 64 MiB | the connection counts as lost |
//! | one POST | the server's `maxPayload` | queued packets are split over several POSTs |
//!
//! With [`ClientBuilder::retries`], delivery is at least once: a server whose
//! answer was late or lost sees the event again. Make such events idempotent.
//!
//! # Examples
//!
//! ```
//! use tether::client::Client;
//! use tether::server::{Event, Server, ServerConfig, Socket};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A server that answers `add` with the sum of its arguments.
//! let io = Server::new(ServerConfig::default());
//! io.main().on("add", |_socket: Socket, mut event: Event| async move {
//!     let sum = event.arg::<i64>(0)? + event.arg::<i64>(1)?;
//!     event.ack(&(sum,))?;
//!     Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! });
//! let server = tether::bind(io, "127.0.0.1:0").await?;
//!
//! let client = Client::builder(format!("http://{}", server.local_addr()))
//!     .auth(&serde_json::json!({ "token": "secret" }))
//!     .connect()
//!     .await?;
//! let sum: i64 = client.emit_with_ack("add", &(2, 3)).await?;
//! assert_eq!(sum, 5);
//! client.disconnect();
//! # Ok(())
//! # }
//! ```

mod ack;
mod auth;
mod builder;
mod connection;
mod cookies;
mod endpoint;
mod error;
mod event;
mod handshake;
mod listeners;
mod namespace;
mod outbox;
mod polling;
mod reconnect;
mod recovery;
mod state;
mod stream;
mod transport;
mod typed;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, watch};

pub use self::ack::AckFuture;
pub use self::builder::ClientBuilder;
pub use self::connection::MAX_RUNNING_HANDLERS;
pub use self::error::{AckError, ConnectError};
pub use self::event::{AckSender, Event, EventHandler};
pub use self::outbox::MAX_BUFFERED_PACKETS;
pub use self::reconnect::Reconnect;
pub use self::state::{ConnectionState, DisconnectReason};
pub use self::transport::TransportMode;
pub use self::typed::TypedClient;
pub use crate::peer::EmitError;

use self::ack::PendingAcks;
use self::connection::Control;
use self::listeners::Listeners;
use self::outbox::{Outgoing, push};
use crate::contract::Contract;
use crate::protocol::EmitArgs;
use crate::protocol::{RESERVED_EVENTS, encode_event};

/// A connected client: one namespace of one server. Cheap to clone; every clone
/// drives the same namespace. When every clone is dropped, the client leaves the
/// namespace, and the connection closes with its last namespace.
///
/// Several namespaces share one connection: [`Client::socket`] joins another
/// one over this client's connection (socket.io-client's `Manager`).
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

/// What the handles of one namespace share with the connection task.
pub(crate) struct Shared {
    nsp: Arc<str>,
    conn: Arc<ConnShared>,
    acks: Arc<PendingAcks>,
    state: watch::Receiver<ConnectionState>,
    /// [`Client::disconnect`] was called.
    leaving: AtomicBool,
    ack_timeout: Duration,
    /// socket.io-client's `retries`: 0 sends each packet once.
    retries: u32,
    /// Packets in the namespace's retry queue (bounded by [`MAX_BUFFERED_PACKETS`]).
    queued: Arc<AtomicUsize>,
    listeners: Arc<Listeners>,
}

impl Shared {
    pub(crate) fn leaving(&self) -> bool {
        self.leaving.load(Ordering::Acquire)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The connection task notices the namespace has no handle left.
        self.conn.control.wake.notify_one();
    }
}

/// What the namespaces of one connection share.
pub(crate) struct ConnShared {
    outbox: mpsc::Sender<Outgoing>,
    control: Arc<Control>,
    /// How long joining another namespace may take.
    connect_timeout: Duration,
    /// The URL the connection was made to, for [`Client::socket`]'s builder.
    url: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Client")
            .field("nsp", &self.shared.nsp)
            .field("state", &*self.shared.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client for the server at `url`, such as
    /// `http://127.0.0.1:3000` (a path in the URL names the namespace).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(url.into())
    }

    /// The namespace this client joined.
    pub fn namespace(&self) -> &str {
        &self.shared.nsp
    }

    /// The socket id the server gave the current connection, while connected.
    pub fn id(&self) -> Option<String> {
        match &*self.shared.state.borrow() {
            ConnectionState::Connected { sid, .. } => Some(sid.clone()),
            _ => None,
        }
    }

    /// Whether the current connection got the lost socket back, with its rooms and
    /// the events sent meanwhile (from a server with connection state recovery on).
    pub fn recovered(&self) -> bool {
        matches!(
            &*self.shared.state.borrow(),
            ConnectionState::Connected {
                recovered: true,
                ..
            }
        )
    }

    /// The current connection state.
    pub fn state(&self) -> ConnectionState {
        self.shared.state.borrow().clone()
    }

    /// A receiver of the state changes from now on (connected, reconnecting,
    /// disconnected); its `borrow()` is the current state.
    pub fn state_changes(&self) -> watch::Receiver<ConnectionState> {
        let mut changes = self.shared.state.clone();
        changes.mark_unchanged();
        changes
    }

    /// Waits until the client has disconnected for good, and returns why.
    pub async fn disconnected(&self) -> DisconnectReason {
        let mut changes = self.state_changes();
        let outcome = changes
            .wait_for(ConnectionState::is_disconnected)
            .await
            .map(|state| state.clone());
        match outcome {
            Ok(ConnectionState::Disconnected(reason)) => reason,
            _ => DisconnectReason::ClientDisconnect,
        }
    }

    /// Sends event `event` with `data`, as the server's `emit` does: a tuple
    /// spreads into several arguments, `()` sends none, any other value (a `Vec`
    /// too) is one argument. `bytes::Bytes` anywhere in
    /// it travels as a binary attachment.
    ///
    /// While the client reconnects, the event waits in a buffer and goes out once
    /// connected again, in order. Fails when the client is disconnected for good
    /// ([`EmitError::Disconnected`]), when [`MAX_BUFFERED_PACKETS`] packets already
    /// wait ([`EmitError::QueueFull`]), for a reserved event name, or when `data`
    /// does not serialize.
    ///
    /// With [`retries`](ClientBuilder::retries), the event asks for an
    /// acknowledgement and is resent until the server gives one (see there).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.check(event)?;
        if self.shared.retries > 0 {
            let (id, _unobserved) = self.shared.acks.register(true);
            return self.push_reliable(event, data, id);
        }
        let encoded = encode_event(&self.shared.nsp, event, &EmitArgs::new(data), None)?;
        push(
            &self.shared.conn.outbox,
            Outgoing::Emit {
                nsp: self.shared.nsp.clone(),
                encoded,
                ack_id: None,
            },
        )
    }

    /// Sends event `event` with `data` (as [`Client::emit`]) only if the client
    /// is connected and its queue has room; otherwise the event is dropped
    /// without error (socket.io-client's `socket.volatile.emit`): for state that
    /// the next update supersedes. Never retried.
    pub fn emit_volatile<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        self.check(event)?;
        if !self.shared.state.borrow().is_connected() {
            return Ok(());
        }
        let encoded = encode_event(&self.shared.nsp, event, &EmitArgs::new(data), None)?;
        match push(
            &self.shared.conn.outbox,
            Outgoing::Emit {
                nsp: self.shared.nsp.clone(),
                encoded,
                ack_id: None,
            },
        ) {
            Err(EmitError::QueueFull) => Ok(()),
            outcome => outcome,
        }
    }

    /// Sends event `event` with `data` (as [`Client::emit`]) and waits for the
    /// server's acknowledgement, decoded as `R`; see [`AckFuture`] for timeouts
    /// ([`AckFuture::timeout`] sets this emit's own, socket.io-client's
    /// `socket.timeout(ms).emitWithAck(...)`).
    pub fn emit_with_ack<R, T>(&self, event: &str, data: &T) -> AckFuture<R>
    where
        R: DeserializeOwned + 'static,
        T: Serialize + ?Sized,
    {
        if let Err(error) = self.check(event) {
            return AckFuture::failed(error);
        }
        let acks = &self.shared.acks;
        let reliable = self.shared.retries > 0;
        let (id, receiver) = acks.register(reliable);
        if reliable {
            return match self.push_reliable(event, data, id) {
                Ok(()) => AckFuture::waiting(receiver, acks.clone(), id, None),
                Err(error) => AckFuture::failed(error),
            };
        }
        let sent = encode_event(&self.shared.nsp, event, &EmitArgs::new(data), Some(id))
            .map_err(EmitError::from)
            .and_then(|encoded| {
                push(
                    &self.shared.conn.outbox,
                    Outgoing::Emit {
                        nsp: self.shared.nsp.clone(),
                        encoded,
                        ack_id: Some(id),
                    },
                )
            });
        match sent {
            Ok(()) => AckFuture::waiting(receiver, acks.clone(), id, Some(self.shared.ack_timeout)),
            Err(error) => {
                acks.forget(id);
                AckFuture::failed(error)
            }
        }
    }

    /// Queues `event` (ack id `id`, already registered) in the retry queue.
    fn push_reliable<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
        id: u64,
    ) -> Result<(), EmitError> {
        let shared = &self.shared;
        let sent = encode_event(&shared.nsp, event, &EmitArgs::new(data), Some(id))
            .map_err(EmitError::from)
            .and_then(|encoded| {
                if shared.queued.fetch_add(1, Ordering::AcqRel) >= MAX_BUFFERED_PACKETS {
                    shared.queued.fetch_sub(1, Ordering::AcqRel);
                    return Err(EmitError::QueueFull);
                }
                push(
                    &shared.conn.outbox,
                    Outgoing::Reliable {
                        nsp: shared.nsp.clone(),
                        encoded,
                        ack_id: id,
                    },
                )
                .inspect_err(|_| {
                    shared.queued.fetch_sub(1, Ordering::AcqRel);
                })
            });
        if sent.is_err() {
            shared.acks.forget(id);
        }
        sent
    }

    /// A builder joining namespace `nsp` over this client's connection
    /// (socket.io-client's `manager.socket(nsp, opts)`): the new [`Client`] has its
    /// own handlers, auth, state and acknowledgements, shares the Engine.IO
    /// connection, and is joined again on every reconnection. Its
    /// [`connect`](ClientBuilder::connect) sends CONNECT and waits for the answer
    /// (within this client's connect timeout); the builder's connection settings
    /// (URL, path, transports, TLS, query, headers, reconnection, parser) are those
    /// of the connection and are ignored. `ack_timeout` and `retries` start as
    /// this client's.
    ///
    /// ```no_run
    /// # async fn demo(client: tether::client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let admin = client
    ///     .socket("/admin")
    ///     .auth(&serde_json::json!({ "token": "admin-secret" }))
    ///     .connect()
    ///     .await?;
    /// admin.emit("ban", &("mallory",))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn socket(&self, nsp: &str) -> ClientBuilder {
        ClientBuilder::new(self.shared.conn.url.clone())
            .namespace(nsp)
            .ack_timeout(self.shared.ack_timeout)
            .retries(self.shared.retries)
            .connect_timeout(self.shared.conn.connect_timeout)
            .attach(self.shared.conn.clone())
    }

    /// Leaves the namespace (the server sees `client namespace disconnect`), and
    /// closes the connection when no other namespace uses it; the namespace is
    /// not joined again. Events emitted before go out first when connected (while
    /// reconnecting, the buffer is dropped). Pending acknowledgements fail, and
    /// later emits fail with [`EmitError::Disconnected`].
    /// Await [`Client::disconnected`] to know when it is done.
    pub fn disconnect(&self) {
        self.shared.leaving.store(true, Ordering::Release);
        self.shared.conn.control.wake.notify_one();
    }

    /// This client as an emitter of contract `C`: the emitter trait
    /// `#[tether::events]` generated for `C` works on it.
    pub fn typed<C: Contract>(&self) -> TypedClient<C> {
        TypedClient::new(self.clone())
    }

    fn check(&self, event: &str) -> Result<(), EmitError> {
        if RESERVED_EVENTS.contains(&event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        if self.shared.leaving() || self.shared.state.borrow().is_disconnected() {
            return Err(EmitError::Disconnected);
        }
        Ok(())
    }
}
