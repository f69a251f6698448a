//! Receiving a contract's events: decoding them ([`ContractEvent`]), handing them
//! to a handler ([`Listen`], [`Handles`]) and binding a namespace
//! ([`Namespace::bind`]).

use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;

use super::broadcast::TypedNamespace;
use super::descriptor::Contract;
use super::payload::{InvalidArguments, Payload};
use super::reply::{Boxed, Runner};
use super::socket::TypedSocket;
use crate::protocol::{ArgError, Args};
use crate::server::{
    AckSender, BoxFuture, ConnectError, DisconnectReason, Event, EventHandler, EventRun, Namespace,
    Socket,
};

/// Why an incoming event could not become a contract event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The contract has no event with this name.
    #[error("`{0}` is not an event of this contract")]
    UnknownEvent(String),
    /// An argument does not decode into its declared type.
    #[error("argument `{name}` ({index}) of `{event}`: {source}")]
    InvalidArgument {
        /// The event name.
        event: &'static str,
        /// The argument's position.
        index: usize,
        /// The argument's name in the contract.
        name: &'static str,
        /// What did not fit.
        #[source]
        source: ArgError,
    },
}

/// The event enum `#[tether::events]` generates for a contract (`ChatClientEvent`
/// for `ChatClient`): one variant per event, with its decoded arguments.
///
/// Decoding checks the name and every argument; a missing trailing `Option`
/// argument decodes as `None`, and arguments beyond the declared ones are ignored
/// (as the JavaScript server would).
pub trait ContractEvent: Sized + Send + 'static {
    /// Decodes an event from its name and arguments.
    fn decode(name: &str, args: &Args) -> Result<Self, DecodeError>;

    /// Decodes an untyped [`Event`].
    fn from_event(event: &Event) -> Result<Self, DecodeError> {
        Self::decode(event.name(), event.args())
    }

    /// The event's wire name.
    fn name(&self) -> &'static str;
}

/// Decodes argument `index` of `event`; used by generated code.
#[doc(hidden)]
pub fn decode_arg<T: Payload>(
    args: &Args,
    event: &'static str,
    index: usize,
    name: &'static str,
) -> Result<T, DecodeError> {
    args.decode(index)
        .map_err(|source| DecodeError::InvalidArgument {
            event,
            index,
            name,
            source,
        })
}

/// Dispatches the events of contract `Self` to a handler of type `H`; implemented
/// by `#[tether::events]` for every `H` implementing the generated handler trait.
pub trait Listen<H>: Contract {
    /// The contract the handler's sockets may emit.
    type Emits: Contract;

    /// Runs the handler method of `event` and sends its acknowledgement, if the
    /// client asked for one and the event has one.
    fn handle(
        handler: &Arc<H>,
        socket: TypedSocket<Self::Emits>,
        event: Self::Event,
        ack: Option<AckSender>,
    ) -> BoxFuture {
        Self::__handle_with(handler, socket, event, ack, Boxed)
    }

    /// Like [`handle`](Self::handle), running the handler's future with
    /// `runner`: the server polls it where the event was read, without boxing it.
    #[doc(hidden)]
    fn __handle_with<R: Runner>(
        handler: &Arc<H>,
        socket: TypedSocket<Self::Emits>,
        event: Self::Event,
        ack: Option<AckSender>,
        runner: R,
    ) -> R::Output;

    /// Runs the handler's connect hook; an error refuses the socket.
    fn connect(
        handler: &Arc<H>,
        socket: TypedSocket<Self::Emits>,
    ) -> BoxFuture<Result<(), ConnectError>>;

    /// Runs the handler's disconnect hook.
    fn disconnect(
        handler: &Arc<H>,
        socket: TypedSocket<Self::Emits>,
        reason: DisconnectReason,
    ) -> BoxFuture;
}

/// A handler of the events of contract `L`, whose sockets emit [`Handles::Emits`]:
/// any type implementing the handler trait `#[tether::events]` generated for `L`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not handle the events of `{L}`",
    label = "not a handler of `{L}`",
    note = "implement the handler trait `#[tether::events]` generated for `{L}` (named like it, ending in `Handler`)"
)]
pub trait Handles<L: Contract>: Send + Sync + Sized + 'static {
    /// The contract its sockets may emit.
    type Emits: Contract;

    /// Registers the dispatcher of `L` on `ns`.
    #[doc(hidden)]
    fn __bind(self, ns: &Namespace);
}

impl<H: Send + Sync + 'static, L: Listen<H>> Handles<L> for H {
    type Emits = L::Emits;

    fn __bind(self, ns: &Namespace) {
        let handler = Arc::new(self);
        let dispatcher = Dispatcher::<L, H> {
            handler: handler.clone(),
            _listen: PhantomData,
        };
        for event in L::events() {
            ns.on(event.name, dispatcher.clone());
        }
        let connect = handler.clone();
        ns.use_middleware(move |socket: Socket| {
            L::connect(&connect, TypedSocket::from_untyped(socket))
        });
        ns.on_disconnect(move |socket: Socket, reason: DisconnectReason| {
            L::disconnect(&handler, TypedSocket::from_untyped(socket), reason)
        });
    }
}

/// The one event handler a binding registers, under each event name of `L`.
struct Dispatcher<L, H> {
    handler: Arc<H>,
    _listen: PhantomData<fn() -> L>,
}

impl<L, H> Clone for Dispatcher<L, H> {
    fn clone(&self) -> Self {
        Dispatcher {
            handler: self.handler.clone(),
            _listen: PhantomData,
        }
    }
}

impl<L: Listen<H>, H: Send + Sync + 'static> Dispatcher<L, H> {
    /// Decodes `event` and runs its handler method with `runner`; `None` when the
    /// event was refused (its arguments do not decode).
    fn dispatch<R: Runner>(
        &self,
        socket: Socket,
        mut event: Event,
        runner: R,
    ) -> Option<R::Output> {
        let ack = event.take_ack();
        match <L::Event as super::ContractEvent>::from_event(&event) {
            Ok(decoded) => Some(L::__handle_with(
                &self.handler,
                TypedSocket::from_untyped(socket),
                decoded,
                ack,
                runner,
            )),
            Err(error) => {
                tracing::warn!(
                    sid = %socket.id(),
                    ns = socket.ns(),
                    contract = L::NAME,
                    %error,
                    "event refused: its arguments do not decode"
                );
                if let Some(ack) = ack {
                    let answer = InvalidArguments::new(event.name(), error.to_string());
                    let _ = ack.send(&(answer,));
                }
                None
            }
        }
    }
}

impl<L: Listen<H>, H: Send + Sync + 'static> EventHandler for Dispatcher<L, H> {
    fn call(&self, socket: Socket, event: Event) -> BoxFuture {
        self.dispatch(socket, event, Boxed)
            .unwrap_or_else(|| Box::pin(std::future::ready(())))
    }

    fn __dispatch(&self, socket: Socket, event: Event, run: &EventRun<'_>) -> usize {
        self.dispatch(socket, event, run).unwrap_or(0)
    }
}

impl Namespace {
    /// Binds this namespace to `handler`: clients send the events of contract `L`,
    /// which the handler answers, and its sockets may emit the events of the
    /// contract its handler impl declares (`type Emits = …`) only. Name the
    /// contract and let the compiler infer the rest: `bind::<ChatClient, _>(handler)`
    /// (a type may handle several contracts, so `L` cannot be inferred).
    ///
    /// The compiler checks that `handler` implements the handler trait generated for
    /// `L` (so every event has a method); what its sockets emit is checked against
    /// its `Emits` contract wherever it emits.
    /// Events whose arguments do not decode never reach it: a client that asked
    /// for an acknowledgement receives an [`InvalidArguments`] answer, the
    /// connection stays open and a `tracing` warning is logged.
    ///
    /// One dispatcher is registered under each event name of `L` (so untyped
    /// `on_any` listeners still see every event, and events outside the contract
    /// reach no handler, as in the untyped core), plus a middleware running the
    /// handler's `on_connect` and a disconnect handler running its `on_disconnect`.
    /// Binding a namespace twice runs both handlers. A handler method runs as a
    /// closure handler does: polled where its event was read, in an allocation
    /// the thread reuses, and moved to a task only when it has to wait.
    ///
    /// Returns the namespace as a [`TypedNamespace`] of the handler's `Emits`, to
    /// emit from outside handlers.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::contract::TypedSocket;
    /// use tether::server::{Server, ServerConfig};
    ///
    /// #[tether::events]
    /// pub trait CalcClient {
    ///     /// Asks for the sum of two numbers.
    ///     fn add(a: i64, b: i64) -> i64;
    /// }
    ///
    /// #[tether::events]
    /// pub trait CalcServer {
    ///     fn notice(text: String);
    /// }
    ///
    /// struct Calculator;
    ///
    /// impl CalcClientHandler for Calculator {
    ///     type Emits = CalcServer;
    ///
    ///     async fn add(&self, socket: TypedSocket<CalcServer>, a: i64, b: i64) -> i64 {
    ///         let _ = socket.notice("adding");
    ///         a + b
    ///     }
    /// }
    ///
    /// let io = Server::new(ServerConfig::default());
    /// let calc = io.of("/calc").bind::<CalcClient, _>(Calculator);
    /// calc.notice("the calculator is open").unwrap();
    /// assert_eq!(calc.name(), "/calc");
    /// ```
    pub fn bind<L: Contract, H: Handles<L>>(&self, handler: H) -> TypedNamespace<H::Emits> {
        handler.__bind(self);
        TypedNamespace::from_untyped(self.clone())
    }
}

/// Where a generated dispatcher sends an acknowledgement: the server's
/// [`AckSender`], or the Rust client's.
#[doc(hidden)]
pub trait AckSink: Send + 'static {
    /// Sends `value` as the one argument of the acknowledgement.
    fn send_one<T: Serialize>(self, value: &T);
}

impl AckSink for AckSender {
    fn send_one<T: Serialize>(self, value: &T) {
        if let Err(error) = self.send(&(value,)) {
            tracing::debug!(%error, "acknowledgement not sent");
        }
    }
}

impl AckSink for std::convert::Infallible {
    fn send_one<T: Serialize>(self, _value: &T) {
        match self {}
    }
}

/// Dispatches the events of contract `Self` received by the Rust client to a
/// handler of type `H`; implemented by `#[tether::events]` for every `H`
/// implementing the generated client handler trait (`ChatServerClientHandler`
/// for `ChatServer`). See `ClientBuilder::handle`.
#[doc(hidden)]
pub trait ClientListen<H>: Contract {
    /// The contract the client emits.
    type Emits: Contract;

    /// Runs the handler method of `event` and sends its acknowledgement, if the
    /// server asked for one and the event has one.
    fn handle_client(
        handler: &Arc<H>,
        client: crate::__private::ClientOf<Self::Emits>,
        event: Self::Event,
        ack: Option<crate::__private::ClientAck>,
    ) -> BoxFuture {
        Self::__handle_client_with(handler, client, event, ack, Boxed)
    }

    /// Like [`handle_client`](Self::handle_client), running the handler's future
    /// with `runner`.
    fn __handle_client_with<R: Runner>(
        handler: &Arc<H>,
        client: crate::__private::ClientOf<Self::Emits>,
        event: Self::Event,
        ack: Option<crate::__private::ClientAck>,
        runner: R,
    ) -> R::Output;
}
