//! How emitted data becomes Socket.IO arguments: a top-level tuple spreads into
//! several arguments, `()` means none, anything else is one argument (a null value,
//! such as `serde_json::Value::Null`, is one `null` argument, as Node's `cb(null)`).

use std::fmt;

use serde::ser::{self, Impossible, Serialize, SerializeTuple, Serializer};

/// The top-level shape of a value, found without serializing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Tuple,
    Unit,
    Other,
}

/// Stops a serialization at its first call and reports what it was.
#[derive(Debug)]
struct Found(Shape);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shape {:?}", self.0)
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Found(Shape::Other)
    }
}

struct ShapeProbe;

macro_rules! other {
    ($($method:ident($($ty:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $ty),*) -> Result<Self::Ok, Found> { Err(Found(Shape::Other)) })*
    };
}

impl Serializer for ShapeProbe {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Impossible<(), Found>;
    type SerializeTuple = Impossible<(), Found>;
    type SerializeTupleStruct = Impossible<(), Found>;
    type SerializeTupleVariant = Impossible<(), Found>;
    type SerializeMap = Impossible<(), Found>;
    type SerializeStruct = Impossible<(), Found>;
    type SerializeStructVariant = Impossible<(), Found>;

    other!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_unit(self) -> Result<(), Found> {
        Err(Found(Shape::Unit))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Found> {
        Err(Found(Shape::Other))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Found> {
        Err(Found(Shape::Other))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Found> {
        Err(Found(Shape::Other))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Found> {
        Err(Found(Shape::Other))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Found> {
        Err(Found(Shape::Tuple))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Found> {
        Err(Found(Shape::Other))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Found> {
        Err(Found(Shape::Other))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Found> {
        Err(Found(Shape::Other))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Found> {
        Err(Found(Shape::Other))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Found> {
        Err(Found(Shape::Other))
    }
}

fn shape<T: Serialize + ?Sized>(data: &T) -> Shape {
    match data.serialize(ShapeProbe) {
        Err(Found(shape)) => shape,
        Ok(()) => Shape::Other,
    }
}

/// Emitted data seen as the list of Socket.IO arguments it stands for; serializes as
/// a sequence.
pub(crate) struct EmitArgs<'a, T: ?Sized> {
    data: &'a T,
    shape: Shape,
}

impl<'a, T: Serialize + ?Sized> EmitArgs<'a, T> {
    pub(crate) fn new(data: &'a T) -> Self {
        let shape = match shape(data) {
            // Serde writes `()` and null values (`serde_json::Value::Null`, tether's
            // `Value::Null`) alike; only `()` (zero-sized) stands for no arguments.
            Shape::Unit if std::mem::size_of_val(data) != 0 => Shape::Other,
            shape => shape,
        };
        EmitArgs { data, shape }
    }

    /// The emitted data when its elements are the arguments (it serializes as a
    /// tuple), as received `Args` do.
    pub(crate) fn spread_data(&self) -> Option<&'a T> {
        (self.shape == Shape::Tuple).then_some(self.data)
    }
}

impl<T: Serialize + ?Sized> Serialize for EmitArgs<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.shape {
            Shape::Tuple => self.data.serialize(serializer),
            Shape::Unit => serializer.serialize_tuple(0)?.end(),
            Shape::Other => {
                let mut tuple = serializer.serialize_tuple(1)?;
                tuple.serialize_element(self.data)?;
                tuple.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    fn json<T: Serialize + ?Sized>(data: &T) -> String {
        serde_json::to_string(&EmitArgs::new(data)).unwrap()
    }

    #[derive(Serialize)]
    struct Point {
        x: i32,
    }

    #[derive(Serialize)]
    struct Pair(i32, i32);

    #[test]
    fn tuples_spread_and_everything_else_is_one_argument() {
        assert_eq!(json(&(1, "a")), r#"[1,"a"]"#);
        assert_eq!(json(&()), "[]");
        assert_eq!(json(&"hello"), r#"["hello"]"#);
        assert_eq!(json(&Point { x: 1 }), r#"[{"x":1}]"#);
        assert_eq!(json(&vec![1, 2]), "[[1,2]]");
        assert_eq!(json(&Pair(1, 2)), "[[1,2]]");
        assert_eq!(json(&((1, 2),)), "[[1,2]]");
        assert_eq!(json(&Some(3)), "[3]");
    }

    #[test]
    fn null_values_are_one_null_argument() {
        assert_eq!(json(&serde_json::Value::Null), "[null]");
        assert_eq!(json(&crate::protocol::Value::Null), "[null]");
        assert_eq!(json(&None::<u8>), "[null]");
        assert_eq!(json(&(serde_json::Value::Null,)), "[null]");
        assert_eq!(json(&()), "[]");
    }
}
