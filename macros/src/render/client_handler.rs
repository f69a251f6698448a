//! The client handler trait: the receiving side of a contract in the Rust
//! client, whose methods return the acknowledgements the contract declares.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::{Names, handler_output, lit, private, variant};
use crate::model::{AckDef, ContractDef, type_span};

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
    let methods = def.events.iter().map(|ev| {
        let ident = &ev.ident;
        let doc_attrs = ev.docs_or_default();
        let deprecated = &ev.deprecated_attr;
        let args = ev.args.iter().map(|arg| {
            let ident = &arg.ident;
            let ty = &arg.ty;
            quote!(#ident: #ty)
        });
        let output = handler_output(&ev.ack);
        quote! {
            #(#doc_attrs)*
            #deprecated
            fn #ident(
                &self,
                client: #p::ClientOf<Self::Emits>,
                #(#args),*
            ) -> impl #p::Future<Output = #output> + #p::Send;
        }
    });
    let arms = def.events.iter().map(|ev| {
        let variant = variant(ev);
        let ident = &ev.ident;
        let fields: Vec<_> = ev.args.iter().map(|arg| &arg.ident).collect();
        let reply = match &ev.ack {
            AckDef::None => quote!(#p::reply_none),
            AckDef::Value(ty) => quote_spanned!(type_span(ty)=> #p::reply_value),
            AckDef::Result { ok, .. } => quote_spanned!(type_span(ok)=> #p::reply_result),
        };
        quote! {
            #event::#variant { #(#fields),* } => #reply(ack, async move {
                handler.#ident(client, #(#fields),*).await
            }),
        }
    });
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

            fn handle_client(
                handler: &#p::Arc<H>,
                client: #p::ClientOf<H::Emits>,
                event: #event,
                ack: #p::Option<#p::ClientAck>,
            ) -> #p::BoxFuture {
                let handler = #p::Arc::clone(handler);
                let _ = (&handler, &client, &ack);
                match event {
                    #(#arms)*
                }
            }
        }
    }
}
