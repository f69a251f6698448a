//! The names the generators derive: namespace prefixes and channel ids, valid
//! type names, argument names, and message ids.

use crate::Error;

/// Words TypeScript does not accept as a type name or as a parameter name, and
/// the global types the generated TypeScript refers to (a payload type with one of
/// these names would shadow it).
const RESERVED: &[&str] = &[
    // Reserved words of JavaScript and TypeScript.
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "implements",
    "interface",
    "let",
    "package",
    "private",
    "protected",
    "public",
    "static",
    "yield",
    "await",
    "arguments",
    "eval",
    // Type names TypeScript predefines.
    "any",
    "bigint",
    "boolean",
    "never",
    "number",
    "object",
    "string",
    "symbol",
    "undefined",
    "unknown",
    // Globals the generated file uses.
    "ArrayBuffer",
    "ArrayBufferView",
];

/// Whether `name` is an ASCII identifier (`[A-Za-z_][A-Za-z0-9_]*`): valid in
/// TypeScript, as an AsyncAPI component key and in a JSON pointer unescaped.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `name` is reserved in TypeScript or names a global the output uses.
pub(crate) fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

/// Checks that a definition name can name a type in every output.
pub(crate) fn check_type_name(name: &str) -> Result<(), Error> {
    if !is_identifier(name) {
        return Err(Error::invalid_name(
            name,
            "a payload type's schema name must be an identifier ([A-Za-z_][A-Za-z0-9_]*); \
             rename it with #[schemars(rename = \"…\")]",
        ));
    }
    if is_reserved(name) {
        return Err(Error::invalid_name(
            name,
            "the name is reserved in TypeScript or used by the generated file; rename it with \
             #[schemars(rename = \"…\")]",
        ));
    }
    Ok(())
}

/// A parameter name for TypeScript: the Rust name without `r#`, followed by `_`
/// when it is a reserved word.
pub(crate) fn parameter_name(rust: &str) -> String {
    let name = rust.strip_prefix("r#").unwrap_or(rust);
    if is_reserved(name) {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

/// The words of a namespace path: its runs of ASCII letters and digits.
fn words(path: &str) -> impl Iterator<Item = &str> {
    path.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The prefix of a namespace's TypeScript names: empty for `/`, otherwise its
/// words capitalized and joined (`/chat` → `Chat`, `/admin/live-stats` →
/// `AdminLiveStats`), with `Namespace` in front when that starts with a digit.
pub(crate) fn namespace_prefix(path: &str) -> Result<String, Error> {
    check_namespace(path)?;
    let prefix: String = words(path).map(capitalized).collect();
    Ok(match prefix.chars().next() {
        Some(first) if first.is_ascii_digit() => format!("Namespace{prefix}"),
        _ => prefix,
    })
}

/// The AsyncAPI channel id of a namespace: `root` for `/`, otherwise its prefix
/// with a lower-case first letter (`/admin/live-stats` → `adminLiveStats`).
pub(crate) fn channel_id(path: &str) -> Result<String, Error> {
    let prefix = namespace_prefix(path)?;
    let mut chars = prefix.chars();
    Ok(match chars.next() {
        None => "root".to_owned(),
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
    })
}

fn check_namespace(path: &str) -> Result<(), Error> {
    if !path.starts_with('/') {
        return Err(Error::invalid_name(
            path,
            "a namespace name starts with `/`",
        ));
    }
    if path != "/" && words(path).next().is_none() {
        return Err(Error::invalid_name(
            path,
            "a namespace other than `/` needs at least one letter or digit",
        ));
    }
    Ok(())
}

/// An event name as an AsyncAPI id fragment: characters outside
/// `[A-Za-z0-9_-]` become `_`.
pub(crate) fn id_fragment(event: &str) -> String {
    event
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `text` as a JSON pointer token (`~` → `~0`, `/` → `~1`).
pub(crate) fn pointer_token(text: &str) -> String {
    text.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_prefixes() {
        assert_eq!(namespace_prefix("/").unwrap(), "");
        assert_eq!(namespace_prefix("/chat").unwrap(), "Chat");
        assert_eq!(
            namespace_prefix("/admin/live-stats").unwrap(),
            "AdminLiveStats"
        );
        assert_eq!(namespace_prefix("/myRoom_2").unwrap(), "MyRoom2");
        assert_eq!(namespace_prefix("/2fa").unwrap(), "Namespace2fa");
        assert!(namespace_prefix("chat").is_err());
        assert!(namespace_prefix("/--").is_err());
    }

    #[test]
    fn channel_ids() {
        assert_eq!(channel_id("/").unwrap(), "root");
        assert_eq!(channel_id("/admin/live-stats").unwrap(), "adminLiveStats");
    }

    #[test]
    fn type_names() {
        assert!(check_type_name("Message").is_ok());
        assert!(check_type_name("AckResult_u64_ChatError").is_ok());
        assert!(check_type_name("Page<T>").is_err());
        assert!(check_type_name("ArrayBuffer").is_err());
        assert!(check_type_name("string").is_err());
    }

    #[test]
    fn parameter_names() {
        assert_eq!(parameter_name("room"), "room");
        assert_eq!(parameter_name("r#type"), "type");
        assert_eq!(parameter_name("new"), "new_");
    }

    #[test]
    fn fragments_and_pointers() {
        assert_eq!(id_fragment("typing:start"), "typing_start");
        assert_eq!(pointer_token("/chat"), "~1chat");
    }
}
