//! The rules a contract must follow, one function each. Every violation is
//! recorded in the [`Ctxt`] with the span of the offending tokens.

use proc_macro2::Span;
use syn::visit::{self, Visit};
use syn::{
    Attribute, Generics, Ident, ItemTrait, Pat, Receiver, Signature, TraitItem, TraitItemFn, Type,
};

use crate::ctxt::Ctxt;
use crate::model::{ArgDef, EventDef};

/// Event names the Socket.IO protocol keeps for itself.
pub(crate) const RESERVED: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Method names of the generated handler trait besides the events.
const HANDLER_HOOKS: &[&str] = &["on_connect", "on_disconnect"];

/// No generic parameters and no `where` clause on `what`, whose `decoded`
/// the runtime decodes.
fn not_generic(cx: &Ctxt, generics: &Generics, what: &str, decoded: &str) {
    if !generics.params.is_empty() {
        cx.error_spanned_by(
            generics,
            format!("{what} cannot be generic: the runtime decodes {decoded} into concrete types"),
        );
    }
    if let Some(clause) = &generics.where_clause {
        cx.error_spanned_by(clause, format!("{what} cannot have a `where` clause"));
    }
}

/// The trait itself: no generics, supertraits, `unsafe` or `auto`.
pub(crate) fn trait_shape(cx: &Ctxt, item: &ItemTrait) {
    not_generic(cx, &item.generics, "a contract", "events");
    if let Some(colon) = &item.colon_token {
        let supertraits = &item.supertraits;
        cx.error_spanned_by(
            quote::quote!(#colon #supertraits),
            "a contract cannot have supertraits",
        );
    }
    if let Some(token) = &item.unsafety {
        cx.error_spanned_by(token, "a contract cannot be `unsafe`");
    }
    if let Some(token) = &item.auto_token {
        cx.error_spanned_by(token, "a contract cannot be an `auto` trait");
    }
}

fn attribute_name(attr: &Attribute) -> String {
    let path = attr.path();
    quote::quote!(#path).to_string().replace(' ', "")
}

/// Only doc comments on the trait.
pub(crate) fn trait_attributes(cx: &Ctxt, attrs: &[Attribute]) {
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            cx.error_spanned_by(
                attr,
                format!(
                    "unsupported attribute `#[{}]` on a contract; expected doc comments (options go in `#[tether::events(...)]`)",
                    attribute_name(attr)
                ),
            );
        }
    }
}

/// Only doc comments, `#[event(...)]` and `#[deprecated]` on an event.
pub(crate) fn method_attributes(cx: &Ctxt, attrs: &[Attribute]) {
    for attr in attrs {
        let path = attr.path();
        if !(path.is_ident("doc") || path.is_ident("event") || path.is_ident("deprecated")) {
            cx.error_spanned_by(
                attr,
                format!(
                    "unsupported attribute `#[{}]` on an event; expected `#[event(...)]`, `#[deprecated]` or doc comments",
                    attribute_name(attr)
                ),
            );
        }
    }
}

/// A trait item that is not a method.
pub(crate) fn not_an_event(cx: &Ctxt, item: &TraitItem) {
    let what = match item {
        TraitItem::Const(_) => "an associated constant",
        TraitItem::Type(_) => "an associated type",
        TraitItem::Macro(_) => "a macro invocation",
        _ => "this item",
    };
    cx.error_spanned_by(
        item,
        format!("a contract holds events only (`fn name(args) -> Ack;`), not {what}"),
    );
}

/// A plain `fn name(args) -> Ack;`: not async, const, unsafe, extern, generic or
/// variadic.
pub(crate) fn signature(cx: &Ctxt, sig: &Signature) {
    if let Some(token) = &sig.asyncness {
        cx.error_spanned_by(
            token,
            "an event is declared without `async`: handlers are async, the declaration is not",
        );
    }
    if let Some(token) = &sig.constness {
        cx.error_spanned_by(token, "an event cannot be `const`");
    }
    if let Some(token) = &sig.unsafety {
        cx.error_spanned_by(token, "an event cannot be `unsafe`");
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(abi, "an event cannot have an ABI");
    }
    not_generic(cx, &sig.generics, "an event", "arguments");
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, "an event cannot be variadic");
    }
}

/// Declarations only: no default body.
pub(crate) fn no_default_body(cx: &Ctxt, method: &TraitItemFn) {
    if let Some(body) = &method.default {
        cx.error_spanned_by(
            body,
            "an event is a declaration: remove the body and end it with `;`",
        );
    }
}

/// No `self`: handlers receive the socket instead.
pub(crate) fn receiver(cx: &Ctxt, receiver: &Receiver) {
    cx.error_spanned_by(
        receiver,
        "an event takes no `self`: the generated handler methods get `&self` and the socket",
    );
}

/// Arguments are plain identifiers: their names go into the descriptors.
pub(crate) fn argument_pattern(cx: &Ctxt, pat: &Pat) {
    cx.error_spanned_by(
        pat,
        "an event argument must be a plain identifier such as `room: String`; its name is part of the contract",
    );
}

/// Finds what an argument or acknowledgement type may not contain.
struct Unsupported<'a> {
    cx: &'a Ctxt,
    what: &'static str,
}

impl<'ast> Visit<'ast> for Unsupported<'_> {
    fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
        self.cx.error_spanned_by(
            reference,
            format!(
                "{} must be owned: borrowed data cannot be decoded from the wire (use `String` for `&str`, `Vec<T>` for `&[T]`)",
                self.what
            ),
        );
    }

    fn visit_type_impl_trait(&mut self, ty: &'ast syn::TypeImplTrait) {
        self.cx.error_spanned_by(
            ty,
            format!(
                "{} must be a concrete type: `impl Trait` is a generic the runtime cannot decode into",
                self.what
            ),
        );
    }

    fn visit_type_trait_object(&mut self, ty: &'ast syn::TypeTraitObject) {
        self.cx.error_spanned_by(
            ty,
            format!("{} must be a concrete type, not a trait object", self.what),
        );
    }

    fn visit_type_infer(&mut self, ty: &'ast syn::TypeInfer) {
        self.cx
            .error_spanned_by(ty, format!("{} must be spelled out, not `_`", self.what));
    }

    fn visit_type_never(&mut self, ty: &'ast syn::TypeNever) {
        self.cx
            .error_spanned_by(ty, format!("{} cannot be `!`", self.what));
    }

    fn visit_type_path(&mut self, ty: &'ast syn::TypePath) {
        if ty.qself.is_none() && ty.path.is_ident("Self") {
            self.cx.error_spanned_by(
                ty,
                format!("{} cannot be `Self`: the contract is not a type", self.what),
            );
        }
        visit::visit_type_path(self, ty);
    }

    fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
        if lifetime.ident != "static" {
            self.cx.error_spanned_by(
                lifetime,
                format!("{} cannot borrow: remove the lifetime", self.what),
            );
        }
    }
}

/// An argument type the runtime can decode into: owned and concrete.
pub(crate) fn argument_type(cx: &Ctxt, ty: &Type) {
    Unsupported {
        cx,
        what: "an event argument",
    }
    .visit_type(ty);
}

/// An acknowledgement type the runtime can send and decode: owned and concrete.
pub(crate) fn ack_type(cx: &Ctxt, ty: &Type) {
    Unsupported {
        cx,
        what: "an acknowledgement",
    }
    .visit_type(ty);
}

/// Wire names: not empty, not reserved by Socket.IO.
pub(crate) fn wire_name(cx: &Ctxt, wire: &str, span: Span) {
    if wire.is_empty() {
        cx.syn_error(syn::Error::new(span, "an event name cannot be empty"));
    } else if RESERVED.contains(&wire) {
        cx.syn_error(syn::Error::new(
            span,
            format!(
                "`{wire}` is reserved by Socket.IO; reserved names are {}; rename the method or set `#[event(name = \"...\")]`",
                RESERVED
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
}

/// Method names the generated handler trait already uses.
pub(crate) fn generated_name_clash(cx: &Ctxt, ident: &Ident) {
    let name = ident.to_string();
    if HANDLER_HOOKS.contains(&name.as_str()) {
        cx.error_spanned_by(
            ident,
            format!(
                "`{name}` is a hook of the generated handler trait; name the method otherwise and keep the wire name with `#[event(name = \"{name}\")]`"
            ),
        );
    }
}

/// Two events may not share a wire name, after renaming.
pub(crate) fn unique_wire_names(cx: &Ctxt, events: &[EventDef]) {
    for (index, event) in events.iter().enumerate() {
        if let Some(first) = events[..index]
            .iter()
            .find(|other| other.wire == event.wire)
        {
            let how = if event.explicit_name.is_some() {
                "set by `#[event(name)]`"
            } else {
                "after renaming"
            };
            let mut error = syn::Error::new(
                event.wire_span,
                format!(
                    "duplicate event name `{}` ({how}): `{}` already uses it",
                    event.wire, first.ident
                ),
            );
            error.combine(syn::Error::new(
                first.span(),
                format!("`{}` first declared here", event.wire),
            ));
            cx.syn_error(error);
        }
    }
}

/// Two arguments of one event may not share a name.
pub(crate) fn unique_argument_names(cx: &Ctxt, args: &[ArgDef]) {
    for (index, arg) in args.iter().enumerate() {
        if args[..index].iter().any(|other| other.ident == arg.ident) {
            cx.error_spanned_by(&arg.ident, format!("duplicate argument `{}`", arg.ident));
        }
    }
}
