//! The stateful packet decoder: text packets, then the attachments they announce.

use bytes::Bytes;

use super::packet::{Args, Body, Packet, PacketKind};
use super::payload;
use crate::frame::Text;

/// How many binary attachments one packet may announce unless configured otherwise
/// (the limit of the reference parser).
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// Why a frame could not be decoded. Each is a protocol violation: the connection
/// that sent it should be closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text packet was empty.
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type `0`-`6`.
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    /// A BINARY_EVENT/BINARY_ACK does not start with `<digits>-`.
    #[error("invalid attachment count")]
    InvalidAttachmentCount,
    /// The packet announces more attachments than allowed.
    #[error("too many attachments (the limit is {max})")]
    TooManyAttachments {
        /// The configured limit.
        max: usize,
    },
    /// The ack id does not fit in 64 bits.
    #[error("ack id out of range")]
    AckIdOutOfRange,
    /// The packet kind requires a payload and there is none.
    #[error("{0} packet without a payload")]
    MissingPayload(PacketKind),
    /// The packet kind takes no payload, and there is one.
    #[error("{0} packet with a payload")]
    UnexpectedPayload(PacketKind),
    /// The payload is JSON of the wrong type for the packet kind.
    #[error("{kind} payload must be {expected}")]
    WrongPayloadType {
        /// The packet kind.
        kind: PacketKind,
        /// What the kind requires.
        expected: &'static str,
    },
    /// The payload is not one well-formed JSON value.
    #[error("invalid JSON payload: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// An EVENT payload is an empty array.
    #[error("event without a name")]
    MissingEventName,
    /// The first element of an EVENT payload is neither a string nor a number.
    #[error("event name must be a string or a number")]
    InvalidEventName,
    /// The event name is one the server reserves for itself.
    #[error("reserved event name {0:?}")]
    ReservedEventName(Text),
    /// A placeholder's `num` is not the index of one of the packet's attachments.
    #[error("placeholder num {num:?} names none of the {attachments} attachments")]
    InvalidPlaceholder {
        /// The `num` found, if it was a non-negative integer.
        num: Option<u64>,
        /// How many attachments the packet announced.
        attachments: usize,
    },
    /// A text packet arrived while binary attachments were still expected.
    #[error("text packet while {missing} attachments are still expected")]
    AttachmentsPending {
        /// How many attachments were still missing.
        missing: usize,
    },
    /// A binary frame arrived with no packet waiting for attachments.
    #[error("binary frame without a packet announcing attachments")]
    UnexpectedBinary,
}

/// A packet whose attachments have not all arrived.
struct Pending {
    packet: Packet,
    expected: usize,
    attachments: Vec<Bytes>,
}

/// Decodes the Socket.IO packets of one connection.
///
/// Text messages (the Engine.IO message payload, without its `4`) go to
/// [`Decoder::decode_text`], binary messages to [`Decoder::decode_binary`]. A
/// BINARY_EVENT or BINARY_ACK is returned once its last attachment has arrived.
pub struct Decoder {
    max_attachments: usize,
    /// Boxed: a packet waits for attachments rarely, and every connection keeps
    /// a decoder.
    pending: Option<Box<Pending>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_ATTACHMENTS)
    }
}

impl Decoder {
    /// A decoder accepting at most `max_attachments` attachments per packet.
    pub fn new(max_attachments: usize) -> Decoder {
        Decoder {
            max_attachments,
            pending: None,
        }
    }

    /// Decodes a text packet. Returns `None` when it announces attachments: the
    /// packet comes out of the [`Decoder::decode_binary`] call that completes it.
    pub fn decode_text(&mut self, text: Text) -> Result<Option<Packet>, ParseError> {
        if let Some(pending) = self.pending.take() {
            let missing = pending.expected - pending.attachments.len();
            return Err(ParseError::AttachmentsPending { missing });
        }
        let (packet, expected) = parse_packet(text, self.max_attachments)?;
        if expected == 0 {
            return Ok(Some(packet));
        }
        let attachments = Vec::with_capacity(expected);
        self.pending = Some(Box::new(Pending {
            packet,
            expected,
            attachments,
        }));
        Ok(None)
    }

    /// Adds a binary attachment to the packet waiting for it; returns the packet
    /// once it is complete.
    pub fn decode_binary(&mut self, bytes: Bytes) -> Result<Option<Packet>, ParseError> {
        let Some(mut pending) = self.pending.take() else {
            return Err(ParseError::UnexpectedBinary);
        };
        pending.attachments.push(bytes);
        if pending.attachments.len() < pending.expected {
            self.pending = Some(pending);
            return Ok(None);
        }
        let Pending {
            mut packet,
            attachments,
            ..
        } = *pending;
        if let Body::Event { args, .. } | Body::Ack(args) = &mut packet.body {
            args.set_attachments(attachments);
        }
        Ok(Some(packet))
    }

    /// How many attachments the current packet still waits for.
    pub fn pending_attachments(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |pending| pending.expected - pending.attachments.len())
    }

    /// Drops a packet still waiting for attachments.
    pub fn reset(&mut self) {
        self.pending = None;
    }

    /// Checks that the one-pass scan of the EVENT/ACK argument array `json` agrees
    /// with serde_json (what it accepts, the element ranges, the event name); returns
    /// what differs. Not part of the API: for the fuzz targets.
    #[doc(hidden)]
    pub fn check_argument_scan(json: &str) -> Result<(), String> {
        payload::check_scan(json)
    }
}

/// The run of ASCII digits at the start of `bytes`: its length and its value,
/// `None` when the value overflows. One pass; only a run long enough to overflow
/// is read again with checked arithmetic.
fn leading_number(bytes: &[u8]) -> (usize, Option<u64>) {
    /// The most digits a `u64` always holds.
    const SAFE_DIGITS: usize = 19;
    let mut value = 0u64;
    let mut len = 0;
    for &byte in bytes {
        if !byte.is_ascii_digit() {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(byte - b'0'));
        len += 1;
    }
    if len <= SAFE_DIGITS {
        return (len, Some(value));
    }
    let checked = bytes[..len].iter().try_fold(0u64, |value, digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    });
    (len, checked)
}

/// Parses `<type>[<attachments>-][<nsp>,][<id>][<payload>]`; returns the packet
/// and how many attachments it announced.
// Inlined into its one caller, so that the packet is built where it is returned
// instead of being moved out of an intermediate result.
#[inline(always)]
fn parse_packet(text: Text, max_attachments: usize) -> Result<(Packet, usize), ParseError> {
    let bytes = text.as_bytes();
    let (kind, binary) = match bytes.first() {
        None => return Err(ParseError::Empty),
        Some(b'0') => (PacketKind::Connect, false),
        Some(b'1') => (PacketKind::Disconnect, false),
        Some(b'2') => (PacketKind::Event, false),
        Some(b'3') => (PacketKind::Ack, false),
        Some(b'4') => (PacketKind::ConnectError, false),
        Some(b'5') => (PacketKind::Event, true),
        Some(b'6') => (PacketKind::Ack, true),
        Some(_) => {
            let first = text.as_str().chars().next().unwrap_or_default();
            return Err(ParseError::UnknownType(first));
        }
    };
    let mut pos = 1;

    let mut attachments = 0;
    if binary {
        let (len, count) = leading_number(&bytes[pos..]);
        let end = pos + len;
        if end == pos || bytes.get(end) != Some(&b'-') {
            return Err(ParseError::InvalidAttachmentCount);
        }
        attachments = match count.and_then(|count| usize::try_from(count).ok()) {
            Some(count) if count <= max_attachments => count,
            _ => {
                return Err(ParseError::TooManyAttachments {
                    max: max_attachments,
                });
            }
        };
        pos = end + 1;
    }

    let nsp = if bytes.get(pos) == Some(&b'/') {
        let end = bytes[pos..]
            .iter()
            .position(|&byte| byte == b',')
            .map_or(bytes.len(), |offset| pos + offset);
        let nsp = text.get(pos..end).unwrap_or_else(|| Text::from_static("/"));
        pos = (end + 1).min(bytes.len());
        nsp
    } else {
        Text::from_static("/")
    };

    let (len, id) = leading_number(&bytes[pos..]);
    let end = pos + len;
    let id = match (len, id) {
        (0, _) => None,
        (_, Some(id)) => Some(id),
        (_, None) => return Err(ParseError::AckIdOutOfRange),
    };
    let payload = text.into_tail(end);

    let body = parse_body(kind, payload, binary.then_some(attachments))?;
    Ok((Packet { nsp, id, body }, attachments))
}

/// Validates the payload for `kind`. `attachments` is the announced count of a
/// BINARY_EVENT/BINARY_ACK, whose placeholders must name one of them.
fn parse_body(
    kind: PacketKind,
    payload: Text,
    attachments: Option<usize>,
) -> Result<Body, ParseError> {
    let first = payload.as_bytes().first().copied();
    let wrong_type = |expected| ParseError::WrongPayloadType { kind, expected };
    match kind {
        PacketKind::Connect => match first {
            None => Ok(Body::Connect(None)),
            Some(b'{') => Ok(Body::Connect(Some(whole_value(&payload)?))),
            Some(_) => Err(wrong_type("an object")),
        },
        PacketKind::Disconnect => match first {
            None => Ok(Body::Disconnect),
            Some(_) => Err(ParseError::UnexpectedPayload(kind)),
        },
        PacketKind::ConnectError => match first {
            None => Err(ParseError::MissingPayload(kind)),
            Some(b'{' | b'"') => Ok(Body::ConnectError(whole_value(&payload)?)),
            Some(_) => Err(wrong_type("a string or an object")),
        },
        PacketKind::Event | PacketKind::Ack => {
            match first {
                None => return Err(ParseError::MissingPayload(kind)),
                Some(b'[') => {}
                Some(_) => return Err(wrong_type("an array")),
            }
            let is_event = kind == PacketKind::Event;
            let payload::Scanned {
                head,
                ranges,
                first,
            } = payload::scan_args(&payload, is_event)?;
            if let Some(count) = attachments {
                payload::check_placeholders(&payload, count)?;
            }
            if !is_event {
                return Ok(Body::Ack(Args::from_ranges(payload, ranges)));
            }
            let Some(head) = head else {
                return Err(ParseError::MissingEventName);
            };
            let name = payload::event_name(&payload, head, first)?;
            Ok(Body::Event {
                name,
                args: Args::from_ranges(payload, ranges),
            })
        }
    }
}

/// The text of the single JSON value `payload` holds, surrounding whitespace excluded.
fn whole_value(payload: &Text) -> Result<Text, ParseError> {
    let range = payload::value_range(payload)?;
    Ok(payload.get(range).unwrap_or_default())
}

/// The event name and arguments an encoded packet carries, read back from its
/// frames; `None` for other packets. For hooks that watch outgoing events.
pub(crate) fn decode_event(encoded: &super::Encoded) -> Option<(Text, super::Args)> {
    let packet = encoded.text().get(1..encoded.text().len())?;
    let mut decoder = Decoder::new(encoded.attachments().len());
    let mut decoded = decoder.decode_text(packet).ok()?;
    for attachment in encoded.attachments() {
        decoded = decoder.decode_binary(attachment.clone()).ok()?;
    }
    match decoded?.body {
        Body::Event { name, args } => Some((name, args)),
        _ => None,
    }
}
