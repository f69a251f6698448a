//! Engine.IO v4 packet codec: WebSocket frames and HTTP long-polling payloads.
//!
//! This module is sans-IO: it turns bytes into [`Packet`]s and back, and never
//! blocks or allocates more than the input it is given. Every malformed input
//! is a [`DecodeError`], never a panic.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, Bytes, BytesMut};

pub use crate::frame::Frame;
use crate::frame::Text;

/// The separator between packets in a polling payload (ASCII record separator).
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// An Engine.IO packet type, with its wire digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// `0`: the handshake, sent by the server.
    Open,
    /// `1`: the end of the session, either way.
    Close,
    /// `2`: heartbeat request (server to client), or `2probe` during an upgrade.
    Ping,
    /// `3`: heartbeat answer, or `3probe` during an upgrade.
    Pong,
    /// `4`: an application message.
    Message,
    /// `5`: completes an upgrade from polling to WebSocket.
    Upgrade,
    /// `6`: does nothing; releases a pending polling request.
    Noop,
}

impl PacketKind {
    /// The ASCII digit that starts the packet on the wire.
    pub const fn digit(self) -> u8 {
        match self {
            PacketKind::Open => b'0',
            PacketKind::Close => b'1',
            PacketKind::Ping => b'2',
            PacketKind::Pong => b'3',
            PacketKind::Message => b'4',
            PacketKind::Upgrade => b'5',
            PacketKind::Noop => b'6',
        }
    }

    /// The packet type for a wire digit, if it is one.
    pub const fn from_digit(digit: u8) -> Option<Self> {
        Some(match digit {
            b'0' => PacketKind::Open,
            b'1' => PacketKind::Close,
            b'2' => PacketKind::Ping,
            b'3' => PacketKind::Pong,
            b'4' => PacketKind::Message,
            b'5' => PacketKind::Upgrade,
            b'6' => PacketKind::Noop,
            _ => return None,
        })
    }
}

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// The handshake, carrying its JSON document.
    Open(Text),
    /// End of session.
    Close,
    /// A ping; the payload is empty, or `probe` during an upgrade.
    Ping(Text),
    /// A pong; the payload is empty, or `probe` during an upgrade.
    Pong(Text),
    /// A text message.
    Message(Text),
    /// A binary message.
    Binary(Bytes),
    /// Completes an upgrade.
    Upgrade,
    /// No operation.
    Noop,
}

/// Why bytes could not be decoded as Engine.IO packets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The packet was empty.
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type digit `0`-`6`.
    #[error("unknown packet type {0:#04x}")]
    UnknownType(u8),
    /// A polling payload was not valid UTF-8.
    #[error("payload is not valid UTF-8")]
    InvalidUtf8,
    /// A `b`-prefixed polling packet was not valid base64.
    #[error("invalid base64 in binary packet")]
    InvalidBase64,
    /// A packet length in an Engine.IO v3 payload is malformed or does not match
    /// the packet that follows.
    #[error("bad packet length in payload")]
    InvalidLength,
}

impl Packet {
    /// The type of this packet.
    pub fn kind(&self) -> PacketKind {
        match self {
            Packet::Open(_) => PacketKind::Open,
            Packet::Close => PacketKind::Close,
            Packet::Ping(_) => PacketKind::Ping,
            Packet::Pong(_) => PacketKind::Pong,
            Packet::Message(_) | Packet::Binary(_) => PacketKind::Message,
            Packet::Upgrade => PacketKind::Upgrade,
            Packet::Noop => PacketKind::Noop,
        }
    }

    /// Decodes a packet from the text of one WebSocket frame (or one polling record).
    pub fn decode_text(text: Text) -> Result<Packet, DecodeError> {
        let first = *text.as_bytes().first().ok_or(DecodeError::Empty)?;
        let kind = PacketKind::from_digit(first).ok_or(DecodeError::UnknownType(first))?;
        let data = text.slice_from(1);
        Ok(match kind {
            PacketKind::Open => Packet::Open(data),
            PacketKind::Close => Packet::Close,
            PacketKind::Ping => Packet::Ping(data),
            PacketKind::Pong => Packet::Pong(data),
            PacketKind::Message => Packet::Message(data),
            PacketKind::Upgrade => Packet::Upgrade,
            PacketKind::Noop => Packet::Noop,
        })
    }

    /// Encodes this packet as the content of one WebSocket frame.
    ///
    /// Binary messages become a binary frame holding the raw bytes; everything else
    /// is a text frame `<digit><data>`.
    pub fn encode(&self) -> Frame {
        match self {
            Packet::Binary(bytes) => Frame::Binary(bytes.clone()),
            Packet::Open(data)
            | Packet::Ping(data)
            | Packet::Pong(data)
            | Packet::Message(data) => Frame::text_packet(self.kind(), data.as_str()),
            Packet::Close | Packet::Upgrade | Packet::Noop => Frame::text_packet(self.kind(), ""),
        }
    }
}

impl Frame {
    /// A text frame for a packet of `kind` carrying `data`.
    pub fn text_packet(kind: PacketKind, data: &str) -> Frame {
        let mut text = String::with_capacity(1 + data.len());
        text.push(char::from(kind.digit()));
        text.push_str(data);
        Frame::Text(Text::from(text))
    }

    /// A static single-byte control frame such as `6` (noop) or `2` (ping).
    pub const fn control(kind: PacketKind) -> Frame {
        Frame::Text(Text::from_static(match kind {
            PacketKind::Open => "0",
            PacketKind::Close => "1",
            PacketKind::Ping => "2",
            PacketKind::Pong => "3",
            PacketKind::Message => "4",
            PacketKind::Upgrade => "5",
            PacketKind::Noop => "6",
        }))
    }
}

/// Joins frames into one HTTP long-polling payload: records separated by `\x1e`,
/// binary messages as `b<base64>`.
pub fn encode_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> Bytes {
    let mut out = BytesMut::new();
    write_payload(&mut out, frames);
    out.freeze()
}

/// [`encode_payload`] for frames that can be walked twice, such as a session's
/// queue: the payload is written into one buffer of its size, and a lone text
/// frame is the payload itself, without a copy.
pub(crate) fn encode_queued_payload<'a, I>(frames: I) -> Bytes
where
    I: IntoIterator<Item = &'a Frame>,
    I::IntoIter: Clone,
{
    let frames = frames.into_iter();
    let mut peek = frames.clone();
    if let (Some(Frame::Text(text)), None) = (peek.next(), peek.next()) {
        return text.clone().into_bytes();
    }
    let capacity = frames
        .clone()
        .try_fold(0usize, |total, frame| {
            total.checked_add(frame.polling_len())?.checked_add(1)
        })
        .unwrap_or(0);
    let mut out = BytesMut::with_capacity(capacity);
    write_payload(&mut out, frames);
    out.freeze()
}

fn write_payload<'a>(out: &mut BytesMut, frames: impl IntoIterator<Item = &'a Frame>) {
    for (index, frame) in frames.into_iter().enumerate() {
        if index > 0 {
            out.put_u8(RECORD_SEPARATOR);
        }
        match frame {
            Frame::Text(text) => out.put_slice(text.as_bytes()),
            Frame::Binary(bytes) => {
                out.put_u8(b'b');
                let start = out.len();
                let encoded_len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
                out.resize(start + encoded_len, 0);
                let written = BASE64
                    .encode_slice(bytes, &mut out[start..])
                    .unwrap_or_default();
                out.truncate(start + written);
            }
        }
    }
}

/// Splits an HTTP long-polling payload into packets.
///
/// The whole body must be UTF-8. Each record is either a text packet or `b<base64>`
/// for a binary message. The first bad record makes the whole payload an error, as
/// the reference server closes the session on it.
pub fn decode_payload(body: Bytes) -> Result<Vec<Packet>, DecodeError> {
    let text = Text::try_from_bytes(body).map_err(|_| DecodeError::InvalidUtf8)?;
    let bytes = text.as_bytes();
    let mut packets = Vec::with_capacity(1 + memchr_count(bytes));
    let mut start = 0;
    loop {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == RECORD_SEPARATOR)
            .map_or(bytes.len(), |offset| start + offset);
        packets.push(decode_record(text.slice(start..end))?);
        if end == bytes.len() {
            return Ok(packets);
        }
        start = end + 1;
    }
}

fn decode_record(record: Text) -> Result<Packet, DecodeError> {
    match record.as_bytes().first() {
        Some(b'b') => BASE64
            .decode(&record.as_bytes()[1..])
            .map(|bytes| Packet::Binary(Bytes::from(bytes)))
            .map_err(|_| DecodeError::InvalidBase64),
        _ => Packet::decode_text(record),
    }
}

fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == RECORD_SEPARATOR).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        Text::from(s.to_owned())
    }

    #[test]
    fn decodes_every_type() {
        assert_eq!(
            Packet::decode_text(text("0{}")),
            Ok(Packet::Open(text("{}")))
        );
        assert_eq!(Packet::decode_text(text("1")), Ok(Packet::Close));
        assert_eq!(
            Packet::decode_text(text("2probe")),
            Ok(Packet::Ping(text("probe")))
        );
        assert_eq!(Packet::decode_text(text("3")), Ok(Packet::Pong(text(""))));
        assert_eq!(
            Packet::decode_text(text("4hé")),
            Ok(Packet::Message(text("hé")))
        );
        assert_eq!(Packet::decode_text(text("5")), Ok(Packet::Upgrade));
        assert_eq!(Packet::decode_text(text("6")), Ok(Packet::Noop));
        assert_eq!(Packet::decode_text(text("")), Err(DecodeError::Empty));
        assert_eq!(
            Packet::decode_text(text("9")),
            Err(DecodeError::UnknownType(b'9'))
        );
    }

    #[test]
    fn payload_round_trip_with_binary() {
        let frames = [
            Frame::text_packet(PacketKind::Message, "hello"),
            Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])),
        ];
        let payload = encode_payload(&frames);
        assert_eq!(&payload[..], b"4hello\x1ebAQIDBA==");
        let packets = decode_payload(payload).unwrap();
        assert_eq!(
            packets,
            vec![
                Packet::Message(text("hello")),
                Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))
            ]
        );
    }

    #[test]
    fn a_queued_payload_is_encoded_as_any_other() {
        let hello = Frame::text_packet(PacketKind::Message, "hello");
        let binary = Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]));
        let cases: [&[Frame]; 5] = [
            &[],
            std::slice::from_ref(&hello),
            std::slice::from_ref(&binary),
            &[hello.clone(), binary.clone()],
            &[binary.clone(), hello.clone(), hello.clone()],
        ];
        for frames in cases {
            assert_eq!(
                encode_queued_payload(frames),
                encode_payload(frames),
                "{frames:?}"
            );
        }
    }

    #[test]
    fn polling_len_matches_encoding() {
        let frames = [
            Frame::text_packet(PacketKind::Message, "héllo"),
            Frame::Binary(Bytes::from_static(&[0, 1, 2, 3, 255])),
        ];
        for frame in &frames {
            assert_eq!(encode_payload([frame]).len(), frame.polling_len());
        }
    }

    #[test]
    fn payload_rejects_bad_input() {
        assert_eq!(
            decode_payload(Bytes::from_static(b"abc")),
            Err(DecodeError::UnknownType(b'a'))
        );
        assert_eq!(
            decode_payload(Bytes::from_static(b"4a\x1e")),
            Err(DecodeError::Empty)
        );
        assert_eq!(
            decode_payload(Bytes::from_static(b"\xff")),
            Err(DecodeError::InvalidUtf8)
        );
        assert_eq!(
            decode_payload(Bytes::from_static(b"b!!")),
            Err(DecodeError::InvalidBase64)
        );
    }
}
