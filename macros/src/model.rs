//! Parsing: a `#[tether::events]` trait becomes a [`ContractDef`], the description
//! the renderers work from. Every rule of `check` runs here, and every error is
//! collected.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ItemTrait, LitStr, Pat, PathArguments, ReturnType,
    TraitItem, TraitItemFn, Type, Visibility,
};

use crate::attr::{self, Deprecated, EventArgs, EventsArgs};
use crate::check;
use crate::ctxt::Ctxt;

/// A contract: the trait, its docs and its events.
pub(crate) struct ContractDef {
    pub(crate) vis: Visibility,
    pub(crate) ident: Ident,
    pub(crate) docs: String,
    pub(crate) doc_attrs: Vec<Attribute>,
    /// `#[events(version = "...")]`.
    pub(crate) version: Option<String>,
    pub(crate) events: Vec<EventDef>,
}

/// One event: a method of the trait.
pub(crate) struct EventDef {
    /// The method name.
    pub(crate) ident: Ident,
    /// The wire name, after `#[event(name)]` and `rename_all`.
    pub(crate) wire: String,
    /// Where the wire name comes from: the `name = "..."` literal, else the ident.
    pub(crate) wire_span: Span,
    /// Whether `#[event(name = ...)]` set the wire name.
    pub(crate) explicit_name: Option<LitStr>,
    pub(crate) docs: String,
    pub(crate) doc_attrs: Vec<Attribute>,
    pub(crate) deprecated: Option<Deprecated>,
    pub(crate) deprecated_attr: Option<Attribute>,
    pub(crate) args: Vec<ArgDef>,
    pub(crate) ack: AckDef,
}

/// One argument of an event.
pub(crate) struct ArgDef {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) optional: bool,
}

/// What an event is acknowledged with.
pub(crate) enum AckDef {
    None,
    Value(Box<Type>),
    Result { ok: Box<Type>, err: Box<Type> },
}

/// The generic arguments of `ty` when its last path segment is `name`.
fn generic_args<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
    )
}

/// Whether `ty` is written `Option<T>`.
fn is_option(ty: &Type) -> bool {
    generic_args(ty, "Option").is_some_and(|args| args.len() == 1)
}

fn ack_of(output: &ReturnType) -> AckDef {
    match output {
        ReturnType::Default => AckDef::None,
        ReturnType::Type(_, ty) => match generic_args(ty, "Result") {
            Some(args) if args.len() == 2 => AckDef::Result {
                ok: Box::new(args[0].clone()),
                err: Box::new(args[1].clone()),
            },
            _ => match &**ty {
                Type::Tuple(tuple) if tuple.elems.is_empty() => AckDef::None,
                _ => AckDef::Value(ty.clone()),
            },
        },
    }
}

impl ContractDef {
    /// Parses the attribute arguments and the trait, collecting every error.
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream, item: &ItemTrait) -> ContractDef {
        let options = EventsArgs::parse(cx, args);
        check::trait_shape(cx, item);
        check::trait_attributes(cx, &item.attrs);
        let mut events = Vec::new();
        for trait_item in &item.items {
            match trait_item {
                TraitItem::Fn(method) => events.push(EventDef::parse(cx, &options, method)),
                other => check::not_an_event(cx, other),
            }
        }
        check::unique_wire_names(cx, &events);
        ContractDef {
            vis: item.vis.clone(),
            ident: item.ident.clone(),
            docs: attr::docs(&item.attrs),
            doc_attrs: doc_attrs(&item.attrs),
            version: options.version,
            events,
        }
    }
}

fn doc_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .cloned()
        .collect()
}

impl EventDef {
    fn parse(cx: &Ctxt, options: &EventsArgs, method: &TraitItemFn) -> EventDef {
        check::method_attributes(cx, &method.attrs);
        check::signature(cx, &method.sig);
        check::no_default_body(cx, method);
        let event_args = EventArgs::parse(cx, &method.attrs);
        let ident = method.sig.ident.clone();
        let rust_name = ident.to_string();
        let rust_name = rust_name
            .strip_prefix("r#")
            .unwrap_or(&rust_name)
            .to_owned();
        let (wire, wire_span) = match &event_args.name {
            Some(name) => (name.value(), name.span()),
            None => match options.rename_all {
                Some(rule) => (rule.apply(&rust_name), ident.span()),
                None => (rust_name.clone(), ident.span()),
            },
        };
        check::wire_name(cx, &wire, wire_span);
        check::generated_name_clash(cx, &ident);
        let mut args = Vec::new();
        for input in &method.sig.inputs {
            match input {
                FnArg::Receiver(receiver) => check::receiver(cx, receiver),
                FnArg::Typed(typed) => {
                    check::argument_type(cx, &typed.ty);
                    match &*typed.pat {
                        Pat::Ident(pat)
                            if pat.by_ref.is_none()
                                && pat.mutability.is_none()
                                && pat.subpat.is_none() =>
                        {
                            args.push(ArgDef {
                                ident: pat.ident.clone(),
                                ty: (*typed.ty).clone(),
                                optional: is_option(&typed.ty),
                            });
                        }
                        other => check::argument_pattern(cx, other),
                    }
                }
            }
        }
        check::unique_argument_names(cx, &args);
        if let ReturnType::Type(_, ty) = &method.sig.output {
            check::ack_type(cx, ty);
        }
        EventDef {
            ident,
            wire,
            wire_span,
            explicit_name: event_args.name,
            docs: attr::docs(&method.attrs),
            doc_attrs: doc_attrs(&method.attrs),
            deprecated: attr::deprecated(cx, &method.attrs),
            deprecated_attr: method
                .attrs
                .iter()
                .find(|attr| attr.path().is_ident("deprecated"))
                .cloned(),
            args,
            ack: ack_of(&method.sig.output),
        }
    }

    /// The doc attributes to put on generated items: the method's, or a line
    /// naming the event when it has none (so `missing_docs` stays quiet).
    pub(crate) fn docs_or_default(&self) -> Vec<Attribute> {
        if !self.doc_attrs.is_empty() {
            return self.doc_attrs.clone();
        }
        let text = format!(" The `{}` event.", self.wire);
        vec![syn::parse_quote!(#[doc = #text])]
    }

    /// The span to blame for the whole event.
    pub(crate) fn span(&self) -> Span {
        self.ident.span()
    }
}

/// The span of a type, for spanned checks.
pub(crate) fn type_span(ty: &Type) -> Span {
    ty.span()
}
