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
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use crate::model::{AckDef, ContractDef, EventDef, type_span};

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

/// A receiving side of a contract (the server's sockets, the Rust client): what
/// its handler methods are given besides the arguments, and how its dispatcher
/// acknowledges.
pub(crate) struct Side {
    /// The name of the handler methods' first argument after `&self`.
    pub(crate) receiver: &'static str,
    /// Its type in `tether::__private`, generic over the contract it emits.
    pub(crate) receiver_ty: &'static str,
    /// The name of the dispatching method of the `Listen`-like trait.
    pub(crate) dispatch: &'static str,
    /// The type in `tether::__private` of the acknowledgement sink the
    /// dispatcher is given.
    pub(crate) ack_ty: &'static str,
    /// The trait in `tether::__private` the contract implements for handlers.
    pub(crate) listen: &'static str,
    /// The doc comment of the handler trait's `Emits` type.
    pub(crate) emits_doc: &'static str,
}

/// The methods a side adds to its handler trait and `listen` impl besides the
/// events: hooks with default bodies, and the methods calling them.
pub(crate) struct Hooks {
    /// Methods of the handler trait.
    pub(crate) handler: TokenStream,
    /// Methods of the `listen` impl.
    pub(crate) listen: TokenStream,
}

impl Side {
    /// The handler trait `handler`, documented by `doc`, and the `listen` impl of
    /// the contract that dispatches decoded events to it.
    pub(crate) fn render(
        &self,
        def: &ContractDef,
        names: &Names,
        handler: &Ident,
        doc: &str,
        hooks: Hooks,
    ) -> TokenStream {
        let p = private();
        let vis = &def.vis;
        let Names {
            contract, event, ..
        } = names;
        let Hooks {
            handler: hooks,
            listen: listen_hooks,
        } = hooks;
        let doc = lit(doc);
        let emits_doc = lit(self.emits_doc);
        let listen = format_ident!("{}", self.listen);
        let methods = self.handler_methods(def);
        let dispatch = self.dispatch(def, event);
        quote! {
            #[doc = #doc]
            #vis trait #handler: #p::Send + #p::Sync + 'static {
                #[doc = #emits_doc]
                type Emits: #p::Contract;

                #(#methods)*

                #hooks
            }

            #[allow(deprecated)]
            impl<H: #handler> #p::#listen<H> for #contract {
                type Emits = H::Emits;

                #dispatch

                #listen_hooks
            }
        }
    }

    /// The receiver's type when it emits `emits` (`Self::Emits` or `H::Emits`).
    fn receiver_ty(&self, emits: TokenStream) -> TokenStream {
        let p = private();
        let ty = format_ident!("{}", self.receiver_ty);
        quote!(#p::#ty<#emits>)
    }

    /// The handler trait's methods: one per event, each taking `&self`, the
    /// receiver and the event's arguments, and returning a future of its
    /// acknowledgement.
    fn handler_methods(&self, def: &ContractDef) -> Vec<TokenStream> {
        let p = private();
        let receiver = format_ident!("{}", self.receiver);
        let receiver_ty = self.receiver_ty(quote!(Self::Emits));
        def.events
            .iter()
            .map(|ev| {
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
                        #receiver: #receiver_ty,
                        #(#args),*
                    ) -> impl #p::Future<Output = #output> + #p::Send;
                }
            })
            .collect()
    }

    /// The dispatching method, `fn __handle_with(handler, receiver, event, ack,
    /// runner) -> R::Output`: each variant of the event enum calls its handler
    /// method with the receiver and the fields, acknowledges through `ack` as the
    /// event's acknowledgement shape asks, and runs the future with `runner`.
    fn dispatch(&self, def: &ContractDef, event: &Ident) -> TokenStream {
        let p = private();
        let receiver = format_ident!("{}", self.receiver);
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
                #event::#variant { #(#fields),* } => #reply(runner, ack, async move {
                    handler.#ident(#receiver, #(#fields),*).await
                }),
            }
        });
        let method = format_ident!("{}", self.dispatch);
        let receiver_ty = self.receiver_ty(quote!(H::Emits));
        let ack_ty = format_ident!("{}", self.ack_ty);
        quote! {
            fn #method<R: #p::Runner>(
                handler: &#p::Arc<H>,
                #receiver: #receiver_ty,
                event: #event,
                ack: #p::Option<#p::#ack_ty>,
                runner: R,
            ) -> R::Output {
                let handler = #p::Arc::clone(handler);
                let _ = (&handler, &#receiver, &ack, &runner);
                match event {
                    #(#arms)*
                }
            }
        }
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
