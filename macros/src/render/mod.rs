//! Rendering: a [`ContractDef`] becomes the contract marker and its descriptors,
//! the event enum, the handler trait with its dispatcher, the emitter trait, and
//! the client handler trait with its dispatcher.
//! Generated code names only `::tether::__private` items.

mod client_handler;
mod contract;
mod emitter;
mod event_enum;
mod handler;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::model::{AckDef, ContractDef, EventDef};

/// The path every generated item goes through.
pub(crate) fn private() -> TokenStream {
    quote!(::tether::__private)
}

/// The names of the items generated for one contract.
pub(crate) struct Names {
    pub(crate) contract: Ident,
    pub(crate) event: Ident,
    pub(crate) handler: Ident,
    pub(crate) emitter: Ident,
}

impl Names {
    fn of(def: &ContractDef) -> Names {
        let ident = &def.ident;
        Names {
            contract: ident.clone(),
            event: format_ident!("{}Event", ident),
            handler: format_ident!("{}Handler", ident),
            emitter: format_ident!("{}Emitter", ident),
        }
    }
}

/// `send_message` → `SendMessage`, the event's variant name.
pub(crate) fn variant(event: &EventDef) -> Ident {
    let name = event.ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let pascal: String = name
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    Ident::new(&pascal, event.ident.span())
}

/// The Rust type of an event's acknowledgement as the handler returns it.
pub(crate) fn handler_output(ack: &AckDef) -> TokenStream {
    let p = private();
    match ack {
        AckDef::None => quote!(()),
        AckDef::Value(ty) => quote!(#ty),
        AckDef::Result { ok, err } => quote!(#p::Result<#ok, #err>),
    }
}

/// A string literal with the call-site span.
pub(crate) fn lit(text: &str) -> syn::LitStr {
    syn::LitStr::new(text, Span::call_site())
}

/// Everything generated for `def`.
pub(crate) fn render(def: &ContractDef) -> TokenStream {
    let names = Names::of(def);
    let contract = contract::render(def, &names);
    let event_enum = event_enum::render(def, &names);
    let handler = handler::render(def, &names);
    let emitter = emitter::render(def, &names);
    let client_handler = client_handler::render(def, &names);
    quote! {
        #contract
        #event_enum
        #handler
        #emitter
        #client_handler
    }
}
