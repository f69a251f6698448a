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

    refuse! { self =>
        serialize_bool(bool) -> () = self.reject("a boolean");
        serialize_i8(i8) -> () = self.reject("a number");
        serialize_i16(i16) -> () = self.reject("a number");
        serialize_i32(i32) -> () = self.reject("a number");
        serialize_i64(i64) -> () = self.reject("a number");
        serialize_i128(i128) -> () = self.reject("a number");
        serialize_u8(u8) -> () = self.reject("a number");
        serialize_u16(u16) -> () = self.reject("a number");
        serialize_u32(u32) -> () = self.reject("a number");
        serialize_u64(u64) -> () = self.reject("a number");
        serialize_u128(u128) -> () = self.reject("a number");
        serialize_f32(f32) -> () = self.reject("a number");
        serialize_f64(f64) -> () = self.reject("a number");
        serialize_char(char) -> () = self.reject("a string");
        serialize_str(&str) -> () = self.reject("a string");
        serialize_bytes(&[u8]) -> () = self.reject("bytes");
        serialize_none() -> () = self.reject("an option");
        serialize_some<T>(&T) -> () = self.reject("an option");
        serialize_unit_variant(&'static str, u32, &'static str) -> () = self.reject("an enum");
        serialize_newtype_variant<T>(&'static str, u32, &'static str, &T) -> () =
            self.reject("an enum");
        serialize_tuple_variant(&'static str, u32, &'static str, usize)
            -> Self::SerializeTupleVariant = self.reject("an enum");
        serialize_map(Option<usize>) -> Self::SerializeMap = self.reject("a map");
        serialize_struct(&'static str, usize) -> Self::SerializeStruct = self.reject("a struct");
        serialize_struct_variant(&'static str, u32, &'static str, usize)
            -> Self::SerializeStructVariant = self.reject("an enum");
    }

    fn serialize_unit(self) -> Result<(), Q::Error> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Q::Error> {
        Ok(())
    }

    serialize_wrapped!(serialize_newtype_struct(&'static str));

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self, Q::Error> {
        Ok(self)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self, Q::Error> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self, Q::Error> {
        Ok(self)
    }
}

/// Implements the sequence-like compound traits, each element going into the
/// packet's array.
macro_rules! spread_elements {
    ($($compound:ident::$method:ident),* $(,)?) => {$(
        impl<Q: SerializeSeq> $compound for Spread<'_, Q> {
            type Ok = ();
            type Error = Q::Error;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Q::Error> {
                self.seq.serialize_element(value)
            }

            fn end(self) -> Result<(), Q::Error> {
                Ok(())
            }
        }
    )*};
}

spread_elements! {
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
}
