//! Encoding then decoding: typed values with binary, untyped values, acks.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::frame::{Frame, Text};
use crate::protocol::{
    ArgError, Args, Body, DEFAULT_MAX_ATTACHMENTS, Decoder, EncodeError, Encoded, Map, Packet,
    Value, encode_ack, encode_event, from_value, to_value, with_ack_id, with_offset,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Upload {
    name: String,
    data: Bytes,
    parts: Vec<Part>,
    thumbnail: Option<Bytes>,
    tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Part {
    #[serde(with = "serde_bytes")]
    chunk: Vec<u8>,
    index: u32,
}

fn upload() -> Upload {
    Upload {
        name: "photo.png".into(),
        data: Bytes::from_static(b"\x89PNG"),
        parts: vec![
            Part {
                chunk: vec![1, 2, 3],
                index: 0,
            },
            Part {
                chunk: vec![],
                index: 1,
            },
        ],
        thumbnail: Some(Bytes::from_static(&[0xff; 4])),
        tags: vec!["a".into()],
    }
}

/// Feeds the frames of `encoded` (without the Engine.IO `4`) to a fresh decoder.
pub(super) fn decode_encoded(encoded: &Encoded) -> Packet {
    let limit = encoded.attachments().len().max(DEFAULT_MAX_ATTACHMENTS);
    let mut decoder = Decoder::new(limit);
    let mut packets = Vec::new();
    for frame in encoded.frames() {
        let result = match frame {
            Frame::Text(text) => {
                assert_eq!(text.as_bytes()[0], b'4', "an Engine.IO message");
                decoder.decode_text(text.get(1..text.len()).unwrap())
            }
            Frame::Binary(bytes) => decoder.decode_binary(bytes),
        };
        packets.extend(result.expect("our own encoding decodes"));
    }
    assert_eq!(packets.len(), 1);
    packets.remove(0)
}

fn event_args(packet: Packet) -> (Text, Args) {
    match packet.body {
        Body::Event { name, args } => (name, args),
        other => panic!("not an event: {other:?}"),
    }
}

#[test]
fn typed_struct_with_nested_bytes_round_trips() {
    let original = upload();
    let encoded = encode_event("/files", "upload", &(&original, 7u8), Some(12)).unwrap();
    assert_eq!(encoded.attachments().len(), 4);
    assert!(encoded.text().starts_with("454-/files,12[\"upload\",{\"name\":\"photo.png\",\"data\":{\"_placeholder\":true,\"num\":0},"));
    assert_eq!(encoded.attachments()[0], Bytes::from_static(b"\x89PNG"));
    assert_eq!(encoded.attachments()[3], Bytes::from_static(&[0xff; 4]));

    let packet = decode_encoded(&encoded);
    assert_eq!((packet.nsp.as_str(), packet.id), ("/files", Some(12)));
    let (name, args) = event_args(packet);
    assert_eq!(name, "upload");
    assert_eq!(args.len(), 2);
    assert_eq!(args.attachments().len(), 4);
    assert_eq!(args.decode::<Upload>(0).unwrap(), original);
    assert_eq!(args.decode::<u8>(1).unwrap(), 7);
}

#[test]
fn without_bytes_the_packet_is_a_plain_event() {
    let encoded = encode_event("/", "move", &(1.5f64, [1, 2], "é"), None).unwrap();
    assert_eq!(encoded.text(), r#"42["move",1.5,[1,2],"é"]"#);
    assert!(encoded.attachments().is_empty());
    assert_eq!(encoded.frames().count(), 1);
    let unit = encode_event("/", "ping", &(), None).unwrap();
    assert_eq!(unit.text(), r#"42["ping"]"#);
}

#[test]
fn acks_round_trip_with_and_without_binary() {
    let encoded = encode_ack("/", 5, &("ok", Bytes::from_static(b"z"))).unwrap();
    assert_eq!(
        encoded.text(),
        r#"461-5["ok",{"_placeholder":true,"num":0}]"#
    );
    let packet = decode_encoded(&encoded);
    let Body::Ack(args) = packet.body else {
        panic!("not an ack")
    };
    assert_eq!(packet.id, Some(5));
    let (text, bytes): (String, Bytes) = (args.decode(0).unwrap(), args.decode(1).unwrap());
    assert_eq!((text.as_str(), bytes.as_ref()), ("ok", b"z".as_slice()));

    let empty = encode_ack("/admin", 1, &Vec::<Value>::new()).unwrap();
    assert_eq!(empty.text(), "43/admin,1[]");
}

#[test]
fn values_round_trip_with_binary_anywhere() {
    let mut inner = Map::new();
    inner.insert("z".into(), Value::Binary(Bytes::from_static(b"deep")));
    inner.insert(
        "a".into(),
        Value::from(vec![Value::Null, Value::from(-3i64)]),
    );
    let values = vec![
        Value::from("text"),
        Value::Binary(Bytes::from_static(b"top")),
        Value::Object(inner),
        Value::from(0.25),
        Value::from(u64::MAX),
        Value::Bool(false),
    ];
    let encoded = encode_event("/", "mixed", &values, None).unwrap();
    assert!(encoded.text().starts_with("452-"));
    // Keys keep their insertion order.
    assert!(
        encoded
            .text()
            .contains(r#"{"z":{"_placeholder":true,"num":1},"a":[null,-3]}"#)
    );
    let (_, args) = event_args(decode_encoded(&encoded));
    assert_eq!(args.to_values().unwrap(), values);
}

#[test]
fn decoding_into_tuples_structs_and_wrong_types() {
    let encoded = encode_event(
        "/",
        "ev",
        &(
            (1, "two"),
            Part {
                chunk: vec![9],
                index: 4,
            },
            "seven",
        ),
        None,
    )
    .unwrap();
    let (_, args) = event_args(decode_encoded(&encoded));
    assert_eq!(
        args.decode::<(u8, String)>(0).unwrap(),
        (1, "two".to_owned())
    );
    assert_eq!(
        args.decode::<Part>(1).unwrap(),
        Part {
            chunk: vec![9],
            index: 4
        }
    );

    let error = args.decode::<u32>(2).unwrap_err();
    assert!(
        matches!(error, ArgError::Json { index: 2, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("argument 2 is invalid: invalid type: string"),
        "{message}"
    );

    let error = args.decode::<Part>(0).unwrap_err();
    assert!(
        matches!(error, ArgError::Json { index: 0, .. }),
        "{error:?}"
    );

    assert!(matches!(
        args.decode::<String>(3),
        Err(ArgError::Missing { index: 3, count: 3 })
    ));
    assert_eq!(args.decode::<Option<String>>(3).unwrap(), None);
    assert_eq!(
        args.decode::<Option<String>>(2).unwrap().as_deref(),
        Some("seven")
    );
    assert!(matches!(
        args.value(9),
        Err(ArgError::Missing { index: 9, count: 3 })
    ));
}

#[test]
fn wrong_types_with_attachments_are_value_errors() {
    let encoded = encode_event("/", "ev", &(Bytes::from_static(b"b"),), None).unwrap();
    let (_, args) = event_args(decode_encoded(&encoded));
    let error = args.decode::<u32>(0).unwrap_err();
    assert!(
        matches!(error, ArgError::Value { index: 0, .. }),
        "{error:?}"
    );
    assert_eq!(args.decode::<Vec<u8>>(0).unwrap(), b"b");
    assert_eq!(args.decode::<[u8; 1]>(0).unwrap(), *b"b");
}

#[test]
fn arguments_must_be_a_sequence() {
    let error = encode_event("/", "ev", &"lonely", None).unwrap_err();
    assert!(
        matches!(error, EncodeError::NotASequence("a string")),
        "{error}"
    );
    let error = encode_event(
        "/",
        "ev",
        &Part {
            chunk: vec![],
            index: 0,
        },
        None,
    )
    .unwrap_err();
    assert!(
        matches!(error, EncodeError::NotASequence("a struct")),
        "{error}"
    );

    let mut bad_key = std::collections::BTreeMap::new();
    bad_key.insert((1, 2), 3);
    let error = encode_event("/", "ev", &(bad_key,), None).unwrap_err();
    assert!(matches!(error, EncodeError::Serialize(_)), "{error}");
}

#[test]
fn incoming_arguments_forward_unchanged() {
    let original = encode_event("/", "relay", &("x", Bytes::from_static(b"1"), 1.5), None).unwrap();
    let (_, args) = event_args(decode_encoded(&original));
    let forwarded = encode_event("/", "relay", &args, None).unwrap();
    assert_eq!(forwarded, original);

    let plain = Decoder::default()
        .decode_text(Text::from(r#"2["relay", {"b" : 1,"a":[ ]} ,"\u00e9"]"#))
        .unwrap()
        .unwrap();
    let (_, args) = event_args(plain);
    let forwarded = encode_event("/room", "relay", &args, Some(3)).unwrap();
    assert_eq!(
        forwarded.text(),
        r#"42/room,3["relay",{"b" : 1,"a":[ ]},"\u00e9"]"#
    );
    assert_eq!(
        serde_json::to_string(&args).unwrap(),
        r#"[{"b" : 1,"a":[ ]},"\u00e9"]"#,
        "serde_json's own serializer writes each argument's text as it came"
    );
    assert_eq!(
        to_value(&args).unwrap(),
        Value::from(vec![
            serde_json::json!({"b": 1, "a": []}).into(),
            Value::from("é")
        ])
    );
}

#[test]
fn ack_ids_are_reframed_per_recipient() {
    let plain = encode_event("/admin", "ev", &(1,), Some(1)).unwrap();
    assert_eq!(
        with_ack_id(&plain, "/admin", 99).text(),
        r#"42/admin,99["ev",1]"#
    );
    let no_id = encode_event("/", "ev", &(1,), None).unwrap();
    assert_eq!(with_ack_id(&no_id, "/", 4).text(), r#"424["ev",1]"#);
    let binary = encode_event("/admin", "ev", &(Bytes::from_static(b"x"),), Some(3)).unwrap();
    let reframed = with_ack_id(&binary, "/admin", 12);
    assert_eq!(
        reframed.text(),
        r#"451-/admin,12["ev",{"_placeholder":true,"num":0}]"#
    );
    assert_eq!(reframed.attachments(), binary.attachments());
    let numeric_nsp = encode_event("/7", "ev", &(), None).unwrap();
    assert_eq!(with_ack_id(&numeric_nsp, "/7", 8).text(), r#"42/7,8["ev"]"#);
}

#[test]
fn reframing_keeps_the_namespace_the_packet_names() {
    // `nsp` a prefix of the packet's namespace, which goes on with a character
    // of several bytes: the id goes after the whole namespace, the text stays
    // UTF-8.
    let encoded = encode_event("/aé", "ev", &(1,), None).unwrap();
    let reframed = with_ack_id(&encoded, "/a", 5);
    assert_eq!(reframed.text(), r#"42/aé,5["ev",1]"#);
    assert_eq!(
        with_ack_id(&encoded, "/other", 6).text(),
        r#"42/aé,6["ev",1]"#
    );
}

#[test]
fn offsets_are_written_as_json_strings() {
    let encoded = encode_event("/", "news", &(1,), None).unwrap();
    assert_eq!(
        with_offset(&encoded, "1700000000000-0").text(),
        r#"42["news",1,"1700000000000-0"]"#
    );
    let odd = with_offset(&encoded, "a\"b\\c\nd");
    assert_eq!(odd.text(), r#"42["news",1,"a\"b\\c\nd"]"#);
    let (_, args) = event_args(
        Decoder::default()
            .decode_text(Text::from(odd.text()[1..].to_owned()))
            .unwrap()
            .unwrap(),
    );
    assert_eq!(
        to_value(&args).unwrap(),
        Value::from(vec![Value::from(1), Value::from("a\"b\\c\nd")])
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Shape {
    Dot,
    Circle(f64),
    Line(i32, i32),
    Rect { w: u8, h: u8 },
}

#[test]
fn to_value_and_from_value_mirror_serde_json() {
    for shape in [
        Shape::Dot,
        Shape::Circle(0.5),
        Shape::Line(-1, 2),
        Shape::Rect { w: 1, h: 2 },
    ] {
        let value = to_value(&shape).unwrap();
        let json = serde_json::to_value(&shape).unwrap();
        assert_eq!(value, Value::from(json));
        assert_eq!(from_value::<Shape>(value).unwrap(), shape);
    }
    let value = to_value(&upload()).unwrap();
    assert_eq!(
        value.get("data"),
        Some(&Value::Binary(Bytes::from_static(b"\x89PNG")))
    );
    assert_eq!(from_value::<Upload>(value).unwrap(), upload());
    assert_eq!(to_value(&f64::NAN).unwrap(), Value::Null);
    assert_eq!(to_value(&0.1f32).unwrap(), Value::from(0.1f64));
    assert!(from_value::<u8>(Value::from("x")).is_err());
    assert!(from_value::<Shape>(Value::from(3)).is_err());
}

#[test]
fn value_displays_as_compact_json() {
    let value = Value::from(vec![
        Value::from(1.0),
        Value::Binary(Bytes::from_static(b"x")),
        Value::from("a\"b"),
    ]);
    assert_eq!(
        value.to_string(),
        r#"[1,{"_placeholder":true,"num":0},"a\"b"]"#
    );
}

#[test]
fn many_attachments_are_the_receiver_s_limit() {
    let values: Vec<Value> = (0..12u8)
        .map(|n| Value::Binary(Bytes::from(vec![n])))
        .collect();
    let encoded = encode_event("/", "many", &values, None).unwrap();
    assert!(encoded.text().starts_with("4512-"));
    let mut decoder = Decoder::default();
    let text = encoded.text().get(1..encoded.text().len()).unwrap();
    assert!(matches!(
        decoder.decode_text(text),
        Err(crate::protocol::ParseError::TooManyAttachments { max: 10 })
    ));
    let (_, args) = event_args(decode_encoded(&encoded));
    assert_eq!(args.to_values().unwrap(), values);
}

#[test]
fn args_deserialize_from_a_sequence_with_binary_as_attachments() {
    let from_json: Args = serde_json::from_str(r#"[1,"two",{"three":[3]}]"#).unwrap();
    assert_eq!(from_json.len(), 3);
    assert_eq!(from_json.raw(2), Some(r#"{"three":[3]}"#));
    assert!(from_json.attachments().is_empty());

    let values = Value::Array(vec![
        Value::String("file".into()),
        Value::Binary(Bytes::from_static(b"abc")),
    ]);
    let with_binary: Args = from_value(values).unwrap();
    assert_eq!(with_binary.raw(1), Some(r#"{"_placeholder":true,"num":0}"#));
    assert_eq!(
        with_binary.decode::<Bytes>(1).unwrap(),
        Bytes::from_static(b"abc")
    );
    assert!(serde_json::from_str::<Args>(r#"{"not":"a sequence"}"#).is_err());
}
