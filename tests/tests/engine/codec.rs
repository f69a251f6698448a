//! Properties of the Engine.IO codec: decoding arbitrary input never panics, and
//! what the server encodes decodes back to the same packets.

use bytes::Bytes;
use proptest::prelude::*;
use tether::engine::packet::{decode_payload, encode_payload};
use tether::engine::{Frame, Packet, PacketKind, Text};

/// A message as a test generates it: text without the record separator (which no
/// Engine.IO text may contain), or any bytes.
#[derive(Debug, Clone)]
enum Sample {
    Text(String),
    Binary(Vec<u8>),
}

fn sample() -> impl Strategy<Value = Sample> {
    prop_oneof![
        "[^\u{1e}]{0,40}".prop_map(Sample::Text),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Sample::Binary),
    ]
}

impl Sample {
    fn frame(&self) -> Frame {
        match self {
            Sample::Text(text) => Frame::text_packet(PacketKind::Message, text),
            Sample::Binary(bytes) => Frame::Binary(Bytes::from(bytes.clone())),
        }
    }

    fn packet(&self) -> Packet {
        match self {
            Sample::Text(text) => Packet::Message(Text::from(text.clone())),
            Sample::Binary(bytes) => Packet::Binary(Bytes::from(bytes.clone())),
        }
    }
}

proptest! {
    #[test]
    fn decoding_a_polling_payload_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_payload(Bytes::from(body));
    }

    #[test]
    fn decoding_polling_like_input_never_panics(body in "[0-9b\u{1e}A-Za-z+/=]{0,64}") {
        let _ = decode_payload(Bytes::from(body));
    }

    #[test]
    fn decoding_a_websocket_text_frame_never_panics(text in any::<String>()) {
        let _ = Packet::decode_text(Text::from(text));
    }

    #[test]
    fn polling_payloads_round_trip(samples in proptest::collection::vec(sample(), 1..12)) {
        let frames: Vec<Frame> = samples.iter().map(Sample::frame).collect();
        let decoded = decode_payload(encode_payload(&frames)).expect("own payload decodes");
        let expected: Vec<Packet> = samples.iter().map(Sample::packet).collect();
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn websocket_text_frames_round_trip(text in any::<String>()) {
        let Frame::Text(frame) = Frame::text_packet(PacketKind::Message, &text) else {
            panic!("a text packet is a text frame");
        };
        let decoded = Packet::decode_text(frame).expect("own frame decodes");
        prop_assert_eq!(decoded, Packet::Message(Text::from(text)));
    }
}
