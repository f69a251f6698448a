//! [`to_value`]: any serializable value as an untyped [`Value`].

use bytes::Bytes;
use serde::ser::{self, Serialize, Serializer};

use super::key_ser::KeySerializer;
use super::number::NumberText;
use super::value::{Map, Value};
use super::value_de::ValueError;

/// The struct name serde_json gives a `RawValue` when serializing it, so that raw
/// JSON text (such as an incoming argument) becomes the value it spells.
const RAW_JSON_STRUCT: &str = "$serde_json::private::RawValue";

/// JSON text already known to be one valid value, serialized as serde_json
/// serializes a `RawValue` of it: serde_json writes the text as it is, other
/// serializers see the struct serde_json's own `RawValue` would show them.
/// Building a `RawValue` would parse the text once more.
pub(crate) struct RawJson<'a>(pub(crate) &'a str);

impl Serialize for RawJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut raw = serializer.serialize_struct(RAW_JSON_STRUCT, 1)?;
        raw.serialize_field(RAW_JSON_STRUCT, self.0)?;
        raw.end()
    }
}

/// Converts `value` into an untyped [`Value`]; byte strings become [`Value::Binary`].
pub fn to_value<T: ?Sized + Serialize>(value: &T) -> Result<Value, ValueError> {
    value.serialize(ValueSerializer)
}

/// Builds a [`Value`] from serde's data model.
struct ValueSerializer;

impl Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = ArrayBuilder;
    type SerializeTuple = ArrayBuilder;
    type SerializeTupleStruct = ArrayBuilder;
    type SerializeTupleVariant = VariantBuilder<ArrayBuilder>;
    type SerializeMap = ObjectBuilder;
    type SerializeStruct = ObjectBuilder;
    type SerializeStructVariant = VariantBuilder<ObjectBuilder>;

    fn serialize_bool(self, value: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(value))
    }

    fn serialize_i8(self, value: i8) -> Result<Value, ValueError> {
        Ok(Value::Number(value.into()))
    }

    fn serialize_i16(self, value: i16) -> Result<Value, ValueError> {
        Ok(Value::Number(value.into()))
    }

    fn serialize_i32(self, value: i32) -> Result<Value, ValueError> {
        Ok(Value::Number(value.into()))
    }

    fn serialize_i64(self, value: i64) -> Result<Value, ValueError> {
        Ok(Value::Number(value.into()))
    }

    fn serialize_i128(self, value: i128) -> Result<Value, ValueError> {
        match (i64::try_from(value), u64::try_from(value)) {
            (Ok(small), _) => Ok(Value::Number(small.into())),
            (_, Ok(unsigned)) => Ok(Value::Number(unsigned.into())),
            _ => Ok(Value::from_f64(value as f64)),
        }
    }

    fn serialize_u8(self, value: u8) -> Result<Value, ValueError> {
        Ok(Value::Number(value.into()))
    }

    fn serialize_u16(self, value: u16) -> Result<Value, ValueError> {
        Ok(Value::Number(value.into()))
    }

    fn serialize_u32(self, value: u32) -> Result<Value, ValueError> {
        Ok(Value::Number(value.into()))
    }

    fn serialize_u64(self, value: u64) -> Result<Value, ValueError> {
        Ok(Value::Number(value.into()))
    }

    fn serialize_u128(self, value: u128) -> Result<Value, ValueError> {
        match u64::try_from(value) {
            Ok(small) => Ok(Value::Number(small.into())),
            Err(_) => Ok(Value::from_f64(value as f64)),
        }
    }

    fn serialize_f32(self, value: f32) -> Result<Value, ValueError> {
        // The shortest single-precision digits, as the JSON encoder writes them.
        let text = NumberText::from_f32(value);
        Ok(Value::from_f64(text.as_str().parse().unwrap_or(f64::NAN)))
    }

    fn serialize_f64(self, value: f64) -> Result<Value, ValueError> {
        Ok(Value::from_f64(value))
    }

    fn serialize_char(self, value: char) -> Result<Value, ValueError> {
        Ok(Value::String(value.to_string()))
    }

    fn serialize_str(self, value: &str) -> Result<Value, ValueError> {
        Ok(Value::String(value.to_owned()))
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::Binary(Bytes::copy_from_slice(value)))
    }

    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::String(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        let mut map = Map::with_capacity(1);
        map.insert(variant.to_owned(), value.serialize(self)?);
        Ok(Value::Object(map))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ArrayBuilder, ValueError> {
        Ok(ArrayBuilder(Vec::with_capacity(len.unwrap_or(0).min(64))))
    }

    fn serialize_tuple(self, len: usize) -> Result<ArrayBuilder, ValueError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ArrayBuilder, ValueError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<ArrayBuilder>, ValueError> {
        Ok(VariantBuilder {
            variant,
            content: self.serialize_seq(Some(len))?,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<ObjectBuilder, ValueError> {
        Ok(ObjectBuilder::new(len.unwrap_or(0), false))
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<ObjectBuilder, ValueError> {
        Ok(ObjectBuilder::new(len, name == RAW_JSON_STRUCT))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<ObjectBuilder>, ValueError> {
        Ok(VariantBuilder {
            variant,
            content: ObjectBuilder::new(len, false),
        })
    }
}

/// The elements of an array so far.
struct ArrayBuilder(Vec<Value>);

impl ArrayBuilder {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ValueError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
}

impl ser::SerializeSeq for ArrayBuilder {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTuple for ArrayBuilder {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTupleStruct for ArrayBuilder {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Array(self.0))
    }
}

/// The fields of an object so far; `raw_json` when it is serde_json's raw JSON text.
struct ObjectBuilder {
    map: Map,
    key: Option<String>,
    raw_json: bool,
}

impl ObjectBuilder {
    fn new(len: usize, raw_json: bool) -> Self {
        ObjectBuilder {
            map: Map::with_capacity(len.min(64)),
            key: None,
            raw_json,
        }
    }

    fn finish(self) -> Result<Value, ValueError> {
        if !self.raw_json {
            return Ok(Value::Object(self.map));
        }
        match self.map.into_values().next() {
            Some(Value::String(json)) => serde_json::from_str(&json).map_err(ser::Error::custom),
            _ => Err(ser::Error::custom("raw JSON without its text")),
        }
    }
}

impl ser::SerializeMap for ObjectBuilder {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), ValueError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ValueError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ser::Error::custom("map value without a key"))?;
        self.map.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        self.finish()
    }
}

impl ser::SerializeStruct for ObjectBuilder {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.map
            .insert(key.to_owned(), value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        self.finish()
    }
}

/// The content of an enum variant, to be wrapped as `{"variant": content}`.
struct VariantBuilder<C> {
    variant: &'static str,
    content: C,
}

impl<C> VariantBuilder<C> {
    fn wrap(variant: &'static str, content: Value) -> Value {
        let mut map = Map::with_capacity(1);
        map.insert(variant.to_owned(), content);
        Value::Object(map)
    }
}

impl ser::SerializeTupleVariant for VariantBuilder<ArrayBuilder> {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ValueError> {
        self.content.push(value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Self::wrap(self.variant, Value::Array(self.content.0)))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<ObjectBuilder> {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        ser::SerializeStruct::serialize_field(&mut self.content, key, value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Self::wrap(self.variant, self.content.finish()?))
    }
}
