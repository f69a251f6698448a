//! Rename rules for `#[events(rename_all = "...")]`, applied to snake_case method
//! names.

use std::fmt;

/// How event method names become wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenameRule {
    /// `send_message` → `sendMessage`.
    CamelCase,
    /// `send_message` → `SendMessage`.
    PascalCase,
    /// `send_message` → `send_message`.
    SnakeCase,
    /// `send_message` → `SEND_MESSAGE`.
    ScreamingSnakeCase,
    /// `send_message` → `send-message`.
    KebabCase,
    /// `send_message` → `SEND-MESSAGE`.
    ScreamingKebabCase,
    /// `send_message` → `sendmessage`.
    LowerCase,
    /// `send_message` → `SENDMESSAGE`.
    UpperCase,
    /// `send_message` → `send.message`.
    DotCase,
    /// `send_message` → `send:message`.
    ColonCase,
}

pub(crate) const RULES: &[(&str, RenameRule)] = &[
    ("camelCase", RenameRule::CamelCase),
    ("PascalCase", RenameRule::PascalCase),
    ("snake_case", RenameRule::SnakeCase),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnakeCase),
    ("kebab-case", RenameRule::KebabCase),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebabCase),
    ("lowercase", RenameRule::LowerCase),
    ("UPPERCASE", RenameRule::UpperCase),
    ("dot.case", RenameRule::DotCase),
    ("colon:case", RenameRule::ColonCase),
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
            RenameRule::CamelCase => {
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
            RenameRule::PascalCase => words(name).map(capitalized).collect(),
            RenameRule::SnakeCase => joined("_", false),
            RenameRule::ScreamingSnakeCase => joined("_", true),
            RenameRule::KebabCase => joined("-", false),
            RenameRule::ScreamingKebabCase => joined("-", true),
            RenameRule::LowerCase => joined("", false),
            RenameRule::UpperCase => joined("", true),
            RenameRule::DotCase => joined(".", false),
            RenameRule::ColonCase => joined(":", false),
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
            assert_eq!(parse(rule).unwrap().apply("send_message"), expected, "{rule}");
        }
        assert_eq!(RenameRule::CamelCase.apply("join"), "join");
        assert_eq!(pascal_to_snake("MatchRoom"), "match_room");
        assert_eq!(pascal_to_snake("Lobby"), "lobby");
    }
}
