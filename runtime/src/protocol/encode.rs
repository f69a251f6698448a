//! Encoding outgoing packets as Engine.IO frames.
//!
//! Every encoder writes the Engine.IO message digit `4`, the Socket.IO header and
//! compact JSON identical to `JSON.stringify`, into one buffer, in one pass. Events and
//! acks are written optimistically as EVENT/ACK; only when byte strings turned up
//! while serializing is the header rewritten as BINARY_EVENT/BINARY_ACK (`45N-`).

use std::cell::Cell;

use bytes::Bytes;
use serde::Serialize;

use super::number::JsFormatter;
use super::packet::PacketKind;
use super::raw_args;
use super::ser::{Attachments, BinarySerializer};
use super::spread::ArgumentList;
use crate::frame::{Frame, Text};

/// An encoded outgoing packet: the Engine.IO frames to send. Cloning shares the
/// buffers, so one encoding serves every recipient of a broadcast.
///
/// Only this module's encoders make one, so its text is always a whole
/// Socket.IO packet behind the Engine.IO message digit `4`, which the re-framing
/// functions ([`with_ack_id`], [`with_offset`]) rely on.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The text frame, starting with the Engine.IO message digit `4`.
    text: Text,
    /// The binary attachments, one binary frame each, sent right after `text`.
    attachments: Vec<Bytes>,
    /// The MessagePack form, made for the first recipient that needs it.
    #[cfg(feature = "msgpack")]
    msgpack: std::sync::OnceLock<Bytes>,
}

impl PartialEq for Encoded {
    fn eq(&self, other: &Encoded) -> bool {
        self.text == other.text && self.attachments == other.attachments
    }
}

impl Eq for Encoded {}

#[cfg(feature = "msgpack")]
impl Encoded {
    /// The packet as one MessagePack message (`socket.io-msgpack-parser`'s form),
    /// converted on the first call and kept: a broadcast converts once, whatever
    /// the number of its recipients.
    ///
    /// # Errors
    ///
    /// When the payload nests deeper than
    /// [`msgpack::MAX_DEPTH`](super::msgpack::MAX_DEPTH).
    pub fn msgpack(&self) -> Result<Bytes, EncodeError> {
        if let Some(bytes) = self.msgpack.get() {
            return Ok(bytes.clone());
        }
        let bytes = super::msgpack::from_encoded(self)?;
        Ok(self.msgpack.get_or_init(|| bytes).clone())
    }
}

impl Encoded {
    /// The text frame: the Engine.IO message digit `4`, then the Socket.IO
    /// packet (`42["news",1]`, `451-["file",{"_placeholder":true,"num":0}]`).
    pub fn text(&self) -> &Text {
        &self.text
    }

    /// The binary attachments, one binary frame each, sent right after the text
    /// frame in this order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// The frames to send, in order: the text frame, then each attachment.
    pub fn frames(&self) -> impl Iterator<Item = Frame> + '_ {
        std::iter::once(Frame::Text(self.text.clone()))
            .chain(self.attachments.iter().cloned().map(Frame::Binary))
    }

    /// The text frame, taken out of the packet: a frame made of it owns the
    /// only handle on its bytes, which a clone would have to share.
    pub(crate) fn into_text(self) -> Text {
        self.text
    }

    /// The packet written in `buffer`, which holds UTF-8 only, made of the
    /// pieces the SAFETY comment below names.
    pub(super) fn from_buffer(buffer: Vec<u8>, attachments: Vec<Bytes>) -> Encoded {
        let bytes = exact_bytes(buffer);
        // SAFETY: the buffer holds the ASCII header and the namespace (a `&str`),
        // then either what `write_json` wrote: serde_json only writes ASCII and the
        // contents of `&str`s (its own `to_string` relies on this), the formatter
        // adds number text (ASCII), and byte strings become ASCII placeholders;
        // or what `raw_args::write_packet` wrote: ASCII brackets, quotes and
        // commas around whole `&str`s (the event name and slices of the
        // arguments' text taken with `str::get`, so on character boundaries).
        // `with_offset` and `with_ack_id` cut such a text only right after an
        // ASCII byte and insert ASCII digits or a JSON string.
        #[allow(unsafe_code)]
        let text = unsafe { Text::from_utf8_unchecked(bytes) };
        Encoded {
            text,
            attachments,
            #[cfg(feature = "msgpack")]
            msgpack: std::sync::OnceLock::new(),
        }
    }
}

/// Event or ack arguments could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The arguments value is not a tuple or sequence of arguments.
    #[error("arguments must be a tuple or a sequence, found {0}")]
    NotASequence(&'static str),
    /// An argument failed to serialize.
    #[error("could not serialize the arguments: {0}")]
    Serialize(#[source] serde_json::Error),
    /// The packet could not be written as MessagePack.
    #[cfg(feature = "msgpack")]
    #[error("could not write the packet as MessagePack: {0}")]
    Msgpack(#[from] super::msgpack::MsgpackError),
}

thread_local! {
    /// The buffer the encoders of this thread write into (see [`exact_bytes`]).
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The largest scratch buffer kept between packets, and the largest packet
/// copied out of its buffer (a larger one keeps the buffer it was written in).
const SCRATCH_KEEP: usize = 16 * 1024;

/// A buffer to encode into: this thread's scratch buffer when it is free (an
/// encoder running inside another's serialization gets a new one).
fn scratch() -> Vec<u8> {
    // `try_with`: an encoder running while the thread ends gets a new buffer.
    let mut buffer = SCRATCH.try_with(Cell::take).unwrap_or_default();
    buffer.clear();
    if buffer.capacity() == 0 {
        buffer.reserve(128);
    }
    buffer
}

/// The bytes of an encoded packet, in an allocation of their own size.
///
/// `Bytes` takes a `Vec` whose length is its capacity as it is, but one with
/// spare capacity costs a second allocation (its shared header) and a second
/// free. So a packet written into the scratch buffer is copied out (a small
/// copy, one allocation) and the scratch buffer is kept for the next packet; a
/// large one keeps its buffer.
fn exact_bytes(buffer: Vec<u8>) -> Bytes {
    if buffer.len() == buffer.capacity() || buffer.len() > SCRATCH_KEEP {
        return Bytes::from(buffer);
    }
    let bytes = Bytes::copy_from_slice(&buffer);
    if buffer.capacity() <= SCRATCH_KEEP {
        let _ = SCRATCH.try_with(|scratch| scratch.set(buffer));
    }
    bytes
}

/// The start of a packet: `4`, the type digit (the non-binary one), the
/// namespace unless it is `/`, the ack id.
pub(super) struct Header<'a> {
    kind: PacketKind,
    /// The namespace, empty for `/`.
    nsp: &'a str,
    /// The ack id's digits, empty without one.
    id: &'a str,
}

impl<'a> Header<'a> {
    /// The header of a `kind` packet to `nsp`, with ack id `id` written in `digits`.
    pub(super) fn new(
        kind: PacketKind,
        nsp: &'a str,
        id: Option<u64>,
        digits: &'a mut itoa::Buffer,
    ) -> Self {
        let nsp = if nsp == "/" { "" } else { nsp };
        let id = id.map_or("", |id| digits.format(id));
        Header { kind, nsp, id }
    }

    /// The number of bytes [`Header::write`] writes.
    pub(super) fn len(&self) -> usize {
        let separator = usize::from(!self.nsp.is_empty());
        2 + self.nsp.len() + separator + self.id.len()
    }

    /// Appends the header to `buffer`.
    #[inline]
    pub(super) fn write(&self, buffer: &mut Vec<u8>) {
        buffer.extend_from_slice(&[b'4', self.kind.digit(false)]);
        if !self.nsp.is_empty() {
            buffer.extend_from_slice(self.nsp.as_bytes());
            buffer.push(b',');
        }
        buffer.extend_from_slice(self.id.as_bytes());
    }
}

/// Starts a packet in the scratch buffer (see [`Header`]).
fn header(kind: PacketKind, nsp: &str, id: Option<u64>) -> Vec<u8> {
    let mut buffer = scratch();
    Header::new(kind, nsp, id, &mut itoa::Buffer::new()).write(&mut buffer);
    buffer
}

/// Writes `value` as compact JavaScript-compatible JSON; byte strings become
/// placeholders and are collected into `attachments`.
pub(crate) fn write_json<T: ?Sized + Serialize>(
    buffer: &mut Vec<u8>,
    value: &T,
    attachments: &Attachments,
) -> Result<(), serde_json::Error> {
    let mut json = serde_json::Serializer::with_formatter(buffer, JsFormatter);
    value.serialize(BinarySerializer::new(&mut json, attachments))
}

/// Compact JSON text of `value`, byte strings written as placeholders.
pub(crate) fn to_json_text<T: ?Sized + Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut buffer = Vec::new();
    write_json(&mut buffer, value, &Attachments::default())?;
    Ok(String::from_utf8(buffer).unwrap_or_default())
}

/// Encodes a CONNECT packet: `40`, or `40/admin,{"sid":"..."}` with data.
///
/// Data that fails to serialize is left out; see [`try_encode_connect`].
pub fn encode_connect(nsp: &str, data: Option<&impl Serialize>) -> Encoded {
    try_encode_connect(nsp, data).unwrap_or_else(|_| encode_connect(nsp, None::<&()>))
}

/// Encodes a CONNECT packet, reporting data that fails to serialize.
pub fn try_encode_connect(
    nsp: &str,
    data: Option<&impl Serialize>,
) -> Result<Encoded, EncodeError> {
    let mut buffer = header(PacketKind::Connect, nsp, None);
    if let Some(data) = data {
        let mut json = serde_json::Serializer::with_formatter(&mut buffer, JsFormatter);
        data.serialize(&mut json).map_err(EncodeError::Serialize)?;
    }
    Ok(Encoded::from_buffer(buffer, Vec::new()))
}

/// Encodes a CONNECT_ERROR packet: `44{"message":"...","data":...}`.
pub fn encode_connect_error(nsp: &str, message: &str, data: Option<&serde_json::Value>) -> Encoded {
    #[derive(Serialize)]
    struct ConnectError<'a> {
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<&'a serde_json::Value>,
    }
    let mut buffer = header(PacketKind::ConnectError, nsp, None);
    let mut json = serde_json::Serializer::with_formatter(&mut buffer, JsFormatter);
    // A string and a JSON value always serialize.
    let _ = ConnectError { message, data }.serialize(&mut json);
    Encoded::from_buffer(buffer, Vec::new())
}

/// Encodes the ERROR packet a Socket.IO v4 protocol client (socket.io-client
/// 2.x) gets when it is refused a namespace: `44` and the JSON of `data` when
/// there is some, else of the message (`44"not authorized"`).
pub(crate) fn encode_legacy_error(
    nsp: &str,
    message: &str,
    data: Option<&serde_json::Value>,
) -> Encoded {
    let mut buffer = header(PacketKind::ConnectError, nsp, None);
    let mut json = serde_json::Serializer::with_formatter(&mut buffer, JsFormatter);
    // A string and a JSON value always serialize.
    let _ = match data {
        Some(data) => data.serialize(&mut json),
        None => message.serialize(&mut json),
    };
    Encoded::from_buffer(buffer, Vec::new())
}

/// Encodes a DISCONNECT packet: `41`, or `41/admin,`.
pub fn encode_disconnect(nsp: &str) -> Encoded {
    Encoded::from_buffer(header(PacketKind::Disconnect, nsp, None), Vec::new())
}

/// Encodes an EVENT: `42["event",...args]`, with `ack_id` when an answer is wanted.
///
/// `args` serializes as a tuple or sequence of arguments, such as `(a, b)`, `(a,)`,
/// `()` or `&[Value]`. Byte strings anywhere inside become placeholders and
/// attachments, and the packet then goes out as a BINARY_EVENT (`45N-`).
pub fn encode_event<A: Serialize + ?Sized>(
    nsp: &str,
    event: &str,
    args: &A,
    ack_id: Option<u64>,
) -> Result<Encoded, EncodeError> {
    encode_arguments(PacketKind::Event, nsp, ack_id, Some(event), args)
}

/// Encodes an ACK answering `ack_id`: `43<id>[...args]`, or a BINARY_ACK with
/// attachments. `args` is a tuple or sequence, as for [`encode_event`].
pub fn encode_ack<A: Serialize + ?Sized>(
    nsp: &str,
    ack_id: u64,
    args: &A,
) -> Result<Encoded, EncodeError> {
    encode_arguments(PacketKind::Ack, nsp, Some(ack_id), None, args)
}

fn encode_arguments<A: Serialize + ?Sized>(
    kind: PacketKind,
    nsp: &str,
    id: Option<u64>,
    event: Option<&str>,
    args: &A,
) -> Result<Encoded, EncodeError> {
    match raw_args::encode(kind, nsp, id, event, args) {
        Some(encoded) => Ok(encoded),
        None => encode_with_serde(kind, nsp, id, event, args),
    }
}

/// Encodes the arguments through their `Serialize` implementation. Kept out
/// of line so that the direct path does not set up this path's stack frame.
#[inline(never)]
fn encode_with_serde<A: Serialize + ?Sized>(
    kind: PacketKind,
    nsp: &str,
    id: Option<u64>,
    event: Option<&str>,
    args: &A,
) -> Result<Encoded, EncodeError> {
    let mut buffer = header(kind, nsp, id);
    let attachments = Attachments::default();
    let list = ArgumentList::new(event, args);
    if let Err(error) = write_json(&mut buffer, &list, &attachments) {
        return Err(match list.wrong_shape() {
            Some(found) => EncodeError::NotASequence(found),
            None => EncodeError::Serialize(error),
        });
    }
    let attachments = attachments.into_inner();
    if !attachments.is_empty() {
        buffer[1] = kind.digit(true);
        let count = format!("{}-", attachments.len());
        buffer.splice(2..2, count.into_bytes());
    }
    Ok(Encoded::from_buffer(buffer, attachments))
}

/// Appends `offset` as the last argument of an encoded event (connection state
/// recovery): `42["news",1]` becomes `42["news",1,"<offset>"]`. The offset is
/// written as a JSON string, escaped where it needs to be (the server's offsets
/// are digits and Redis stream ids, which never do). A packet that is not an
/// event array is returned as it is.
///
/// ```
/// use tether::protocol::{encode_event, with_offset};
///
/// let encoded = encode_event("/", "news", &(1,), None).unwrap();
/// assert_eq!(with_offset(&encoded, "7").text(), r#"42["news",1,"7"]"#);
/// assert_eq!(with_offset(&encoded, "a\"b").text(), r#"42["news",1,"a\"b"]"#);
/// ```
pub fn with_offset(encoded: &Encoded, offset: &str) -> Encoded {
    let text = encoded.text.as_bytes();
    let Some(body) = text.strip_suffix(b"]") else {
        return encoded.clone();
    };
    let mut buffer = Vec::with_capacity(text.len() + offset.len() + 3);
    buffer.extend_from_slice(body);
    buffer.push(b',');
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut buffer, offset);
    buffer.push(b']');
    Encoded::from_buffer(buffer, encoded.attachments.clone())
}

/// Re-frames an encoded event with another ack id: a broadcast that asks each
/// recipient for an answer is serialized once, and per socket only the header is
/// rewritten (the payload text is copied behind it; attachments are shared).
/// `nsp` is the namespace it was encoded for; the namespace the packet names is
/// kept whatever `nsp` says.
///
/// ```
/// use tether::protocol::{encode_event, with_ack_id};
///
/// let encoded = encode_event("/game", "round", &(3,), Some(1)).unwrap();
/// assert_eq!(with_ack_id(&encoded, "/game", 42).text(), r#"42/game,42["round",3]"#);
/// ```
pub fn with_ack_id(encoded: &Encoded, nsp: &str, ack_id: u64) -> Encoded {
    let text = encoded.text.as_bytes();
    let mut pos = 2.min(text.len());
    if matches!(text.get(1), Some(b'5' | b'6')) {
        pos += text[pos..]
            .iter()
            .position(|&byte| byte == b'-')
            .map_or(0, |dash| dash + 1);
    }
    // Every cut below falls right after an ASCII byte, so the copy stays UTF-8.
    if !nsp.is_empty()
        && nsp != "/"
        && text[pos..].starts_with(nsp.as_bytes())
        && text.get(pos + nsp.len()) == Some(&b',')
    {
        pos += nsp.len() + 1;
    } else if text.get(pos) == Some(&b'/') {
        pos += text[pos..]
            .iter()
            .position(|&byte| byte == b',')
            .map_or(text.len() - pos, |comma| comma + 1);
    }
    let id_end = pos
        + text[pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();

    let mut buffer = Vec::with_capacity(text.len() + 20);
    buffer.extend_from_slice(&text[..pos]);
    buffer.extend_from_slice(itoa::Buffer::new().format(ack_id).as_bytes());
    buffer.extend_from_slice(&text[id_end..]);
    Encoded::from_buffer(buffer, encoded.attachments.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serializes as the text of a packet it encodes while being serialized.
    struct EncodesInside;

    impl Serialize for EncodesInside {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let inner = encode_event("/", "inner", &("a", 1), Some(7))
                .map_err(|error| <S::Error as serde::ser::Error>::custom(error.to_string()))?;
            serializer.serialize_str(inner.text())
        }
    }

    #[test]
    fn an_encoder_inside_another_s_serialization_writes_its_own_packet() {
        let outer = encode_ack("/chat", 3, &(EncodesInside, 2)).unwrap();
        assert_eq!(outer.text(), r#"43/chat,3["427[\"inner\",\"a\",1]",2]"#);
        let next = encode_event("/", "next", &(), None).unwrap();
        assert_eq!(next.text(), r#"42["next"]"#);
    }

    #[test]
    fn packets_of_every_size_keep_their_own_bytes() {
        let long = "x".repeat(SCRATCH_KEEP * 2);
        let mut texts = Vec::new();
        for (index, size) in [10, SCRATCH_KEEP - 20, SCRATCH_KEEP * 2, 3, 200]
            .into_iter()
            .enumerate()
        {
            let encoded = encode_ack("/", index as u64, &(&long[..size],)).unwrap();
            texts.push((encoded, format!(r#"43{index}["{}"]"#, &long[..size])));
        }
        for (encoded, expected) in &texts {
            assert_eq!(encoded.text(), expected.as_str());
        }
        let binary = encode_ack("/", 9, &(Bytes::from_static(b"\x01\x02"),)).unwrap();
        assert_eq!(binary.text(), r#"461-9[{"_placeholder":true,"num":0}]"#);
        assert_eq!(binary.attachments(), [Bytes::from_static(b"\x01\x02")]);
        assert_eq!(
            binary.into_text(),
            r#"461-9[{"_placeholder":true,"num":0}]"#
        );
    }
}
