//! The keyword families of a schema: numbers, strings, arrays, objects, and
//! keywords the check does not interpret.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::report::ChangeKind;
use super::resolve::types;
use super::schema_diff::{KNOWN, SchemaDiff};

/// A schema object: its keywords and their values.
type Keywords = Map<String, Value>;

impl SchemaDiff<'_> {
    pub(super) fn compare_number(&mut self, old: &Keywords, new: &Keywords, location: &str) {
        let (old_low, old_high) = number_range(old);
        let (new_low, new_high) = number_range(new);
        let (low_detail, high_detail) = (
            number_detail(old, new, "minimum"),
            number_detail(old, new, "maximum"),
        );
        self.bound(location, Side::Low, old_low, new_low, NUMBER, &low_detail);
        self.bound(
            location,
            Side::High,
            old_high,
            new_high,
            NUMBER,
            &high_detail,
        );
        self.keyword_constraint(old, new, "multipleOf", location, NUMBER);
    }

    pub(super) fn compare_string(&mut self, old: &Keywords, new: &Keywords, location: &str) {
        self.length_bounds(old, new, location, STRING, ["minLength", "maxLength"]);
        self.keyword_constraint(old, new, "pattern", location, STRING);
        let string_only =
            |map: &Keywords| types(map).is_some_and(|types| types.iter().all(|t| t == "string"));
        if string_only(old) || string_only(new) {
            self.keyword_constraint(old, new, "format", location, STRING);
        }
    }

    pub(super) fn compare_array(&mut self, old: &Keywords, new: &Keywords, location: &str) {
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
        self.length_bounds(old, new, location, ARRAY, ["minItems", "maxItems"]);
        let unique = |map: &Keywords| map.get("uniqueItems") == Some(&Value::Bool(true));
        match (unique(old), unique(new)) {
            (false, true) => self.narrowed(location, ARRAY.narrowed, "uniqueItems added".into()),
            (true, false) => self.widened(location, ARRAY.widened, "uniqueItems removed".into()),
            _ => {}
        }
    }

    pub(super) fn compare_object(&mut self, old: &Keywords, new: &Keywords, location: &str) {
        let empty = Map::new();
        let properties = |map: &Keywords| {
            map.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        let required = |map: &Keywords| -> BTreeSet<String> {
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
        let closed = |map: &Keywords| map.get("additionalProperties") == Some(&Value::Bool(false));
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
                        self.narrowed(&here, ChangeKind::FieldMadeRequired, String::new());
                    } else if was && !is {
                        self.widened(&here, ChangeKind::FieldMadeOptional, String::new());
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
                self.narrowed(
                    location,
                    ChangeKind::UnknownFieldsChanged,
                    "unknown fields refused".into(),
                );
            }
            (Some(Value::Bool(false)), None | Some(Value::Bool(true))) => {
                self.widened(
                    location,
                    ChangeKind::UnknownFieldsChanged,
                    "unknown fields accepted".into(),
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

        let patterns = |map: &Keywords| {
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
                None => self.changed_both_ways(
                    location,
                    ChangeKind::SchemaChanged,
                    format!("patternProperties {pattern} added"),
                ),
            }
        }
        for pattern in old_patterns.keys() {
            if !new_patterns.contains_key(pattern) {
                self.changed_both_ways(
                    location,
                    ChangeKind::SchemaChanged,
                    format!("patternProperties {pattern} removed"),
                );
            }
        }
    }

    /// Several `allOf` members (a flattened enum beside a struct's properties):
    /// compared in order.
    pub(super) fn compare_all_of(&mut self, old: &Keywords, new: &Keywords, location: &str) {
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
            _ => {
                self.changed_both_ways(location, ChangeKind::SchemaChanged, "allOf changed".into())
            }
        }
    }

    /// Keywords the check does not interpret: any change breaks both ways.
    pub(super) fn compare_unknown(&mut self, old: &Keywords, new: &Keywords, location: &str) {
        let keys: BTreeSet<&String> = old
            .keys()
            .chain(new.keys())
            .filter(|key| !KNOWN.contains(&key.as_str()))
            .collect();
        for key in keys {
            if old.get(key) != new.get(key) {
                self.changed_both_ways(
                    location,
                    ChangeKind::SchemaChanged,
                    format!("keyword {key} changed"),
                );
            }
        }
    }

    /// A constraint keyword (`pattern`, `format`, `multipleOf`): added narrows,
    /// removed widens, changed does both.
    fn keyword_constraint(
        &mut self,
        old: &Keywords,
        new: &Keywords,
        key: &str,
        location: &str,
        family: Family,
    ) {
        match (old.get(key), new.get(key)) {
            (None, Some(value)) => {
                self.narrowed(location, family.narrowed, format!("{key} {value} added"))
            }
            (Some(value), None) => {
                self.widened(location, family.widened, format!("{key} {value} removed"))
            }
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
                self.changed_both_ways(location, family.narrowed, format!("{key} {a} -> {b}"));
            }
            _ => {}
        }
    }

    /// A length range given by the keywords `[min, max]` (`minLength`,
    /// `minItems`...): raising the minimum or lowering the maximum narrows.
    fn length_bounds(
        &mut self,
        old: &Keywords,
        new: &Keywords,
        location: &str,
        family: Family,
        [min, max]: [&str; 2],
    ) {
        let bound =
            |map: &Keywords, key: &str| Bound::inclusive(map.get(key).and_then(Value::as_f64));
        for (side, key) in [(Side::Low, min), (Side::High, max)] {
            let detail = keyword_detail(old, new, key);
            self.bound(
                location,
                side,
                bound(old, key),
                bound(new, key),
                family,
                &detail,
            );
        }
    }

    fn bound(
        &mut self,
        location: &str,
        side: Side,
        old: Bound,
        new: Bound,
        family: Family,
        detail: &str,
    ) {
        match side.compare(old, new) {
            std::cmp::Ordering::Greater => {
                self.narrowed(location, family.narrowed, detail.to_owned())
            }
            std::cmp::Ordering::Less => self.widened(location, family.widened, detail.to_owned()),
            std::cmp::Ordering::Equal => {}
        }
    }
}

/// The kinds a keyword family reports when a change narrows or widens what it
/// accepts.
#[derive(Debug, Clone, Copy)]
struct Family {
    narrowed: ChangeKind,
    widened: ChangeKind,
}

const NUMBER: Family = Family {
    narrowed: ChangeKind::NumberNarrowed,
    widened: ChangeKind::NumberWidened,
};

const STRING: Family = Family {
    narrowed: ChangeKind::StringNarrowed,
    widened: ChangeKind::StringWidened,
};

const ARRAY: Family = Family {
    narrowed: ChangeKind::ArrayNarrowed,
    widened: ChangeKind::ArrayWidened,
};

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
fn number_range(map: &Keywords) -> (Bound, Bound) {
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

fn number_detail(old: &Keywords, new: &Keywords, keyword: &str) -> String {
    let format = |map: &Keywords| {
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
    let show = |map: &Keywords| {
        map.get(keyword)
            .or_else(|| map.get(&exclusive))
            .map_or("none".to_owned(), Value::to_string)
    };
    format!("{keyword} {} -> {}", show(old), show(new))
}

fn keyword_detail(old: &Keywords, new: &Keywords, keyword: &str) -> String {
    let show = |map: &Keywords| map.get(keyword).map_or("none".to_owned(), Value::to_string);
    format!("{keyword} {} -> {}", show(old), show(new))
}
