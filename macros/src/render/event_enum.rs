//! The event enum: one variant per event, decodable from an untyped event.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::{Names, lit, private, variant};
use crate::model::{ContractDef, type_span};

pub(super) fn render(def: &ContractDef, names: &Names) -> TokenStream {
    let p = private();
    let vis = &def.vis;
    let contract = &names.contract;
    let event = &names.event;
    let doc = lit(&format!(
        "The events of [`{contract}`], decoded: one variant per event, with its arguments."
    ));
    let variants = def.events.iter().map(|ev| {
        let variant = variant(ev);
        let doc_attrs = ev.docs_or_default();
        let deprecated = &ev.deprecated_attr;
        let fields = ev.args.iter().map(|arg| {
            let ident = &arg.ident;
            let ty = &arg.ty;
            let doc = lit(&format!("The `{ident}` argument."));
            quote!(#[doc = #doc] #ident: #ty)
        });
        quote! {
            #(#doc_attrs)*
            #deprecated
            #variant { #(#fields),* }
        }
    });
    let decode_arms = def.events.iter().map(|ev| {
        let variant = variant(ev);
        let wire = lit(&ev.wire);
        let fields = ev.args.iter().enumerate().map(|(index, arg)| {
            let ident = &arg.ident;
            let ty = &arg.ty;
            let name = lit(&ident.to_string());
            // Only the path carries the type's span: `args` must resolve where the
            // attribute was written, also when the trait body came from another macro.
            let decode = quote_spanned!(type_span(ty)=> #p::decode_arg::<#ty>);
            quote!(#ident: #decode(args, #wire, #index, #name)?)
        });
        quote! {
            #wire => #p::Ok(#event::#variant { #(#fields),* }),
        }
    });
    let name_arms = def.events.iter().map(|ev| {
        let variant = variant(ev);
        let wire = lit(&ev.wire);
        quote!(#event::#variant { .. } => #wire,)
    });
    quote! {
        #[doc = #doc]
        #vis enum #event {
            #(#variants),*
        }

        #[allow(deprecated)]
        impl #p::ContractEvent for #event {
            fn decode(name: &str, args: &#p::Args) -> #p::Result<Self, #p::DecodeError> {
                let _ = args;
                match name {
                    #(#decode_arms)*
                    _ => #p::Err(#p::DecodeError::UnknownEvent(name.into())),
                }
            }

            fn name(&self) -> &'static str {
                match *self {
                    #(#name_arms)*
                }
            }
        }
    }
}
