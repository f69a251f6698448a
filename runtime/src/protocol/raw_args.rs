//! Received [`Args`] written straight into an event or ack packet.
//!
//! Relaying or echoing what a client sent (`event.ack(&args)`,
//! `socket.emit("x", &args)`, a broadcast of incoming arguments) hands [`Args`] to
//! the encoders. Without attachments the serde path writes each argument as its
//! JSON text, comma-separated, so the packet is the header, the event name and
//! those texts: it is written here in one allocation of its exact size, with no
//! serde walk and no copy out of the scratch buffer. Everything else (other
//! types, attachments, an event name that needs escaping) returns `None` and goes
//! through serde, so the bytes are the same either way.

use std::any::TypeId;
use std::ops::Range;

use super::emit_args::EmitArgs;
use super::encode::{Encoded, Header};
use super::packet::{Args, PacketKind};

/// Encodes a `kind` packet whose arguments `args` are received [`Args`] (or
/// emitted data made of them) without attachments; `None` for anything else.
pub(super) fn encode<A: ?Sized>(
    kind: PacketKind,
    nsp: &str,
    id: Option<u64>,
    event: Option<&str>,
    args: &A,
) -> Option<Encoded> {
    let args = as_args(args)?;
    let mut digits = itoa::Buffer::new();
    let buffer = write_packet(Header::new(kind, nsp, id, &mut digits), event, args)?;
    Some(Encoded::from_buffer(buffer, Vec::new()))
}

/// `value` itself when it is an [`Args`], or the `Args` an [`EmitArgs`] spreads.
fn as_args<A: ?Sized>(value: &A) -> Option<&Args> {
    // `TypeId::of` needs `'static` types; `typeid::of` gives the same id for any
    // type with its lifetimes erased.
    let id = typeid::of::<A>();
    if id == TypeId::of::<Args>() {
        // SAFETY: `Args` has no lifetime parameters, so the only type whose id
        // with lifetimes erased is `Args`'s is `Args` (equal ids meaning equal
        // types, as `Any::downcast_ref` relies on): `A` is `Args`, a sized
        // type, and `value` a valid thin reference to one for its lifetime.
        #[allow(unsafe_code)]
        let args = unsafe { &*std::ptr::from_ref(value).cast::<Args>() };
        return Some(args);
    }
    if id == typeid::of::<EmitArgs<'static, Args>>() {
        // SAFETY: by the same reasoning `A` is `EmitArgs<'a, Args>` for some
        // `'a`, which outlives the borrow `value` (a reference to `A` is only
        // well-formed while `A`'s lifetimes last). Reading it as an `EmitArgs`
        // of the borrow's lifetime only shortens `'a`, and `EmitArgs` holds
        // just a `&'a T` and a `Copy` shape, so it is covariant in `'a` (a
        // test in `protocol::tests::raw_args` stops compiling if it is not).
        #[allow(unsafe_code)]
        let emitted = unsafe { &*std::ptr::from_ref(value).cast::<EmitArgs<'_, Args>>() };
        return emitted.spread_data();
    }
    None
}

/// Whether serde_json writes `text` as a JSON string as it is between quotes:
/// it escapes only `"`, `\` and control characters below U+0020.
fn needs_no_escaping(text: &str) -> bool {
    text.bytes()
        .all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\')
}

/// The whole packet `header`, `[`, the quoted `event` name when there is one,
/// the arguments' texts and `]`, in a buffer whose capacity is its length; `None`
/// when `args` have attachments, the name needs escaping, or an argument's
/// range does not fall on character boundaries of the text.
pub(super) fn write_packet(
    header: Header<'_>,
    event: Option<&str>,
    args: &Args,
) -> Option<Vec<u8>> {
    let (text, ranges) = args.plain_text()?;
    if event.is_some_and(|event| !needs_no_escaping(event)) {
        return None;
    }
    let elements = Elements::new(text, ranges)?;
    let event_len = event.map_or(0, |event| event.len() + 2 + usize::from(!ranges.is_empty()));
    let len = header.len() + 1 + event_len + elements.len + 1;

    let mut buffer = Vec::with_capacity(len);
    header.write(&mut buffer);
    buffer.push(b'[');
    if let Some(event) = event {
        buffer.push(b'"');
        buffer.extend_from_slice(event.as_bytes());
        buffer.push(b'"');
        if !ranges.is_empty() {
            buffer.push(b',');
        }
    }
    match elements.whole {
        Some(whole) => buffer.extend_from_slice(whole.as_bytes()),
        None => {
            for (index, range) in ranges.iter().enumerate() {
                if index > 0 {
                    buffer.push(b',');
                }
                buffer.extend_from_slice(text.get(range.clone())?.as_bytes());
            }
        }
    }
    buffer.push(b']');
    debug_assert_eq!(buffer.len(), len, "the packet length was computed wrong");
    Some(buffer)
}

/// The arguments as the serde path writes them: their texts, comma-separated.
struct Elements<'a> {
    /// The received text that already is this list: every gap between two
    /// arguments in it is a lone comma.
    whole: Option<&'a str>,
    /// The length of the list.
    len: usize,
}

impl<'a> Elements<'a> {
    /// The list of the arguments at `ranges` of `text`; `None` when the received
    /// span of the arguments does not fall on character boundaries.
    fn new(text: &'a str, ranges: &[Range<usize>]) -> Option<Self> {
        let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else {
            return Some(Elements {
                whole: Some(""),
                len: 0,
            });
        };
        let bytes = text.as_bytes();
        let one_piece = ranges
            .windows(2)
            .all(|pair| pair[1].start == pair[0].end + 1 && bytes.get(pair[0].end) == Some(&b','));
        if one_piece {
            let whole = text.get(first.start..last.end)?;
            return Some(Elements {
                whole: Some(whole),
                len: whole.len(),
            });
        }
        let len = ranges.iter().map(|range| range.len() + 1).sum::<usize>() - 1;
        Some(Elements { whole: None, len })
    }
}
