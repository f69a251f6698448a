//! Tests of the frame parser, the read buffer and a connection over loopback TCP.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::buffer::{INITIAL_CAPACITY, ReadBuffer};
use super::frame::{self, Header, Outbox, WsError, parse_header};
use super::{MAX_PAYLOAD, Ws};

/// A server frame (unmasked) with the given first byte, using the length
/// encoding `width` (7, 16 or 64 bits) whatever the payload length.
fn server_frame(b0: u8, payload: &[u8], width: u8) -> Vec<u8> {
    let mut bytes = vec![b0];
    match width {
        7 => bytes.push(u8::try_from(payload.len()).unwrap()),
        16 => {
            bytes.push(126);
            bytes.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
        }
        _ => {
            bytes.push(127);
            bytes.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        }
    }
    bytes.extend_from_slice(payload);
    bytes
}

/// A final text frame from the server with the shortest length encoding.
fn text_frame(payload: &[u8]) -> Vec<u8> {
    let width = match payload.len() {
        0..=125 => 7,
        126..=0xFFFF => 16,
        _ => 64,
    };
    server_frame(0x80 | frame::TEXT, payload, width)
}

/// What feeding a byte stream through a [`ReadBuffer`] produced.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    texts: Vec<Vec<u8>>,
    written: Vec<u8>,
    frames: usize,
}

/// Feeds `chunks` one after the other (as separate reads), processing after each.
fn feed<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, max: usize) -> Result<Seen, WsError> {
    let mut buffer = ReadBuffer::new(Vec::new(), max);
    let mut out = Outbox::default();
    let mut seen = Seen::default();
    for chunk in chunks {
        buffer.spare().extend_from_slice(chunk);
        seen.frames += buffer.process(&mut out, |payload, _| {
            seen.texts.push(payload.to_vec());
            true
        })?;
    }
    assert!(buffer.unhandled().is_empty(), "a frame was left incomplete");
    seen.written = out.bytes().to_vec();
    Ok(seen)
}

/// A client frame as the [`Outbox`] should encode it: FIN, opcode, mask bit,
/// length, the zero key, the payload unchanged.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = server_frame(0x80 | opcode, payload, 7);
    bytes[1] |= 0x80;
    bytes.splice(2..2, [0; 4]);
    bytes
}

/// A mixed stream: every length encoding, a ping, a pong and a binary frame.
fn mixed_stream() -> (Vec<u8>, Vec<Vec<u8>>) {
    let long: Vec<u8> = (0..300u32).map(|i| b'a' + (i % 26) as u8).collect();
    let texts = vec![
        b"42[\"bcast\",{\"seq\":1,\"t\":2}]".to_vec(),
        long.clone(),
        b"64-bit length".to_vec(),
        // Binary payloads (MessagePack packets) are handed over as text ones are.
        b"\x00\x01".to_vec(),
        b"2".to_vec(),
        Vec::new(),
    ];
    let mut stream = text_frame(&texts[0]);
    stream.extend(server_frame(0x80 | frame::PING, b"are you there", 7));
    stream.extend(server_frame(0x80 | frame::TEXT, &long, 16));
    stream.extend(server_frame(0x80 | frame::PONG, b"", 7));
    stream.extend(server_frame(0x80 | frame::TEXT, &texts[2], 64));
    stream.extend(server_frame(0x80 | frame::BINARY, &texts[3], 7));
    stream.extend(text_frame(&texts[4]));
    stream.extend(text_frame(&texts[5]));
    (stream, texts)
}

#[test]
fn headers_of_every_length_encoding() {
    let short = text_frame(b"hello");
    assert_eq!(
        parse_header(&short, MAX_PAYLOAD).unwrap(),
        Some(Header {
            opcode: frame::TEXT,
            header_len: 2,
            payload_len: 5
        })
    );
    let medium = text_frame(&[b'x'; 1000]);
    let header = parse_header(&medium, MAX_PAYLOAD).unwrap().unwrap();
    assert_eq!((header.header_len, header.payload_len), (4, 1000));
    let long = text_frame(&vec![b'y'; 70_000]);
    let header = parse_header(&long, MAX_PAYLOAD).unwrap().unwrap();
    assert_eq!((header.header_len, header.payload_len), (10, 70_000));
    for partial in [&short[..1], &medium[..3], &long[..9]] {
        assert_eq!(parse_header(partial, MAX_PAYLOAD).unwrap(), None);
    }
}

#[test]
fn stream_split_at_every_byte() {
    let (stream, texts) = mixed_stream();
    let whole = feed([&stream[..]], MAX_PAYLOAD).unwrap();
    assert_eq!(whole.texts, texts);
    assert_eq!(whole.frames, 8);
    assert_eq!(whole.written, client_frame(frame::PONG, b"are you there"));
    for split in 0..=stream.len() {
        let (a, b) = stream.split_at(split);
        assert_eq!(
            feed([a, b], MAX_PAYLOAD).unwrap(),
            whole,
            "split at {split}"
        );
    }
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(feed(bytes, MAX_PAYLOAD).unwrap(), whole);
}

#[test]
fn big_frame_grows_the_buffer_then_shrinks_it() {
    let big: Vec<u8> = (0..200_000u32).map(|i| b'0' + (i % 10) as u8).collect();
    let mut stream = text_frame(&big);
    stream.extend(text_frame(b"after"));
    let mut buffer = ReadBuffer::new(Vec::new(), MAX_PAYLOAD);
    let mut out = Outbox::default();
    let mut texts = Vec::new();
    let (mut rest, mut largest) = (&stream[..], 0);
    while !rest.is_empty() {
        // Like a socket read: up to 4 KiB at a time, never beyond the spare room.
        let spare = buffer.spare();
        let room = spare.capacity() - spare.len();
        assert!(room >= 1024);
        let (read, later) = rest.split_at(room.min(rest.len()).min(4096));
        spare.extend_from_slice(read);
        rest = later;
        largest = largest.max(buffer.capacity());
        buffer
            .process(&mut out, |payload, _| {
                texts.push(payload.to_vec());
                true
            })
            .unwrap();
    }
    assert!(largest < 2 * big.len(), "grew to {largest}");
    assert_eq!(texts, vec![big, b"after".to_vec()]);
    assert!(buffer.capacity() <= INITIAL_CAPACITY * 2);
}

#[test]
fn oversize_frame_is_rejected_from_its_header() {
    let frame = text_frame(&[b'z'; 1001]);
    assert!(matches!(
        feed([&frame[..4]], 1000),
        Err(WsError::TooBig {
            len: 1001,
            max: 1000
        })
    ));
    assert!(feed([&frame[..]], 1001).is_ok());
    let mut huge = vec![0x81, 127];
    huge.extend_from_slice(&u64::MAX.to_be_bytes());
    assert!(matches!(
        parse_header(&huge, MAX_PAYLOAD),
        Err(WsError::TooBig { .. })
    ));
}

#[test]
fn protocol_violations_are_rejected() {
    let mut masked = text_frame(b"hi");
    masked[1] |= 0x80;
    masked.splice(2..2, [1, 2, 3, 4]);
    let reserved = server_frame(0x80 | 0x40 | frame::TEXT, b"hi", 7);
    let fragment = server_frame(frame::TEXT, b"hi", 7);
    let continuation = server_frame(0x80 | frame::CONTINUATION, b"hi", 7);
    let long_ping = server_frame(0x80 | frame::PING, &[0; 126], 16);
    let unknown = server_frame(0x83, b"", 7);
    for bad in [masked, reserved, fragment, continuation, long_ping, unknown] {
        let result = feed([&bad[..]], MAX_PAYLOAD);
        assert!(matches!(result, Err(WsError::Protocol(_))), "{bad:?}");
    }
}

#[test]
fn close_frame_is_answered_and_reported() {
    let mut stream = text_frame(b"last");
    stream.extend(server_frame(0x80 | frame::CLOSE, b"\x03\xe8bye", 7));
    stream.extend(text_frame(b"never"));
    let mut buffer = ReadBuffer::new(stream, MAX_PAYLOAD);
    let mut out = Outbox::default();
    let mut texts = Vec::new();
    let result = buffer.process(&mut out, |payload, _| {
        texts.push(payload.to_vec());
        true
    });
    assert!(matches!(result, Err(WsError::Closed)));
    assert_eq!(texts, vec![b"last".to_vec()]);
    assert_eq!(out.bytes(), client_frame(frame::CLOSE, b"\x03\xe8"));
}

#[test]
fn client_frames_are_masked_with_the_zero_key() {
    let mut out = Outbox::default();
    out.text(b"40");
    assert_eq!(out.bytes(), [0x81, 0x82, 0, 0, 0, 0, b'4', b'0']);
    out.clear();
    out.text(&[b'm'; 300]);
    assert_eq!(out.bytes()[..8], [0x81, 0x80 | 126, 1, 44, 0, 0, 0, 0]);
    assert_eq!(out.bytes().len(), 8 + 300);
    out.clear();
    out.text(&[b'l'; 70_000]);
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&70_000u64.to_be_bytes());
    header.extend_from_slice(&[0; 4]);
    assert_eq!(out.bytes()[..14], header[..]);
    assert_eq!(out.bytes().len(), 14 + 70_000);
}

/// A connected pair: the client side wrapped in a [`Ws`] starting with `leftover`.
async fn pair(leftover: Vec<u8>) -> (Ws, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap());
    let (client, accepted) = tokio::join!(client, listener.accept());
    (Ws::new(client.unwrap(), leftover), accepted.unwrap().0)
}

#[tokio::test]
async fn reads_answers_pings_and_batches_writes() {
    let leftover = text_frame(b"0{\"sid\":\"abc\"}");
    let (mut ws, mut server) = pair(leftover).await;
    assert_eq!(ws.next_text().await.unwrap(), b"0{\"sid\":\"abc\"}");

    let mut burst = server_frame(0x80 | frame::PING, b"p", 7);
    burst.extend(text_frame(b"one"));
    burst.extend(text_frame(b"two"));
    let (head, tail) = burst.split_at(9);
    server.write_all(head).await.unwrap();
    let mut texts = Vec::new();
    ws.read(|payload, out| {
        texts.push(payload.to_vec());
        out.text(b"ack");
    })
    .await
    .unwrap();
    server.write_all(tail).await.unwrap();
    while texts.len() < 2 {
        ws.read(|payload, out| {
            texts.push(payload.to_vec());
            out.text(b"ack");
        })
        .await
        .unwrap();
    }
    assert_eq!(texts, vec![b"one".to_vec(), b"two".to_vec()]);

    let mut expected = client_frame(frame::PONG, b"p");
    expected.extend(client_frame(frame::TEXT, b"ack"));
    expected.extend(client_frame(frame::TEXT, b"ack"));
    let mut received = vec![0; expected.len()];
    server.read_exact(&mut received).await.unwrap();
    assert_eq!(received, expected);

    drop(server);
    assert!(matches!(ws.fill().await, Err(WsError::Closed)));
}

#[tokio::test]
async fn next_text_leaves_later_frames_buffered() {
    let mut leftover = text_frame(b"first");
    leftover.extend(text_frame(b"second"));
    let (mut ws, _server) = pair(leftover).await;
    assert_eq!(ws.next_text().await.unwrap(), b"first");
    let mut texts = Vec::new();
    let handled = ws.handle(|payload, _| texts.push(payload.to_vec()));
    assert_eq!(handled.await.unwrap(), 1);
    assert_eq!(texts, vec![b"second".to_vec()]);
}
