//! Engine.IO: any polling body or WebSocket text decodes to packets or an error, never a panic.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use tether::engine::packet::{Packet, decode_payload, encode_payload};
use tether::engine::{Frame, Text};

fuzz_target!(|data: &[u8]| {
    if let Ok(packets) = decode_payload(Bytes::copy_from_slice(data)) {
        let frames: Vec<Frame> = packets.iter().map(Packet::encode).collect();
        let _ = encode_payload(&frames);
    }
    if let Ok(text) = Text::try_from_bytes(Bytes::copy_from_slice(data)) {
        let _ = Packet::decode_text(text);
    }
});
