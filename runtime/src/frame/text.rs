//! [`Text`]: a cheaply cloneable UTF-8 string backed by [`Bytes`].
#![allow(unsafe_code)]

use std::fmt;
use std::ops::Range;

use bytes::Bytes;

/// Immutable UTF-8 text that shares its buffer: cloning and slicing never copy.
///
/// Incoming Engine.IO messages are handed out as `Text`, and encoded packets are
/// stored as `Text`, so one encoded broadcast is shared by every recipient.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text(Bytes);

/// The bytes given to [`Text::try_from_bytes`] were not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8")]
pub struct InvalidUtf8(pub Bytes);

impl Text {
    /// Text from a static string, without allocating.
    pub const fn from_static(text: &'static str) -> Text {
        Text(Bytes::from_static(text.as_bytes()))
    }

    /// Validates `bytes` as UTF-8 and wraps them without copying.
    pub fn try_from_bytes(bytes: Bytes) -> Result<Text, InvalidUtf8> {
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(Text(bytes)),
            Err(_) => Err(InvalidUtf8(bytes)),
        }
    }

    /// Wraps bytes that some other means already proved to be UTF-8, without
    /// checking them again (checking costs a pass over every byte).
    ///
    /// # Safety
    ///
    /// `bytes` must be valid UTF-8: [`Text::as_str`] relies on it.
    pub(crate) unsafe fn from_utf8_unchecked(bytes: Bytes) -> Text {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Text(bytes)
    }

    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor either validates the bytes, takes them from a
        // `&str` or a `String`, or is `from_utf8_unchecked`, whose callers prove them
        // UTF-8; slicing only happens at char boundaries (see `get`).
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The part of the text in `range`, sharing the buffer.
    ///
    /// Returns `None` when a bound is out of range or not on a char boundary.
    pub fn get(&self, range: Range<usize>) -> Option<Text> {
        let s = self.as_str();
        if range.start <= range.end
            && range.end <= s.len()
            && s.is_char_boundary(range.start)
            && s.is_char_boundary(range.end)
        {
            Some(Text(self.0.slice(range)))
        } else {
            None
        }
    }

    /// Like [`Text::get`], for callers that found the bounds on ASCII bytes; an
    /// invalid range yields empty text rather than a panic.
    pub(crate) fn slice(&self, range: Range<usize>) -> Text {
        self.get(range).unwrap_or_default()
    }

    /// Everything from byte `start` on (`start` must follow an ASCII byte).
    pub(crate) fn slice_from(&self, start: usize) -> Text {
        self.slice(start..self.len())
    }

    /// Everything from byte `start` on, keeping this text's handle on the buffer
    /// rather than taking another (no reference count to raise, then lower).
    /// Empty when `start` is out of range or not on a char boundary.
    pub(crate) fn into_tail(self, start: usize) -> Text {
        if !self.as_str().is_char_boundary(start) {
            return Text::default();
        }
        let mut bytes = self.0;
        bytes::Buf::advance(&mut bytes, start);
        Text(bytes)
    }

    /// The underlying bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text(Bytes::from(text))
    }
}

impl From<&'static str> for Text {
    fn from(text: &'static str) -> Text {
        Text::from_static(text)
    }
}

impl From<Text> for Bytes {
    fn from(text: Text) -> Bytes {
        text.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slicing_respects_char_boundaries() {
        let text = Text::from("a€b".to_owned());
        assert_eq!(text.get(0..1).unwrap(), "a");
        assert_eq!(text.get(1..4).unwrap(), "€");
        assert!(text.get(2..4).is_none());
        assert!(text.get(0..9).is_none());
        assert_eq!(text.slice(2..3), "");
    }

    #[test]
    fn tails_keep_the_buffer_and_respect_char_boundaries() {
        let text = Text::from("a€b".to_owned());
        let start = text.as_bytes().as_ptr();
        let tail = text.clone().into_tail(1);
        assert_eq!(tail, "€b");
        assert_eq!(tail.as_bytes().as_ptr(), start.wrapping_add(1));
        assert_eq!(text.clone().into_tail(5), "");
        assert_eq!(text.clone().into_tail(2), "");
        assert_eq!(text.into_tail(9), "");
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert!(Text::try_from_bytes(Bytes::from_static(b"\xc3")).is_err());
    }
}
