//! The read side of a connection: a byte buffer the socket reads into, and the
//! in-place parsing of the complete server frames it holds.

use super::frame::{self, Outbox, WsError, parse_header};

/// Capacity of a fresh read buffer.
pub const INITIAL_CAPACITY: usize = 8 * 1024;
/// A read always has at least this much room (the buffer grows otherwise).
const MIN_SPARE: usize = 1024;
/// An empty buffer grown beyond this (by a big frame) goes back to the initial size.
const SHRINK_ABOVE: usize = 64 * 1024;

/// Bytes read from the server and not yet handled.
///
/// `bytes[pos..]` is unhandled: after [`ReadBuffer::process`] has run, at most one
/// incomplete frame (more only if `on_text` stopped it early). The socket reads
/// into the spare capacity of `bytes` (never zero-filled); handled frames are
/// dropped by resetting the buffer once everything is handled, or by moving the
/// unhandled tail to the front before the next read.
#[derive(Debug)]
pub struct ReadBuffer {
    bytes: Vec<u8>,
    pos: usize,
    /// Length of the incomplete frame at `pos`, once its header is known.
    pending: usize,
    max_payload: usize,
}

impl ReadBuffer {
    /// A buffer starting with `leftover` (bytes read past the upgrade answer),
    /// accepting payloads up to `max_payload` bytes.
    pub fn new(leftover: Vec<u8>, max_payload: usize) -> Self {
        let mut bytes = leftover;
        bytes.reserve(INITIAL_CAPACITY.saturating_sub(bytes.len()));
        Self {
            bytes,
            pos: 0,
            pending: 0,
            max_payload,
        }
    }

    /// The vector to read into: handled bytes dropped, and room for at least
    /// [`MIN_SPARE`] bytes or the rest of the pending frame, whichever is more.
    pub fn spare(&mut self) -> &mut Vec<u8> {
        if self.pos > 0 {
            self.bytes.drain(..self.pos);
            self.pos = 0;
        }
        let missing = self.pending.saturating_sub(self.bytes.len());
        self.bytes.reserve(missing.max(MIN_SPARE));
        &mut self.bytes
    }

    /// The unhandled bytes, giving the buffer up.
    pub fn into_unhandled(mut self) -> Vec<u8> {
        self.bytes.drain(..self.pos);
        self.bytes.shrink_to_fit();
        self.bytes
    }

    /// Unhandled bytes.
    #[cfg(test)]
    pub fn unhandled(&self) -> &[u8] {
        &self.bytes[self.pos..]
    }

    /// The buffer's capacity.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Handles the complete frames in the buffer, in order, and returns how many.
    ///
    /// Text payloads go to `on_text` with the outbox, for answers; it returns
    /// whether to go on (`false` leaves later frames buffered). Pings are answered
    /// with pongs; pongs and binary frames are skipped. A close frame queues the
    /// close reply and ends with [`WsError::Closed`]. Text is not checked for UTF-8:
    /// the generator only compares bytes.
    pub fn process<F>(&mut self, out: &mut Outbox, mut on_text: F) -> Result<usize, WsError>
    where
        F: FnMut(&[u8], &mut Outbox) -> bool,
    {
        let mut handled = 0;
        self.pending = 0;
        loop {
            let rest = &self.bytes[self.pos..];
            let Some(header) = parse_header(rest, self.max_payload)? else {
                break;
            };
            let end = header.frame_len();
            if rest.len() < end {
                self.pending = end;
                break;
            }
            let payload = &rest[header.header_len..end];
            self.pos += end;
            handled += 1;
            let go_on = match header.opcode {
                // Binary frames carry MessagePack Socket.IO packets (`--parser msgpack`).
                frame::TEXT | frame::BINARY => on_text(payload, out),
                frame::PING => {
                    out.pong(payload);
                    true
                }
                frame::CLOSE => {
                    out.close_reply(payload);
                    return Err(WsError::Closed);
                }
                _ => true,
            };
            if !go_on {
                break;
            }
        }
        if self.pos == self.bytes.len() {
            self.reset();
        }
        Ok(handled)
    }

    /// Empties the buffer; one grown by a big frame is replaced by a fresh one.
    fn reset(&mut self) {
        self.pos = 0;
        if self.bytes.capacity() > SHRINK_ABOVE {
            self.bytes = Vec::with_capacity(INITIAL_CAPACITY);
        } else {
            self.bytes.clear();
        }
    }
}
