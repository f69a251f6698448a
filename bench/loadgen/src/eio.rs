//! The few Engine.IO v4 / Socket.IO v5 frames the generator sends, and the minimal
//! parsing it needs on the way back (sequence numbers, timestamps, ack ids).
//!
//! Outgoing frames are built from constant prefixes with the numbers spliced in;
//! incoming frames are never fully parsed as JSON.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::msgpack;

/// Socket.IO packets go as socket.io-msgpack-parser's MessagePack (binary frames)
/// instead of JSON text; set once from `--parser msgpack`.
static MSGPACK: AtomicBool = AtomicBool::new(false);

/// Switches every Socket.IO packet of this process to MessagePack.
pub fn use_msgpack() {
    MSGPACK.store(true, Ordering::Relaxed);
}

/// Whether Socket.IO packets are MessagePack.
pub fn is_msgpack() -> bool {
    MSGPACK.load(Ordering::Relaxed)
}

/// The CONNECT to `/` in the parser in use.
pub fn sio_connect() -> Vec<u8> {
    if is_msgpack() {
        msgpack::connect()
    } else {
        SIO_CONNECT.as_bytes().to_vec()
    }
}

/// Engine.IO ping sent by the server.
pub const PING: &[u8] = b"2";
/// Engine.IO pong the client answers with.
pub const PONG: &str = "3";
/// Socket.IO CONNECT to the main namespace, inside an Engine.IO message.
pub const SIO_CONNECT: &str = "40";
/// Prefix of a `bcast` event from the server.
pub const BCAST_PREFIX: &[u8] = b"42[\"bcast\",";
/// Prefix of an ack from the server on the main namespace.
pub const ACK_PREFIX: &[u8] = b"43";
/// Engine.IO upgrade probe sent by the client.
pub const PROBE: &str = "2probe";
/// Engine.IO probe answer from the server.
pub const PROBE_REPLY: &[u8] = b"3probe";
/// Engine.IO upgrade packet.
pub const UPGRADE: &str = "5";
/// Separator of packets in a polling payload.
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// `42["broadcast",{"seq":S,"t":T}]` (or its MessagePack form)
pub fn broadcast(seq: u64, t_us: u64) -> Vec<u8> {
    if is_msgpack() {
        return msgpack::broadcast(seq, t_us);
    }
    format!("42[\"broadcast\",{{\"seq\":{seq},\"t\":{t_us}}}]").into_bytes()
}

/// `42["room_broadcast","ROOM",{"seq":S,"t":T}]`
pub fn room_broadcast(room: &str, seq: u64, t_us: u64) -> String {
    format!("42[\"room_broadcast\",\"{room}\",{{\"seq\":{seq},\"t\":{t_us}}}]")
}

/// `42ID["echo",T]` (or its MessagePack form)
pub fn echo(id: u64, t_us: u64) -> Vec<u8> {
    if is_msgpack() {
        return msgpack::echo(id, t_us);
    }
    format!("42{id}[\"echo\",{t_us}]").into_bytes()
}

/// `42ID["join","ROOM"]`
pub fn join(id: u64, room: &str) -> String {
    format!("42{id}[\"join\",\"{room}\"]")
}

/// `42ID["fetch"]`
pub fn fetch(id: u64) -> String {
    format!("42{id}[\"fetch\"]")
}

/// `40{"pid":"P","offset":"O"}`: CONNECT to `/` asking to recover session `pid`
/// from the event with `offset` on.
pub fn connect_recover(pid: &str, offset: &str) -> String {
    format!("40{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}")
}

/// The string value of `"key":"..."` in a frame (no escapes expected).
pub fn string_field<'a>(frame: &'a [u8], key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\":\"");
    let start = find(frame, needle.as_bytes())? + needle.len();
    let len = frame[start..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&frame[start..start + len]).ok()
}

/// The offset a server with connection state recovery appends to an event: its
/// last argument, a string (`42["bcast",{...},"1700000000000-0"]`).
pub fn event_offset(frame: &[u8]) -> Option<&str> {
    let body = frame.strip_suffix(b"\"]")?;
    let start = body.iter().rposition(|&b| b == b'"')? + 1;
    if start < 2 || body[start - 2] != b',' {
        return None;
    }
    std::str::from_utf8(&body[start..]).ok()
}

/// Name of the room with the given index.
pub fn room_name(index: usize) -> String {
    format!("r{index}")
}

/// Reads the unsigned decimal number at the start of `bytes`.
fn leading_number(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    let mut len = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            break;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        len += 1;
    }
    (len > 0).then_some((value, len))
}

/// Finds `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads the number after the first occurrence of `key` (for example `"t":`).
fn number_after(bytes: &[u8], key: &[u8]) -> Option<u64> {
    let at = find(bytes, key)? + key.len();
    leading_number(&bytes[at..]).map(|(n, _)| n)
}

/// Extracts `(seq, t)` from a `bcast` event, or `None` for any other frame.
pub fn parse_bcast(frame: &[u8]) -> Option<(u64, u64)> {
    if msgpack::is_packet(frame) {
        return msgpack::parse_bcast(frame);
    }
    let body = frame.strip_prefix(BCAST_PREFIX)?;
    let seq = number_after(body, b"\"seq\":")?;
    let t = number_after(body, b"\"t\":")?;
    Some((seq, t))
}

/// Extracts the ack id and the arguments array (starting at `[`) of an ack.
pub fn parse_ack(frame: &[u8]) -> Option<(u64, &[u8])> {
    if msgpack::is_packet(frame) {
        return msgpack::parse_ack(frame);
    }
    let body = frame.strip_prefix(ACK_PREFIX)?;
    let (id, len) = leading_number(body)?;
    let args = &body[len..];
    args.starts_with(b"[").then_some((id, args))
}

/// Reads the first argument of an ack as a number (`[123]` or `[123,...]`).
pub fn first_number_arg(args: &[u8]) -> Option<u64> {
    if args.first().is_some_and(|&marker| marker != b'[') {
        return msgpack::first_number_arg(args);
    }
    leading_number(args.strip_prefix(b"[")?).map(|(n, _)| n)
}

/// Extracts the session id from an Engine.IO open packet `0{"sid":"..."...}`.
pub fn open_sid(frame: &[u8]) -> Option<&str> {
    let body = frame.strip_prefix(b"0")?;
    let key = b"\"sid\":\"";
    let start = find(body, key)? + key.len();
    let len = body[start..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&body[start..start + len]).ok()
}

/// The `pingInterval` of an Engine.IO open packet, in milliseconds.
pub fn ping_interval_ms(frame: &[u8]) -> Option<u64> {
    number_after(frame.strip_prefix(b"0")?, b"\"pingInterval\":")
}

/// Whether the frame is the Socket.IO CONNECT reply on the main namespace.
pub fn is_connect_ok(frame: &[u8]) -> bool {
    if msgpack::is_packet(frame) {
        return msgpack::is_connect_ok(frame);
    }
    frame.starts_with(b"40")
}

/// Splits a polling payload into its packets.
pub fn split_payload(payload: &[u8]) -> impl Iterator<Item = &[u8]> {
    payload
        .split(|&b| b == RECORD_SEPARATOR)
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcast_roundtrip_through_server_shapes() {
        assert_eq!(
            parse_bcast(b"42[\"bcast\",{\"seq\":12,\"t\":3456}]"),
            Some((12, 3456))
        );
        assert_eq!(
            parse_bcast(b"42[\"bcast\",{\"t\":3456,\"seq\":12}]"),
            Some((12, 3456))
        );
        assert_eq!(parse_bcast(b"42[\"other\",{}]"), None);
        let sent = String::from_utf8(broadcast(7, 99)).unwrap();
        let relayed = sent.replacen("broadcast", "bcast", 1);
        assert_eq!(parse_bcast(relayed.as_bytes()), Some((7, 99)));
    }

    #[test]
    fn acks() {
        let (id, args) = parse_ack(b"4317[123]").unwrap();
        assert_eq!(id, 17);
        assert_eq!(first_number_arg(args), Some(123));
        assert_eq!(parse_ack(b"43[1]"), None);
        assert_eq!(parse_ack(b"42[1]"), None);
        assert_eq!(parse_ack(b"431[true]"), Some((1, &b"[true]"[..])));
    }

    #[test]
    fn open_packet() {
        let open =
            br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000}"#;
        assert_eq!(open_sid(open), Some("lv_VI97HAXpY6yYWAAAC"));
        assert_eq!(ping_interval_ms(open), Some(25000));
        assert_eq!(ping_interval_ms(b"40"), None);
        assert_eq!(open_sid(b"40"), None);
    }

    #[test]
    fn recovery_fields() {
        let reply = br#"40{"sid":"abc","pid":"xyz"}"#;
        assert_eq!(string_field(reply, "sid"), Some("abc"));
        assert_eq!(string_field(reply, "pid"), Some("xyz"));
        assert_eq!(string_field(b"40", "pid"), None);
        let event = br#"42["bcast",{"seq":3,"t":4},"1700-0"]"#;
        assert_eq!(event_offset(event), Some("1700-0"));
        assert_eq!(parse_bcast(event), Some((3, 4)));
        assert_eq!(event_offset(br#"42["bcast",{"seq":3,"t":4}]"#), None);
        assert_eq!(
            connect_recover("p", "1-0"),
            r#"40{"pid":"p","offset":"1-0"}"#
        );
    }

    #[test]
    fn payload_split() {
        let parts: Vec<_> = split_payload(b"2\x1e42[\"bcast\",1]\x1e").collect();
        assert_eq!(parts, vec![&b"2"[..], &b"42[\"bcast\",1]"[..]]);
    }
}
