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

/// Serializer methods for the integer types a number holds exactly.
macro_rules! number {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, value: $ty) -> Result<Value, ValueError> {
            Ok(Value::Number(value.into()))
        }
    )*};
}

impl Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = ArrayBuilder;
    type SerializeTuple = ArrayBuilder;
    type SerializeTupleStruct = ArrayBuilder;
    type SerializeTupleVariant = ArrayBuilder;
    type SerializeMap = ObjectBuilder;
    type SerializeStruct = ObjectBuilder;
    type SerializeStructVariant = ObjectBuilder;

    number! {
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64),
    }

    fn serialize_bool(self, value: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(value))
    }

    fn serialize_i128(self, value: i128) -> Result<Value, ValueError> {
        match (i64::try_from(value), u64::try_from(value)) {
            (Ok(small), _) => Ok(Value::Number(small.into())),
            (_, Ok(unsigned)) => Ok(Value::Number(unsigned.into())),
            _ => Ok(Value::from_f64(value as f64)),
        }
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

    serialize_wrapped!(serialize_some(), serialize_newtype_struct(&'static str));

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
        Ok(ArrayBuilder::new(len.unwrap_or(0), None))
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
    ) -> Result<ArrayBuilder, ValueError> {
        Ok(ArrayBuilder::new(len, Some(variant)))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<ObjectBuilder, ValueError> {
        Ok(ObjectBuilder::new(len.unwrap_or(0), false, None))
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<ObjectBuilder, ValueError> {
        Ok(ObjectBuilder::new(len, name == RAW_JSON_STRUCT, None))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<ObjectBuilder, ValueError> {
        Ok(ObjectBuilder::new(len, false, Some(variant)))
    }
}

/// `content` as the value of an enum variant: `{"variant": content}`, or as it is
/// when it is no variant's.
fn in_variant(variant: Option<&'static str>, content: Value) -> Value {
    let Some(variant) = variant else {
        return content;
    };
    let mut map = Map::with_capacity(1);
    map.insert(variant.to_owned(), content);
    Value::Object(map)
}

/// The elements of an array so far, and the enum variant they are the content of.
struct ArrayBuilder {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

impl ArrayBuilder {
    fn new(len: usize, variant: Option<&'static str>) -> Self {
        ArrayBuilder {
            items: Vec::with_capacity(len.min(64)),
            variant,
        }
    }
}

/// Implements the sequence-like compound traits, each element pushed in turn.
macro_rules! array_elements {
    ($($compound:ident::$method:ident),* $(,)?) => {$(
        impl ser::$compound for ArrayBuilder {
            type Ok = Value;
            type Error = ValueError;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ValueError> {
                self.items.push(value.serialize(ValueSerializer)?);
                Ok(())
            }

            fn end(self) -> Result<Value, ValueError> {
                Ok(in_variant(self.variant, Value::Array(self.items)))
            }
        }
    )*};
}

array_elements! {
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
}

/// The fields of an object so far; `raw_json` when it is serde_json's raw JSON
/// text; the enum variant it is the content of.
struct ObjectBuilder {
    map: Map,
    key: Option<String>,
    raw_json: bool,
    variant: Option<&'static str>,
}

impl ObjectBuilder {
    fn new(len: usize, raw_json: bool, variant: Option<&'static str>) -> Self {
        ObjectBuilder {
            map: Map::with_capacity(len.min(64)),
            key: None,
            raw_json,
            variant,
        }
    }

    fn finish(self) -> Result<Value, ValueError> {
        if !self.raw_json {
            return Ok(in_variant(self.variant, Value::Object(self.map)));
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

/// Implements the compound traits whose fields come with their names.
macro_rules! object_fields {
    ($($compound:ident),* $(,)?) => {$(
        impl ser::$compound for ObjectBuilder {
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
    )*};
}

object_fields!(SerializeStruct, SerializeStructVariant);
