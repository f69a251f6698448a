//! JSON Schema (the draft-07 subset schemars emits) to TypeScript types.
//!
//! | schema | TypeScript |
//! |---|---|
//! | `true`, `{}` | `unknown` |
//! | `false` | `never` |
//! | `$ref` to a definition | its name (`Bytes`: `ArrayBuffer` as sent by the server, `ArrayBuffer \| ArrayBufferView` as accepted) |
//! | `type: null / boolean / string` | `null` / `boolean` / `string` |
//! | `type: integer / number` (any `format`, 64-bit too) | `number` |
//! | `type` arrays (`["string", "null"]`) | unions |
//! | `const`, `enum` | literal types and their union |
//! | `properties` + `required` | object type, `?:` for properties not required |
//! | `additionalProperties: <schema>`, `patternProperties` | index signature `[key: string]: V` |
//! | `items: <schema>` | `T[]`; a tuple when `minItems == maxItems <= 16` |
//! | `items: [..]` (draft-07 tuple) | `[A, B]`, optional elements past `minItems` |
//! | `oneOf`, `anyOf` | union (variant docs kept as member comments) |
//! | `allOf`, and sibling keywords next to them | intersection |
//! | `title`, `description`, `deprecated`, `default` | JSDoc, `@deprecated`, `@default` |
//!
//! Validation keywords TypeScript cannot express (`minimum`, `maxLength`,
//! `pattern`, `format`, `uniqueItems`, `not`, …) are left out: the TypeScript type
//! is then wider than the schema, never narrower. Keywords that would change the
//! shape (`if`/`then`/`else`, `dependencies`, nested definitions, 2019+ keywords)
//! are refused with [`Error::UnsupportedSchema`].

use serde_json::{Map, Value};

use super::ast::{Doc, Member, Prop, Ts, property_key};
use crate::Error;
use crate::model::{Flow, Model};
use crate::schema::{ANNOTATIONS, ref_name};

/// Keywords that constrain values within the shape the other keywords give
/// (besides the [`ANNOTATIONS`], which only describe).
const VALUE_CONSTRAINTS: &[&str] = &[
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "not",
    "contentEncoding",
    "contentMediaType",
];

/// Keywords that give the shape.
const STRUCTURAL: &[&str] = &[
    "$ref",
    "type",
    "const",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "items",
    "additionalItems",
    "allOf",
    "anyOf",
    "oneOf",
];

/// The longest fixed-length array written as a tuple.
const MAX_TUPLE: u64 = 16;

/// Converts schemas that reference the definitions of `model`.
pub(crate) struct Converter<'m> {
    model: &'m Model,
}

/// Where a schema is, for error messages.
#[derive(Clone, Copy)]
struct At<'a> {
    what: &'a str,
    pointer: &'a str,
}

impl At<'_> {
    fn error(&self, reason: impl Into<String>) -> Error {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            self.pointer
        };
        Error::unsupported(format!("{} at {pointer}", self.what), reason)
    }
}

impl<'m> Converter<'m> {
    pub(crate) fn new(model: &'m Model) -> Self {
        Converter { model }
    }

    /// The TypeScript type of `schema`, the whole of what `what` names.
    pub(crate) fn convert_root(&self, schema: &Value, what: &str) -> Result<Ts, Error> {
        self.convert(schema, At { what, pointer: "" })
    }

    /// The TypeScript type of `schema`, found at `suffix` below `at`.
    fn convert_below(&self, schema: &Value, at: At<'_>, suffix: &str) -> Result<Ts, Error> {
        let pointer = format!("{}/{suffix}", at.pointer);
        self.convert(
            schema,
            At {
                pointer: &pointer,
                ..at
            },
        )
    }

    /// The TypeScript type of `schema`.
    fn convert(&self, schema: &Value, at: At<'_>) -> Result<Ts, Error> {
        match schema {
            Value::Bool(true) => Ok(Ts::UNKNOWN),
            Value::Bool(false) => Ok(Ts::NEVER),
            Value::Object(map) => self.object_schema(map, at),
            other => Err(at.error(format!("a schema is an object or a boolean, not {other}"))),
        }
    }

    fn object_schema(&self, map: &Map<String, Value>, at: At<'_>) -> Result<Ts, Error> {
        for key in map.keys() {
            let known = STRUCTURAL.contains(&key.as_str())
                || ANNOTATIONS.contains(&key.as_str())
                || VALUE_CONSTRAINTS.contains(&key.as_str())
                || key.starts_with("x-");
            if !known {
                return Err(at.error(format!("keyword `{key}` has no TypeScript translation")));
            }
        }
        let mut parts = Vec::new();
        if let Some(reference) = map.get("$ref") {
            parts.push(self.reference(reference, at)?);
        }
        if let Some(base) = self.base(map, at)? {
            parts.push(base);
        }
        if let Some(all) = map.get("allOf") {
            for (i, schema) in list(all, "allOf", at)?.iter().enumerate() {
                parts.push(self.convert_below(schema, at, &format!("allOf/{i}"))?);
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(branches) = map.get(keyword) {
                let mut members = Vec::new();
                for (i, schema) in list(branches, keyword, at)?.iter().enumerate() {
                    members.push(Member {
                        ty: self.convert_below(schema, at, &format!("{keyword}/{i}"))?,
                        doc: doc_of(schema),
                    });
                }
                parts.push(Ts::union(members));
            }
        }
        Ok(Ts::intersection(parts))
    }

    fn reference(&self, reference: &Value, at: At<'_>) -> Result<Ts, Error> {
        let name = reference
            .as_str()
            .and_then(ref_name)
            .ok_or_else(|| at.error(format!("$ref {reference} does not point to a definition")))?;
        let def = self
            .model
            .def(name)
            .ok_or_else(|| at.error(format!("$ref to `{name}`, which is not defined")))?;
        if !def.bytes {
            return Ok(Ts::Named(def.name.clone()));
        }
        let buffer = Ts::Named("ArrayBuffer".into());
        Ok(match def.flow {
            Flow::Out => buffer,
            Flow::In => Ts::union_of(vec![buffer, Ts::Named("ArrayBufferView".into())]),
        })
    }

    /// The type the non-combinator keywords give (`None` when they give none).
    fn base(&self, map: &Map<String, Value>, at: At<'_>) -> Result<Option<Ts>, Error> {
        if let Some(value) = map.get("const") {
            return Ok(Some(Ts::Literal(literal(value))));
        }
        if let Some(values) = map.get("enum") {
            let values = list(values, "enum", at)?;
            return Ok(Some(Ts::union_of(
                values
                    .iter()
                    .map(|value| Ts::Literal(literal(value)))
                    .collect(),
            )));
        }
        let types: Vec<&str> = match map.get("type") {
            None => {
                let object = [
                    "properties",
                    "required",
                    "additionalProperties",
                    "patternProperties",
                ]
                .iter()
                .any(|key| map.contains_key(*key));
                let array = map.contains_key("items") || map.contains_key("additionalItems");
                match (object, array) {
                    (true, false) => vec!["object"],
                    (false, true) => vec!["array"],
                    (true, true) => vec!["object", "array"],
                    (false, false) => return Ok(None),
                }
            }
            Some(Value::String(single)) => vec![single.as_str()],
            Some(Value::Array(many)) => many
                .iter()
                .map(|ty| {
                    ty.as_str()
                        .ok_or_else(|| at.error("`type` lists a non-string"))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(at.error(format!("`type` is {other}"))),
        };
        let mut members = Vec::new();
        for ty in types {
            members.push(match ty {
                "null" => Ts::Keyword("null"),
                "boolean" => Ts::Keyword("boolean"),
                "integer" | "number" => Ts::Keyword("number"),
                "string" => Ts::Keyword("string"),
                "array" => self.array(map, at)?,
                "object" => self.object(map, at)?,
                other => return Err(at.error(format!("unknown type `{other}`"))),
            });
        }
        Ok(Some(Ts::union_of(members)))
    }

    fn array(&self, map: &Map<String, Value>, at: At<'_>) -> Result<Ts, Error> {
        let min = map.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = map.get("maxItems").and_then(Value::as_u64);
        match map.get("items") {
            Some(Value::Array(items)) => {
                let mut converted = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    converted.push(self.convert_below(item, at, &format!("items/{i}"))?);
                }
                let len = converted.len();
                let rest = match (max, map.get("additionalItems")) {
                    (Some(max), _) if max <= len as u64 => None,
                    (_, Some(Value::Bool(false))) => None,
                    (_, None | Some(Value::Bool(true))) => Some(Box::new(Ts::UNKNOWN)),
                    (_, Some(extra)) => Some(Box::new(self.convert_below(
                        extra,
                        at,
                        "additionalItems",
                    )?)),
                };
                Ok(Ts::Tuple {
                    items: converted,
                    required: usize::try_from(min).unwrap_or(usize::MAX).min(len),
                    rest,
                })
            }
            Some(item) => {
                let item = self.convert_below(item, at, "items")?;
                match max {
                    Some(max) if max == min && max <= MAX_TUPLE => Ok(Ts::Tuple {
                        items: vec![item; max as usize],
                        required: max as usize,
                        rest: None,
                    }),
                    _ => Ok(Ts::Array(Box::new(item))),
                }
            }
            None => Ok(Ts::Array(Box::new(Ts::UNKNOWN))),
        }
    }

    fn object(&self, map: &Map<String, Value>, at: At<'_>) -> Result<Ts, Error> {
        let required: Vec<&str> = match map.get("required") {
            Some(list) => list
                .as_array()
                .ok_or_else(|| at.error("`required` is not an array"))?
                .iter()
                .map(|name| {
                    name.as_str()
                        .ok_or_else(|| at.error("`required` lists a non-string"))
                })
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let mut props = Vec::new();
        if let Some(properties) = map.get("properties") {
            let properties = object(properties, "properties", at)?;
            for (name, schema) in properties {
                let mut doc = doc_of(schema);
                if let Some(default) = schema.get("default") {
                    doc.tag(&format!("@default {default}"));
                }
                props.push(Prop {
                    name: name.clone(),
                    ty: self.convert_below(
                        schema,
                        at,
                        &format!("properties/{}", pointer_escape(name)),
                    )?,
                    optional: !required.contains(&name.as_str()),
                    doc,
                });
            }
        }
        for name in &required {
            if !props.iter().any(|prop| prop.name == *name) {
                props.push(Prop {
                    name: (*name).to_owned(),
                    ty: Ts::UNKNOWN,
                    optional: false,
                    doc: Doc::default(),
                });
            }
        }

        let mut values = Vec::new();
        if let Some(patterns) = map.get("patternProperties") {
            let patterns = object(patterns, "patternProperties", at)?;
            for (pattern, schema) in patterns {
                values.push(self.convert_below(
                    schema,
                    at,
                    &format!("patternProperties/{}", pointer_escape(pattern)),
                )?);
            }
        }
        let closed = match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => false,
            Some(Value::Bool(false)) => true,
            Some(schema) => {
                values.push(self.convert_below(schema, at, "additionalProperties")?);
                true
            }
        };
        let index = if !values.is_empty() {
            // Every property must fit the index signature, so it admits their types
            // too (and `undefined` for an optional one, unless the consumer compiles
            // with `exactOptionalPropertyTypes`).
            let mut all = values;
            all.extend(props.iter().map(|prop| prop.ty.clone()));
            if props.iter().any(|prop| prop.optional) {
                all.push(Ts::Keyword("undefined"));
            }
            Some(Box::new(Ts::union_of(all)))
        } else if props.is_empty() {
            Some(Box::new(if closed { Ts::NEVER } else { Ts::UNKNOWN }))
        } else {
            None
        };
        Ok(Ts::Object { props, index })
    }
}

fn list<'v>(value: &'v Value, keyword: &str, at: At<'_>) -> Result<&'v Vec<Value>, Error> {
    value
        .as_array()
        .ok_or_else(|| at.error(format!("`{keyword}` is not an array")))
}

/// `value`, the value of `keyword`, as an object.
fn object<'v>(
    value: &'v Value,
    keyword: &str,
    at: At<'_>,
) -> Result<&'v Map<String, Value>, Error> {
    value
        .as_object()
        .ok_or_else(|| at.error(format!("`{keyword}` is not an object")))
}

/// The JSDoc of a schema: its title, description and deprecation.
pub(crate) fn doc_of(schema: &Value) -> Doc {
    let mut doc = Doc::default();
    if let Some(title) = schema.get("title").and_then(Value::as_str) {
        doc.paragraph(title);
    }
    if let Some(description) = schema.get("description").and_then(Value::as_str) {
        doc.paragraph(description);
    }
    if schema.get("deprecated") == Some(&Value::Bool(true)) {
        doc.tag("@deprecated");
    }
    doc
}

/// A JSON value as a TypeScript literal type.
fn literal(value: &Value) -> String {
    match value {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) if map.is_empty() => "{}".to_owned(),
        Value::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .map(|(key, value)| format!("{}: {}", property_key(key), literal(value)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        scalar => scalar.to_string(),
    }
}

fn pointer_escape(token: &str) -> String {
    crate::names::pointer_token(token)
}
