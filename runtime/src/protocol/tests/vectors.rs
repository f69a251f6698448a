//! Every vector recorded from the reference parser (`socket.io-parser` 4.2.7):
//! byte-exact encoding, accepted inputs, and inputs it rejects.

use bytes::Bytes;
use serde_json::Value as Json;

use crate::frame::Text;
use crate::protocol::{
    Body, Decoder, Encoded, Packet, PacketKind, Value, encode_ack, encode_connect,
    encode_connect_error, encode_disconnect, encode_event,
};

fn vectors() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/socket-io-v5.json"
    );
    let text = std::fs::read_to_string(path).expect("vector file is readable");
    serde_json::from_str(&text).expect("vector file is JSON")
}

fn section(name: &str) -> Vec<Json> {
    let list = vectors()[name].as_array().cloned().unwrap_or_default();
    assert!(!list.is_empty(), "no vectors in section {name}");
    list
}

fn hex(text: &str) -> Bytes {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("hex digits"))
        .collect::<Vec<u8>>()
        .into()
}

/// A vector datum as a [`Value`]: `{"binary_hex": ...}` objects become binary.
fn datum(json: &Json) -> Value {
    match json {
        Json::Object(map) if map.len() == 1 && map.contains_key("binary_hex") => {
            Value::Binary(hex(map["binary_hex"].as_str().expect("hex string")))
        }
        Json::Array(items) => Value::Array(items.iter().map(datum).collect()),
        Json::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), datum(value)))
                .collect(),
        ),
        other => Value::from(other.clone()),
    }
}

enum Recorded {
    Text(String),
    Binary(Bytes),
}

fn frame(json: &Json) -> Recorded {
    match (json.get("text"), json.get("binary_hex")) {
        (Some(text), _) => Recorded::Text(text.as_str().expect("text frame").to_owned()),
        (_, Some(binary)) => Recorded::Binary(hex(binary.as_str().expect("hex frame"))),
        _ => panic!("unknown frame {json}"),
    }
}

fn encode_vector(packet: &Json) -> Encoded {
    let nsp = packet["nsp"].as_str().expect("nsp");
    let id = packet.get("id").and_then(Json::as_u64);
    let data = packet.get("data");
    match packet["type"].as_u64().expect("type") {
        0 => encode_connect(nsp, data),
        1 => encode_disconnect(nsp),
        2 => {
            let Some(Value::Array(items)) = data.map(datum) else {
                panic!("event data must be an array")
            };
            let name = items[0].as_str().expect("event name").to_owned();
            encode_event(nsp, &name, &items[1..], id).expect("event encodes")
        }
        3 => {
            let Some(Value::Array(items)) = data.map(datum) else {
                panic!("ack data must be an array")
            };
            encode_ack(nsp, id.expect("ack id"), &items).expect("ack encodes")
        }
        4 => {
            let data = data.expect("connect error data");
            let message = data["message"].as_str().expect("message");
            encode_connect_error(nsp, message, data.get("data"))
        }
        other => panic!("unexpected packet type {other}"),
    }
}

#[test]
fn encoder_output_is_byte_exact() {
    for vector in section("encode") {
        let encoded = encode_vector(&vector["packet"]);
        let frames: Vec<Recorded> = vector["frames"]
            .as_array()
            .expect("frames")
            .iter()
            .map(frame)
            .collect();
        let Recorded::Text(expected) = &frames[0] else {
            panic!("first frame must be text")
        };
        assert_eq!(
            encoded.text(),
            format!("4{expected}").as_str(),
            "encoding {}",
            vector["packet"]
        );
        let binaries: Vec<Bytes> = frames[1..]
            .iter()
            .map(|frame| match frame {
                Recorded::Binary(bytes) => bytes.clone(),
                Recorded::Text(_) => panic!("attachments must be binary"),
            })
            .collect();
        assert_eq!(
            encoded.attachments(),
            binaries,
            "attachments of {}",
            vector["packet"]
        );
    }
}

fn decode_frames(frames: &[Json]) -> Vec<Packet> {
    let mut decoder = Decoder::default();
    let mut packets = Vec::new();
    for json in frames {
        let result = match frame(json) {
            Recorded::Text(text) => decoder.decode_text(Text::from(text)),
            Recorded::Binary(bytes) => decoder.decode_binary(bytes),
        };
        packets.extend(result.unwrap_or_else(|error| panic!("{json} rejected: {error}")));
    }
    assert_eq!(decoder.pending_attachments(), 0);
    packets
}

/// A decoded packet in the shape the vectors record: `(type, nsp, id, data)`.
fn as_recorded(packet: &Packet) -> (u64, String, Option<u64>, Option<Value>) {
    let parse = |text: &Text| Value::from(serde_json::from_str::<Json>(text).expect("JSON"));
    let (kind, data) = match &packet.body {
        Body::Connect(auth) => (0, auth.as_ref().map(parse)),
        Body::Disconnect => (1, None),
        Body::Event { name, args } => {
            let mut items = vec![Value::String(name.to_string())];
            items.extend(args.to_values().expect("arguments resolve"));
            (2, Some(Value::Array(items)))
        }
        Body::Ack(args) => (
            3,
            Some(Value::Array(args.to_values().expect("arguments resolve"))),
        ),
        Body::ConnectError(data) => (4, Some(parse(data))),
    };
    (kind, packet.nsp.to_string(), packet.id, data)
}

/// The recorded data, with a numeric event name as the text tether gives it.
fn expected_data(kind: u64, data: Option<&Json>) -> Option<Value> {
    let mut data = data.map(datum)?;
    if let (2, Value::Array(items)) = (kind, &mut data)
        && let Some(Value::Number(number)) = items.first()
    {
        items[0] = Value::String(number.to_string());
    }
    Some(data)
}

#[test]
fn accepted_inputs_decode_like_the_reference() {
    for vector in section("decode_ok") {
        let packets = decode_frames(vector["frames"].as_array().expect("frames"));
        let expected = vector["packets"].as_array().expect("packets");
        assert_eq!(
            packets.len(),
            expected.len(),
            "packets of {}",
            vector["frames"]
        );
        for (packet, expected) in packets.iter().zip(expected) {
            let kind = expected["type"].as_u64().expect("type");
            let recorded = (
                kind,
                expected["nsp"].as_str().expect("nsp").to_owned(),
                expected.get("id").and_then(Json::as_u64),
                expected_data(kind, expected.get("data")),
            );
            assert_eq!(
                as_recorded(packet),
                recorded,
                "decoding {}",
                vector["frames"]
            );
        }
    }
}

/// Inputs the reference accepts and tether rejects, as the module docs list.
const STRICTER: [&str; 4] = ["", "4", "2/admin", "2 [\"x\"]"];

#[test]
fn rejects_everything_the_reference_rejects() {
    for vector in section("decode_edge") {
        let input = vector["input"].as_str().expect("input");
        let result = Decoder::default().decode_text(Text::from(input.to_owned()));
        if vector["rejected"] == Json::Bool(true) {
            assert!(
                result.is_err(),
                "{input:?} must be rejected ({})",
                vector["error"]
            );
        } else {
            assert!(
                STRICTER.contains(&input),
                "{input:?} is accepted by the reference"
            );
            assert!(
                result.is_err(),
                "{input:?} is documented as rejected by tether"
            );
        }
    }
}

#[test]
fn stricter_inputs_fail_for_the_documented_reason() {
    use crate::protocol::ParseError;
    let decode = |input: &str| Decoder::default().decode_text(Text::from(input.to_owned()));
    assert!(matches!(decode(""), Err(ParseError::Empty)));
    assert!(matches!(
        decode("4"),
        Err(ParseError::MissingPayload(PacketKind::ConnectError))
    ));
    assert!(matches!(
        decode("2/admin"),
        Err(ParseError::MissingPayload(PacketKind::Event))
    ));
    assert!(matches!(
        decode("2 [\"x\"]"),
        Err(ParseError::WrongPayloadType {
            kind: PacketKind::Event,
            ..
        })
    ));
}
