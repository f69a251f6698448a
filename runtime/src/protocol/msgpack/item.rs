//! What a MessagePack marker starts, with the length or value that follows it
//! read: the one decoding of markers both readers walk values with.

use rmp::Marker;

use super::{MsgpackError, Reader};

/// One MessagePack item: a scalar's value, or the length of what follows.
pub(super) enum Item {
    /// `nil`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A positive fixint or a `uint`.
    Unsigned(u64),
    /// A negative fixint or an `int`.
    Signed(i64),
    /// A `float32` (widened) or a `float64`.
    Float(f64),
    /// A string of this many bytes.
    Str(usize),
    /// A `bin` of this many bytes.
    Bin(usize),
    /// An array of this many values.
    Array(usize),
    /// A map of this many entries.
    Map(usize),
    /// A `fixext` with this many data bytes after its type.
    FixExt(usize),
    /// An `ext 8/16/32` with this many data bytes after its type.
    Ext(usize),
}

impl Reader<'_> {
    /// Reads the next marker and what its item carries before its content.
    pub(super) fn item(&mut self) -> Result<Item, MsgpackError> {
        Ok(match self.marker()? {
            Marker::Null => Item::Null,
            Marker::True => Item::Bool(true),
            Marker::False => Item::Bool(false),
            Marker::FixPos(n) => Item::Unsigned(u64::from(n)),
            Marker::FixNeg(n) => Item::Signed(i64::from(n)),
            Marker::U8 => Item::Unsigned(self.uint(1)?),
            Marker::U16 => Item::Unsigned(self.uint(2)?),
            Marker::U32 => Item::Unsigned(self.uint(4)?),
            Marker::U64 => Item::Unsigned(self.uint(8)?),
            Marker::I8 => Item::Signed(i64::from(self.uint(1)? as u8 as i8)),
            Marker::I16 => Item::Signed(i64::from(self.uint(2)? as u16 as i16)),
            Marker::I32 => Item::Signed(i64::from(self.uint(4)? as u32 as i32)),
            Marker::I64 => Item::Signed(self.uint(8)? as i64),
            Marker::F32 => Item::Float(f64::from(f32::from_bits(self.uint(4)? as u32))),
            Marker::F64 => Item::Float(f64::from_bits(self.uint(8)?)),
            Marker::FixStr(len) => Item::Str(usize::from(len)),
            Marker::Str8 => Item::Str(self.len(1)?),
            Marker::Str16 => Item::Str(self.len(2)?),
            Marker::Str32 => Item::Str(self.len(4)?),
            Marker::Bin8 => Item::Bin(self.len(1)?),
            Marker::Bin16 => Item::Bin(self.len(2)?),
            Marker::Bin32 => Item::Bin(self.len(4)?),
            Marker::FixArray(len) => Item::Array(usize::from(len)),
            Marker::Array16 => Item::Array(self.len(2)?),
            Marker::Array32 => Item::Array(self.len(4)?),
            Marker::FixMap(len) => Item::Map(usize::from(len)),
            Marker::Map16 => Item::Map(self.len(2)?),
            Marker::Map32 => Item::Map(self.len(4)?),
            Marker::FixExt1 => Item::FixExt(1),
            Marker::FixExt2 => Item::FixExt(2),
            Marker::FixExt4 => Item::FixExt(4),
            Marker::FixExt8 => Item::FixExt(8),
            Marker::FixExt16 => Item::FixExt(16),
            Marker::Ext8 => Item::Ext(self.len(1)?),
            Marker::Ext16 => Item::Ext(self.len(2)?),
            Marker::Ext32 => Item::Ext(self.len(4)?),
            Marker::Reserved => return Err(MsgpackError::Reserved),
        })
    }

    /// A length in the next `bytes` bytes.
    pub(super) fn len(&mut self, bytes: usize) -> Result<usize, MsgpackError> {
        Ok(self.uint(bytes)? as usize)
    }
}
