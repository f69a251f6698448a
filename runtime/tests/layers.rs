//! Keeps the layering of ARCHITECTURE.md: each top-level module of `src/` names
//! only the modules below it. Reads the sources, skips comments (doc links may
//! point anywhere) and string literals, and fails naming every `file:line` that
//! reaches a module it may not (`crate::x`, `tether::x`, `super::` paths that leave
//! the module, and the members of `crate::{...}` groups).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Every top-level module and the modules its code may name (separated by
/// spaces). A module added to `src/` must be added here (the test fails until it
/// is).
const RULES: &[(&str, &str)] = &[
    ("frame", ""),
    ("telemetry", ""),
    ("backoff", ""),
    ("engine", "frame telemetry"),
    ("protocol", "frame"),
    ("room", "engine"),
    ("peer", "frame engine protocol"),
    ("http", "engine"),
    ("adapter", "frame engine protocol room telemetry backoff"),
    (
        "server",
        "frame engine protocol room peer adapter http telemetry",
    ),
    // `__private` only for the client types the generated client handler traits
    // name (`ClientOf`, `ClientAck`), which exist with or without the `client`
    // feature.
    (
        "contract",
        "frame engine protocol room peer server __private",
    ),
    (
        "client",
        "frame engine protocol peer contract http telemetry backoff",
    ),
    ("emitter", "protocol room peer adapter contract server"),
    (
        "admin",
        "frame engine protocol room peer http server telemetry",
    ),
    (
        "__private",
        "frame engine protocol room peer http adapter server contract client emitter admin \
         telemetry",
    ),
];

fn allowed(module: &str) -> Option<Vec<&'static str>> {
    RULES
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, allowed)| allowed.split_whitespace().collect())
}

fn is_module(name: &str) -> bool {
    allowed(name).is_some()
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut unknown = BTreeSet::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src");
        let path = module_path(relative);
        let Some(top) = path.first().cloned() else {
            continue; // lib.rs: the crate root declares the modules.
        };
        let Some(allowed) = allowed(&top) else {
            unknown.insert(top);
            continue;
        };
        let source = fs::read_to_string(&file).expect("readable source");
        let code = strip_comments_and_strings(&source);
        for (line, target) in imported_modules(&code, &path) {
            if target != top && !allowed.contains(&target.as_str()) {
                violations.push(format!(
                    "src/{}:{line}: `{top}` names `{target}` (it may name: {})",
                    relative.display(),
                    allowed.join(", ")
                ));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "modules missing from the RULES of tests/layers.rs and ARCHITECTURE.md: {unknown:?}"
    );
    assert!(
        violations.is_empty(),
        "imports against the layering (see ARCHITECTURE.md):\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_what_it_must() {
    let code = strip_comments_and_strings(
        "use crate::{engine::Sid, server};\n\
         // crate::client in a comment\n\
         /* crate::admin /* nested */ crate::emitter */\n\
         let s = \"crate::contract\"; let c = '\"'; fn f<'a>() {}\n\
         let x = super::super::adapter::Broadcast;\n\
         let y = tether::http::serve;\n",
    );
    let found: Vec<_> = imported_modules(&code, &["protocol".into(), "packet".into()]);
    assert_eq!(
        found,
        vec![
            (1, "engine".to_owned()),
            (1, "server".to_owned()),
            (5, "adapter".to_owned()),
            (6, "http".to_owned()),
        ]
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("readable directory")
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The module path of a file under `src/`: `engine/session/mod.rs` is
/// `[engine, session]`, `http.rs` is `[http]`, `lib.rs` is `[]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The source with comments and the contents of string and char literals
/// replaced by spaces (line breaks kept, so line numbers stay true).
fn strip_comments_and_strings(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"') | Some('#'))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.push(' ');
            for _ in i + 1..=j {
                out.push(' ');
            }
            i = j + 1;
            while i < chars.len() {
                if chars[i] == '"' && (0..hashes).all(|k| chars.get(i + 1 + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime ('a).
            let literal_end = if next == Some('\\') {
                (i + 2..chars.len()).find(|&j| chars[j] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match literal_end {
                Some(end) => {
                    for _ in i..=end {
                        out.push(' ');
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The top-level modules `code` (of the module at `path`) names, with their line.
fn imported_modules(code: &str, path: &[String]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut at = 0;
    while at < bytes.len() {
        let ident_start = at;
        if !(bytes[at].is_ascii_alphabetic() || bytes[at] == b'_') {
            at += 1;
            continue;
        }
        while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
            at += 1;
        }
        let preceded_by_path = ident_start >= 2 && &code[ident_start - 2..ident_start] == "::";
        if preceded_by_path {
            continue;
        }
        let ident = &code[ident_start..at];
        match ident {
            "crate" | "tether" => {
                let rest = &code[at..];
                let Some(rest) = rest.strip_prefix("::") else {
                    continue;
                };
                let line = line_of(ident_start);
                if let Some(group) = rest.trim_start().strip_prefix('{') {
                    for first in group_heads(group) {
                        if is_module(&first) {
                            found.push((line, first));
                        }
                    }
                } else {
                    let name = leading_ident(rest);
                    if is_module(&name) {
                        found.push((line, name));
                    }
                }
            }
            "super" => {
                // Resolve `super::super::x` against the file's module path.
                let mut depth = 1;
                let mut rest = &code[at..];
                while let Some(after) = rest.strip_prefix("::super") {
                    depth += 1;
                    rest = after;
                }
                at = code.len() - rest.len();
                if depth < path.len() {
                    continue;
                }
                let Some(rest) = rest.strip_prefix("::") else {
                    continue;
                };
                let name = leading_ident(rest);
                if is_module(&name) {
                    found.push((line_of(ident_start), name));
                }
            }
            _ => {}
        }
    }
    found
}

fn leading_ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The first name of each member of a `{...}` group (its text after the `{`).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && (c.is_ascii_alphabetic() || c == '_') => {
                heads.push(leading_ident(&group[index..]));
                expecting = false;
            }
            _ => {}
        }
    }
    heads
}
