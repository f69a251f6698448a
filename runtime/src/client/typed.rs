//! The typed layer on the client: [`TypedClient`] emits a contract's events, and
//! [`ClientBuilder::on_contract`] receives them decoded.

use std::future::Future;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{AckFuture, AckSender, Client, ClientBuilder, Event, EventHandler};
use crate::contract::{
    Contract, ContractEvent, DecodeError, Emit, EventName, InvalidArguments, typed_view,
};
use crate::peer::{BoxFuture, EmitError, HandlerResult};

/// A [`Client`] that emits the events of contract `C`: the emitter trait
/// `#[tether::events]` generates for `C` (`ChatClientEmitter` for `ChatClient`)
/// works on it. An event without acknowledgement returns `Result<(), EmitError>`;
/// one acknowledged with `R` returns an [`AckFuture<R>`].
///
/// ```
/// use tether::client::Client;
///
/// /// Events a client sends.
/// #[tether::events]
/// pub trait Greeter {
///     /// Asks for a greeting.
///     fn greet(name: String) -> String;
/// }
///
/// async fn run(client: Client) -> Result<(), tether::client::AckError> {
///     let greeting = client.typed::<Greeter>().greet("Ada").await?;
///     println!("{greeting}");
///     Ok(())
/// }
/// ```
pub struct TypedClient<C> {
    client: Client,
    _contract: std::marker::PhantomData<fn() -> C>,
}

typed_view!(TypedClient { client: Client });

impl<C: Contract> TypedClient<C> {
    pub(crate) fn new(client: Client) -> Self {
        Self::typed(client)
    }

    /// The untyped client underneath.
    pub fn untyped(&self) -> &Client {
        &self.client
    }
}

impl<C: Contract> Emit<C> for TypedClient<C> {
    type Ack<R: DeserializeOwned + 'static> = AckFuture<R>;

    fn __emit<A: Serialize + ?Sized>(&self, event: EventName, args: &A) -> Result<(), EmitError> {
        self.client.emit(event.as_str(), args)
    }

    fn __emit_with_ack<R: DeserializeOwned + 'static, A: Serialize + ?Sized>(
        &self,
        event: EventName,
        args: &A,
    ) -> AckFuture<R> {
        self.client.emit_with_ack(event.as_str(), args)
    }
}

impl ClientBuilder {
    /// Handles every server event of contract `C`, decoded as its event enum
    /// (`ChatServerEvent` for `ChatServer`): `|client: Client, event:
    /// ChatServerEvent, ack: Option<AckSender>| async move { ... }`; `ack` is there
    /// when the server asked for an acknowledgement.
    ///
    /// Events of other names are left to other handlers. An event whose arguments
    /// do not decode never reaches the handler: it is logged, and when the server
    /// asked for an acknowledgement it is answered with [`InvalidArguments`].
    pub fn on_contract<C, F, Fut>(self, handler: F) -> Self
    where
        C: Contract,
        F: Fn(Client, C::Event, Option<AckSender>) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerResult,
    {
        self.on_any(ContractHandler::<C, F> {
            handler,
            _contract: PhantomData,
        })
    }
}

struct ContractHandler<C, F> {
    handler: F,
    _contract: PhantomData<fn() -> C>,
}

impl<C, F, Fut> EventHandler for ContractHandler<C, F>
where
    C: Contract,
    F: Fn(Client, C::Event, Option<AckSender>) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerResult,
{
    fn call(&self, client: Client, event: Event) -> BoxFuture {
        dispatch::<C>(event, |decoded, ack| {
            let future = (self.handler)(client, decoded, ack);
            Box::pin(async move { future.await.report("contract event") })
        })
    }
}

impl crate::contract::AckSink for AckSender {
    fn send_one<T: Serialize>(self, value: &T) {
        if let Err(error) = self.send(&(value,)) {
            tracing::debug!(%error, "acknowledgement not sent");
        }
    }
}

impl ClientBuilder {
    /// Handles the server's events of contract `C` with `handler`, which
    /// implements the client handler trait `#[tether::events]` generated for `C`
    /// (`ChatServerClientHandler` for `ChatServer`): each method gets the client,
    /// typed with the contract it sends, and the event's arguments, and returns
    /// the acknowledgement the contract declares; it goes back to the server when
    /// the server asked for one (a `Result` in the `AckResult` envelope, as on the
    /// server side).
    ///
    /// Events of other names are left to other handlers; an event whose
    /// arguments do not decode is answered with [`InvalidArguments`], as with
    /// [`on_contract`](Self::on_contract).
    pub fn handle<C, H>(self, handler: H) -> Self
    where
        C: Contract + crate::contract::ClientListen<H>,
        H: Send + Sync + 'static,
    {
        self.on_any(ClientDispatcher::<C, H> {
            handler: std::sync::Arc::new(handler),
            _contract: PhantomData,
        })
    }
}

struct ClientDispatcher<C, H> {
    handler: std::sync::Arc<H>,
    _contract: PhantomData<fn() -> C>,
}

impl<C, H> EventHandler for ClientDispatcher<C, H>
where
    C: Contract + crate::contract::ClientListen<H>,
    H: Send + Sync + 'static,
{
    fn call(&self, client: Client, event: Event) -> BoxFuture {
        dispatch::<C>(event, |decoded, ack| {
            let typed = client.typed::<<C as crate::contract::ClientListen<H>>::Emits>();
            C::handle_client(&self.handler, typed, decoded, ack)
        })
    }
}

/// Decodes `event` as one of contract `C`'s events and gives it to `handle` with
/// its acknowledgement; an event of another name is left to other handlers, and
/// one whose arguments do not decode is answered with [`InvalidArguments`].
fn dispatch<C: Contract>(
    mut event: Event,
    handle: impl FnOnce(C::Event, Option<AckSender>) -> BoxFuture,
) -> BoxFuture {
    match C::Event::decode(event.name(), event.args()) {
        Ok(decoded) => {
            let ack = event.take_ack();
            handle(decoded, ack)
        }
        Err(DecodeError::UnknownEvent(_)) => Box::pin(async {}),
        Err(error) => {
            tracing::warn!(contract = C::NAME, event = event.name(), %error, "invalid event arguments");
            let answer = InvalidArguments::new(event.name(), error.to_string());
            if let Err(error) = event.ack(&(answer,)) {
                tracing::debug!(%error, "could not answer an invalid event");
            }
            Box::pin(async {})
        }
    }
}
