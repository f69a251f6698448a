//! Comparing two payload schemas (draft-07, as schemars writes them): what an old
//! and a new schema accept, as findings that narrow (some old value is refused
//! now) and/or widen (some new value was refused before).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::report::ChangeKind;
use crate::schema::ref_name;

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

/// Keywords that describe and never constrain.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$comment",
    "$schema",
    "$id",
];

/// Keywords compared by meaning; any other keyword is compared as written.
const KNOWN: &[&str] = &[
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

/// Follows `$ref`s this many times at most (a definition that is only a
/// reference to itself would loop otherwise).
const MAX_HOPS: usize = 32;

/// Compares schemas of one payload, collecting findings.
pub(crate) struct SchemaDiff<'a> {
    old_defs: &'a Map<String, Value>,
    new_defs: &'a Map<String, Value>,
    findings: Vec<Finding>,
    /// The pairs of definitions being compared, outermost first: a recursive
    /// type compares each pair once.
    stack: Vec<(String, String)>,
}

/// A resolved schema: references followed, single `allOf`s unwrapped,
/// annotations removed. `None` stands for "any value" (`true`, `{}`).
#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    Any,
    Nothing,
    Schema(Map<String, Value>),
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

    fn find(
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

    /// Whether `old` and `new` accept the same values (no finding).
    fn same(&self, old: &Value, new: &Value) -> bool {
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
                        self.find(
                            &location,
                            ChangeKind::ArgumentMadeRequired,
                            String::new(),
                            true,
                            false,
                        );
                    } else if was && !is {
                        self.find(
                            &location,
                            ChangeKind::ArgumentMadeOptional,
                            String::new(),
                            false,
                            true,
                        );
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
            self.find(
                location,
                ChangeKind::NullRefused,
                String::new(),
                true,
                false,
            );
        } else if !old_null && new_null {
            self.find(
                location,
                ChangeKind::NullAccepted,
                String::new(),
                false,
                true,
            );
        }
        match (old_rest, new_rest) {
            (None, None) => {}
            (None, Some(new)) => {
                let detail = format!("null -> {}", describe_resolved(&new));
                self.find(location, ChangeKind::TypeChanged, detail, false, true);
            }
            (Some(old), None) => {
                let detail = format!("{} -> null", describe_resolved(&old));
                self.find(location, ChangeKind::TypeChanged, detail, true, false);
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
                        self.find(location, ChangeKind::ConstChanged, detail, true, true);
                    }
                    return;
                }
                for value in old_values
                    .iter()
                    .filter(|value| !new_values.contains(value))
                {
                    self.find(
                        location,
                        ChangeKind::VariantRemoved,
                        format!("variant {value}"),
                        true,
                        false,
                    );
                }
                for value in new_values
                    .iter()
                    .filter(|value| !old_values.contains(value))
                {
                    self.find(
                        location,
                        ChangeKind::VariantAdded,
                        format!("variant {value}"),
                        false,
                        true,
                    );
                }
            }
            (Some(old_values), None) => {
                // A fixed set of values became a type: wider if every old
                // value is of that type.
                let new_types = types(new).unwrap_or_default();
                let fits = old_values
                    .iter()
                    .all(|value| accepts(&new_types, json_type(value)));
                let detail = format!("{} -> {}", describe(old), describe(new));
                self.find(location, ChangeKind::TypeChanged, detail, !fits, true);
            }
            (None, Some(new_values)) => {
                let old_types = types(old).unwrap_or_default();
                let fits = new_values
                    .iter()
                    .all(|value| accepts(&old_types, json_type(value)));
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
                        self.find(location, ChangeKind::VariantRemoved, detail, true, false);
                    }
                }
            }
            for (key, _) in &new_alts {
                if !old_alts.iter().any(|(other, _)| other == key) {
                    let detail = format!("variant {}", key.as_deref().unwrap_or_default());
                    self.find(location, ChangeKind::VariantAdded, detail, false, true);
                }
            }
        } else {
            for (index, (_, old_alt)) in old_alts.iter().enumerate() {
                if !new_alts
                    .iter()
                    .any(|(_, new_alt)| self.same(old_alt, new_alt))
                {
                    let detail = format!("alternative {index}: {}", describe_value(old_alt));
                    self.find(location, ChangeKind::VariantRemoved, detail, true, false);
                }
            }
            for (index, (_, new_alt)) in new_alts.iter().enumerate() {
                if !old_alts
                    .iter()
                    .any(|(_, old_alt)| self.same(old_alt, new_alt))
                {
                    let detail = format!("alternative {index}: {}", describe_value(new_alt));
                    self.find(location, ChangeKind::VariantAdded, detail, false, true);
                }
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

    fn compare_number(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        let (old_low, old_high) = number_range(old);
        let (new_low, new_high) = number_range(new);
        self.bound(
            location,
            Side::Low,
            old_low,
            new_low,
            ChangeKind::NumberNarrowed,
            ChangeKind::NumberWidened,
            &number_detail(old, new, "minimum"),
        );
        self.bound(
            location,
            Side::High,
            old_high,
            new_high,
            ChangeKind::NumberNarrowed,
            ChangeKind::NumberWidened,
            &number_detail(old, new, "maximum"),
        );
        self.keyword_constraint(
            old,
            new,
            "multipleOf",
            location,
            ChangeKind::NumberNarrowed,
            ChangeKind::NumberWidened,
        );
    }

    fn compare_string(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        let low = |map: &Map<String, Value>| {
            Bound::inclusive(map.get("minLength").and_then(Value::as_f64))
        };
        let high = |map: &Map<String, Value>| {
            Bound::inclusive(map.get("maxLength").and_then(Value::as_f64))
        };
        self.bound(
            location,
            Side::Low,
            low(old),
            low(new),
            ChangeKind::StringNarrowed,
            ChangeKind::StringWidened,
            &keyword_detail(old, new, "minLength"),
        );
        self.bound(
            location,
            Side::High,
            high(old),
            high(new),
            ChangeKind::StringNarrowed,
            ChangeKind::StringWidened,
            &keyword_detail(old, new, "maxLength"),
        );
        self.keyword_constraint(
            old,
            new,
            "pattern",
            location,
            ChangeKind::StringNarrowed,
            ChangeKind::StringWidened,
        );
        let string_only = |map: &Map<String, Value>| {
            types(map).is_some_and(|types| types.iter().all(|t| t == "string"))
        };
        if string_only(old) || string_only(new) {
            self.keyword_constraint(
                old,
                new,
                "format",
                location,
                ChangeKind::StringNarrowed,
                ChangeKind::StringWidened,
            );
        }
    }

    fn compare_array(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        match (old.get("items"), new.get("items")) {
            (Some(Value::Array(old_items)), Some(Value::Array(new_items))) => {
                for (index, (old_item, new_item)) in old_items.iter().zip(new_items).enumerate() {
                    self.compare(old_item, new_item, &format!("{location}[{index}]"));
                }
            }
            (Some(Value::Array(old_items)), Some(new_item)) => {
                for (index, old_item) in old_items.iter().enumerate() {
                    self.compare(old_item, new_item, &format!("{location}[{index}]"));
                }
            }
            (Some(old_item), Some(Value::Array(new_items))) => {
                for (index, new_item) in new_items.iter().enumerate() {
                    self.compare(old_item, new_item, &format!("{location}[{index}]"));
                }
            }
            (Some(old_item), Some(new_item)) => {
                self.compare(old_item, new_item, &format!("{location}[]"))
            }
            (Some(old_item), None) => {
                self.compare(old_item, &Value::Bool(true), &format!("{location}[]"))
            }
            (None, Some(new_item)) => {
                self.compare(&Value::Bool(true), new_item, &format!("{location}[]"))
            }
            (None, None) => {}
        }
        let low = |map: &Map<String, Value>| {
            Bound::inclusive(map.get("minItems").and_then(Value::as_f64))
        };
        let high = |map: &Map<String, Value>| {
            Bound::inclusive(map.get("maxItems").and_then(Value::as_f64))
        };
        self.bound(
            location,
            Side::Low,
            low(old),
            low(new),
            ChangeKind::ArrayNarrowed,
            ChangeKind::ArrayWidened,
            &keyword_detail(old, new, "minItems"),
        );
        self.bound(
            location,
            Side::High,
            high(old),
            high(new),
            ChangeKind::ArrayNarrowed,
            ChangeKind::ArrayWidened,
            &keyword_detail(old, new, "maxItems"),
        );
        let unique = |map: &Map<String, Value>| map.get("uniqueItems") == Some(&Value::Bool(true));
        match (unique(old), unique(new)) {
            (false, true) => self.find(
                location,
                ChangeKind::ArrayNarrowed,
                "uniqueItems added".into(),
                true,
                false,
            ),
            (true, false) => self.find(
                location,
                ChangeKind::ArrayWidened,
                "uniqueItems removed".into(),
                false,
                true,
            ),
            _ => {}
        }
    }

    fn compare_object(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        let empty = Map::new();
        let properties = |map: &Map<String, Value>| {
            map.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        let required = |map: &Map<String, Value>| -> BTreeSet<String> {
            map.get("required")
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let closed =
            |map: &Map<String, Value>| map.get("additionalProperties") == Some(&Value::Bool(false));
        let (old_props, new_props) = (properties(old), properties(new));
        let (old_required, new_required) = (required(old), required(new));
        let (old_closed, new_closed) = (closed(old), closed(new));
        let field = |name: &str| {
            if location.is_empty() {
                name.to_owned()
            } else {
                format!("{location}.{name}")
            }
        };

        for (name, new_schema) in &new_props {
            let here = field(name);
            let (was, is) = (old_required.contains(name), new_required.contains(name));
            match old_props.get(name) {
                Some(old_schema) => {
                    if !was && is {
                        self.find(
                            &here,
                            ChangeKind::FieldMadeRequired,
                            String::new(),
                            true,
                            false,
                        );
                    } else if was && !is {
                        self.find(
                            &here,
                            ChangeKind::FieldMadeOptional,
                            String::new(),
                            false,
                            true,
                        );
                    }
                    self.compare(old_schema, new_schema, &here);
                }
                None => {
                    let detail = if is { "required" } else { "optional" };
                    self.find(&here, ChangeKind::FieldAdded, detail.into(), is, old_closed);
                }
            }
        }
        for name in old_props.keys() {
            if !new_props.contains_key(name) {
                let was = old_required.contains(name);
                let detail = if was { "was required" } else { "was optional" };
                self.find(
                    &field(name),
                    ChangeKind::FieldRemoved,
                    detail.into(),
                    new_closed,
                    was,
                );
            }
        }

        match (
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        ) {
            (None | Some(Value::Bool(true)), None | Some(Value::Bool(true))) => {}
            (Some(Value::Bool(false)), Some(Value::Bool(false))) => {}
            (None | Some(Value::Bool(true)), Some(Value::Bool(false))) => {
                self.find(
                    location,
                    ChangeKind::UnknownFieldsChanged,
                    "unknown fields refused".into(),
                    true,
                    false,
                );
            }
            (Some(Value::Bool(false)), None | Some(Value::Bool(true))) => {
                self.find(
                    location,
                    ChangeKind::UnknownFieldsChanged,
                    "unknown fields accepted".into(),
                    false,
                    true,
                );
            }
            (Some(Value::Bool(false)), Some(new_values)) => {
                self.compare(&Value::Bool(false), new_values, &format!("{location}.*"));
            }
            (Some(old_values), Some(Value::Bool(false))) => {
                self.compare(old_values, &Value::Bool(false), &format!("{location}.*"));
            }
            (old_values, new_values) => {
                let any = Value::Bool(true);
                self.compare(
                    old_values.unwrap_or(&any),
                    new_values.unwrap_or(&any),
                    &format!("{location}.*"),
                );
            }
        }

        let patterns = |map: &Map<String, Value>| {
            map.get("patternProperties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (old_patterns, new_patterns) = (patterns(old), patterns(new));
        for (pattern, new_schema) in &new_patterns {
            match old_patterns.get(pattern) {
                Some(old_schema) => {
                    self.compare(old_schema, new_schema, &format!("{location}[{pattern}]"))
                }
                None => self.find(
                    location,
                    ChangeKind::SchemaChanged,
                    format!("patternProperties {pattern} added"),
                    true,
                    true,
                ),
            }
        }
        for pattern in old_patterns.keys() {
            if !new_patterns.contains_key(pattern) {
                self.find(
                    location,
                    ChangeKind::SchemaChanged,
                    format!("patternProperties {pattern} removed"),
                    true,
                    true,
                );
            }
        }
    }

    /// Several `allOf` members (a flattened enum beside a struct's properties):
    /// compared in order.
    fn compare_all_of(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        match (
            old.get("allOf").and_then(Value::as_array),
            new.get("allOf").and_then(Value::as_array),
        ) {
            (None, None) => {}
            (Some(old_all), Some(new_all)) if old_all.len() == new_all.len() => {
                for (old_part, new_part) in old_all.iter().zip(new_all) {
                    self.compare(old_part, new_part, location);
                }
            }
            _ => self.find(
                location,
                ChangeKind::SchemaChanged,
                "allOf changed".into(),
                true,
                true,
            ),
        }
    }

    /// Keywords the check does not interpret: any change breaks both ways.
    fn compare_unknown(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &str,
    ) {
        let keys: BTreeSet<&String> = old
            .keys()
            .chain(new.keys())
            .filter(|key| !KNOWN.contains(&key.as_str()))
            .collect();
        for key in keys {
            if old.get(key) != new.get(key) {
                self.find(
                    location,
                    ChangeKind::SchemaChanged,
                    format!("keyword {key} changed"),
                    true,
                    true,
                );
            }
        }
    }

    /// A constraint keyword (`pattern`, `format`, `multipleOf`): added narrows,
    /// removed widens, changed does both.
    fn keyword_constraint(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        key: &str,
        location: &str,
        narrowed: ChangeKind,
        widened: ChangeKind,
    ) {
        match (old.get(key), new.get(key)) {
            (None, Some(value)) => self.find(
                location,
                narrowed,
                format!("{key} {value} added"),
                true,
                false,
            ),
            (Some(value), None) => self.find(
                location,
                widened,
                format!("{key} {value} removed"),
                false,
                true,
            ),
            (Some(a), Some(b)) if a != b => {
                // Integer formats are compared as ranges.
                if key == "format"
                    && (int_range(a).is_some()
                        || int_range(b).is_some()
                        || is_float_format(a)
                        || is_float_format(b))
                {
                    return;
                }
                self.find(location, narrowed, format!("{key} {a} -> {b}"), true, true);
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn bound(
        &mut self,
        location: &str,
        side: Side,
        old: Bound,
        new: Bound,
        narrowed: ChangeKind,
        widened: ChangeKind,
        detail: &str,
    ) {
        match side.compare(old, new) {
            std::cmp::Ordering::Greater => {
                self.find(location, narrowed, detail.to_owned(), true, false)
            }
            std::cmp::Ordering::Less => {
                self.find(location, widened, detail.to_owned(), false, true)
            }
            std::cmp::Ordering::Equal => {}
        }
    }
}

/// A numeric bound: its value (`None` when unbounded) and whether it is
/// exclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    value: Option<f64>,
    exclusive: bool,
}

impl Bound {
    fn inclusive(value: Option<f64>) -> Bound {
        Bound {
            value,
            exclusive: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Low,
    High,
}

impl Side {
    /// `Greater` when `new` is stricter than `old`, `Less` when looser.
    fn compare(self, old: Bound, new: Bound) -> std::cmp::Ordering {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match (old.value, new.value) {
            (None, None) => Equal,
            (None, Some(_)) => Greater,
            (Some(_), None) => Less,
            (Some(a), Some(b)) => {
                let by_value = match self {
                    Side::Low => b.partial_cmp(&a),
                    Side::High => a.partial_cmp(&b),
                }
                .unwrap_or(Equal);
                by_value.then(match (old.exclusive, new.exclusive) {
                    (false, true) => Greater,
                    (true, false) => Less,
                    _ => Equal,
                })
            }
        }
    }
}

/// The range of an integer `format`, for formats with one.
fn int_range(format: &Value) -> Option<(f64, f64)> {
    let bits = |n: i32| 2f64.powi(n);
    Some(match format.as_str()? {
        "int8" => (-bits(7), bits(7) - 1.0),
        "int16" => (-bits(15), bits(15) - 1.0),
        "int32" => (-bits(31), bits(31) - 1.0),
        "int64" | "int" => (-bits(63), bits(63) - 1.0),
        "int128" => (-bits(127), bits(127) - 1.0),
        "uint8" => (0.0, bits(8) - 1.0),
        "uint16" => (0.0, bits(16) - 1.0),
        "uint32" => (0.0, bits(32) - 1.0),
        "uint64" | "uint" => (0.0, bits(64) - 1.0),
        "uint128" => (0.0, bits(128) - 1.0),
        _ => return None,
    })
}

fn is_float_format(format: &Value) -> bool {
    matches!(format.as_str(), Some("float" | "double"))
}

/// The lowest and highest values a number schema accepts.
fn number_range(map: &Map<String, Value>) -> (Bound, Bound) {
    let get = |key: &str| map.get(key).and_then(Value::as_f64);
    let mut low = Bound::inclusive(get("minimum"));
    let mut high = Bound::inclusive(get("maximum"));
    if let Some(value) = get("exclusiveMinimum")
        && low.value.is_none_or(|current| value >= current)
    {
        low = Bound {
            value: Some(value),
            exclusive: true,
        };
    }
    if let Some(value) = get("exclusiveMaximum")
        && high.value.is_none_or(|current| value <= current)
    {
        high = Bound {
            value: Some(value),
            exclusive: true,
        };
    }
    if let Some((format_low, format_high)) = map.get("format").and_then(int_range) {
        if low.value.is_none_or(|current| format_low > current) {
            low = Bound::inclusive(Some(format_low));
        }
        if high.value.is_none_or(|current| format_high < current) {
            high = Bound::inclusive(Some(format_high));
        }
    }
    (low, high)
}

fn number_detail(old: &Map<String, Value>, new: &Map<String, Value>, keyword: &str) -> String {
    let format = |map: &Map<String, Value>| {
        map.get("format")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let (old_format, new_format) = (format(old), format(new));
    if old_format != new_format {
        let show = |f: &str| {
            if f.is_empty() {
                "no format".to_owned()
            } else {
                f.to_owned()
            }
        };
        return format!("{} -> {}", show(&old_format), show(&new_format));
    }
    let exclusive = format!("exclusive{}{}", keyword[..1].to_uppercase(), &keyword[1..]);
    let show = |map: &Map<String, Value>| {
        map.get(keyword)
            .or_else(|| map.get(&exclusive))
            .map_or("none".to_owned(), Value::to_string)
    };
    format!("{keyword} {} -> {}", show(old), show(new))
}

fn keyword_detail(old: &Map<String, Value>, new: &Map<String, Value>, keyword: &str) -> String {
    let show =
        |map: &Map<String, Value>| map.get(keyword).map_or("none".to_owned(), Value::to_string);
    format!("{keyword} {} -> {}", show(old), show(new))
}

/// Follows references and single `allOf`s, drops annotations. Returns the
/// first definition followed, for cycle detection.
fn resolve(schema: &Value, defs: &Map<String, Value>) -> (Resolved, Option<String>) {
    let mut current = schema.clone();
    let mut name = None;
    for _ in 0..MAX_HOPS {
        let mut map = match current {
            Value::Bool(true) => return (Resolved::Any, name),
            Value::Bool(false) => return (Resolved::Nothing, name),
            Value::Object(map) => map,
            _ => return (Resolved::Any, name),
        };
        for key in ANNOTATIONS {
            map.remove(*key);
        }
        if let Some(Value::String(reference)) = map.get("$ref") {
            let target = ref_name(reference)
                .and_then(|target| defs.get(target).map(|def| (target.to_owned(), def.clone())));
            let Some((target, def)) = target else {
                return (Resolved::Schema(map), name);
            };
            map.remove("$ref");
            name.get_or_insert(target);
            current = merge(def, map);
            continue;
        }
        if let Some(Value::Array(all)) = map.get("allOf")
            && all.len() == 1
        {
            let inner = all[0].clone();
            map.remove("allOf");
            if map.is_empty() {
                current = inner;
                continue;
            }
            if let Value::Object(inner_map) = &inner
                && inner_map.keys().all(|key| !map.contains_key(key))
            {
                current = merge(inner, map);
                continue;
            }
            map.insert("allOf".into(), Value::Array(vec![inner]));
        }
        if map.is_empty() {
            return (Resolved::Any, name);
        }
        return (Resolved::Schema(map), name);
    }
    (Resolved::Any, name)
}

/// `base`'s keywords with `extra`'s added (and winning).
fn merge(base: Value, extra: Map<String, Value>) -> Value {
    match base {
        Value::Object(mut map) => {
            map.extend(extra);
            Value::Object(map)
        }
        other if extra.is_empty() => other,
        // `false` or `true` with siblings: the siblings cannot widen `false`.
        Value::Bool(false) => Value::Bool(false),
        _ => Value::Object(extra),
    }
}

/// Whether the schema accepts `null`, and what it accepts besides (`None`
/// when only `null`).
fn split_null(mut map: Map<String, Value>, defs: &Map<String, Value>) -> (bool, Option<Resolved>) {
    let mut null = false;
    match map.get_mut("type") {
        Some(Value::String(name)) if name == "null" => return (true, None),
        Some(Value::Array(names)) => {
            let before = names.len();
            names.retain(|name| name != "null");
            if names.len() != before {
                null = true;
                match names.len() {
                    0 => return (true, None),
                    1 => {
                        let single = names[0].clone();
                        map.insert("type".into(), single);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        let before = values.len();
        values.retain(|value| !value.is_null());
        if values.len() != before {
            null = true;
            if values.is_empty() {
                return (true, None);
            }
        }
    }
    if map.get("const") == Some(&Value::Null) {
        return (true, None);
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(alternatives)) = map.get(key) else {
            continue;
        };
        let is_null = |alt: &Value| matches!(resolve(alt, defs).0, Resolved::Schema(ref m) if m.get("type") == Some(&Value::String("null".into())) && m.len() == 1);
        if !alternatives.iter().any(is_null) {
            continue;
        }
        null = true;
        let rest: Vec<Value> = alternatives
            .iter()
            .filter(|alt| !is_null(alt))
            .cloned()
            .collect();
        map.remove(key);
        match rest.len() {
            0 => {
                if map.is_empty() {
                    return (true, None);
                }
            }
            1 if map.is_empty() => {
                let (resolved, _) = resolve(&rest[0], defs);
                return match resolved {
                    Resolved::Schema(inner) => {
                        let (inner_null, inner_rest) = split_null(inner, defs);
                        (null || inner_null, inner_rest)
                    }
                    other => (true, Some(other)),
                };
            }
            _ => {
                map.insert(key.into(), Value::Array(rest));
            }
        }
    }
    (null, Some(Resolved::Schema(map)))
}

fn has_alternatives(map: &Map<String, Value>) -> bool {
    map.contains_key("oneOf") || map.contains_key("anyOf")
}

/// The alternatives of a schema (itself when it has none), each with its key
/// when it is a tagged variant: its constant, its tag property's constant, or
/// the one property of an externally tagged variant. Unit variants listed in
/// one `enum` are split into one alternative each.
fn alternatives(
    map: &Map<String, Value>,
    defs: &Map<String, Value>,
) -> Vec<(Option<String>, Value)> {
    let list: Vec<Value> = match map.get("oneOf").or_else(|| map.get("anyOf")) {
        Some(Value::Array(list)) => list.clone(),
        _ => vec![Value::Object(map.clone())],
    };
    let mut out = Vec::new();
    for alt in list {
        let (resolved, _) = resolve(&alt, defs);
        let Resolved::Schema(alt_map) = &resolved else {
            out.push((None, alt));
            continue;
        };
        if let Some(Value::Array(values)) = alt_map.get("enum")
            && alt_map.keys().all(|key| key == "enum" || key == "type")
        {
            for value in values {
                let mut single = Map::new();
                single.insert("const".into(), value.clone());
                out.push((Some(value.to_string()), Value::Object(single)));
            }
            continue;
        }
        out.push((variant_key(alt_map, defs), alt));
    }
    out
}

fn variant_key(map: &Map<String, Value>, defs: &Map<String, Value>) -> Option<String> {
    if let Some(value) = map.get("const") {
        return Some(value.to_string());
    }
    let required: BTreeSet<&str> = map
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = map.get("properties") {
        for (name, schema) in properties {
            if let (Resolved::Schema(property), _) = resolve(schema, defs)
                && let Some(tag) = property.get("const")
                && required.contains(name.as_str())
            {
                return Some(format!("{name}={tag}"));
            }
        }
        if properties.len() == 1
            && required.len() == 1
            && map.get("additionalProperties") == Some(&Value::Bool(false))
        {
            return properties.keys().next().cloned();
        }
    }
    if let Some(Value::Array(parts)) = map.get("allOf") {
        for part in parts {
            if let (Resolved::Schema(part), _) = resolve(part, defs)
                && let Some(key) = variant_key(&part, defs)
            {
                return Some(key);
            }
        }
    }
    None
}

/// The values of an `enum` or `const`.
fn values(map: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(value) = map.get("const") {
        return Some(vec![value.clone()]);
    }
    map.get("enum").and_then(Value::as_array).cloned()
}

/// The `type`s a schema declares, or implies by its keywords.
fn types(map: &Map<String, Value>) -> Option<BTreeSet<String>> {
    match map.get("type") {
        Some(Value::String(name)) => return Some(BTreeSet::from([name.clone()])),
        Some(Value::Array(names)) => {
            return Some(
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            );
        }
        _ => {}
    }
    if [
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
    ]
    .iter()
    .any(|key| map.contains_key(*key))
    {
        return Some(BTreeSet::from(["object".to_owned()]));
    }
    if ["items", "minItems", "maxItems"]
        .iter()
        .any(|key| map.contains_key(*key))
    {
        return Some(BTreeSet::from(["array".to_owned()]));
    }
    None
}

/// Whether a schema of `types` accepts values of JSON type `t`.
fn accepts(types: &BTreeSet<String>, t: &str) -> bool {
    types.contains(t) || (t == "integer" && types.contains("number"))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(types: &BTreeSet<String>) -> String {
    types.iter().cloned().collect::<Vec<_>>().join("|")
}

fn describe(map: &Map<String, Value>) -> String {
    if let Some(values) = values(map) {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("|");
    }
    if let Some(types) = types(map) {
        return join(&types);
    }
    if has_alternatives(map) {
        return "alternatives".into();
    }
    "schema".into()
}

fn describe_resolved(resolved: &Resolved) -> String {
    match resolved {
        Resolved::Any => "any value".into(),
        Resolved::Nothing => "no value".into(),
        Resolved::Schema(map) => describe(map),
    }
}

fn describe_value(schema: &Value) -> String {
    match schema {
        Value::Object(map) => match map.get("$ref").and_then(Value::as_str).and_then(ref_name) {
            Some(name) => name.to_owned(),
            None => describe(map),
        },
        Value::Bool(true) => "any value".into(),
        _ => "no value".into(),
    }
}
