//! Which packet form a server speaks: socket.io-parser's text with binary
//! attachments (the default), or socket.io-msgpack-parser's MessagePack.

use super::{Decoder, EncodeError, Encoded, Packet, ParseError};
use crate::frame::{Frame, Message};

/// The packet form of a server ([`ServerConfig::with_parser`](crate::server::ServerConfig::with_parser)),
/// as Node's `parser` option: every client of the server must use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Parser {
    /// socket.io-parser: JSON text, binary values as attachments (the default).
    #[default]
    Default,
    /// socket.io-msgpack-parser 3: one MessagePack binary message per packet,
    /// binary values inline. Smaller frames for numbers and bytes; the typed
    /// layer works unchanged.
    #[cfg(feature = "msgpack")]
    MsgPack,
}

impl Parser {
    /// Reads one Engine.IO message into a packet, with `decoder` holding what a
    /// text packet's attachments still wait for.
    pub(crate) fn decode(
        self,
        decoder: &mut Decoder,
        message: Message,
    ) -> Result<Option<Packet>, PacketError> {
        match (self, message) {
            (Parser::Default, Message::Text(text)) => Ok(decoder.decode_text(text)?),
            (Parser::Default, Message::Binary(bytes)) => Ok(decoder.decode_binary(bytes)?),
            #[cfg(feature = "msgpack")]
            (Parser::MsgPack, Message::Binary(bytes)) => {
                let packet = crate::protocol::msgpack::to_text_packet(&bytes)?;
                let mut decoded = decoder.decode_text(packet.text)?;
                for attachment in packet.attachments {
                    decoded = decoder.decode_binary(attachment)?;
                }
                Ok(decoded)
            }
            #[cfg(feature = "msgpack")]
            (Parser::MsgPack, Message::Text(_)) => Err(PacketError::TextWithMsgpack),
        }
    }

    /// The bytes of `encoded` in this form (text and attachments, or the
    /// MessagePack message, converted once per packet), for the metrics.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn wire_len(self, encoded: &Encoded) -> usize {
        match self {
            // The text starts with Engine.IO's message digit, which is framing.
            Parser::Default => {
                encoded.text().len().saturating_sub(1)
                    + encoded.attachments().iter().map(|a| a.len()).sum::<usize>()
            }
            #[cfg(feature = "msgpack")]
            Parser::MsgPack => encoded.msgpack().map_or(0, |bytes| bytes.len()),
        }
    }

    /// The frames that carry `encoded` in this form.
    pub(crate) fn frames(self, encoded: &Encoded) -> Result<Frames, EncodeError> {
        match self {
            Parser::Default if encoded.attachments().is_empty() => {
                Ok(Frames::One(Frame::Text(encoded.text().clone())))
            }
            Parser::Default => Ok(Frames::Many(encoded.frames().collect())),
            #[cfg(feature = "msgpack")]
            Parser::MsgPack => Ok(Frames::One(Frame::Binary(encoded.msgpack()?))),
        }
    }
}

/// The frames of one packet.
pub(crate) enum Frames {
    One(Frame),
    Many(Vec<Frame>),
}

impl IntoIterator for Frames {
    type Item = Frame;
    type IntoIter = FramesIter;

    fn into_iter(self) -> FramesIter {
        match self {
            Frames::One(frame) => FramesIter::One(Some(frame)),
            Frames::Many(frames) => FramesIter::Many(frames.into_iter()),
        }
    }
}

/// Iterates over [`Frames`].
pub(crate) enum FramesIter {
    One(Option<Frame>),
    Many(std::vec::IntoIter<Frame>),
}

impl Iterator for FramesIter {
    type Item = Frame;

    fn next(&mut self) -> Option<Frame> {
        match self {
            FramesIter::One(frame) => frame.take(),
            FramesIter::Many(frames) => frames.next(),
        }
    }
}

/// An incoming message that is no packet of the server's form.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PacketError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[cfg(feature = "msgpack")]
    #[error(transparent)]
    Msgpack(#[from] crate::protocol::msgpack::MsgpackError),
    #[cfg(feature = "msgpack")]
    #[error("a text message on a server that speaks MessagePack")]
    TextWithMsgpack,
}
