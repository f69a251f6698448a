//! Session and socket identifiers: 20 characters of base64url, as the Node.js server makes them.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// A 20-character base64url identifier (15 random bytes), used for Engine.IO
/// sessions and Socket.IO sockets alike.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid([u8; Sid::LEN]);

impl Sid {
    /// The length of every id, in characters.
    pub const LEN: usize = 20;

    /// A new random id.
    pub fn random() -> Sid {
        let mut raw = [0u8; 15];
        rand::rng().fill_bytes(&mut raw);
        let mut out = [0u8; Sid::LEN];
        let written = URL_SAFE_NO_PAD
            .encode_slice(raw, &mut out)
            .unwrap_or_default();
        debug_assert_eq!(written, Sid::LEN);
        Sid(out)
    }

    /// Parses an id received from a client; `None` unless it has the shape of an id.
    pub fn parse(text: &str) -> Option<Sid> {
        let bytes = text.as_bytes();
        if bytes.len() != Sid::LEN
            || !bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        {
            return None;
        }
        let mut out = [0u8; Sid::LEN];
        out.copy_from_slice(bytes);
        Some(Sid(out))
    }

    /// A number spread evenly by the id's random characters, to pick among shards.
    pub(crate) fn spread(&self) -> usize {
        self.0.iter().fold(0usize, |acc, &byte| {
            acc.wrapping_mul(31).wrapping_add(usize::from(byte))
        })
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        // Only ASCII base64url bytes are ever stored, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

impl AsRef<str> for Sid {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_twenty_base64url_chars_and_unique() {
        let a = Sid::random();
        let b = Sid::random();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 20);
        assert_eq!(Sid::parse(a.as_str()), Some(a));
    }

    #[test]
    fn parse_rejects_other_shapes() {
        assert_eq!(Sid::parse("short"), None);
        assert_eq!(Sid::parse("aaaaaaaaaaaaaaaaaaa/"), None);
    }
}
