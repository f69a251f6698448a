//! RFC 6455 framing for the client side: parsing the header of a server frame
//! (unmasked), and encoding client frames (masked) into an [`Outbox`].

use std::fmt;
use std::io;

/// Opcode of a continuation frame.
pub const CONTINUATION: u8 = 0x0;
/// Opcode of a text frame.
pub const TEXT: u8 = 0x1;
/// Opcode of a binary frame.
pub const BINARY: u8 = 0x2;
/// Opcode of a close frame.
pub const CLOSE: u8 = 0x8;
/// Opcode of a ping frame.
pub const PING: u8 = 0x9;
/// Opcode of a pong frame.
pub const PONG: u8 = 0xA;

/// Longest payload a control frame (close, ping, pong) may carry.
const MAX_CONTROL_PAYLOAD: u64 = 125;

/// The masking key of every client frame.
///
/// RFC 6455 requires client frames to be masked but lets the client pick any key;
/// with all four bytes zero, masking (`byte ^ key[i % 4]`) is the identity, so the
/// payload is copied as it is instead of XORed byte by byte. The key only defends
/// browsers against cache poisoning through intermediaries, which a load generator
/// talking to a local server does not need.
const MASK_KEY: [u8; 4] = [0; 4];

/// What can go wrong on a WebSocket connection.
#[derive(Debug)]
pub enum WsError {
    /// Reading or writing the socket failed.
    Io(io::Error),
    /// The server closed the connection (a close frame or the end of the stream).
    Closed,
    /// The server broke RFC 6455, or used something this client does not support.
    Protocol(&'static str),
    /// A frame announced a payload larger than the client accepts.
    TooBig {
        /// The announced payload length.
        len: u64,
        /// The largest payload accepted.
        max: usize,
    },
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "websocket i/o: {e}"),
            Self::Closed => f.write_str("connection closed by the server"),
            Self::Protocol(what) => write!(f, "websocket protocol error: {what}"),
            Self::TooBig { len, max } => write!(
                f,
                "websocket frame of {len} bytes exceeds the limit of {max} bytes"
            ),
        }
    }
}

impl std::error::Error for WsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for WsError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// The header of one server frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The opcode (text, binary or a control frame; never a continuation).
    pub opcode: u8,
    /// Bytes of the header: 2, 4 (16-bit length) or 10 (64-bit length).
    pub header_len: usize,
    /// Bytes of the payload that follows the header.
    pub payload_len: usize,
}

impl Header {
    /// Bytes of the whole frame, header and payload.
    pub fn frame_len(&self) -> usize {
        self.header_len + self.payload_len
    }
}

/// Parses the header of the server frame at the start of `buf`.
///
/// Returns `Ok(None)` while `buf` holds only part of the header. Rejects masked
/// frames (a server must not mask), reserved bits (no extension is negotiated),
/// fragmented messages (the servers of the benchmark never fragment), malformed
/// control frames, unknown opcodes, and payloads longer than `max_payload`.
pub fn parse_header(buf: &[u8], max_payload: usize) -> Result<Option<Header>, WsError> {
    let [b0, b1, ..] = *buf else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(WsError::Protocol("reserved bits set without an extension"));
    }
    if b1 & 0x80 != 0 {
        return Err(WsError::Protocol("masked frame from the server"));
    }
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0F;
    let control = match opcode {
        TEXT | BINARY => false,
        CLOSE | PING | PONG => true,
        CONTINUATION => {
            return Err(WsError::Protocol(
                "continuation frame (fragmented messages are not supported)",
            ));
        }
        _ => return Err(WsError::Protocol("unknown opcode")),
    };
    if !fin {
        return Err(WsError::Protocol(if control {
            "fragmented control frame"
        } else {
            "fragmented message (not supported)"
        }));
    }
    let (header_len, len) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(&[hi, lo]) => (4, u64::from(u16::from_be_bytes([hi, lo]))),
            _ => return Ok(None),
        },
        127 => match buf.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            Some(bytes) => (10, u64::from_be_bytes(bytes)),
            None => return Ok(None),
        },
        short => (2, u64::from(short)),
    };
    if control && len > MAX_CONTROL_PAYLOAD {
        return Err(WsError::Protocol("control frame longer than 125 bytes"));
    }
    let payload_len = usize::try_from(len)
        .ok()
        .filter(|&n| n <= max_payload)
        .ok_or(WsError::TooBig {
            len,
            max: max_payload,
        })?;
    Ok(Some(Header {
        opcode,
        header_len,
        payload_len,
    }))
}

/// The size of an unmasked (server) frame with a payload of `payload` bytes.
pub fn server_frame_len(payload: usize) -> usize {
    payload
        + match payload {
            0..=125 => 2,
            126..=0xffff => 4,
            _ => 10,
        }
}

/// Client frames waiting to be written; the connection sends them all in one write.
#[derive(Debug, Default)]
pub struct Outbox {
    bytes: Vec<u8>,
}

impl Outbox {
    /// Queues a text frame. The caller vouches that `payload` is UTF-8.
    pub fn text(&mut self, payload: &[u8]) {
        self.frame(TEXT, payload);
    }

    /// Queues a Socket.IO packet: a binary frame with the MessagePack parser, a
    /// text frame otherwise.
    pub fn packet(&mut self, payload: &[u8]) {
        let opcode = if crate::eio::is_msgpack() {
            BINARY
        } else {
            TEXT
        };
        self.frame(opcode, payload);
    }

    /// Queues a pong answering a ping with `payload`.
    pub fn pong(&mut self, payload: &[u8]) {
        self.frame(PONG, payload);
    }

    /// Queues the close frame answering the server's: its status code, no reason.
    pub fn close_reply(&mut self, server_payload: &[u8]) {
        self.frame(CLOSE, server_payload.get(..2).unwrap_or_default());
    }

    /// Queues one final (unfragmented) frame, masked with [`MASK_KEY`].
    fn frame(&mut self, opcode: u8, payload: &[u8]) {
        const MASKED: u8 = 0x80;
        let len = payload.len();
        self.bytes.reserve(14 + len);
        self.bytes.push(0x80 | opcode);
        if let Ok(short @ 0..=125) = u8::try_from(len) {
            self.bytes.push(MASKED | short);
        } else if let Ok(medium) = u16::try_from(len) {
            self.bytes.push(MASKED | 126);
            self.bytes.extend_from_slice(&medium.to_be_bytes());
        } else {
            self.bytes.push(MASKED | 127);
            self.bytes.extend_from_slice(&(len as u64).to_be_bytes());
        }
        self.bytes.extend_from_slice(&MASK_KEY);
        // Masking with the all-zero key leaves the payload unchanged.
        self.bytes.extend_from_slice(payload);
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The queued bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Forgets the queued bytes (after they were written), keeping the allocation.
    pub fn clear(&mut self) {
        self.bytes.clear();
    }
}
