//! The client handler trait: the receiving side of a contract in the Rust
//! client, whose methods return the acknowledgements the contract declares.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Names, Side, lit, private};
use crate::model::ContractDef;

fn trait_doc(contract: &syn::Ident) -> String {
    format!(
        "Handles the events of [`{contract}`] in the Rust client (`tether::client`, feature \
         `client`): one method per event, given the typed client and the event's arguments, \
         returning its acknowledgement, which goes back to the server when it asked for one.\n\n\
         Register it with `ClientBuilder::handle::<{contract}, _>(handler)`; `Emits` is the \
         contract the client sends. Implement the methods with `async fn`."
    )
}

/// The side whose handler methods are given the typed client.
const CLIENT: Side = Side {
    receiver: "client",
    receiver_ty: |emits| {
        let p = private();
        quote!(#p::ClientOf<#emits>)
    },
    dispatch: "handle_client",
    ack_ty: || {
        let p = private();
        quote!(#p::ClientAck)
    },
};

pub(super) fn render(def: &ContractDef, names: &Names) -> TokenStream {
    let p = private();
    let vis = &def.vis;
    let contract = &names.contract;
    let event = &names.event;
    let handler = format_ident!("{}ClientHandler", contract);
    let doc = lit(&trait_doc(contract));
    let methods = CLIENT.handler_methods(def);
    let dispatch = CLIENT.dispatch(def, event);
    quote! {
        #[doc = #doc]
        #vis trait #handler: #p::Send + #p::Sync + 'static {
            /// The contract the client sends.
            type Emits: #p::Contract;

            #(#methods)*
        }

        #[allow(deprecated)]
        impl<H: #handler> #p::ClientListen<H> for #contract {
            type Emits = H::Emits;

            #dispatch
        }
    }
}
