//! [`HoldUpgrade`]: the TCP stream the standalone server hands to hyper. It keeps
//! a `101 Switching Protocols` response back instead of sending it, so that the
//! WebSocket driver sends it together with the Engine.IO open packet: one write and
//! one TCP segment per new connection instead of two.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How a response that switches protocols starts.
const SWITCHING: &[u8] = b"HTTP/1.1 101 ";

/// A TCP stream that holds back a `101` response until its owner takes it with
/// [`HoldUpgrade::into_parts`]. Any other write goes straight through (after the
/// held bytes, should anything be written once a `101` is held).
pub(crate) struct HoldUpgrade {
    stream: TcpStream,
    held: Vec<u8>,
    /// Bytes of `held` already written.
    written: usize,
}

impl HoldUpgrade {
    /// Wraps an accepted stream.
    pub(crate) fn new(stream: TcpStream) -> HoldUpgrade {
        HoldUpgrade {
            stream,
            held: Vec::new(),
            written: 0,
        }
    }

    /// The stream and the bytes held back and not yet written (empty when no `101`
    /// was held): the caller must write them before anything else.
    pub(crate) fn into_parts(self) -> (TcpStream, Vec<u8>) {
        let mut held = self.held;
        held.drain(..self.written);
        (self.stream, held)
    }

    fn holds(&self) -> bool {
        self.written < self.held.len()
    }

    /// Writes what is held, before any later write or flush.
    fn poll_release(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.holds() {
            let rest = &self.held[self.written..];
            let written = ready!(Pin::new(&mut self.stream).poll_write(cx, rest))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += written;
        }
        Poll::Ready(Ok(()))
    }

    /// Holds `bufs` when they are a `101` response and nothing is held yet.
    fn try_hold(&mut self, bufs: &[IoSlice<'_>]) -> Option<usize> {
        let first = bufs.iter().find(|buf| !buf.is_empty())?;
        if self.holds() || !first.starts_with(SWITCHING) {
            return None;
        }
        self.held.clear();
        self.written = 0;
        for buf in bufs {
            self.held.extend_from_slice(buf);
        }
        Some(self.held.len())
    }
}

impl AsyncRead for HoldUpgrade {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for HoldUpgrade {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(held) = self.try_hold(&[IoSlice::new(buf)]) {
            return Poll::Ready(Ok(held));
        }
        ready!(self.poll_release(cx))?;
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(held) = self.try_hold(bufs) {
            return Poll::Ready(Ok(held));
        }
        ready!(self.poll_release(cx))?;
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A held `101` stays held: it leaves with the first frames.
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_release(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    async fn pair() -> (HoldUpgrade, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (HoldUpgrade::new(accepted.unwrap().0), client.unwrap())
    }

    #[tokio::test]
    async fn holds_a_switching_response_for_the_owner() {
        let (mut server, mut client) = pair().await;
        let response = b"HTTP/1.1 101 Switching Protocols\r\n\r\n";
        server.write_all(response).await.unwrap();
        server.flush().await.unwrap();
        let (mut stream, held) = server.into_parts();
        assert_eq!(held, response);
        stream.write_all(&held).await.unwrap();
        stream.write_all(b"frame").await.unwrap();
        let mut received = vec![0; response.len() + 5];
        client.read_exact(&mut received).await.unwrap();
        assert_eq!(&received[..response.len()], response);
        assert_eq!(&received[response.len()..], b"frame");
    }

    #[tokio::test]
    async fn other_responses_go_straight_through() {
        let (mut server, mut client) = pair().await;
        let response = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        server.write_all(response).await.unwrap();
        let (_, held) = server.into_parts();
        assert!(held.is_empty());
        let mut received = vec![0; response.len()];
        client.read_exact(&mut received).await.unwrap();
        assert_eq!(received, response);
    }

    #[tokio::test]
    async fn a_later_write_releases_the_held_bytes_first() {
        let (mut server, mut client) = pair().await;
        server
            .write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
            .await
            .unwrap();
        server.write_all(b"after").await.unwrap();
        let (_, held) = server.into_parts();
        assert!(held.is_empty());
        let mut received = String::new();
        let expected = "HTTP/1.1 101 Switching Protocols\r\n\r\nafter";
        while received.len() < expected.len() {
            let mut chunk = [0u8; 64];
            let read = client.read(&mut chunk).await.unwrap();
            received.push_str(std::str::from_utf8(&chunk[..read]).unwrap());
        }
        assert_eq!(received, expected);
    }
}
