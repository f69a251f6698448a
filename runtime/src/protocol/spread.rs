//! Spreads a tuple or sequence of arguments into the packet's JSON array.
//!
//! An event is written as `["name", arg0, arg1, ...]` and an ack as `[arg0, ...]`.
//! Callers pass their arguments as one serializable value, a tuple `(a, b)`, a slice
//! or a `Vec`, and [`ArgumentList`] writes its elements into the array directly, after
//! the optional event name, in a single pass.

use std::cell::Cell;

use serde::ser::{
    self, Impossible, Serialize, SerializeSeq, SerializeTuple, SerializeTupleStruct, Serializer,
};

/// `[head?, ...args]`, where `args` must serialize as a sequence, a tuple or unit.
pub(crate) struct ArgumentList<'a, A: ?Sized> {
    head: Option<&'a str>,
    args: &'a A,
    wrong_shape: Cell<Option<&'static str>>,
}

impl<'a, A: ?Sized + Serialize> ArgumentList<'a, A> {
    /// The arguments `args`, after `head` when there is one.
    pub(crate) fn new(head: Option<&'a str>, args: &'a A) -> Self {
        ArgumentList {
            head,
            args,
            wrong_shape: Cell::new(None),
        }
    }

    /// What `args` turned out to be, when it was not a sequence.
    pub(crate) fn wrong_shape(&self) -> Option<&'static str> {
        self.wrong_shape.get()
    }
}

impl<A: ?Sized + Serialize> Serialize for ArgumentList<'_, A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        if let Some(head) = self.head {
            seq.serialize_element(head)?;
        }
        self.args.serialize(Spread {
            seq: &mut seq,
            wrong_shape: &self.wrong_shape,
        })?;
        seq.end()
    }
}

/// A serializer that accepts only a sequence and forwards its elements to `seq`.
struct Spread<'a, Q> {
    seq: &'a mut Q,
    wrong_shape: &'a Cell<Option<&'static str>>,
}

impl<Q: SerializeSeq> Spread<'_, Q> {
    fn reject(self, found: &'static str) -> Q::Error {
        self.wrong_shape.set(Some(found));
        ser::Error::custom(format_args!(
            "arguments must serialize as a tuple or sequence, found {found}"
        ))
    }
}

macro_rules! reject_scalars {
    ($($method:ident($ty:ty) => $found:literal),* $(,)?) => {
        $(fn $method(self, _value: $ty) -> Result<(), Q::Error> {
            Err(self.reject($found))
        })*
    };
}

impl<'a, Q: SerializeSeq> Serializer for Spread<'a, Q> {
    type Ok = ();
    type Error = Q::Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Impossible<(), Q::Error>;
    type SerializeMap = Impossible<(), Q::Error>;
    type SerializeStruct = Impossible<(), Q::Error>;
    type SerializeStructVariant = Impossible<(), Q::Error>;

    reject_scalars! {
        serialize_bool(bool) => "a boolean", serialize_i8(i8) => "a number",
        serialize_i16(i16) => "a number", serialize_i32(i32) => "a number",
        serialize_i64(i64) => "a number", serialize_i128(i128) => "a number",
        serialize_u8(u8) => "a number", serialize_u16(u16) => "a number",
        serialize_u32(u32) => "a number", serialize_u64(u64) => "a number",
        serialize_u128(u128) => "a number", serialize_f32(f32) => "a number",
        serialize_f64(f64) => "a number", serialize_char(char) => "a string",
        serialize_str(&str) => "a string", serialize_bytes(&[u8]) => "bytes",
    }

    fn serialize_none(self) -> Result<(), Q::Error> {
        Err(self.reject("an option"))
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<(), Q::Error> {
        Err(self.reject("an option"))
    }

    fn serialize_unit(self) -> Result<(), Q::Error> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Q::Error> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<(), Q::Error> {
        Err(self.reject("an enum"))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Q::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Q::Error> {
        Err(self.reject("an enum"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self, Q::Error> {
        Ok(self)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self, Q::Error> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self, Q::Error> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Q::Error> {
        Err(self.reject("an enum"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Q::Error> {
        Err(self.reject("a map"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Q::Error> {
        Err(self.reject("a struct"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Q::Error> {
        Err(self.reject("an enum"))
    }
}

impl<Q: SerializeSeq> SerializeSeq for Spread<'_, Q> {
    type Ok = ();
    type Error = Q::Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Q::Error> {
        self.seq.serialize_element(value)
    }

    fn end(self) -> Result<(), Q::Error> {
        Ok(())
    }
}

impl<Q: SerializeSeq> SerializeTuple for Spread<'_, Q> {
    type Ok = ();
    type Error = Q::Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Q::Error> {
        self.seq.serialize_element(value)
    }

    fn end(self) -> Result<(), Q::Error> {
        Ok(())
    }
}

impl<Q: SerializeSeq> SerializeTupleStruct for Spread<'_, Q> {
    type Ok = ();
    type Error = Q::Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Q::Error> {
        self.seq.serialize_element(value)
    }

    fn end(self) -> Result<(), Q::Error> {
        Ok(())
    }
}
