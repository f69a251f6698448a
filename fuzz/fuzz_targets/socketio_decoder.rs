//! Socket.IO: any sequence of text and binary messages decodes to packets or errors,
//! never a panic; decoded arguments can be read and re-encoded; the one-pass scan of
//! argument arrays agrees with serde_json.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use tether::engine::Text;
use tether::protocol::{Body, Decoder, encode_ack};

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::default();
    for chunk in data.split(|&byte| byte == 0xff) {
        let decoded = match chunk.split_first() {
            Some((0, binary)) => decoder.decode_binary(Bytes::copy_from_slice(binary)),
            _ => match Text::try_from_bytes(Bytes::copy_from_slice(chunk)) {
                Ok(text) => {
                    check_scan(&text);
                    decoder.decode_text(text)
                }
                Err(_) => continue,
            },
        };
        match decoded {
            Ok(Some(packet)) => {
                if let Body::Event { args, .. } | Body::Ack(args) = packet.body {
                    let _ = args.to_values();
                    let _ = encode_ack("/", 1, &args);
                }
            }
            Ok(None) => {}
            Err(_) => decoder = Decoder::default(),
        }
    }
});

/// The argument scan agrees with serde_json on the text as a payload, and on the text
/// after a one-byte packet type.
fn check_scan(text: &str) {
    let payloads = [Some(text), text.get(1..)];
    for payload in payloads.into_iter().flatten() {
        if let Err(difference) = Decoder::check_argument_scan(payload) {
            panic!("{difference}");
        }
    }
}
