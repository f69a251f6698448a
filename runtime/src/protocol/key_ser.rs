//! Object keys for [`to_value`](super::to_value): strings, and numbers, booleans and
//! chars as their text, as `JSON.stringify` turns keys into strings.

use serde::ser::{self, Impossible, Serialize, Serializer};

use super::number::NumberText;
use super::value_de::ValueError;

/// Object keys: strings, and numbers, booleans and chars as their text.
pub(crate) struct KeySerializer;

fn key_error() -> ValueError {
    ser::Error::custom("object keys must be strings, numbers or booleans")
}

macro_rules! key_as_text {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, value: $ty) -> Result<String, ValueError> {
            Ok(value.to_string())
        })*
    };
}

impl Serializer for KeySerializer {
    type Ok = String;
    type Error = ValueError;
    type SerializeSeq = Impossible<String, ValueError>;
    type SerializeTuple = Impossible<String, ValueError>;
    type SerializeTupleStruct = Impossible<String, ValueError>;
    type SerializeTupleVariant = Impossible<String, ValueError>;
    type SerializeMap = Impossible<String, ValueError>;
    type SerializeStruct = Impossible<String, ValueError>;
    type SerializeStructVariant = Impossible<String, ValueError>;

    key_as_text! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_char(char),
        serialize_str(&str),
    }

    fn serialize_f32(self, value: f32) -> Result<String, ValueError> {
        Ok(NumberText::from_f32(value).as_str().to_owned())
    }

    fn serialize_f64(self, value: f64) -> Result<String, ValueError> {
        Ok(NumberText::from_f64(value).as_str().to_owned())
    }

    serialize_wrapped!(serialize_some(), serialize_newtype_struct(&'static str));

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, ValueError> {
        Ok(variant.to_owned())
    }

    refuse! { self =>
        serialize_bytes(&[u8]) -> String = key_error();
        serialize_none() -> String = key_error();
        serialize_unit() -> String = key_error();
        serialize_unit_struct(&'static str) -> String = key_error();
        serialize_newtype_variant<T>(&'static str, u32, &'static str, &T) -> String = key_error();
        serialize_seq(Option<usize>) -> Self::SerializeSeq = key_error();
        serialize_tuple(usize) -> Self::SerializeTuple = key_error();
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct = key_error();
        serialize_tuple_variant(&'static str, u32, &'static str, usize)
            -> Self::SerializeTupleVariant = key_error();
        serialize_map(Option<usize>) -> Self::SerializeMap = key_error();
        serialize_struct(&'static str, usize) -> Self::SerializeStruct = key_error();
        serialize_struct_variant(&'static str, u32, &'static str, usize)
            -> Self::SerializeStructVariant = key_error();
    }
}
