//! Conversions into [`Value`] from common Rust and serde_json values.

use bytes::Bytes;

use super::number::NumberText;
use super::value::{Map, Value};

macro_rules! from_number {
    ($($ty:ty),* $(,)?) => {
        $(impl From<$ty> for Value {
            fn from(value: $ty) -> Value {
                Value::Number(value.into())
            }
        })*
    };
}

from_number!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl From<f64> for Value {
    /// A number, or `null` when `value` is not finite.
    fn from(value: f64) -> Value {
        Value::from_f64(value)
    }
}

impl From<f32> for Value {
    /// A number, or `null` when `value` is not finite.
    fn from(value: f32) -> Value {
        // The shortest single-precision digits, as the JSON encoder writes them.
        let text = NumberText::from_f32(value);
        Value::from_f64(text.as_str().parse().unwrap_or(f64::NAN))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Bool(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::String(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::String(value.to_owned())
    }
}

impl From<Bytes> for Value {
    fn from(value: Bytes) -> Value {
        Value::Binary(value)
    }
}

impl From<()> for Value {
    fn from((): ()) -> Value {
        Value::Null
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Object(map)
    }
}

impl From<serde_json::Number> for Value {
    fn from(number: serde_json::Number) -> Value {
        Value::Number(number)
    }
}

impl From<serde_json::Value> for Value {
    fn from(value: serde_json::Value) -> Value {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(value) => Value::Bool(value),
            serde_json::Value::Number(number) => Value::Number(number),
            serde_json::Value::String(text) => Value::String(text),
            serde_json::Value::Array(items) => {
                Value::Array(items.into_iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(key, value)| (key, Value::from(value)))
                    .collect(),
            ),
        }
    }
}
