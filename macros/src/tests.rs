//! Keeps `EXPANSION.md` honest: the documented expansion of its example contract
//! must be what the macro produces. The whole document is the snapshot, checked
//! through `expect-test`; refresh it with
//! `UPDATE_EXPECT=1 cargo test -p tether-macros expansion`.

use expect_test::expect_file;
use syn::{ItemTrait, Meta};

const DOC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/EXPANSION.md");
const INPUT_MARK: &str = "<!-- input -->\n```rust\n";
const OUTPUT_MARK: &str = "<!-- expansion -->\n```rust\n";

/// The text of the code block after `mark`, and where it ends.
fn block<'a>(doc: &'a str, mark: &str) -> (usize, usize, &'a str) {
    let start = doc.find(mark).expect("marker present") + mark.len();
    let end = start + doc[start..].find("```").expect("block closed");
    (start, end, &doc[start..end])
}

fn expand(source: &str) -> String {
    let mut item: ItemTrait = syn::parse_str(source).expect("the input parses");
    let position = item
        .attrs
        .iter()
        .position(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "events")
        })
        .expect("the input has #[tether::events]");
    let attr = item.attrs.remove(position);
    let args = match attr.meta {
        Meta::List(list) => list.tokens,
        _ => proc_macro2::TokenStream::new(),
    };
    let tokens = crate::expand_events(args, &item);
    let file: syn::File = syn::parse2(tokens).expect("the expansion parses");
    prettyplease::unparse(&file)
}

#[test]
fn expansion_matches_the_documented_snapshot() {
    let doc = std::fs::read_to_string(DOC_PATH).expect("EXPANSION.md exists");
    let (_, _, input) = block(&doc, INPUT_MARK);
    let expanded = expand(input);
    let (start, end, _) = block(&doc, OUTPUT_MARK);
    let with_expansion = format!("{}{}{}", &doc[..start], expanded, &doc[end..]);
    expect_file![DOC_PATH].assert_eq(&with_expansion);
}

#[test]
fn errors_are_all_reported_together() {
    let item: ItemTrait =
        syn::parse_str("pub trait Bad { fn a(&self); fn connect(); fn b((x, y): (u8, u8)); }")
            .unwrap();
    let errors = crate::expand_events(proc_macro2::TokenStream::new(), &item).to_string();
    assert_eq!(errors.matches("compile_error").count(), 3, "{errors}");
}
