//! The client handler trait: the receiving side of a contract in the Rust
//! client, whose methods return the acknowledgements the contract declares.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Dispatch, Names, handler_methods, lit, private};
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

pub(super) fn render(def: &ContractDef, names: &Names) -> TokenStream {
    let p = private();
    let vis = &def.vis;
    let contract = &names.contract;
    let event = &names.event;
    let handler = format_ident!("{}ClientHandler", contract);
    let doc = lit(&trait_doc(contract));
    let receiver = format_ident!("client");
    let methods = handler_methods(def, &receiver, &quote!(#p::ClientOf<Self::Emits>));
    let dispatch = Dispatch {
        method: "handle_client",
        receiver: &receiver,
        receiver_ty: quote!(#p::ClientOf<H::Emits>),
        ack_ty: quote!(#p::ClientAck),
    }
    .render(def, event);
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
