//! Writes queued packets to a WebSocket as server frames, straight from the shared
//! packet bytes.
//!
//! A server frame is never masked, so its bytes are the same for every recipient:
//! a short header, then the packet as it was encoded once. Headers are built on
//! the stack and handed to the socket with the payloads in one vectored write; the
//! payload bytes are only copied when the socket takes part of a batch.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::packet::Frame;

/// Frames written per vectored write (two slices each).
const FRAMES_PER_WRITE: usize = 64;
/// The longest frame header: two bytes plus a 64-bit length.
const MAX_HEADER: usize = 10;
/// Frames that fit in this many bytes together (headers included) are written as
/// one slice.
const COALESCE_LIMIT: usize = 2048;
/// The longest payload with a two-byte header: a lone frame this short is joined
/// with its header on the stack.
const SHORT_PAYLOAD: usize = 125;

thread_local! {
    /// The buffer small frames are joined in, kept between writes.
    static JOINED: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

const OPCODE_TEXT: u8 = 0x1;
const OPCODE_BINARY: u8 = 0x2;
const FIN: u8 = 0x80;

/// Writes the header of a final, unmasked frame; returns its length.
fn encode_header(header: &mut [u8; MAX_HEADER], opcode: u8, len: usize) -> usize {
    header[0] = FIN | opcode;
    match len {
        0..=125 => {
            header[1] = len as u8;
            2
        }
        126..=0xffff => {
            header[1] = 126;
            header[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        }
        _ => {
            header[1] = 127;
            header[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        }
    }
}

fn parts(frame: &Frame) -> (u8, &[u8]) {
    match frame {
        Frame::Text(text) => (OPCODE_TEXT, text.as_bytes()),
        Frame::Binary(bytes) => (OPCODE_BINARY, bytes),
    }
}

/// Writes every frame of `batch` (emptying it) and flushes.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled write may leave part of a frame on the wire, so the
/// connection must be dropped, as the driver does when a write times out.
pub(crate) async fn write_frames<S>(io: &mut S, batch: &mut VecDeque<Frame>) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    while !batch.is_empty() {
        let (written, count, total) = std::future::poll_fn(|cx| {
            let (poll, count, total) = with_slices(batch, |slices| {
                Pin::new(&mut *io).poll_write_vectored(cx, slices)
            });
            poll.map_ok(|written| (written, count, total))
        })
        .await?;
        if written == 0 && total > 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        if written < total {
            let rest = remainder(batch.iter().take(count), written, total - written);
            io.write_all(&rest).await?;
        }
        batch.drain(..count);
    }
    io.flush().await
}

/// What a write that must not wait achieved.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Written {
    /// Every frame went out.
    All,
    /// The socket took part of a frame: these bytes must go out before anything
    /// else. The frames they belong to have left the batch.
    Partial(Vec<u8>),
    /// The socket took whole frames or nothing; the batch holds the rest.
    Blocked,
    /// The socket failed; the batch holds what was not written.
    Failed,
}

/// Writes as much of `batch` as `write` takes without waiting, removing what went
/// out. `write` is one vectored write that fails with `WouldBlock` when the socket
/// is full.
pub(crate) fn try_write_frames(
    batch: &mut VecDeque<Frame>,
    mut write: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
) -> Written {
    while !batch.is_empty() {
        let (result, count, total) = with_slices(batch, &mut write);
        let written = match result {
            Ok(written) => written,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Written::Blocked,
            Err(_) => return Written::Failed,
        };
        if written < total {
            let (whole, rest) = split_written(batch.iter().take(count), written);
            batch.drain(..whole);
            return match rest {
                Some(rest) => {
                    batch.pop_front();
                    Written::Partial(rest)
                }
                None => Written::Blocked,
            };
        }
        batch.drain(..count);
    }
    Written::All
}

/// How many of `frames` the first `written` bytes hold whole, and the unwritten
/// end of the frame they stop inside (none when they stop between frames).
fn split_written<'a>(
    frames: impl Iterator<Item = &'a Frame>,
    mut written: usize,
) -> (usize, Option<Vec<u8>>) {
    let mut header = [0u8; MAX_HEADER];
    let mut whole = 0;
    for frame in frames {
        let (opcode, payload) = parts(frame);
        let header_len = encode_header(&mut header, opcode, payload.len());
        let len = header_len + payload.len();
        if written >= len {
            written -= len;
            whole += 1;
            continue;
        }
        if written == 0 {
            return (whole, None);
        }
        let mut rest = Vec::with_capacity(len - written);
        if written < header_len {
            rest.extend_from_slice(&header[written..header_len]);
            rest.extend_from_slice(payload);
        } else {
            rest.extend_from_slice(&payload[written - header_len..]);
        }
        return (whole, Some(rest));
    }
    (whole, None)
}

/// Calls `write` with the slices (header, payload, header, ...) of up to
/// [`FRAMES_PER_WRITE`] frames from the front of `batch`; yields what it returned,
/// how many frames the slices hold, and how many bytes they span.
///
/// The headers and slices live on the stack for the call; small batches use small
/// arrays.
fn with_slices<R>(
    batch: &VecDeque<Frame>,
    write: impl FnOnce(&[IoSlice<'_>]) -> R,
) -> (R, usize, usize) {
    match batch.len() {
        1 if parts(&batch[0]).1.len() <= SHORT_PAYLOAD => lone_short_frame(&batch[0], write),
        0 | 1 => slices_of::<1, 2, R>(batch, write),
        2..=8 => slices_of::<8, 16, R>(batch, write),
        _ => slices_of::<FRAMES_PER_WRITE, { FRAMES_PER_WRITE * 2 }, R>(batch, write),
    }
}

/// [`with_slices`] for one frame with a payload of at most [`SHORT_PAYLOAD`]
/// bytes: copied with its two-byte header into a buffer on the stack.
fn lone_short_frame<R>(
    frame: &Frame,
    write: impl FnOnce(&[IoSlice<'_>]) -> R,
) -> (R, usize, usize) {
    let (opcode, payload) = parts(frame);
    let mut bytes = [0u8; 2 + SHORT_PAYLOAD];
    let mut header = [0u8; MAX_HEADER];
    let header_len = encode_header(&mut header, opcode, payload.len());
    let total = header_len + payload.len();
    bytes[..header_len].copy_from_slice(&header[..header_len]);
    bytes[header_len..total].copy_from_slice(payload);
    (write(&[IoSlice::new(&bytes[..total])]), 1, total)
}

/// [`with_slices`] for up to `N` frames (`SLICES` is `2 * N`).
///
/// Small frames, one or several, are copied with their headers into one buffer
/// and written as one slice: the kernel's cost grows with the number of slices (a
/// socket writes one slice with `send`, several with `writev`, which costs more),
/// and copying a few hundred bytes here costs less than it saves there.
fn slices_of<const N: usize, const SLICES: usize, R>(
    batch: &VecDeque<Frame>,
    write: impl FnOnce(&[IoSlice<'_>]) -> R,
) -> (R, usize, usize) {
    let count = batch.len().min(N);
    let mut headers = [[0u8; MAX_HEADER]; N];
    let mut slices = [IoSlice::new(&[]); SLICES];
    let mut header_lens = [0usize; N];
    let mut total = 0;
    for (index, frame) in batch.iter().take(count).enumerate() {
        let (opcode, payload) = parts(frame);
        header_lens[index] = encode_header(&mut headers[index], opcode, payload.len());
        total += header_lens[index] + payload.len();
    }
    if total <= COALESCE_LIMIT {
        let mut joined = JOINED.take();
        joined.clear();
        for (index, frame) in batch.iter().take(count).enumerate() {
            joined.extend_from_slice(&headers[index][..header_lens[index]]);
            joined.extend_from_slice(parts(frame).1);
        }
        let result = write(&[IoSlice::new(&joined)]);
        JOINED.set(joined);
        return (result, count, total);
    }
    for (index, frame) in batch.iter().take(count).enumerate() {
        slices[2 * index] = IoSlice::new(&headers[index][..header_lens[index]]);
        slices[2 * index + 1] = IoSlice::new(parts(frame).1);
    }
    (write(&slices[..count * 2]), count, total)
}

/// Appends `frames` to `out` as server frames.
pub(crate) fn append_frames(out: &mut Vec<u8>, frames: impl Iterator<Item = Frame>) {
    let mut header = [0u8; MAX_HEADER];
    for frame in frames {
        let (opcode, payload) = parts(&frame);
        let header_len = encode_header(&mut header, opcode, payload.len());
        out.extend_from_slice(&header[..header_len]);
        out.extend_from_slice(payload);
    }
}

/// The bytes of `frames` after the first `skip`, as one buffer of `len` bytes.
fn remainder<'a>(frames: impl Iterator<Item = &'a Frame>, mut skip: usize, len: usize) -> Vec<u8> {
    let mut rest = Vec::with_capacity(len);
    let mut header = [0u8; MAX_HEADER];
    for frame in frames {
        let (opcode, payload) = parts(frame);
        let header_len = encode_header(&mut header, opcode, payload.len());
        for piece in [&header[..header_len], payload] {
            let taken = skip.min(piece.len());
            skip -= taken;
            rest.extend_from_slice(&piece[taken..]);
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::packet::PacketKind;
    use bytes::Bytes;

    fn frames() -> VecDeque<Frame> {
        VecDeque::from(vec![
            Frame::text_packet(PacketKind::Message, "hello"),
            Frame::Binary(Bytes::from(vec![7u8; 300])),
            Frame::text_packet(PacketKind::Message, &"x".repeat(70_000)),
        ])
    }

    fn expected() -> Vec<u8> {
        let mut out = vec![0x81, 6];
        out.extend_from_slice(b"4hello");
        out.extend_from_slice(&[0x82, 126, 0x01, 0x2c]);
        out.extend_from_slice(&[7u8; 300]);
        out.extend_from_slice(&[0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x71]);
        out.push(b'4');
        out.extend_from_slice("x".repeat(70_000).as_bytes());
        out
    }

    #[tokio::test]
    async fn writes_server_frames() {
        let mut out = Vec::new();
        let mut batch = frames();
        write_frames(&mut out, &mut batch).await.unwrap();
        assert!(batch.is_empty());
        assert_eq!(out, expected());
    }

    #[tokio::test]
    async fn survives_partial_writes() {
        let (mut client, mut server) = tokio::io::duplex(7);
        let reader = tokio::spawn(async move {
            let mut received = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut client, &mut received)
                .await
                .unwrap();
            received
        });
        let mut batch = frames();
        write_frames(&mut server, &mut batch).await.unwrap();
        drop(server);
        assert_eq!(reader.await.unwrap(), expected());
    }

    #[test]
    fn appends_frames_after_other_bytes() {
        let mut out = b"prefix".to_vec();
        append_frames(&mut out, frames().into_iter());
        assert_eq!(&out[..6], b"prefix");
        assert_eq!(&out[6..], expected());
    }

    fn small_frames() -> VecDeque<Frame> {
        (0..5)
            .map(|index| Frame::text_packet(PacketKind::Message, &"y".repeat(index * 7)))
            .chain([Frame::Binary(Bytes::from_static(&[1, 2, 3]))])
            .collect()
    }

    fn stream_of(frames: &VecDeque<Frame>) -> Vec<u8> {
        let mut out = Vec::new();
        append_frames(&mut out, frames.iter().cloned());
        out
    }

    #[test]
    fn small_frames_leave_in_one_slice() {
        let batch = small_frames();
        let expected = stream_of(&batch);
        let mut batch = batch;
        let mut seen = Vec::new();
        let written = try_write_frames(&mut batch, |slices| {
            assert_eq!(slices.len(), 1, "small frames are joined into one slice");
            seen.extend_from_slice(&slices[0]);
            Ok(slices[0].len())
        });
        assert_eq!(written, Written::All);
        assert!(batch.is_empty());
        assert_eq!(seen, expected);
    }

    /// What reaches the wire when the socket takes only the first `cut` bytes of
    /// `batch`'s first write (checking it is one slice when `one_slice`), then
    /// the rest is written as the driver would.
    fn written_with_cut(mut batch: VecDeque<Frame>, cut: usize, one_slice: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let written = try_write_frames(&mut batch, |slices| {
            assert!(!one_slice || slices.len() == 1, "one slice expected");
            let mut taken = 0;
            for slice in slices {
                let part = (cut - taken).min(slice.len());
                out.extend_from_slice(&slice[..part]);
                taken += part;
            }
            if taken == 0 {
                Err(io::ErrorKind::WouldBlock.into())
            } else {
                Ok(taken)
            }
        });
        match written {
            Written::Partial(rest) => out.extend_from_slice(&rest),
            Written::Blocked => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
        out.extend_from_slice(&stream_of(&batch));
        out
    }

    #[test]
    fn joined_frames_survive_a_write_cut_anywhere() {
        let expected = stream_of(&small_frames());
        for cut in 0..expected.len() {
            assert_eq!(
                written_with_cut(small_frames(), cut, true),
                expected,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_lone_frame_leaves_in_one_slice_and_survives_a_cut_anywhere() {
        // Short (header on the stack), at the two-byte header's limit, one past
        // it, and long enough to need slices of its own.
        for len in [
            0,
            1,
            SHORT_PAYLOAD - 1,
            SHORT_PAYLOAD,
            SHORT_PAYLOAD + 1,
            3000,
        ] {
            let lone = || VecDeque::from([Frame::Binary(Bytes::from(vec![9u8; len]))]);
            let expected = stream_of(&lone());
            for cut in 0..expected.len() {
                let one_slice = len <= COALESCE_LIMIT;
                assert_eq!(
                    written_with_cut(lone(), cut, one_slice),
                    expected,
                    "length {len}, cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn frames_past_the_limit_keep_their_own_slices() {
        let mut batch: VecDeque<Frame> = [
            Frame::text_packet(PacketKind::Message, &"a".repeat(COALESCE_LIMIT)),
            Frame::text_packet(PacketKind::Message, "b"),
        ]
        .into_iter()
        .collect();
        let expected = stream_of(&batch);
        let mut seen = Vec::new();
        let written = try_write_frames(&mut batch, |slices| {
            assert_eq!(slices.len(), 4);
            let mut len = 0;
            for slice in slices {
                seen.extend_from_slice(slice);
                len += slice.len();
            }
            Ok(len)
        });
        assert_eq!(written, Written::All);
        assert_eq!(seen, expected);
    }

    #[tokio::test]
    async fn many_frames_span_several_writes() {
        let mut out = Vec::new();
        let mut batch: VecDeque<Frame> = (0..100)
            .map(|index| Frame::text_packet(PacketKind::Message, &index.to_string()))
            .collect();
        write_frames(&mut out, &mut batch).await.unwrap();
        let mut expected = Vec::new();
        for index in 0..100 {
            let text = format!("4{index}");
            expected.extend_from_slice(&[0x81, text.len() as u8]);
            expected.extend_from_slice(text.as_bytes());
        }
        assert_eq!(out, expected);
    }
}
