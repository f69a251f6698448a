//! The contract marker struct, its `Contract` impl and descriptor table. Each
//! schema function is spanned on its type, so a type that cannot travel is
//! reported where it is written.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Type;

use super::{Names, lit, private};
use crate::model::{AckDef, ContractDef, EventDef, type_span};

fn schema(ty: &Type) -> TokenStream {
    let p = private();
    quote_spanned!(type_span(ty)=> #p::payload_schema::<#ty>)
}

fn option_str(value: Option<&str>) -> TokenStream {
    let p = private();
    match value {
        Some(text) => {
            let text = lit(text);
            quote!(#p::Some(#text))
        }
        None => quote!(#p::None),
    }
}

fn descriptor(event: &EventDef) -> TokenStream {
    let p = private();
    let wire = lit(&event.wire);
    let rust_name = lit(&event.ident.to_string());
    let docs = lit(&event.docs);
    let deprecated = match &event.deprecated {
        Some(deprecated) => {
            let since = option_str(deprecated.since.as_deref());
            let note = option_str(deprecated.note.as_deref());
            quote!(#p::Some(#p::Deprecation::__new(#since, #note)))
        }
        None => quote!(#p::None),
    };
    let args = event.args.iter().map(|arg| {
        let name = lit(&arg.ident.to_string());
        let schema = schema(&arg.ty);
        let optional = arg.optional;
        quote!(#p::ArgDescriptor::__new(#name, #schema, #optional))
    });
    let ack = match &event.ack {
        AckDef::None => quote!(#p::AckShape::None),
        AckDef::Value(ty) => {
            let schema = schema(ty);
            quote!(#p::AckShape::Value(#schema))
        }
        AckDef::Result { ok, err } => {
            let ok_schema = schema(ok);
            let err_schema = schema(err);
            quote! {
                #p::AckShape::Result {
                    ok: #ok_schema,
                    err: #err_schema,
                    wire: #p::schema_of::<#p::AckResult<#ok, #err>>,
                }
            }
        }
    };
    quote! {
        #p::EventDescriptor::__new(#wire, #rust_name, #docs, #deprecated, &[#(#args),*], #ack)
    }
}

pub(super) fn render(def: &ContractDef, names: &Names) -> TokenStream {
    let p = private();
    let vis = &def.vis;
    let contract = &names.contract;
    let event = &names.event;
    let doc_attrs = &def.doc_attrs;
    let name = lit(&contract.to_string());
    let docs = lit(&def.docs);
    let count = def.events.len();
    let version = option_str(def.version.as_deref());
    let descriptors = def.events.iter().map(descriptor);
    quote! {
        #(#doc_attrs)*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        #vis struct #contract;

        impl #p::Contract for #contract {
            type Event = #event;

            const NAME: &'static str = #name;

            const VERSION: #p::Option<&'static str> = #version;

            fn docs() -> &'static str {
                #docs
            }

            fn events() -> &'static [#p::EventDescriptor] {
                static EVENTS: [#p::EventDescriptor; #count] = [#(#descriptors),*];
                &EVENTS
            }
        }
    }
}
