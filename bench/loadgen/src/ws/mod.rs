//! A lean client-side WebSocket (RFC 6455) over a TCP stream, made for a load
//! generator that receives hundreds of thousands of small frames per second on one
//! core: the socket reads into the spare room of one buffer (never zero-filled),
//! complete frames are parsed in place and their payloads lent to a closure (no
//! allocation per message), and everything queued in between goes out in one write.
//!
//! Client frames are masked with the all-zero key, which RFC 6455 allows and which
//! makes masking the identity (see [`frame`]). Server frames must be unmasked and
//! unfragmented, without extensions. The handshake is done by the caller
//! (`conn.rs`), which hands over the stream and the bytes it read past the answer.

mod buffer;
pub mod frame;
#[cfg(test)]
mod tests;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use self::buffer::ReadBuffer;
pub use self::frame::{Outbox, WsError};

/// Largest frame payload accepted from a server (the frames of the benchmark are
/// under a kilobyte; this only bounds the buffer against a broken server).
pub const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// An open WebSocket client connection.
#[derive(Debug)]
pub struct Ws {
    stream: TcpStream,
    input: ReadBuffer,
    out: Outbox,
}

impl Ws {
    /// Wraps an upgraded stream; `leftover` holds the bytes read past the
    /// upgrade answer (frames the server sent right after it).
    pub fn new(stream: TcpStream, leftover: Vec<u8>) -> Self {
        Self {
            stream,
            input: ReadBuffer::new(leftover, MAX_PAYLOAD),
            out: Outbox::default(),
        }
    }

    /// Gives the connection up: the stream and the bytes read but not handled
    /// yet (frames queued and not flushed are dropped). For connections that
    /// only wait from then on and keep no buffers of their own.
    pub fn into_parts(self) -> (TcpStream, Vec<u8>) {
        (self.stream, self.input.into_unhandled())
    }

    /// Reads once from the socket into the buffer, waiting for data.
    ///
    /// Cancel safe (nothing is lost if another `select!` branch wins), so it can
    /// wait alongside a timer; follow it with [`Ws::handle`].
    pub async fn fill(&mut self) -> Result<(), WsError> {
        let read = self.stream.read_buf(self.input.spare()).await?;
        if read == 0 {
            return Err(WsError::Closed);
        }
        Ok(())
    }

    /// Handles the complete frames already buffered, without waiting: text payloads
    /// go to `on_text` (which may queue answers in the outbox), pings are answered.
    /// Then writes what is queued. Returns how many frames were handled.
    ///
    /// A close frame from the server is answered and ends with [`WsError::Closed`].
    /// Not cancel safe once writing: a caller that gives up on it (a timeout) must
    /// drop the connection.
    pub async fn handle<F>(&mut self, mut on_text: F) -> Result<usize, WsError>
    where
        F: FnMut(&[u8], &mut Outbox),
    {
        let handled = self.input.process(&mut self.out, |payload, out| {
            on_text(payload, out);
            true
        });
        let flushed = self.flush().await;
        let handled = handled?;
        flushed?;
        Ok(handled)
    }

    /// Waits until at least one frame has arrived, handles every complete frame
    /// that one read brought (as [`Ws::handle`] does), and writes the answers.
    /// Frames buffered earlier are handled first, without reading.
    pub async fn read<F>(&mut self, mut on_text: F) -> Result<usize, WsError>
    where
        F: FnMut(&[u8], &mut Outbox),
    {
        loop {
            let handled = self.handle(&mut on_text).await?;
            if handled > 0 {
                return Ok(handled);
            }
            self.fill().await?;
        }
    }

    /// Waits for the next text frame and returns a copy of its payload; frames
    /// after it stay buffered. Pings on the way are answered. For handshakes, where
    /// frames are few and each one matters on its own.
    pub async fn next_text(&mut self) -> Result<Vec<u8>, WsError> {
        loop {
            let mut text = None;
            let handled = self.input.process(&mut self.out, |payload, _| {
                text = Some(payload.to_vec());
                false
            });
            let flushed = self.flush().await;
            handled?;
            flushed?;
            if let Some(text) = text {
                return Ok(text);
            }
            self.fill().await?;
        }
    }

    /// The frames queued for the next [`Ws::flush`] (or `handle`, `read`).
    pub fn outbox(&mut self) -> &mut Outbox {
        &mut self.out
    }

    /// Queues a text frame, written by the next [`Ws::flush`] (or `handle`, `read`).
    pub fn queue_text(&mut self, payload: &[u8]) {
        self.out.text(payload);
    }

    /// Queues a Socket.IO packet (see [`Outbox::packet`]).
    pub fn queue_packet(&mut self, payload: &[u8]) {
        self.out.packet(payload);
    }

    /// Writes every queued frame, in one `write_all`.
    ///
    /// Not cancel safe: a caller that gives up on it (a timeout) must drop the
    /// connection.
    pub async fn flush(&mut self) -> Result<(), WsError> {
        if self.out.is_empty() {
            return Ok(());
        }
        let written = self.stream.write_all(self.out.bytes()).await;
        self.out.clear();
        written.map_err(WsError::Io)
    }

    /// Sends one text frame now.
    pub async fn send_text(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.queue_text(payload);
        self.flush().await
    }
}
