//! `#[derive(tether::Room)]`: an application's room type becomes room names.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Member};

use crate::case::pascal_to_snake;
use crate::ctxt::Ctxt;
use crate::render::private;

/// One piece of a room template: literal text, or a field with its format spec.
enum Piece {
    Text(String),
    Field { member: Member, spec: String },
}

/// Parses `match:{0}` or `team:{id:>3}`; `{{` and `}}` are literal braces.
fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '}' => return Err("unmatched `}` (write `}}` for a literal brace)".into()),
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => inner.push(ch),
                        None => {
                            return Err("unclosed `{` (write `{{` for a literal brace)".into());
                        }
                    }
                }
                let (name, spec) = match inner.split_once(':') {
                    Some((name, spec)) => (name.trim(), format!(":{spec}")),
                    None => (inner.trim(), String::new()),
                };
                let member = match name.parse::<u32>() {
                    Ok(index) => Member::Unnamed(syn::Index {
                        index,
                        span: Span::call_site(),
                    }),
                    Err(_) if !name.is_empty() => match syn::parse_str::<Ident>(name) {
                        Ok(ident) => Member::Named(ident),
                        Err(_) => return Err(format!("`{{{inner}}}` names no field")),
                    },
                    Err(_) => {
                        return Err("`{}` must name a field, such as `{0}` or `{id}`".into());
                    }
                };
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Field { member, spec });
            }
            ch => text.push(ch),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The `#[room("...")]` template of an item, if any.
fn template(cx: &Ctxt, attrs: &[Attribute]) -> Option<LitStr> {
    let mut found = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("room")) {
        match attr.parse_args::<LitStr>() {
            Ok(template) if found.is_none() => found = Some(template),
            Ok(template) => cx.error_spanned_by(template, "duplicate `#[room(...)]`"),
            Err(_) => {
                cx.error_spanned_by(attr, "expected a template string: `#[room(\"match:{0}\")]`")
            }
        }
    }
    found
}

fn binding(member: &Member) -> Ident {
    match member {
        Member::Named(ident) => format_ident!("__room_{}", ident),
        Member::Unnamed(index) => format_ident!("__room_{}", index.index),
    }
}

/// The members of `fields`, in order.
fn members(fields: &Fields) -> Vec<Member> {
    fields
        .iter()
        .enumerate()
        .map(|(index, field)| match &field.ident {
            Some(ident) => Member::Named(ident.clone()),
            None => Member::Unnamed(syn::Index {
                index: index as u32,
                span: field.span(),
            }),
        })
        .collect()
}

/// Builds the room name expression of one struct or variant.
fn name_expr(
    cx: &Ctxt,
    default_name: &str,
    template: Option<LitStr>,
    fields: &Fields,
) -> TokenStream {
    let p = private();
    let known = members(fields);
    let pieces = match &template {
        Some(template) => match parse_template(&template.value()) {
            Ok(pieces) => pieces,
            Err(message) => {
                cx.error_spanned_by(template, message);
                return quote!(#p::RoomName::new(""));
            }
        },
        None => {
            let mut pieces = vec![Piece::Text(default_name.to_owned())];
            for member in &known {
                pieces.push(Piece::Text(":".into()));
                pieces.push(Piece::Field {
                    member: member.clone(),
                    spec: String::new(),
                });
            }
            pieces
        }
    };
    let mut format = String::new();
    let mut plain = String::new();
    let mut args = Vec::new();
    for piece in &pieces {
        match piece {
            Piece::Text(text) => {
                plain.push_str(text);
                format.push_str(&text.replace('{', "{{").replace('}', "}}"));
            }
            Piece::Field { member, spec } => {
                if !known.contains(member) {
                    let name = match member {
                        Member::Named(ident) => ident.to_string(),
                        Member::Unnamed(index) => index.index.to_string(),
                    };
                    cx.error_spanned_by(
                        template.as_ref().expect("defaults name existing fields"),
                        format!("the template names `{name}`, which is not a field here"),
                    );
                    continue;
                }
                format.push('{');
                format.push_str(spec);
                format.push('}');
                args.push(binding(member));
            }
        }
    }
    if args.is_empty() {
        quote!(#p::RoomName::new(#plain))
    } else {
        quote!(#p::RoomName::new(#p::format!(#format, #(#args),*)))
    }
}

/// The pattern binding every field of `fields` to its `__room_*` name.
fn pattern(fields: &Fields) -> TokenStream {
    let members = members(fields);
    let bindings = members.iter().map(binding);
    match fields {
        Fields::Unit => quote!(),
        _ => quote!({ #(#members: #bindings),* }),
    }
}

/// Expands `#[derive(Room)]`.
pub(crate) fn derive(input: DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let p = private();
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "a room type cannot be generic");
    }
    let body = match &input.data {
        Data::Struct(data) => {
            let default = pascal_to_snake(&ident.to_string());
            let name = name_expr(&cx, &default, template(&cx, &input.attrs), &data.fields);
            let pattern = pattern(&data.fields);
            quote!(let #ident #pattern = room; #name)
        }
        Data::Enum(data) => {
            if let Some(attr) = input.attrs.iter().find(|attr| attr.path().is_ident("room")) {
                cx.error_spanned_by(
                    attr,
                    "put `#[room(\"...\")]` on the variants of an enum, not on the enum",
                );
            }
            let arms = data.variants.iter().map(|variant| {
                let default = pascal_to_snake(&variant.ident.to_string());
                let name = name_expr(
                    &cx,
                    &default,
                    template(&cx, &variant.attrs),
                    &variant.fields,
                );
                let pattern = pattern(&variant.fields);
                let variant = &variant.ident;
                quote!(#ident::#variant #pattern => #name,)
            });
            quote!(match room { #(#arms)* })
        }
        Data::Union(data) => {
            cx.error_spanned_by(data.union_token, "a room type must be a struct or an enum");
            quote!(unreachable!())
        }
    };
    if let Err(error) = cx.check() {
        return error.to_compile_error();
    }
    quote! {
        impl #p::From<&#ident> for #p::RoomName {
            #[allow(unused_variables)]
            fn from(room: &#ident) -> Self {
                #body
            }
        }

        impl #p::From<#ident> for #p::RoomName {
            fn from(room: #ident) -> Self {
                <Self as #p::From<&#ident>>::from(&room)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_text_and_fields() {
        let pieces = parse_template("match:{0}:{{x}}:{id:>3}").unwrap();
        assert_eq!(pieces.len(), 4);
        assert!(matches!(&pieces[0], Piece::Text(text) if text == "match:"));
        assert!(matches!(&pieces[2], Piece::Text(text) if text == ":{x}:"));
        assert!(
            matches!(&pieces[3], Piece::Field { member: Member::Named(id), spec } if id == "id" && spec == ":>3")
        );
        assert!(parse_template("a{").is_err());
        assert!(parse_template("a}").is_err());
        assert!(parse_template("{}").is_err());
    }
}
