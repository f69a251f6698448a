//! [`from_value`]: [`Value`] as a serde `Deserializer`, into any typed value.

use std::fmt;

use bytes::Bytes;
use serde::de::value::{SeqDeserializer, StringDeserializer};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess,
    VariantAccess, Visitor,
};

use super::value::{Map, Value};

/// A [`Value`] did not fit the type it was converted to or from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(String);

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        ValueError(message.to_string())
    }
}

impl serde::ser::Error for ValueError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        ValueError(message.to_string())
    }
}

/// Converts an untyped [`Value`] into `T`.
///
/// [`Value::Binary`] feeds `visit_byte_buf`, so `bytes::Bytes`, `serde_bytes` types
/// and `Vec<u8>` all receive it (a plain `Vec<u8>` or `[u8; N]` as a sequence).
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ValueError> {
    T::deserialize(value)
}

impl Value {
    fn unexpected(&self) -> de::Unexpected<'_> {
        match self {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(value) => de::Unexpected::Bool(*value),
            Value::Number(number) => match (number.as_u64(), number.as_i64()) {
                (Some(value), _) => de::Unexpected::Unsigned(value),
                (None, Some(value)) => de::Unexpected::Signed(value),
                _ => de::Unexpected::Float(number.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(text) => de::Unexpected::Str(text),
            Value::Binary(bytes) => de::Unexpected::Bytes(bytes),
            Value::Array(_) => de::Unexpected::Seq,
            Value::Object(_) => de::Unexpected::Map,
        }
    }
}

fn byte_sequence(bytes: Bytes) -> SeqDeserializer<bytes::buf::IntoIter<Bytes>, ValueError> {
    SeqDeserializer::new(bytes.into_iter())
}

impl<'de> Deserializer<'de> for Value {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(value) => visitor.visit_bool(value),
            Value::Number(number) => {
                if let Some(value) = number.as_u64() {
                    visitor.visit_u64(value)
                } else if let Some(value) = number.as_i64() {
                    visitor.visit_i64(value)
                } else {
                    visitor.visit_f64(number.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(text) => visitor.visit_string(text),
            Value::Binary(bytes) => visitor.visit_byte_buf(Vec::from(bytes)),
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(map) => visit_object(map, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Binary(bytes) => visitor.visit_seq(byte_sequence(bytes)),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self {
            Value::String(variant) => visitor.visit_enum(Variant {
                name: variant,
                value: None,
            }),
            Value::Object(map) if map.len() == 1 => {
                let Some((name, value)) = map.into_iter().next() else {
                    return Err(de::Error::custom("empty enum object"));
                };
                visitor.visit_enum(Variant {
                    name,
                    value: Some(value),
                })
            }
            other => Err(de::Error::invalid_type(
                other.unexpected(),
                &"an enum variant",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct map struct identifier
    }
}

impl<'de> IntoDeserializer<'de, ValueError> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

fn visit_array<'de, V: Visitor<'de>>(
    items: Vec<Value>,
    visitor: V,
) -> Result<V::Value, ValueError> {
    let mut access = SeqDeserializer::new(items.into_iter());
    let value = visitor.visit_seq(&mut access)?;
    access.end()?;
    Ok(value)
}

fn visit_object<'de, V: Visitor<'de>>(map: Map, visitor: V) -> Result<V::Value, ValueError> {
    let mut access = Fields {
        entries: map.into_iter(),
        value: None,
    };
    visitor.visit_map(&mut access)
}

/// The fields of an object, one key then its value.
struct Fields {
    entries: indexmap::map::IntoIter<String, Value>,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for &mut Fields {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key: StringDeserializer<ValueError> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("object value asked for before its key"))?;
        seed.deserialize(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum variant: its name and, unless it is a unit variant, its content.
struct Variant {
    name: String,
    value: Option<Value>,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = ValueError;
    type Variant = VariantContent;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, VariantContent), ValueError> {
        let name: StringDeserializer<ValueError> = self.name.into_deserializer();
        let variant = seed.deserialize(name)?;
        Ok((variant, VariantContent(self.value)))
    }
}

/// The content of an enum variant.
struct VariantContent(Option<Value>);

impl<'de> VariantAccess<'de> for VariantContent {
    type Error = ValueError;

    fn unit_variant(self) -> Result<(), ValueError> {
        match self.0 {
            None | Some(Value::Null) => Ok(()),
            Some(other) => Err(de::Error::invalid_type(
                other.unexpected(),
                &"a unit variant",
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        match self.0 {
            Some(value) => seed.deserialize(value),
            None => Err(wrong_variant(None, "a newtype variant")),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Some(Value::Array(items)) => visit_array(items, visitor),
            other => Err(wrong_variant(other.as_ref(), "a tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Some(Value::Object(map)) => visit_object(map, visitor),
            other => Err(wrong_variant(other.as_ref(), "a struct variant")),
        }
    }
}

/// An enum variant's content (`None` for a unit variant) that is not the
/// `expected` kind.
fn wrong_variant(content: Option<&Value>, expected: &'static str) -> ValueError {
    let unexpected = content.map_or(de::Unexpected::UnitVariant, Value::unexpected);
    de::Error::invalid_type(unexpected, &expected)
}
