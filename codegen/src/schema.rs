//! Walking the draft-07 schemas schemars produces: every subschema of a schema,
//! and the definitions a schema references.

use std::collections::BTreeSet;

use serde_json::Value;

/// Where definitions live in the schemas the collector produces, and in the JSON
/// Schema document.
pub(crate) const DEFINITIONS: &str = "#/definitions/";

/// Keywords that describe and never constrain.
pub(crate) const ANNOTATIONS: &[&str] = &[
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

/// Keywords whose value is one subschema.
const SINGLE: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// Keywords whose value is an array of subschemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// Keywords whose value maps names to subschemas.
const MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependencies",
    "dependentSchemas",
];

/// Calls `f` on every subschema directly inside `schema` (not on `schema`).
fn children_mut(schema: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    let Value::Object(map) = schema else {
        return;
    };
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        if SINGLE.contains(&key) {
            f(value);
        } else if key == "items" {
            match value {
                Value::Array(items) => items.iter_mut().for_each(&mut *f),
                other => f(other),
            }
        } else if LIST.contains(&key)
            && let Value::Array(items) = value
        {
            items.iter_mut().for_each(&mut *f);
        } else if MAP.contains(&key)
            && let Value::Object(entries) = value
        {
            entries
                .values_mut()
                .filter(|entry| entry.is_object() || entry.is_boolean())
                .for_each(&mut *f);
        }
    }
}

/// Calls `f` on `schema` and on every subschema inside it, parents first.
pub(crate) fn walk_mut(schema: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    f(schema);
    children_mut(schema, &mut |child| walk_mut(child, f));
}

/// The definition name a `$ref` points to, if it points into the definitions.
pub(crate) fn ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix(DEFINITIONS)
}

/// The names of the definitions `schema` references directly (not through them).
pub(crate) fn references(schema: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut schema = schema.clone();
    walk_mut(&mut schema, &mut |node| {
        if let Some(name) = node.get("$ref").and_then(Value::as_str).and_then(ref_name) {
            names.insert(name.to_owned());
        }
    });
    names
}

/// Rewrites every `$ref` into the definitions with `rename`, which receives the
/// definition name and returns the new `$ref` value.
pub(crate) fn rewrite_refs(schema: &mut Value, rename: &dyn Fn(&str) -> String) {
    walk_mut(schema, &mut |node| {
        if let Value::Object(map) = node
            && let Some(Value::String(reference)) = map.get_mut("$ref")
            && let Some(name) = ref_name(reference)
        {
            *reference = rename(name);
        }
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn finds_references_in_every_applicator() {
        let schema = json!({
            "properties": { "a": { "$ref": "#/definitions/A" } },
            "items": [{ "$ref": "#/definitions/B" }, true],
            "additionalProperties": { "$ref": "#/definitions/C" },
            "oneOf": [{ "allOf": [{ "$ref": "#/definitions/D" }] }],
            "default": { "$ref": "#/definitions/NotASchema" },
            "enum": [{ "$ref": "#/definitions/NotASchemaEither" }]
        });
        let names: Vec<_> = references(&schema).into_iter().collect();
        assert_eq!(names, ["A", "B", "C", "D"]);
    }

    #[test]
    fn rewrites_only_schema_references() {
        let mut schema = json!({
            "items": { "$ref": "#/definitions/A" },
            "const": { "$ref": "#/definitions/A" }
        });
        rewrite_refs(&mut schema, &|name| format!("#/components/schemas/{name}"));
        assert_eq!(
            schema,
            json!({
                "items": { "$ref": "#/components/schemas/A" },
                "const": { "$ref": "#/definitions/A" }
            })
        );
    }
}
