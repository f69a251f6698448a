//! Rename rules for `#[events(rename_all = "...")]`, applied to snake_case method
//! names.

use std::fmt;

/// How event method names become wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenameRule {
    /// `send_message` → `sendMessage`.
    Camel,
    /// `send_message` → `SendMessage`.
    Pascal,
    /// `send_message` → `send_message`.
    Snake,
    /// `send_message` → `SEND_MESSAGE`.
    ScreamingSnake,
    /// `send_message` → `send-message`.
    Kebab,
    /// `send_message` → `SEND-MESSAGE`.
    ScreamingKebab,
    /// `send_message` → `sendmessage`.
    Lower,
    /// `send_message` → `SENDMESSAGE`.
    Upper,
    /// `send_message` → `send.message`.
    Dot,
    /// `send_message` → `send:message`.
    Colon,
}

pub(crate) const RULES: &[(&str, RenameRule)] = &[
    ("camelCase", RenameRule::Camel),
    ("PascalCase", RenameRule::Pascal),
    ("snake_case", RenameRule::Snake),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
    ("kebab-case", RenameRule::Kebab),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("dot.case", RenameRule::Dot),
    ("colon:case", RenameRule::Colon),
];

/// The rule named `name`, if any.
pub(crate) fn parse(name: &str) -> Option<RenameRule> {
    RULES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, rule)| *rule)
}

/// The accepted rule names, quoted and comma-separated, for error messages.
pub(crate) struct RuleNames;

impl fmt::Display for RuleNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (name, _)) in RULES.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{name}`")?;
        }
        Ok(())
    }
}

fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split('_').filter(|word| !word.is_empty())
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl RenameRule {
    /// Applies the rule to a snake_case identifier.
    pub(crate) fn apply(self, name: &str) -> String {
        let joined = |separator: &str, upper: bool| {
            let words: Vec<String> = words(name)
                .map(|word| {
                    if upper {
                        word.to_uppercase()
                    } else {
                        word.to_lowercase()
                    }
                })
                .collect();
            words.join(separator)
        };
        match self {
            RenameRule::Camel => {
                let mut out = String::new();
                for (index, word) in words(name).enumerate() {
                    if index == 0 {
                        out.push_str(&word.to_lowercase());
                    } else {
                        out.push_str(&capitalized(word));
                    }
                }
                out
            }
            RenameRule::Pascal => words(name).map(capitalized).collect(),
            RenameRule::Snake => joined("_", false),
            RenameRule::ScreamingSnake => joined("_", true),
            RenameRule::Kebab => joined("-", false),
            RenameRule::ScreamingKebab => joined("-", true),
            RenameRule::Lower => joined("", false),
            RenameRule::Upper => joined("", true),
            RenameRule::Dot => joined(".", false),
            RenameRule::Colon => joined(":", false),
        }
    }
}

/// `SendMessage` → `send_message`, for default room names of enum variants.
pub(crate) fn pascal_to_snake(name: &str) -> String {
    let mut out = String::new();
    for (index, ch) in name.chars().enumerate() {
        if ch.is_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_renames_a_snake_case_name() {
        let cases = [
            ("camelCase", "sendMessage"),
            ("PascalCase", "SendMessage"),
            ("snake_case", "send_message"),
            ("SCREAMING_SNAKE_CASE", "SEND_MESSAGE"),
            ("kebab-case", "send-message"),
            ("SCREAMING-KEBAB-CASE", "SEND-MESSAGE"),
            ("lowercase", "sendmessage"),
            ("UPPERCASE", "SENDMESSAGE"),
            ("dot.case", "send.message"),
            ("colon:case", "send:message"),
        ];
        for (rule, expected) in cases {
            assert_eq!(
                parse(rule).unwrap().apply("send_message"),
                expected,
                "{rule}"
            );
        }
        assert_eq!(RenameRule::Camel.apply("join"), "join");
        assert_eq!(pascal_to_snake("MatchRoom"), "match_room");
        assert_eq!(pascal_to_snake("Lobby"), "lobby");
    }
}
