//! The connection under a WebSocket session, as the driver and the WebSocket
//! library see it.
//!
//! The library writes its own frames (pongs, close frames) whenever it likes, even
//! in the middle of a read; but a flusher task may be writing the same socket at
//! that moment. So the library writes into [`CaptureWrites`], and the session's
//! task sends what it captured once it holds the socket.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::direct::DirectTcp;

/// Most bytes of the library's own frames kept before they are written; a peer
/// that makes it answer more between two writes of the driver is dropped.
const MAX_CAPTURED: usize = 1 << 20;

/// What the WebSocket driver needs of a connection besides reading and writing.
pub(crate) trait SocketIo {
    /// Ready once the connection may have bytes to read.
    ///
    /// The WebSocket library zero-fills its read buffer on every read attempt, so
    /// the driver only asks it to read once the socket is readable: a task woken
    /// to write does not pay for a read.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<()>;

    /// The TCP stream flushers may write to directly, when the connection is one.
    fn shared_tcp(&self) -> Option<Arc<TcpStream>> {
        None
    }
}

impl SocketIo for DirectTcp {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.poll_read_ready(cx).map(|_| ())
    }

    fn shared_tcp(&self) -> Option<Arc<TcpStream>> {
        Some(self.0.clone())
    }
}

impl<T> SocketIo for TokioIo<T> {
    fn poll_read_ready(&self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

/// Reads from the connection; keeps what the WebSocket library writes until the
/// driver takes it with [`CaptureWrites::take_captured`].
pub(crate) struct CaptureWrites<S> {
    io: S,
    captured: Vec<u8>,
}

impl<S> CaptureWrites<S> {
    /// Wraps a connection.
    pub(crate) fn new(io: S) -> CaptureWrites<S> {
        CaptureWrites {
            io,
            captured: Vec::new(),
        }
    }

    /// The connection, to write to directly.
    pub(crate) fn io_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Whether the library wrote something since the last take.
    pub(crate) fn has_captured(&self) -> bool {
        !self.captured.is_empty()
    }

    /// What the library wrote since the last take.
    pub(crate) fn take_captured(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.captured)
    }

    fn capture(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let len: usize = bufs.iter().map(|buf| buf.len()).sum();
        if self.captured.len() + len > MAX_CAPTURED {
            return Err(io::Error::other("too many websocket control frames unsent"));
        }
        for buf in bufs {
            self.captured.extend_from_slice(buf);
        }
        Ok(len)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CaptureWrites<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: Unpin> AsyncWrite for CaptureWrites<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().capture(&[IoSlice::new(buf)]))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().capture(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl<S: SocketIo> SocketIo for CaptureWrites<S> {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.io.poll_read_ready(cx)
    }

    fn shared_tcp(&self) -> Option<Arc<TcpStream>> {
        self.io.shared_tcp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn writes_are_kept_until_taken() {
        let mut capture = CaptureWrites::new(tokio::io::empty());
        capture.write_all(b"pong").await.unwrap();
        let written = capture
            .write_vectored(&[IoSlice::new(b" and"), IoSlice::new(b" close")])
            .await
            .unwrap();
        assert_eq!(written, 10, "all of it, at once");
        capture.flush().await.unwrap();
        assert!(capture.has_captured());
        assert_eq!(capture.take_captured(), b"pong and close");
        assert!(!capture.has_captured());
    }

    #[tokio::test]
    async fn too_much_unsent_is_an_error() {
        let mut capture = CaptureWrites::new(tokio::io::empty());
        let chunk = vec![0u8; MAX_CAPTURED];
        capture.write_all(&chunk).await.unwrap();
        assert!(capture.write_all(b"x").await.is_err());
    }
}
