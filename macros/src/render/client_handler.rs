//! The client handler trait: the receiving side of a contract in the Rust
//! client, whose methods return the acknowledgements the contract declares.

use proc_macro2::TokenStream;
use quote::format_ident;

use super::{Hooks, Names, Side};
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
    receiver_ty: "ClientOf",
    dispatch: "__handle_client_with",
    ack_ty: "ClientAck",
    listen: "ClientListen",
    emits_doc: " The contract the client sends.",
};

pub(super) fn render(def: &ContractDef, names: &Names) -> TokenStream {
    let contract = &names.contract;
    CLIENT.render(
        def,
        names,
        &format_ident!("{}ClientHandler", contract),
        &trait_doc(contract),
        Hooks {
            handler: TokenStream::new(),
            listen: TokenStream::new(),
        },
    )
}
