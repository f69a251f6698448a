//! A serializer adapter that turns byte strings into binary attachments.
//!
//! [`BinarySerializer`] wraps any serializer and delegates every call to it, except
//! `serialize_bytes`: the bytes are collected as the next attachment and the
//! placeholder `{"_placeholder":true,"num":N}` is written in their place. Compound
//! serializers are wrapped too, so bytes nested anywhere are caught. Without bytes the
//! wrapper adds nothing but static dispatch.

use std::cell::RefCell;

use bytes::Bytes;
use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// The attachments collected while serializing one packet, in placeholder order.
pub(crate) type Attachments = RefCell<Vec<Bytes>>;

/// Delegates to `inner`, writing placeholders for byte strings (see the module docs).
pub(crate) struct BinarySerializer<'a, S> {
    inner: S,
    attachments: &'a Attachments,
}

impl<'a, S> BinarySerializer<'a, S> {
    /// Wraps `inner`, collecting attachments into `attachments`.
    pub(crate) fn new(inner: S, attachments: &'a Attachments) -> Self {
        BinarySerializer { inner, attachments }
    }
}

/// A value whose serialization goes through a [`BinarySerializer`].
struct Intercept<'a, T: ?Sized> {
    value: &'a T,
    attachments: &'a Attachments,
}

impl<T: ?Sized + Serialize> Serialize for Intercept<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value
            .serialize(BinarySerializer::new(serializer, self.attachments))
    }
}

/// A compound serializer of the wrapped serializer, wrapping each element in turn.
pub(crate) struct BinaryCompound<'a, C> {
    inner: C,
    attachments: &'a Attachments,
}

impl<'a, C> BinaryCompound<'a, C> {
    fn intercept<'v, T: ?Sized>(&self, value: &'v T) -> Intercept<'v, T>
    where
        'a: 'v,
    {
        Intercept {
            value,
            attachments: self.attachments,
        }
    }
}

/// Serializer methods that hand their arguments to the wrapped serializer as they are.
macro_rules! delegate {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, value: $ty) -> Result<S::Ok, S::Error> {
            self.inner.$method(value)
        })*
    };
}

/// Serializer methods that open a compound of the wrapped serializer and wrap it,
/// so that its elements are intercepted.
macro_rules! wrap_compounds {
    ($($method:ident($($arg:ident: $ty:ty),* $(,)?) -> $compound:ident),* $(,)?) => {$(
        fn $method(self, $($arg: $ty),*) -> Result<Self::$compound, S::Error> {
            let attachments = self.attachments;
            let inner = self.inner.$method($($arg),*)?;
            Ok(BinaryCompound { inner, attachments })
        }
    )*};
}

impl<'a, S: Serializer> Serializer for BinarySerializer<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = BinaryCompound<'a, S::SerializeSeq>;
    type SerializeTuple = BinaryCompound<'a, S::SerializeTuple>;
    type SerializeTupleStruct = BinaryCompound<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = BinaryCompound<'a, S::SerializeTupleVariant>;
    type SerializeMap = BinaryCompound<'a, S::SerializeMap>;
    type SerializeStruct = BinaryCompound<'a, S::SerializeStruct>;
    type SerializeStructVariant = BinaryCompound<'a, S::SerializeStructVariant>;

    delegate! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_str(&str),
        serialize_unit_struct(&'static str),
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<S::Ok, S::Error> {
        let num = {
            let mut attachments = self.attachments.borrow_mut();
            attachments.push(Bytes::copy_from_slice(value));
            attachments.len() - 1
        };
        let mut map = self.inner.serialize_map(Some(2))?;
        map.serialize_entry("_placeholder", &true)?;
        map.serialize_entry("num", &num)?;
        map.end()
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        let attachments = self.attachments;
        self.inner.serialize_some(&Intercept { value, attachments })
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let attachments = self.attachments;
        self.inner
            .serialize_newtype_struct(name, &Intercept { value, attachments })
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let attachments = self.attachments;
        let value = &Intercept { value, attachments };
        self.inner
            .serialize_newtype_variant(name, index, variant, value)
    }

    wrap_compounds! {
        serialize_seq(len: Option<usize>) -> SerializeSeq,
        serialize_tuple(len: usize) -> SerializeTuple,
        serialize_tuple_struct(name: &'static str, len: usize) -> SerializeTupleStruct,
        serialize_tuple_variant(
            name: &'static str, index: u32, variant: &'static str, len: usize,
        ) -> SerializeTupleVariant,
        serialize_map(len: Option<usize>) -> SerializeMap,
        serialize_struct(name: &'static str, len: usize) -> SerializeStruct,
        serialize_struct_variant(
            name: &'static str, index: u32, variant: &'static str, len: usize,
        ) -> SerializeStructVariant,
    }

    fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(value)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Implements compound traits whose elements come alone (`$method(value)`),
/// intercepting each element.
macro_rules! intercept_elements {
    ($($compound:ident::$method:ident),* $(,)?) => {$(
        impl<C: $compound> $compound for BinaryCompound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), C::Error> {
                let value = self.intercept(value);
                self.inner.$method(&value)
            }

            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}

intercept_elements! {
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
}

impl<C: SerializeMap> SerializeMap for BinaryCompound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner.serialize_key(key)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), C::Error> {
        let value = self.intercept(value);
        self.inner.serialize_value(&value)
    }

    fn serialize_entry<K: ?Sized + Serialize, V: ?Sized + Serialize>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), C::Error> {
        let value = self.intercept(value);
        self.inner.serialize_entry(key, &value)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

/// Implements compound traits whose fields come with their names, intercepting
/// each value.
macro_rules! intercept_fields {
    ($($compound:ident),* $(,)?) => {$(
        impl<C: $compound> $compound for BinaryCompound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;

            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), C::Error> {
                let value = self.intercept(value);
                self.inner.serialize_field(key, &value)
            }

            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                self.inner.skip_field(key)
            }

            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}

intercept_fields!(SerializeStruct, SerializeStructVariant);
