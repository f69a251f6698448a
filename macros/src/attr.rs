//! Attribute arguments: `#[events(...)]` on the trait, `#[event(...)]` on a method,
//! and the doc comments and `#[deprecated]` carried into descriptors.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta, Token};

use crate::case::{self, RenameRule, RuleNames};
use crate::ctxt::Ctxt;

/// One `key = "value"` argument, checked against an allow-list.
pub(crate) struct Argument {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: LitStr,
}

fn expected(allowed: &[&str]) -> String {
    allowed
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses `key = "value", ...`, reporting unknown, duplicate and malformed
/// arguments; returns the well-formed ones.
pub(crate) fn parse_arguments(cx: &Ctxt, tokens: TokenStream, allowed: &[&str]) -> Vec<Argument> {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(metas) => metas,
        Err(error) => {
            cx.syn_error(error);
            return Vec::new();
        }
    };
    let mut arguments: Vec<Argument> = Vec::new();
    for meta in metas {
        let path = meta.path();
        let key = path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_else(|| quote::quote!(#path).to_string().replace(' ', ""));
        if !allowed.contains(&key.as_str()) {
            cx.error_spanned_by(
                path,
                format!(
                    "unknown argument `{key}`, expected one of {}",
                    expected(allowed)
                ),
            );
            continue;
        }
        let value = match &meta {
            Meta::NameValue(pair) => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(value),
                    ..
                }) => value.clone(),
                other => {
                    cx.error_spanned_by(
                        other,
                        format!("`{key}` takes a string literal: `{key} = \"...\"`"),
                    );
                    continue;
                }
            },
            _ => {
                cx.error_spanned_by(&meta, format!("`{key}` takes a value: `{key} = \"...\"`"));
                continue;
            }
        };
        if arguments.iter().any(|known| known.key == key) {
            cx.error_spanned_by(path, format!("duplicate argument `{key}`"));
            continue;
        }
        arguments.push(Argument {
            key,
            key_span: path.span(),
            value,
        });
    }
    arguments
}

/// The arguments of `#[tether::events(...)]`.
#[derive(Default)]
pub(crate) struct EventsArgs {
    pub(crate) rename_all: Option<RenameRule>,
    /// `version = "..."`: the contract's declared version.
    pub(crate) version: Option<String>,
}

impl EventsArgs {
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut args = EventsArgs::default();
        for argument in parse_arguments(cx, tokens, &["rename_all", "version"]) {
            if argument.key == "version" {
                let version = argument.value.value();
                if version.is_empty() || version.chars().any(char::is_control) {
                    cx.error_spanned_by(
                        &argument.value,
                        "`version` is a non-empty string without control characters",
                    );
                } else {
                    args.version = Some(version);
                }
                continue;
            }
            let rule = argument.value.value();
            match case::parse(&rule) {
                Some(parsed) => args.rename_all = Some(parsed),
                None => cx.error_spanned_by(
                    &argument.value,
                    format!("unknown rename rule `{rule}`, expected one of {RuleNames}"),
                ),
            }
        }
        args
    }
}

/// The arguments of `#[event(...)]` on one method.
#[derive(Default)]
pub(crate) struct EventArgs {
    pub(crate) name: Option<LitStr>,
}

impl EventArgs {
    /// Reads every `#[event(...)]` of `attrs`.
    pub(crate) fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut args = EventArgs::default();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("event")) {
            let tokens = match &attr.meta {
                Meta::List(list) => list.tokens.clone(),
                other => {
                    cx.error_spanned_by(other, "expected `#[event(name = \"...\")]`");
                    continue;
                }
            };
            for argument in parse_arguments(cx, tokens, &["name"]) {
                if args.name.is_some() {
                    cx.syn_error(syn::Error::new(
                        argument.key_span,
                        "duplicate argument `name`",
                    ));
                    continue;
                }
                args.name = Some(argument.value);
            }
        }
        args
    }
}

/// The `///` doc comment of an item, lines joined with `\n`, one leading space
/// of each line removed.
pub(crate) fn docs(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let Meta::NameValue(pair) = &attr.meta
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) = &pair.value
        {
            let text = text.value();
            for line in text.split('\n') {
                lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
            }
        }
    }
    while lines.first().is_some_and(|line| line.is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// A `#[deprecated]` attribute: `since` and `note`.
pub(crate) struct Deprecated {
    pub(crate) since: Option<String>,
    pub(crate) note: Option<String>,
}

/// Reads `#[deprecated]`, `#[deprecated = "note"]` or
/// `#[deprecated(since = "...", note = "...")]`.
pub(crate) fn deprecated(cx: &Ctxt, attrs: &[Attribute]) -> Option<Deprecated> {
    let attr = attrs
        .iter()
        .find(|attr| attr.path().is_ident("deprecated"))?;
    let mut found = Deprecated {
        since: None,
        note: None,
    };
    match &attr.meta {
        Meta::Path(_) => {}
        Meta::NameValue(pair) => match &pair.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(note),
                ..
            }) => found.note = Some(note.value()),
            other => cx.error_spanned_by(other, "expected `#[deprecated = \"note\"]`"),
        },
        Meta::List(list) => {
            for argument in parse_arguments(cx, list.tokens.clone(), &["since", "note"]) {
                match argument.key.as_str() {
                    "since" => found.since = Some(argument.value.value()),
                    _ => found.note = Some(argument.value.value()),
                }
            }
        }
    }
    Some(found)
}
