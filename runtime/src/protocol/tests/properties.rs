//! Property tests: the decoder never panics, and encoding round-trips any value.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;

use super::round_trip::decode_encoded;
use crate::frame::Text;
use crate::protocol::{
    Body, Decoder, Packet, Value, encode_ack, encode_event, from_value, to_value, with_ack_id,
};

#[derive(Debug, Clone)]
enum Input {
    Text(String),
    Binary(Vec<u8>),
}

/// Text that often looks like a packet: a plausible header, then JSON-ish noise.
fn packet_like() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        Just(""),
        Just("0"),
        Just("1"),
        Just("2"),
        Just("3"),
        Just("4"),
        Just("5"),
        Just("51-"),
        Just("52-"),
        Just("61-"),
        Just("510-"),
        Just("2/admin,"),
        Just("51-/a,3"),
        Just("212"),
        Just("7"),
        Just("2"),
        Just("51-"),
        Just("3"),
    ];
    let piece = prop_oneof![
        Just(r#"{"_placeholder":true,"num":0}"#.to_owned()),
        Just(r#"{"_placeholder":true,"num":1}"#.to_owned()),
        Just(r#""ev""#.to_owned()),
        Just(r#""connect""#.to_owned()),
        Just("1e400".to_owned()),
        Just("-0".to_owned()),
        "[\\[\\]{}\",:0-9a-z_\\\\. -]{0,12}",
    ];
    (header, vec(piece, 0..6)).prop_map(|(header, pieces)| {
        let mut text = header.to_owned();
        let bracket = pieces.len() % 4 != 0;
        if bracket {
            text.push('[');
        }
        text.push_str(&pieces.join(","));
        if bracket {
            text.push(']');
        }
        text
    })
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        1 => any::<String>().prop_map(Input::Text),
        6 => packet_like().prop_map(Input::Text),
        2 => vec(any::<u8>(), 0..8).prop_map(Input::Binary),
    ]
}

/// Uses every part of a decoded packet, and checks that an event or ack re-encodes
/// to a packet that decodes to the same arguments.
fn exercise(packet: Packet) {
    let (name, args) = match &packet.body {
        Body::Event { name, args } => (Some(name), args),
        Body::Ack(args) => (None, args),
        _ => return,
    };
    for index in 0..=args.len() {
        let _ = args.raw(index);
        let _ = args.decode::<Value>(index);
        let _ = args.decode::<serde_json::Value>(index);
        let _ = args.decode::<(String, Bytes)>(index);
    }
    let Ok(values) = args.to_values() else {
        return;
    };
    let encoded = match (name, packet.id) {
        (Some(name), id) => encode_event(&packet.nsp, name, args, id),
        (None, Some(id)) => encode_ack(&packet.nsp, id, args),
        (None, None) => return,
    };
    let again = decode_encoded(&encoded.expect("arguments re-encode"));
    assert_eq!((&again.nsp, again.id), (&packet.nsp, packet.id));
    let again_args = match (again.body, name) {
        (
            Body::Event {
                name: again_name,
                args,
            },
            Some(name),
        ) => {
            assert_eq!(&again_name, name);
            args
        }
        (Body::Ack(args), None) => args,
        (other, _) => panic!("re-encoded packet decodes as {other:?}"),
    };
    assert_eq!(again_args.to_values().expect("values"), values);
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |number| number.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        vec(any::<u8>(), 0..16).prop_map(|bytes| Value::Binary(Bytes::from(bytes))),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((any::<String>(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Equal, except that numbers need only read back as the same double (JSON text
/// does not keep `1.0` apart from `1`, and float parsing may differ in the last bit).
fn equivalent(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(_), Value::Number(_)) => {
            let (a, b) = (left.as_f64().unwrap_or(0.0), right.as_f64().unwrap_or(0.0));
            a == b || (a.signum() == b.signum() && a.to_bits().abs_diff(b.to_bits()) <= 2)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| equivalent(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && equivalent(va, vb))
        }
        _ => left == right,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn decoding_arbitrary_frames_never_panics(
        inputs in vec(input(), 1..8),
        max_attachments in 0usize..4,
    ) {
        let mut decoder = Decoder::new(max_attachments);
        for input in inputs {
            let result = match input {
                Input::Text(text) => decoder.decode_text(Text::from(text)),
                Input::Binary(bytes) => decoder.decode_binary(Bytes::from(bytes)),
            };
            if let Ok(Some(packet)) = result {
                exercise(packet);
            }
        }
    }

    #[test]
    fn values_survive_encoding_and_decoding(
        values in vec(value(), 0..5),
        id in proptest::option::of(any::<u64>()),
        new_id in any::<u64>(),
    ) {
        let encoded = encode_event("/game", "state", &values, id).expect("values encode");
        let binaries = encoded.attachments().len();
        prop_assert_eq!(encoded.text().starts_with("45"), binaries > 0);

        for (encoded, id) in [(encoded.clone(), id), (with_ack_id(&encoded, "/game", new_id), Some(new_id))] {
            let packet = decode_encoded(&encoded);
            prop_assert_eq!(packet.id, id);
            let Body::Event { name, args } = packet.body else {
                panic!("not an event")
            };
            prop_assert_eq!(name, "state");
            prop_assert_eq!(args.attachments().len(), binaries);
            let decoded = args.to_values().expect("values");
            prop_assert!(
                decoded.len() == values.len() && decoded.iter().zip(&values).all(|(a, b)| equivalent(a, b)),
                "{:?} != {:?}", decoded, values
            );
        }
    }

    #[test]
    fn values_convert_to_and_from_themselves(value in value()) {
        prop_assert_eq!(to_value(&value).expect("to_value"), value.clone());
        prop_assert_eq!(from_value::<Value>(value.clone()).expect("from_value"), value);
    }
}
