//! The handler trait of the receiving side, and the `Listen` impl that dispatches
//! decoded events to it.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Hooks, Names, Side, private};
use crate::model::ContractDef;

fn trait_doc(contract: &syn::Ident) -> String {
    format!(
        "Handles the events of [`{contract}`]: one method per event, given the socket that \
         sent it and its arguments, returning its acknowledgement.\n\n\
         Bind it with `namespace.bind::<{contract}, _>(handler)`; `Emits` is the \
         contract its sockets may send. Implement the methods with `async fn`."
    )
}

/// The side whose handler methods are given the socket that sent the event.
const SOCKET: Side = Side {
    receiver: "socket",
    receiver_ty: "TypedSocket",
    dispatch: "__handle_with",
    ack_ty: "AckSender",
    listen: "Listen",
    emits_doc: " The contract this handler's sockets may emit.",
};

pub(super) fn render(def: &ContractDef, names: &Names) -> TokenStream {
    let p = private();
    SOCKET.render(
        def,
        names,
        &names.handler,
        &trait_doc(&names.contract),
        Hooks {
            handler: quote! {
                /// Runs before a socket joins the namespace, as a middleware: an error
                /// refuses it, and the client receives it as `connect_error`. Accepts
                /// every socket unless overridden.
                fn on_connect(
                    &self,
                    socket: #p::TypedSocket<Self::Emits>,
                ) -> impl #p::Future<Output = #p::Result<(), #p::ConnectError>> + #p::Send {
                    let _ = socket;
                    async { #p::Ok(()) }
                }

                /// Runs when a socket has left the namespace (its rooms are already
                /// left). Does nothing unless overridden.
                fn on_disconnect(
                    &self,
                    socket: #p::TypedSocket<Self::Emits>,
                    reason: #p::DisconnectReason,
                ) -> impl #p::Future<Output = ()> + #p::Send {
                    let _ = (socket, reason);
                    async {}
                }
            },
            listen: quote! {
                fn connect(
                    handler: &#p::Arc<H>,
                    socket: #p::TypedSocket<H::Emits>,
                ) -> #p::BoxFuture<#p::Result<(), #p::ConnectError>> {
                    let handler = #p::Arc::clone(handler);
                    #p::Box::pin(async move { handler.on_connect(socket).await })
                }

                fn disconnect(
                    handler: &#p::Arc<H>,
                    socket: #p::TypedSocket<H::Emits>,
                    reason: #p::DisconnectReason,
                ) -> #p::BoxFuture {
                    let handler = #p::Arc::clone(handler);
                    #p::Box::pin(async move { handler.on_disconnect(socket, reason).await })
                }
            },
        },
    )
}
