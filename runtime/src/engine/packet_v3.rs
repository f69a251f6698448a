//! Engine.IO v3 wire formats, spoken to legacy clients (socket.io-client 2.x) when
//! the server allows them (`allow_eio3`).
//!
//! What differs from v4:
//! - a binary WebSocket frame starts with the packet type byte (`0x04`);
//! - a polling text payload is a list of `<length>:<packet>`, where the length
//!   counts UTF-16 code units, as JavaScript strings do;
//! - a binary message in a text payload is `b4<base64>`;
//! - a `POST` may carry a binary payload (`application/octet-stream`): for each
//!   packet a byte `0` (string) or `1` (binary), its length in decimal digits one
//!   per byte, `0xff`, then the packet.
//!
//! Inside a v3 session, binary frames are queued with their type byte already in
//! front (see [`binary_frame`]), so the WebSocket writer sends them unchanged and
//! the polling encoder knows the byte is there.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, Bytes, BytesMut};

use super::packet::{DecodeError, Frame, Packet, PacketKind};
use crate::frame::Text;

/// The type byte in front of a binary message.
const MESSAGE: u8 = 4;

/// Most digits a packet length may have in a payload (a length over 1e9 exceeds
/// any `max_payload` this server accepts anyway).
const MAX_LENGTH_DIGITS: usize = 10;

/// A binary message as a v3 session queues it: the type byte, then the bytes.
pub(crate) fn binary_frame(bytes: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(1 + bytes.len());
    out.put_u8(MESSAGE);
    out.put_slice(bytes);
    out.freeze()
}

/// Decodes a binary WebSocket frame: the type byte, then the message.
pub(crate) fn decode_binary(bytes: Bytes) -> Result<Packet, DecodeError> {
    match bytes.first() {
        Some(&MESSAGE) => Ok(Packet::Binary(bytes.slice(1..))),
        Some(&other) => Err(DecodeError::UnknownType(other)),
        None => Err(DecodeError::Empty),
    }
}

/// Decodes a text packet (a WebSocket text frame, or one packet of a payload):
/// `<digit><data>`, or `b4<base64>` for a binary message.
pub(crate) fn decode_text(text: Text) -> Result<Packet, DecodeError> {
    match text.as_bytes() {
        [b'b', MESSAGE_DIGIT, rest @ ..] => BASE64
            .decode(rest)
            .map(|bytes| Packet::Binary(Bytes::from(bytes)))
            .map_err(|_| DecodeError::InvalidBase64),
        [b'b', other, ..] => Err(DecodeError::UnknownType(*other)),
        _ => Packet::decode_text(text),
    }
}

const MESSAGE_DIGIT: u8 = PacketKind::Message.digit();

/// Joins frames queued by a v3 session into one text payload:
/// `<length>:<packet>` each, binary messages as `b4<base64>`.
pub(crate) fn encode_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> Bytes {
    let mut out = BytesMut::new();
    for frame in frames {
        match frame {
            Frame::Text(text) => {
                let units = utf16_len(text.as_str());
                out.put_slice(units.to_string().as_bytes());
                out.put_u8(b':');
                out.put_slice(text.as_bytes());
            }
            Frame::Binary(bytes) => {
                let data = bytes.strip_prefix(&[MESSAGE]).unwrap_or(bytes);
                let encoded = BASE64.encode(data);
                out.put_slice((2 + encoded.len()).to_string().as_bytes());
                out.put_slice(b":b4");
                out.put_slice(encoded.as_bytes());
            }
        }
    }
    if out.is_empty() {
        out.put_slice(b"0:");
    }
    out.freeze()
}

/// The length of `text` in UTF-16 code units, as JavaScript's `String.length`.
fn utf16_len(text: &str) -> usize {
    // A character of four UTF-8 bytes is two UTF-16 units; every other character
    // is one, and the non-continuation bytes count the characters.
    text.bytes()
        .map(|byte| match byte {
            0x80..=0xbf => 0,
            0xf0..=0xff => 2,
            _ => 1,
        })
        .sum()
}

/// Splits a text payload (`<length>:<packet>`...) into packets. Any mismatch
/// makes the whole payload an error, as the reference server closes the session
/// on it. Empty packets (`0:`) are skipped.
pub(crate) fn decode_payload(body: Bytes) -> Result<Vec<Packet>, DecodeError> {
    let text = Text::try_from_bytes(body).map_err(|_| DecodeError::InvalidUtf8)?;
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut packets = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let colon = bytes[at..]
            .iter()
            .take(MAX_LENGTH_DIGITS + 1)
            .position(|&byte| byte == b':')
            .ok_or(DecodeError::InvalidLength)?;
        let units = parse_digits(&bytes[at..at + colon])?;
        let start = at + colon + 1;
        let end = advance_utf16(&text.as_str()[start..], units)
            .map(|len| start + len)
            .ok_or(DecodeError::InvalidLength)?;
        if end > start {
            packets.push(decode_text(text.slice(start..end))?);
        }
        at = end;
    }
    Ok(packets)
}

/// The byte length of the first `units` UTF-16 code units of `text`; `None` when
/// `text` is shorter or the count ends inside a surrogate pair.
fn advance_utf16(text: &str, units: usize) -> Option<usize> {
    let mut counted = 0;
    for (offset, character) in text.char_indices() {
        if counted == units {
            return Some(offset);
        }
        counted += character.len_utf16();
        if counted > units {
            return None;
        }
    }
    (counted == units).then_some(text.len())
}

fn parse_digits(digits: &[u8]) -> Result<usize, DecodeError> {
    if digits.is_empty() || digits.len() > MAX_LENGTH_DIGITS {
        return Err(DecodeError::InvalidLength);
    }
    digits.iter().try_fold(0usize, |value, &digit| {
        if digit.is_ascii_digit() {
            Ok(value * 10 + usize::from(digit - b'0'))
        } else {
            Err(DecodeError::InvalidLength)
        }
    })
}

/// Splits a binary payload (`application/octet-stream`) into packets: for each,
/// `0` (string) or `1` (binary), the length as one byte per decimal digit, `0xff`,
/// then the packet (a string counted in UTF-8 bytes; a binary packet starting with
/// its type byte).
pub(crate) fn decode_binary_payload(body: Bytes) -> Result<Vec<Packet>, DecodeError> {
    if body.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut packets = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let is_string = match body[at] {
            0 => true,
            1 => false,
            _ => return Err(DecodeError::InvalidLength),
        };
        let digits_start = at + 1;
        let end_mark = body[digits_start..]
            .iter()
            .take(MAX_LENGTH_DIGITS + 1)
            .position(|&byte| byte == 0xff)
            .ok_or(DecodeError::InvalidLength)?;
        let digits = &body[digits_start..digits_start + end_mark];
        if digits.is_empty() || digits.iter().any(|&digit| digit > 9) {
            return Err(DecodeError::InvalidLength);
        }
        let len = digits
            .iter()
            .fold(0usize, |value, &digit| value * 10 + usize::from(digit));
        let start = digits_start + end_mark + 1;
        let end = start
            .checked_add(len)
            .filter(|&end| end <= body.len())
            .ok_or(DecodeError::InvalidLength)?;
        let packet = body.slice(start..end);
        packets.push(if is_string {
            let text = Text::try_from_bytes(packet).map_err(|_| DecodeError::InvalidUtf8)?;
            decode_text(text)?
        } else {
            decode_binary(packet)?
        });
        at = end;
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        Text::from(s.to_owned())
    }

    #[test]
    fn lengths_count_utf16_units() {
        assert_eq!(utf16_len("4€"), 2);
        assert_eq!(utf16_len("4😀"), 3);
        assert_eq!(utf16_len("4hé"), 3);
        let frames = [
            Frame::text_packet(PacketKind::Message, "€"),
            Frame::text_packet(PacketKind::Message, "😀"),
        ];
        assert_eq!(&encode_payload(&frames)[..], "2:4€3:4😀".as_bytes());
    }

    #[test]
    fn binary_goes_out_as_b4_base64_counting_the_prefix() {
        let frames = [
            Frame::text_packet(PacketKind::Open, "{}"),
            Frame::Binary(binary_frame(&[1, 2, 3, 4])),
        ];
        assert_eq!(&encode_payload(&frames)[..], b"3:0{}10:b4AQIDBA==");
        assert_eq!(&encode_payload(std::iter::empty())[..], b"0:");
    }

    #[test]
    fn text_payload_round_trip() {
        let frames = [
            Frame::text_packet(PacketKind::Message, "héllo 😀"),
            Frame::control(PacketKind::Ping),
            Frame::Binary(binary_frame(&[0, 255])),
        ];
        let packets = decode_payload(encode_payload(&frames)).unwrap();
        assert_eq!(
            packets,
            vec![
                Packet::Message(text("héllo 😀")),
                Packet::Ping(text("")),
                Packet::Binary(Bytes::from_static(&[0, 255])),
            ]
        );
        assert_eq!(
            decode_payload(Bytes::from_static(b"0:1:2")).unwrap().len(),
            1
        );
    }

    #[test]
    fn text_payload_rejects_mismatches() {
        for bad in [
            &b""[..],
            b"2:4",
            b"x:4a",
            b"1:",
            b"2:4a3",
            b"4a",
            b"99999999999:4",
            b"3:b4!",
        ] {
            assert!(
                decode_payload(Bytes::from_static(bad)).is_err(),
                "{:?} decoded",
                String::from_utf8_lossy(bad)
            );
        }
        // A length that ends inside a surrogate pair.
        assert!(decode_payload(Bytes::from("2:4😀".as_bytes().to_vec())).is_err());
    }

    #[test]
    fn binary_payload_from_the_spec() {
        let body = Bytes::from_static(&[
            0x00, 0x04, 0xff, 0x34, 0xe2, 0x82, 0xac, 0x01, 0x05, 0xff, 0x04, 0x01, 0x02, 0x03,
            0x04,
        ]);
        assert_eq!(
            decode_binary_payload(body).unwrap(),
            vec![
                Packet::Message(text("€")),
                Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])),
            ]
        );
    }

    #[test]
    fn binary_payload_rejects_mismatches() {
        for bad in [
            &[][..],
            &[2, 1, 0xff, 0x34],
            &[0, 5, 0xff, 0x34],
            &[0, 0xff, 0x34],
            &[0, 10, 0xff, 0x34],
            &[1, 1, 0xff, 0x02],
            &[0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0xff],
        ] {
            assert!(
                decode_binary_payload(Bytes::copy_from_slice(bad)).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn websocket_frames() {
        assert_eq!(
            decode_binary(Bytes::from_static(&[4, 9])),
            Ok(Packet::Binary(Bytes::from_static(&[9])))
        );
        assert_eq!(
            decode_binary(Bytes::from_static(&[3])),
            Err(DecodeError::UnknownType(3))
        );
        assert_eq!(
            decode_text(text("b4AQI=")),
            Ok(Packet::Binary(Bytes::from_static(&[1, 2])))
        );
        assert_eq!(decode_text(text("2")), Ok(Packet::Ping(text(""))));
    }
}
