//! What the Engine.IO and Socket.IO layers both handle: UTF-8 [`Text`] that shares
//! its buffer, the [`Frame`]s written to a transport and the [`Message`]s read from
//! one. It sits below both layers and imports neither; `tether::engine` re-exports
//! every item.

mod text;

use bytes::Bytes;

pub use text::{InvalidUtf8, Text};

/// An encoded packet ready for a transport: the content of one WebSocket frame.
///
/// A text frame holds the whole packet including its type digit (`4hello`); a binary
/// frame holds the raw message bytes. Frames are cheap to clone, so one encoded
/// broadcast is shared by every recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text packet, type digit included.
    Text(Text),
    /// A binary message.
    Binary(Bytes),
}

impl Frame {
    /// The number of bytes this frame adds to a polling payload, separator excluded.
    pub fn polling_len(&self) -> usize {
        match self {
            Frame::Text(text) => text.len(),
            Frame::Binary(bytes) => {
                1 + base64::encoded_len(bytes.len(), true).unwrap_or(usize::MAX)
            }
        }
    }
}

/// A message received over a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Text),
    /// A binary message.
    Binary(Bytes),
}
