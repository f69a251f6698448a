//! The emitter trait of the sending side, blanket-implemented for every target
//! that may emit the contract.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::{Names, lit, private};
use crate::model::{AckDef, ContractDef, type_span};

fn trait_doc(contract: &syn::Ident) -> String {
    format!(
        "Emits the events of [`{contract}`]: one method per event, for every target that \
         may send them (`TypedSocket<{contract}>`, `TypedBroadcast<{contract}>`, \
         `TypedNamespace<{contract}>`).\n\n\
         An event without acknowledgement returns `Result<(), EmitError>`; an event \
         acknowledged with `R` returns an `AckFuture<R>` on a socket and an \
         `AckStream<R>` on a broadcast."
    )
}

pub(super) fn render(def: &ContractDef, names: &Names) -> TokenStream {
    let p = private();
    let vis = &def.vis;
    let contract = &names.contract;
    let emitter = &names.emitter;
    let doc = lit(&trait_doc(contract));
    let methods = def.events.iter().map(|ev| {
        let ident = &ev.ident;
        let doc_attrs = ev.docs_or_default();
        let deprecated = &ev.deprecated_attr;
        let wire = lit(&ev.wire);
        let params = ev.args.iter().map(|arg| {
            let ident = &arg.ident;
            let ty = &arg.ty;
            quote_spanned!(type_span(ty)=> #ident: impl #p::Arg<#ty>)
        });
        let values: Vec<_> = ev.args.iter().map(|arg| &arg.ident).collect();
        let name = quote!(#p::EventName::__new(#wire));
        let (output, body) = match &ev.ack {
            AckDef::None => (
                quote!(#p::Result<(), #p::EmitError>),
                quote!(#p::Emit::<#contract>::__emit(self, #name, &(#(#values,)*))),
            ),
            AckDef::Value(ty) => (
                quote_spanned!(type_span(ty)=> <Self as #p::Emit<#contract>>::Ack<#ty>),
                {
                    // `self` keeps the attribute's hygiene; only the call path is spanned.
                    let call = quote_spanned!(type_span(ty)=> #p::Emit::<#contract>::__emit_with_ack::<#ty, _>);
                    quote!(#call(self, #name, &(#(#values,)*)))
                },
            ),
            AckDef::Result { ok, err } => (
                quote!(<Self as #p::Emit<#contract>>::Ack<#p::AckResult<#ok, #err>>),
                quote!(#p::Emit::<#contract>::__emit_with_ack::<#p::AckResult<#ok, #err>, _>(self, #name, &(#(#values,)*))),
            ),
        };
        let must_use = match &ev.ack {
            AckDef::None => quote!(),
            _ => quote!(#[must_use = "the acknowledgement arrives only when awaited"]),
        };
        quote! {
            #(#doc_attrs)*
            #deprecated
            #must_use
            fn #ident(&self, #(#params),*) -> #output {
                #body
            }
        }
    });
    quote! {
        #[doc = #doc]
        #vis trait #emitter: #p::Emit<#contract> {
            #(#methods)*
        }

        impl<T: #p::Emit<#contract> + ?#p::Sized> #emitter for T {}
    }
}
