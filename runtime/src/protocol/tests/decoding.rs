//! Decoder rules, one test per rule, and the attachment state machine.

use bytes::Bytes;

use crate::frame::Text;
use crate::protocol::{Body, Decoder, PacketKind, ParseError};

fn decode(input: &str) -> Result<Option<crate::protocol::Packet>, ParseError> {
    Decoder::default().decode_text(Text::from(input.to_owned()))
}

fn event(input: &str) -> (Text, crate::protocol::Args) {
    match decode(input).expect("decodes").expect("complete").body {
        Body::Event { name, args } => (name, args),
        other => panic!("not an event: {other:?}"),
    }
}

#[test]
fn header_parts_are_read_in_order() {
    let packet = decode(r#"2/admin,456["project:delete",123]"#)
        .unwrap()
        .unwrap();
    assert_eq!(packet.nsp, "/admin");
    assert_eq!(packet.id, Some(456));
    assert_eq!(packet.kind(), PacketKind::Event);

    let packet = decode(r#"2/admin,["x"]"#).unwrap().unwrap();
    assert_eq!((packet.nsp.as_str(), packet.id), ("/admin", None));

    let packet = decode(r#"3007[]"#).unwrap().unwrap();
    assert_eq!((packet.nsp.as_str(), packet.id), ("/", Some(7)));
    assert!(matches!(packet.body, Body::Ack(ref args) if args.is_empty()));

    let packet = decode("1/admin,").unwrap().unwrap();
    assert_eq!(
        (packet.nsp.as_str(), packet.body),
        ("/admin", Body::Disconnect)
    );
}

#[test]
fn connect_payload_is_an_object_or_absent() {
    let packet = decode(r#"0/admin,{"token":"abc"}"#).unwrap().unwrap();
    assert_eq!(
        packet.body,
        Body::Connect(Some(Text::from(r#"{"token":"abc"}"#)))
    );
    assert_eq!(decode("0").unwrap().unwrap().body, Body::Connect(None));
    assert!(matches!(
        decode("0[]"),
        Err(ParseError::WrongPayloadType {
            kind: PacketKind::Connect,
            ..
        })
    ));
    assert!(matches!(decode("0{"), Err(ParseError::InvalidJson(_))));
    assert!(matches!(decode("0{}x"), Err(ParseError::InvalidJson(_))));
}

#[test]
fn disconnect_takes_no_payload() {
    assert!(matches!(
        decode("1{}"),
        Err(ParseError::UnexpectedPayload(PacketKind::Disconnect))
    ));
}

#[test]
fn connect_error_is_a_string_or_an_object() {
    let packet = decode(r#"4"nope""#).unwrap().unwrap();
    assert_eq!(packet.body, Body::ConnectError(Text::from(r#""nope""#)));
    assert!(matches!(
        decode("4[]"),
        Err(ParseError::WrongPayloadType {
            kind: PacketKind::ConnectError,
            ..
        })
    ));
    assert!(matches!(decode("4"), Err(ParseError::MissingPayload(_))));
}

#[test]
fn unknown_types_are_rejected() {
    assert!(matches!(decode("7"), Err(ParseError::UnknownType('7'))));
    assert!(matches!(decode("é[]"), Err(ParseError::UnknownType('é'))));
    assert!(matches!(decode(""), Err(ParseError::Empty)));
}

#[test]
fn event_names() {
    assert_eq!(event(r#"2["hello",1]"#).0, "hello");
    assert_eq!(event(r#"2["a\"b\u00e9"]"#).0, "a\"bé");
    assert_eq!(event("2[1]").0, "1");
    assert_eq!(event("2[-3]").0, "-3");
    assert_eq!(event("2[1.50]").0, "1.5");
    assert_eq!(event("2[1e21]").0, "1e+21");
    assert!(matches!(decode("2[]"), Err(ParseError::MissingEventName)));
    assert!(matches!(
        decode("2[null]"),
        Err(ParseError::InvalidEventName)
    ));
    assert!(matches!(decode("2[{}]"), Err(ParseError::InvalidEventName)));
    assert!(matches!(
        decode("2[[\"x\"]]"),
        Err(ParseError::InvalidEventName)
    ));
    for reserved in crate::protocol::RESERVED_EVENTS {
        let input = format!(r#"2["{reserved}",1]"#);
        assert!(
            matches!(decode(&input), Err(ParseError::ReservedEventName(name)) if name == reserved)
        );
    }
    assert!(matches!(
        decode(r#"2["connec\u0074"]"#),
        Err(ParseError::ReservedEventName(_))
    ));
}

#[test]
fn arguments_are_located_without_being_parsed() {
    let (_, args) = event(r#"2["ev", 1 ,{"a":[1,2]}, "x" ,null]"#);
    assert_eq!(args.len(), 4);
    assert_eq!(args.raw(0), Some("1"));
    assert_eq!(args.raw(1), Some(r#"{"a":[1,2]}"#));
    assert_eq!(args.raw(2), Some(r#""x""#));
    assert_eq!(args.raw(3), Some("null"));
    assert_eq!(args.raw(4), None);
}

#[test]
fn event_and_ack_payloads_must_be_arrays() {
    assert!(matches!(
        decode("2{}"),
        Err(ParseError::WrongPayloadType {
            kind: PacketKind::Event,
            ..
        })
    ));
    assert!(matches!(
        decode("3{}"),
        Err(ParseError::WrongPayloadType {
            kind: PacketKind::Ack,
            ..
        })
    ));
    assert!(matches!(
        decode("31"),
        Err(ParseError::MissingPayload(PacketKind::Ack))
    ));
    assert!(matches!(
        decode(r#"2["x""#),
        Err(ParseError::InvalidJson(_))
    ));
    assert!(matches!(
        decode(r#"2["x"] trailing"#),
        Err(ParseError::InvalidJson(_))
    ));
}

#[test]
fn ack_ids_must_fit_in_64_bits() {
    let packet = decode(r#"218446744073709551615["x"]"#).unwrap().unwrap();
    assert_eq!(packet.id, Some(u64::MAX));
    assert!(matches!(
        decode(r#"218446744073709551616["x"]"#),
        Err(ParseError::AckIdOutOfRange)
    ));
    let padded = decode(r#"20000000000000000000000042["x"]"#)
        .unwrap()
        .unwrap();
    assert_eq!(padded.id, Some(42));
    let short = decode(r#"21234567890123456789["x"]"#).unwrap().unwrap();
    assert_eq!(short.id, Some(1_234_567_890_123_456_789));
    assert!(matches!(
        decode(r#"299999999999999999999["x"]"#),
        Err(ParseError::AckIdOutOfRange)
    ));
}

#[test]
fn attachment_counts() {
    assert!(matches!(
        decode(r#"5abc-["x"]"#),
        Err(ParseError::InvalidAttachmentCount)
    ));
    assert!(matches!(
        decode(r#"5-["x"]"#),
        Err(ParseError::InvalidAttachmentCount)
    ));
    assert!(matches!(
        decode(r#"51["x"]"#),
        Err(ParseError::InvalidAttachmentCount)
    ));
    assert!(matches!(
        decode(r#"511-["x"]"#),
        Err(ParseError::TooManyAttachments { max: 10 })
    ));
    assert!(matches!(
        decode(r#"599999999999999999999999-["x"]"#),
        Err(ParseError::TooManyAttachments { .. })
    ));
    // Attachment counts belong to types 5 and 6 only.
    assert!(matches!(
        decode(r#"21-["x"]"#),
        Err(ParseError::WrongPayloadType { .. })
    ));

    let mut strict = Decoder::new(1);
    let input = Text::from(r#"52-["x",{"_placeholder":true,"num":0}]"#);
    assert!(matches!(
        strict.decode_text(input),
        Err(ParseError::TooManyAttachments { max: 1 })
    ));
}

#[test]
fn binary_packets_wait_for_their_attachments() {
    let mut decoder = Decoder::default();
    let text = r#"52-/admin,9["up",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#;
    assert!(decoder.decode_text(Text::from(text)).unwrap().is_none());
    assert_eq!(decoder.pending_attachments(), 2);
    assert!(
        decoder
            .decode_binary(Bytes::from_static(b"first"))
            .unwrap()
            .is_none()
    );
    let packet = decoder
        .decode_binary(Bytes::from_static(b"second"))
        .unwrap()
        .expect("complete");
    assert_eq!((packet.nsp.as_str(), packet.id), ("/admin", Some(9)));
    let Body::Event { name, args } = packet.body else {
        panic!("not an event")
    };
    assert_eq!(name, "up");
    assert_eq!(args.decode::<Bytes>(0).unwrap(), "second");
    assert_eq!(args.decode::<Bytes>(1).unwrap(), "first");
    assert_eq!(decoder.pending_attachments(), 0);
}

#[test]
fn binary_ack_and_zero_attachments() {
    let mut decoder = Decoder::default();
    let packet = decoder
        .decode_text(Text::from(r#"50-["x",1]"#))
        .unwrap()
        .unwrap();
    assert_eq!(packet.kind(), PacketKind::Event);
    assert!(
        decoder
            .decode_text(Text::from(r#"61-3[{"_placeholder":true,"num":0}]"#))
            .unwrap()
            .is_none()
    );
    let packet = decoder
        .decode_binary(Bytes::from_static(&[1, 2]))
        .unwrap()
        .unwrap();
    assert_eq!((packet.kind(), packet.id), (PacketKind::Ack, Some(3)));
}

#[test]
fn out_of_order_frames_are_errors() {
    let mut decoder = Decoder::default();
    assert!(matches!(
        decoder.decode_binary(Bytes::from_static(b"x")),
        Err(ParseError::UnexpectedBinary)
    ));
    let text =
        Text::from(r#"52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#);
    assert!(decoder.decode_text(text).unwrap().is_none());
    decoder.decode_binary(Bytes::from_static(b"a")).unwrap();
    assert!(matches!(
        decoder.decode_text(Text::from(r#"2["x"]"#)),
        Err(ParseError::AttachmentsPending { missing: 1 })
    ));
    // The error dropped the incomplete packet; the decoder starts afresh.
    assert_eq!(decoder.pending_attachments(), 0);
    assert!(
        decoder
            .decode_text(Text::from(r#"2["x"]"#))
            .unwrap()
            .is_some()
    );
}

#[test]
fn placeholders_must_name_an_attachment() {
    let invalid = [
        (r#"51-["x",{"_placeholder":true,"num":1}]"#, Some(1)),
        (r#"51-["x",{"_placeholder":true,"num":-1}]"#, None),
        (r#"51-["x",{"_placeholder":true,"num":0.5}]"#, None),
        (r#"51-["x",{"_placeholder":true,"num":"0"}]"#, None),
        (r#"51-["x",{"_placeholder":true}]"#, None),
        (r#"51-["x",[{"a":{"num":3,"_placeholder":true}}]]"#, Some(3)),
        (r#"50-["x",{"_placeholder":true,"num":0}]"#, Some(0)),
        (r#"61-[{"\u005fplaceholder":true,"num":2}]"#, Some(2)),
    ];
    for (input, expected) in invalid {
        match decode(input) {
            Err(ParseError::InvalidPlaceholder { num, .. }) => assert_eq!(num, expected, "{input}"),
            other => panic!("{input}: {other:?}"),
        }
    }
    // Objects that are not placeholders are left alone.
    let (_, args) = event(r#"2["x",{"_placeholder":false,"num":9},{"_placeholder":true,"num":9}]"#);
    assert_eq!(args.len(), 2);
    let mut decoder = Decoder::default();
    let text =
        Text::from(r#"51-["x",{"_placeholder":"yes","num":9},{"num":0,"_placeholder":true}]"#);
    assert!(decoder.decode_text(text).unwrap().is_none());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Locating arguments skips over them without recursion; reading one stops at
    // serde_json's depth limit.
    let deep = format!("2[\"x\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    let (_, args) = event(&deep);
    assert!(args.to_values().is_err());
    assert!(args.decode::<serde_json::Value>(0).is_err());
    let deep_binary = format!("51-[\"x\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert!(decode(&deep_binary).is_err());
}

#[test]
fn numbers_beyond_a_double_are_invalid_json() {
    for input in [
        r#"2["x",1e400]"#,
        r#"2["x",{"deep":[-1E309]}]"#,
        r#"3[1e999]"#,
        r#"0{"n":1e400}"#,
    ] {
        assert!(
            matches!(decode(input), Err(ParseError::InvalidJson(_))),
            "{input}"
        );
    }
    let long = format!(r#"2["x",1{}]"#, "0".repeat(400));
    assert!(matches!(decode(&long), Err(ParseError::InvalidJson(_))));
    let (_, args) = event(r#"2["x",1.5e3,"1e400",{"e9":2e-400}]"#);
    assert_eq!(args.decode::<f64>(0).unwrap(), 1500.0);
    assert_eq!(args.decode::<String>(1).unwrap(), "1e400");
    let long_in_range = format!(r#"2["x",0.{}1]"#, "0".repeat(300));
    assert!(decode(&long_in_range).is_ok());
}
