//! TypeScript types as a small tree, simplified as they are built and printed
//! with stable, readable line breaks.

/// Longest single line the printer keeps a union or object on.
const INLINE_WIDTH: usize = 72;

/// A JSDoc comment's lines (without `/**`, `*` and `*/`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Doc {
    pub(crate) lines: Vec<String>,
}

impl Doc {
    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Appends a paragraph (which may span lines), separated from what is there
    /// by a blank line.
    pub(crate) fn paragraph(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if !self.lines.is_empty() {
            self.lines.push(String::new());
        }
        self.lines.extend(
            text.lines()
                .map(|line| line.trim_end().replace("*/", "*\\/")),
        );
    }

    /// Appends a paragraph of generated prose, wrapped at 76 columns.
    pub(crate) fn prose(&mut self, text: &str) {
        let mut wrapped = String::new();
        let mut line_len = 0;
        for word in text.split_whitespace() {
            if line_len > 0 && line_len + 1 + word.len() > 76 {
                wrapped.push('\n');
                line_len = 0;
            } else if line_len > 0 {
                wrapped.push(' ');
                line_len += 1;
            }
            wrapped.push_str(word);
            line_len += word.len();
        }
        self.paragraph(&wrapped);
    }

    /// Appends a tag line such as `@deprecated`.
    pub(crate) fn tag(&mut self, tag: &str) {
        self.lines.push(tag.replace("*/", "*\\/"));
    }

    /// The comment followed by a line break and `indent` spaces, or nothing.
    pub(crate) fn render(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        match self.lines.as_slice() {
            [] => String::new(),
            [line] => format!("/** {line} */\n{pad}"),
            lines => {
                let mut out = String::from("/**\n");
                for line in lines {
                    if line.is_empty() {
                        out.push_str(&format!("{pad} *\n"));
                    } else {
                        out.push_str(&format!("{pad} * {line}\n"));
                    }
                }
                out.push_str(&format!("{pad} */\n{pad}"));
                out
            }
        }
    }
}

/// A TypeScript type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ts {
    /// `string`, `number`, `boolean`, `null`, `unknown`, `never`.
    Keyword(&'static str),
    /// A literal type, already written as TypeScript (`"a"`, `1`, `true`).
    Literal(String),
    /// A named type.
    Named(String),
    /// `T[]`.
    Array(Box<Ts>),
    /// `[A, B?, ...C[]]`: `required` leading elements are required.
    Tuple {
        items: Vec<Ts>,
        required: usize,
        rest: Option<Box<Ts>>,
    },
    /// An object type with an optional index signature.
    Object {
        props: Vec<Prop>,
        index: Option<Box<Ts>>,
    },
    /// `A | B`, each member with its own doc comment.
    Union(Vec<Member>),
    /// `A & B`.
    Intersection(Vec<Ts>),
}

/// One member of a union.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub(crate) ty: Ts,
    pub(crate) doc: Doc,
}

/// One property of an object type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prop {
    pub(crate) name: String,
    pub(crate) ty: Ts,
    pub(crate) optional: bool,
    pub(crate) doc: Doc,
}

impl Ts {
    pub(crate) const UNKNOWN: Ts = Ts::Keyword("unknown");
    pub(crate) const NEVER: Ts = Ts::Keyword("never");

    /// The union of `members`, flattened, without duplicates or `never`.
    pub(crate) fn union(members: Vec<Member>) -> Ts {
        let mut flat: Vec<Member> = Vec::new();
        for member in members {
            match member.ty {
                Ts::Union(inner) if member.doc.is_empty() => flat.extend(inner),
                Ts::Keyword("never") => {}
                _ => flat.push(member),
            }
        }
        if flat.iter().any(|member| member.ty == Ts::UNKNOWN) {
            return Ts::UNKNOWN;
        }
        let mut unique: Vec<Member> = Vec::new();
        for member in flat {
            if !unique.iter().any(|seen| seen.ty == member.ty) {
                unique.push(member);
            }
        }
        match unique.len() {
            0 => Ts::NEVER,
            1 if unique[0].doc.is_empty() => unique.remove(0).ty,
            _ => Ts::Union(unique),
        }
    }

    /// The union of undocumented `types`.
    pub(crate) fn union_of(types: Vec<Ts>) -> Ts {
        Ts::union(
            types
                .into_iter()
                .map(|ty| Member {
                    ty,
                    doc: Doc::default(),
                })
                .collect(),
        )
    }

    /// The intersection of `parts`, flattened, without `unknown`.
    pub(crate) fn intersection(parts: Vec<Ts>) -> Ts {
        let mut flat = Vec::new();
        for part in parts {
            match part {
                Ts::Intersection(inner) => flat.extend(inner),
                Ts::Keyword("unknown") => {}
                other => flat.push(other),
            }
        }
        if flat.contains(&Ts::NEVER) {
            return Ts::NEVER;
        }
        let mut unique: Vec<Ts> = Vec::new();
        for part in flat {
            if !unique.contains(&part) {
                unique.push(part);
            }
        }
        match unique.len() {
            0 => Ts::UNKNOWN,
            1 => unique.remove(0),
            _ => Ts::Intersection(unique),
        }
    }

    /// The type written at column `indent`: lines after the first start with
    /// their absolute indentation.
    pub(crate) fn render(&self, indent: usize) -> String {
        match self {
            Ts::Keyword(keyword) => (*keyword).to_owned(),
            Ts::Literal(text) | Ts::Named(text) => text.clone(),
            Ts::Array(item) => {
                let inner = item.render(indent);
                if matches!(**item, Ts::Union(_) | Ts::Intersection(_)) {
                    format!("({inner})[]")
                } else {
                    format!("{inner}[]")
                }
            }
            Ts::Tuple {
                items,
                required,
                rest,
            } => {
                let mut parts: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let text = item.render(indent);
                        if i < *required {
                            text
                        } else if matches!(item, Ts::Union(_) | Ts::Intersection(_)) {
                            format!("({text})?")
                        } else {
                            format!("{text}?")
                        }
                    })
                    .collect();
                if let Some(rest) = rest {
                    parts.push(format!("...{}", Ts::Array(rest.clone()).render(indent)));
                }
                format!("[{}]", parts.join(", "))
            }
            Ts::Object { props, index } => render_object(props, index.as_deref(), indent, false),
            Ts::Union(members) => render_union(members, indent, false),
            Ts::Intersection(parts) => render_intersection(parts, indent),
        }
    }
}

/// `prefix` followed by a rendered type; a type that starts on its own line
/// (a long union) drops the space before it.
pub(crate) fn attach(prefix: &str, ty: &str) -> String {
    if ty.starts_with('\n') {
        format!("{}{ty}", prefix.trim_end())
    } else {
        format!("{prefix}{ty}")
    }
}

/// A property key: bare when it is an identifier, quoted otherwise.
pub(crate) fn property_key(name: &str) -> String {
    let mut chars = name.chars();
    let bare = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if bare {
        name.to_owned()
    } else {
        serde_json::Value::String(name.to_owned()).to_string()
    }
}

fn render_object(props: &[Prop], index: Option<&Ts>, indent: usize, expand: bool) -> String {
    let inner = indent + 2;
    let mut lines: Vec<(Doc, String)> = props
        .iter()
        .map(|prop| {
            let optional = if prop.optional { "?" } else { "" };
            (
                prop.doc.clone(),
                attach(
                    &format!("{}{optional}: ", property_key(&prop.name)),
                    &prop.ty.render(inner),
                ),
            )
        })
        .collect();
    if let Some(index) = index {
        lines.push((
            Doc::default(),
            attach("[key: string]: ", &index.render(inner)),
        ));
    }
    if lines.is_empty() {
        return "{}".to_owned();
    }
    let single = format!(
        "{{ {} }}",
        lines
            .iter()
            .map(|(_, line)| line.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    let fits = !expand
        && lines
            .iter()
            .all(|(doc, line)| doc.is_empty() && !line.contains('\n'))
        && single.len() <= INLINE_WIDTH;
    if fits {
        return single;
    }
    let pad = " ".repeat(inner);
    let mut out = String::from("{\n");
    for (doc, line) in lines {
        out.push_str(&format!("{pad}{}{line};\n", doc.render(inner)));
    }
    out.push_str(&" ".repeat(indent));
    out.push('}');
    out
}

fn render_union(members: &[Member], indent: usize, expand: bool) -> String {
    let rendered: Vec<String> = members
        .iter()
        .map(|member| {
            let text = member.ty.render(indent + 4);
            if matches!(member.ty, Ts::Intersection(_)) {
                format!("({text})")
            } else {
                text
            }
        })
        .collect();
    let single = rendered.join(" | ");
    let fits = !expand
        && members.iter().all(|member| member.doc.is_empty())
        && !single.contains('\n')
        && single.len() <= INLINE_WIDTH;
    if fits {
        return single;
    }
    let pad = " ".repeat(indent + 2);
    let mut out = String::new();
    for (member, text) in members.iter().zip(rendered) {
        out.push('\n');
        out.push_str(&pad);
        out.push_str(&member.doc.render(indent + 2));
        out.push_str("| ");
        out.push_str(&text);
    }
    out
}

/// `A & B` on one line when it fits; otherwise its objects and unions spread
/// over lines: `{\n  a: A;\n} & (\n  | B\n  | C\n)`.
fn render_intersection(parts: &[Ts], indent: usize) -> String {
    let single: Vec<String> = parts
        .iter()
        .map(|part| match part {
            Ts::Union(_) => format!("({})", part.render(indent)),
            _ => part.render(indent),
        })
        .collect();
    let single = single.join(" & ");
    if single.len() <= INLINE_WIDTH && !single.contains('\n') {
        return single;
    }
    let pad = " ".repeat(indent);
    parts
        .iter()
        .map(|part| match part {
            Ts::Object { props, index } => render_object(props, index.as_deref(), indent, true),
            Ts::Union(members) => format!("({}\n{pad})", render_union(members, indent, true)),
            other => other.render(indent),
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(name: &str, ty: Ts, optional: bool) -> Prop {
        Prop {
            name: name.into(),
            ty,
            optional,
            doc: Doc::default(),
        }
    }

    #[test]
    fn unions_flatten_and_deduplicate() {
        let string = Ts::Keyword("string");
        let null = Ts::Keyword("null");
        let nested = Ts::union_of(vec![string.clone(), null.clone()]);
        let ty = Ts::union_of(vec![nested, string.clone(), Ts::NEVER]);
        assert_eq!(ty.render(0), "string | null");
        assert_eq!(Ts::union_of(vec![string.clone()]), string);
        assert_eq!(Ts::union_of(vec![string, Ts::UNKNOWN]), Ts::UNKNOWN);
        assert_eq!(Ts::union_of(vec![]), Ts::NEVER);
    }

    #[test]
    fn intersections_drop_unknown() {
        let a = Ts::Named("A".into());
        assert_eq!(Ts::intersection(vec![Ts::UNKNOWN, a.clone()]), a);
        assert_eq!(Ts::intersection(vec![]), Ts::UNKNOWN);
    }

    #[test]
    fn precedence_is_parenthesized() {
        let union = Ts::union_of(vec![Ts::Named("A".into()), Ts::Keyword("null")]);
        assert_eq!(Ts::Array(Box::new(union.clone())).render(0), "(A | null)[]");
        let both = Ts::intersection(vec![Ts::Named("B".into()), union]);
        assert_eq!(both.render(0), "B & (A | null)");
    }

    #[test]
    fn small_objects_stay_on_one_line() {
        let object = Ts::Object {
            props: vec![
                prop("a", Ts::Keyword("number"), false),
                prop("my-key", Ts::Keyword("string"), true),
            ],
            index: None,
        };
        assert_eq!(object.render(0), r#"{ a: number; "my-key"?: string }"#);
    }

    #[test]
    fn documented_properties_break_lines() {
        let mut documented = prop("a", Ts::Keyword("number"), false);
        documented.doc.paragraph("The a.");
        let object = Ts::Object {
            props: vec![documented],
            index: Some(Box::new(Ts::Keyword("number"))),
        };
        assert_eq!(
            object.render(2),
            "{\n    /** The a. */\n    a: number;\n    [key: string]: number;\n  }"
        );
    }

    #[test]
    fn long_intersections_spread_over_lines() {
        let object = |name: &str| Ts::Object {
            props: vec![prop(name, Ts::Keyword("string"), false)],
            index: None,
        };
        let long = "a_rather_long_property_name";
        let ty = Ts::intersection(vec![
            object(long),
            Ts::union_of(vec![
                object(&format!("{long}_1")),
                object(&format!("{long}_2")),
            ]),
        ]);
        assert_eq!(
            ty.render(0),
            format!(
                "{{\n  {long}: string;\n}} & (\n  | {{ {long}_1: string }}\n  | {{ {long}_2: string }}\n)"
            )
        );
    }

    #[test]
    fn tuples_mark_optional_elements() {
        let tuple = Ts::Tuple {
            items: vec![Ts::Keyword("number"), Ts::Keyword("string")],
            required: 1,
            rest: Some(Box::new(Ts::UNKNOWN)),
        };
        assert_eq!(tuple.render(0), "[number, string?, ...unknown[]]");
    }

    #[test]
    fn prose_wraps() {
        let mut doc = Doc::default();
        doc.prose(&"word ".repeat(20));
        assert_eq!(doc.lines.len(), 2);
        assert!(doc.lines.iter().all(|line| line.len() <= 76));
    }

    #[test]
    fn doc_comments_escape_their_end() {
        let mut doc = Doc::default();
        doc.paragraph("a */ b");
        assert_eq!(doc.render(0), "/** a *\\/ b */\n");
    }
}
