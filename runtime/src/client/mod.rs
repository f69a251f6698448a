//! The Rust client: connects to a Socket.IO server (tether's, or Node.js
//! `socket.io` 4.x) over WebSocket or HTTP long-polling (with the upgrade to
//! WebSocket, see [`TransportMode`]), emits events with or without
//! acknowledgement, handles the server's events, and reconnects with backoff.
//!
//! - [`Client::builder`] takes the server URL (`http://host:port`, or `ws://`;
//!   TLS is not supported yet), and optionally the Engine.IO path (default
//!   `/socket.io/`), the namespace (default `/`, or the URL's path), an auth payload,
//!   handlers and timeouts; [`ClientBuilder::connect`] joins the namespace or fails
//!   with a [`ConnectError`] (for a refusal: the server's `message` and `data`).
//! - [`Client::emit`] and [`Client::emit_with_ack`] take arguments as the server's
//!   emits do: a tuple spreads into several arguments, `bytes::Bytes` anywhere
//!   travels as a binary attachment.
//! - [`Client::typed`] gives a [`TypedClient`], on which the emitter trait that
//!   `#[tether::events]` generates works; [`ClientBuilder::on_contract`] receives
//!   the server's events decoded as a contract's event enum.
//! - When the connection is lost, the client reconnects with exponential backoff
//!   ([`Reconnect`]), joins the namespace again with the same auth payload, and
//!   sends what was emitted meanwhile (at most [`MAX_BUFFERED_PACKETS`]).
//!   It does not reconnect after [`Client::disconnect`] or when the server
//!   disconnects the socket. [`Client::state_changes`] follows the state.
//!
//! # Limits
//!
//! One task per client runs the connection (its event handlers run on it too).
//! Every queue is bounded and every wait has a timeout:
//!
//! | what | limit | past it |
//! |---|---|---|
//! | packets waiting to be written, including while reconnecting | [`MAX_BUFFERED_PACKETS`] (1,024) | `emit` fails with [`EmitError::QueueFull`] |
//! | event handlers running at once | [`MAX_RUNNING_HANDLERS`] (256) | the client stops reading until one finishes |
//! | connecting and joining, per attempt | 20 s ([`ClientBuilder::connect_timeout`]) | [`ConnectError::Timeout`], or the next attempt |
//! | waiting for an acknowledgement | 10 s ([`ClientBuilder::ack_timeout`], [`AckFuture::timeout`]) | [`AckError::Timeout`] |
//! | silence from the server | its `pingInterval + pingTimeout` | the connection counts as lost (`ping timeout`) |
//! | upgrading from polling to WebSocket | 10 s | polling goes on |
//! | one incoming WebSocket message / polling response | 64 MiB | the connection counts as lost |
//! | one POST | the server's `maxPayload` | queued packets are split over several POSTs |
//!
//! Not supported yet: TLS (`https://`, `wss://`), connection state recovery
//! (`pid`/`offset`), several namespaces over one connection (each client is one
//! namespace on its own connection), and the msgpack parser.
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
mod endpoint;
mod error;
mod event;
mod handshake;
mod outbox;
mod polling;
mod reconnect;
mod recovery;
mod state;
mod stream;
mod transport;
mod typed;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, watch};

pub use self::ack::AckFuture;
pub use self::builder::ClientBuilder;
pub use self::connection::MAX_RUNNING_HANDLERS;
pub use self::error::ConnectError;
pub use self::event::{AckSender, Event, EventHandler};
pub use self::outbox::MAX_BUFFERED_PACKETS;
pub use self::reconnect::Reconnect;
pub use self::state::{ConnectionState, DisconnectReason};
pub use self::transport::TransportMode;
pub use self::typed::TypedClient;
pub use crate::server::{AckError, EmitError};

use self::ack::PendingAcks;
use self::outbox::{Outgoing, push};
use crate::contract::Contract;
use crate::protocol::{RESERVED_EVENTS, encode_event};
use crate::server::EmitArgs;

/// A connected client: one namespace of one server. Cheap to clone; every clone
/// drives the same connection. When every clone is dropped, the client
/// disconnects.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

/// What the client handles share with the connection task.
pub(crate) struct Shared {
    nsp: Arc<str>,
    outbox: mpsc::Sender<Outgoing>,
    acks: Arc<PendingAcks>,
    state: watch::Receiver<ConnectionState>,
    stop: watch::Sender<bool>,
    ack_timeout: Duration,
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
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.check(event)?;
        let encoded = encode_event(&self.shared.nsp, event, &EmitArgs::new(data), None)?;
        push(
            &self.shared.outbox,
            Outgoing::Emit {
                encoded,
                ack_id: None,
            },
        )
    }

    /// Sends event `event` with `data` (as [`Client::emit`]) and waits for the
    /// server's acknowledgement, decoded as `R`; see [`AckFuture`] for timeouts.
    pub fn emit_with_ack<R, T>(&self, event: &str, data: &T) -> AckFuture<R>
    where
        R: DeserializeOwned + 'static,
        T: Serialize + ?Sized,
    {
        if let Err(error) = self.check(event) {
            return AckFuture::failed(error);
        }
        let acks = &self.shared.acks;
        let (id, receiver) = acks.register();
        let sent = encode_event(&self.shared.nsp, event, &EmitArgs::new(data), Some(id))
            .map_err(EmitError::from)
            .and_then(|encoded| {
                push(
                    &self.shared.outbox,
                    Outgoing::Emit {
                        encoded,
                        ack_id: Some(id),
                    },
                )
            });
        match sent {
            Ok(()) => AckFuture::waiting(receiver, acks.clone(), id, self.shared.ack_timeout),
            Err(error) => {
                acks.forget(id);
                AckFuture::failed(error)
            }
        }
    }

    /// Leaves the namespace and closes the connection (the server sees
    /// `client namespace disconnect`); the client does not reconnect. Events
    /// emitted before go out first when connected (while reconnecting, the buffer
    /// is dropped). Pending acknowledgements fail, and later emits fail with
    /// [`EmitError::Disconnected`].
    /// Await [`Client::disconnected`] to know when it is done.
    pub fn disconnect(&self) {
        self.shared.stop.send_replace(true);
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
        if *self.shared.stop.borrow() {
            return Err(EmitError::Disconnected);
        }
        Ok(())
    }
}
