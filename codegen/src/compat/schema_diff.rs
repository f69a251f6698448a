//! Comparing two payload schemas (draft-07, as schemars writes them): what an old
//! and a new schema accept, as findings that narrow (some old value is refused
//! now) and/or widen (some new value was refused before). Keyword families are
//! compared in [`super::keywords`], schemas read in [`super::resolve`].

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::report::ChangeKind;
use super::resolve::{
    Resolved, accepts, alternatives, describe, describe_resolved, describe_value, has_alternatives,
    join, json_type, resolve, split_null, types, values,
};

/// One difference inside a payload.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) location: String,
    pub(crate) kind: ChangeKind,
    pub(crate) detail: String,
    /// Some value the old schema accepts, the new one refuses.
    pub(crate) narrows: bool,
    /// Some value the new schema accepts, the old one refused.
    pub(crate) widens: bool,
}

/// Keywords compared by meaning; any other keyword is compared as written.
pub(super) const KNOWN: &[&str] = &[
    "type",
    "enum",
    "const",
    "oneOf",
    "anyOf",
    "allOf",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "format",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
];

/// Compares schemas of one payload, collecting findings.
pub(crate) struct SchemaDiff<'a> {
    pub(super) old_defs: &'a Map<String, Value>,
    pub(super) new_defs: &'a Map<String, Value>,
    pub(super) findings: Vec<Finding>,
    /// The pairs of definitions being compared, outermost first: a recursive
    /// type compares each pair once.
    pub(super) stack: Vec<(String, String)>,
}

impl<'a> SchemaDiff<'a> {
    pub(crate) fn new(old_defs: &'a Map<String, Value>, new_defs: &'a Map<String, Value>) -> Self {
        SchemaDiff {
            old_defs,
            new_defs,
            findings: Vec::new(),
            stack: Vec::new(),
        }
    }

    pub(crate) fn finish(self) -> Vec<Finding> {
        self.findings
    }

    pub(super) fn find(
        &mut self,
        location: &str,
        kind: ChangeKind,
        detail: String,
        narrows: bool,
        widens: bool,
    ) {
        self.findings.push(Finding {
            location: location.to_owned(),
            kind,
            detail,
            narrows,
            widens,
        });
    }

    /// A finding where the new schema accepts less than the old.
    pub(super) fn narrowed(&mut self, location: &str, kind: ChangeKind, detail: String) {
        self.find(location, kind, detail, true, false);
    }

    /// A finding where the new schema accepts more than the old.
    pub(super) fn widened(&mut self, location: &str, kind: ChangeKind, detail: String) {
        self.find(location, kind, detail, false, true);
    }

    /// A finding where the new schema both rejects values the old accepted and
    /// accepts values it rejected.
    pub(super) fn changed_both_ways(&mut self, location: &str, kind: ChangeKind, detail: String) {
        self.find(location, kind, detail, true, true);
    }

    /// Whether `old` and `new` accept the same values (no finding).
    pub(super) fn same(&self, old: &Value, new: &Value) -> bool {
        let mut scratch = SchemaDiff {
            old_defs: self.old_defs,
            new_defs: self.new_defs,
            findings: Vec::new(),
            stack: self.stack.clone(),
        };
        scratch.compare(old, new, "");
        scratch.findings.is_empty()
    }

    /// Compares an event's argument tuples (`args` of the snapshot).
    pub(crate) fn compare_args(&mut self, old: &Value, new: &Value) {
        let items = |args: &Value| -> Vec<Value> {
            args.get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let required = |args: &Value| -> usize {
            args.get("minItems")
                .and_then(Value::as_u64)
                .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        let (old_items, new_items) = (items(old), items(new));
        let (old_required, new_required) = (required(old), required(new));
        let name = |item: &Value| -> String {
            item.get("title")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        for index in 0..old_items.len().max(new_items.len()) {
            match (old_items.get(index), new_items.get(index)) {
                (Some(old_item), Some(new_item)) => {
                    let location = format!("args[{index}] ({})", name(new_item));
                    if name(old_item) != name(new_item) {
                        self.find(
                            &location,
                            ChangeKind::ArgumentRenamed,
                            format!("{} -> {}", name(old_item), name(new_item)),
                            false,
                            false,
                        );
                    }
                    let (was, is) = (index < old_required, index < new_required);
                    if !was && is {
                        self.narrowed(&location, ChangeKind::ArgumentMadeRequired, String::new());
                    } else if was && !is {
                        self.widened(&location, ChangeKind::ArgumentMadeOptional, String::new());
                    }
                    self.compare(old_item, new_item, &location);
                }
                (None, Some(new_item)) => {
                    let required = index < new_required;
                    self.find(
                        &format!("args[{index}] ({})", name(new_item)),
                        ChangeKind::ArgumentAdded,
                        if required { "required" } else { "optional" }.into(),
                        required,
                        false,
                    );
                }
                (Some(old_item), None) => {
                    let required = index < old_required;
                    self.find(
                        &format!("args[{index}] ({})", name(old_item)),
                        ChangeKind::ArgumentRemoved,
                        if required {
                            "was required"
                        } else {
                            "was optional"
                        }
                        .into(),
                        false,
                        required,
                    );
                }
                (None, None) => {}
            }
        }
    }

    /// Compares two schemas found at `location`.
    pub(crate) fn compare(&mut self, old: &Value, new: &Value, location: &str) {
        let (old_resolved, old_name) = resolve(old, self.old_defs);
        let (new_resolved, new_name) = resolve(new, self.new_defs);
        let pair = match (old_name, new_name) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        if let Some(pair) = &pair {
            if self.stack.contains(pair) {
                return;
            }
            self.stack.push(pair.clone());
        }
        self.compare_resolved(old_resolved, new_resolved, location);
        if pair.is_some() {
            self.stack.pop();
        }
    }

    fn compare_resolved(&mut self, old: Resolved, new: Resolved, location: &str) {
        let (old, new) = match (old, new) {
            (Resolved::Any, Resolved::Any) | (Resolved::Nothing, Resolved::Nothing) => return,
            (Resolved::Any, other) | (other, Resolved::Nothing) if other != Resolved::Any => {
                self.find(
                    location,
                    ChangeKind::TypeChanged,
                    format!(
                        "{} -> {}",
                        describe_resolved(&Resolved::Any),
                        describe_resolved(&other)
                    ),
                    true,
                    false,
                );
                return;
            }
            (other, Resolved::Any) | (Resolved::Nothing, other) => {
                self.find(
                    location,
                    ChangeKind::TypeChanged,
                    format!("{} -> any value", describe_resolved(&other)),
                    false,
                    true,
                );
                return;
            }
            (Resolved::Schema(old), Resolved::Schema(new)) => (old, new),
            _ => return,
        };

        let (old_null, old_rest) = split_null(old, self.old_defs);
        let (new_null, new_rest) = split_null(new, self.new_defs);
        if old_null && !new_null {
            self.narrowed(location, ChangeKind::NullRefused, String::new());
        } else if !old_null && new_null {
            self.widened(location, ChangeKind::NullAccepted, String::new());
        }
        match (old_rest, new_rest) {
            (None, None) => {}
            (None, Some(new)) => {
                let detail = format!("null -> {}", describe_resolved(&new));
                self.widened(location, ChangeKind::TypeChanged, detail);
            }
            (Some(old), None) => {
                let detail = format!("{} -> null", describe_resolved(&old));
                self.narrowed(location, ChangeKind::TypeChanged, detail);
            }
            (Some(old), Some(new)) => match (old, new) {
                (Resolved::Schema(old), Resolved::Schema(new)) => {
                    self.compare_non_null(&old, &new, location);
                }
                (old, new) => self.compare_resolved(old, new, location),
            },
        }
    }

    fn compare_non_null(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        if has_alternatives(old) || has_alternatives(new) {
            self.compare_alternatives(old, new, location);
            return;
        }
        if old.contains_key("enum")
            || new.contains_key("enum")
            || old.contains_key("const")
            || new.contains_key("const")
        {
            self.compare_values(old, new, location);
            return;
        }

        let old_types = types(old);
        let new_types = types(new);
        match (&old_types, &new_types) {
            (Some(old_types), Some(new_types)) => {
                let old_in_new = old_types.iter().all(|t| accepts(new_types, t));
                let new_in_old = new_types.iter().all(|t| accepts(old_types, t));
                if !old_in_new || !new_in_old {
                    let detail = format!("{} -> {}", join(old_types), join(new_types));
                    let numeric = |set: &BTreeSet<String>| {
                        set.iter().all(|t| t == "integer" || t == "number")
                    };
                    let kind = if numeric(old_types) && numeric(new_types) {
                        if old_in_new {
                            ChangeKind::NumberWidened
                        } else {
                            ChangeKind::NumberNarrowed
                        }
                    } else {
                        ChangeKind::TypeChanged
                    };
                    self.find(location, kind, detail, !old_in_new, !new_in_old);
                }
                let common = |t: &str| accepts(old_types, t) && accepts(new_types, t);
                if !(common("integer")
                    || common("string")
                    || common("array")
                    || common("object")
                    || common("boolean"))
                {
                    return;
                }
                if common("integer") {
                    self.compare_number(old, new, location);
                }
                if common("string") {
                    self.compare_string(old, new, location);
                }
                if common("array") {
                    self.compare_array(old, new, location);
                }
                if common("object") {
                    self.compare_object(old, new, location);
                }
            }
            _ => {
                // No `type` on one side: compare everything the two declare.
                self.compare_number(old, new, location);
                self.compare_string(old, new, location);
                self.compare_array(old, new, location);
                self.compare_object(old, new, location);
            }
        }
        self.compare_all_of(old, new, location);
        self.compare_unknown(old, new, location);
    }

    /// `enum` and `const`: the sets of values accepted.
    fn compare_values(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        match (values(old), values(new)) {
            (Some(old_values), Some(new_values)) => {
                let single = old_values.len() == 1
                    && new_values.len() == 1
                    && (old.contains_key("const") || new.contains_key("const"));
                if single {
                    if old_values != new_values {
                        let detail = format!("{} -> {}", old_values[0], new_values[0]);
                        self.changed_both_ways(location, ChangeKind::ConstChanged, detail);
                    }
                    return;
                }
                for value in missing_from(&old_values, &new_values) {
                    let detail = format!("variant {value}");
                    self.narrowed(location, ChangeKind::VariantRemoved, detail);
                }
                for value in missing_from(&new_values, &old_values) {
                    let detail = format!("variant {value}");
                    self.widened(location, ChangeKind::VariantAdded, detail);
                }
            }
            // A fixed set of values became a type, or the reverse: the type is
            // as wide as the values where it accepts every one of them.
            (Some(old_values), None) => {
                let fits = all_of_type(&old_values, new);
                let detail = format!("{} -> {}", describe(old), describe(new));
                self.find(location, ChangeKind::TypeChanged, detail, !fits, true);
            }
            (None, Some(new_values)) => {
                let fits = all_of_type(&new_values, old);
                let detail = format!("{} -> {}", describe(old), describe(new));
                self.find(location, ChangeKind::TypeChanged, detail, true, !fits);
            }
            (None, None) => {}
        }
    }

    /// `oneOf`/`anyOf`: tagged variants matched by tag, other alternatives by
    /// equivalence.
    fn compare_alternatives(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        let old_alts = alternatives(old, self.old_defs);
        let new_alts = alternatives(new, self.new_defs);
        let keyed = |alts: &[(Option<String>, Value)]| {
            let keys: BTreeSet<_> = alts.iter().filter_map(|(key, _)| key.clone()).collect();
            keys.len() == alts.len()
        };
        if keyed(&old_alts) && keyed(&new_alts) {
            for (key, old_alt) in &old_alts {
                match new_alts.iter().find(|(other, _)| other == key) {
                    Some((_, new_alt)) => {
                        let key = key.as_deref().unwrap_or_default();
                        self.compare(old_alt, new_alt, &format!("{location}<{key}>"));
                    }
                    None => {
                        let detail = format!("variant {}", key.as_deref().unwrap_or_default());
                        self.narrowed(location, ChangeKind::VariantRemoved, detail);
                    }
                }
            }
            for (key, _) in &new_alts {
                if !old_alts.iter().any(|(other, _)| other == key) {
                    let detail = format!("variant {}", key.as_deref().unwrap_or_default());
                    self.widened(location, ChangeKind::VariantAdded, detail);
                }
            }
        } else {
            let removed = unmatched(&old_alts, &new_alts, |old_alt, new_alt| {
                self.same(old_alt, new_alt)
            });
            let added = unmatched(&new_alts, &old_alts, |new_alt, old_alt| {
                self.same(old_alt, new_alt)
            });
            for detail in removed {
                self.narrowed(location, ChangeKind::VariantRemoved, detail);
            }
            for detail in added {
                self.widened(location, ChangeKind::VariantAdded, detail);
            }
        }
        // Keywords beside the alternatives (a struct flattening an enum).
        let rest = |map: &Map<String, Value>| -> Map<String, Value> {
            map.iter()
                .filter(|(key, _)| *key != "oneOf" && *key != "anyOf")
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        };
        let (old_rest, new_rest) = (rest(old), rest(new));
        if has_alternatives(old)
            && has_alternatives(new)
            && (!old_rest.is_empty() || !new_rest.is_empty())
        {
            self.compare_non_null(&old_rest, &new_rest, location);
        }
    }
}

/// The values of `values` that `others` lacks.
fn missing_from<'a>(values: &'a [Value], others: &'a [Value]) -> impl Iterator<Item = &'a Value> {
    values.iter().filter(|value| !others.contains(value))
}

/// Whether `schema`'s types accept every one of `values`.
fn all_of_type(values: &[Value], schema: &Map<String, Value>) -> bool {
    let types = types(schema).unwrap_or_default();
    values.iter().all(|value| accepts(&types, json_type(value)))
}

/// The alternatives of `alts` equivalent to none of `others`, described with
/// their position; `same(alt, other)` says whether two are equivalent.
fn unmatched(
    alts: &[(Option<String>, Value)],
    others: &[(Option<String>, Value)],
    same: impl Fn(&Value, &Value) -> bool,
) -> Vec<String> {
    alts.iter()
        .enumerate()
        .filter(|(_, (_, alt))| !others.iter().any(|(_, other)| same(alt, other)))
        .map(|(index, (_, alt))| format!("alternative {index}: {}", describe_value(alt)))
        .collect()
}
