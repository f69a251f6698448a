//! Bytes written by socket.io-msgpack-parser 3.0.2 (notepack.io 2.2) under Node,
//! read here; and packets written here, read back.

use super::*;
use crate::protocol::{Body, Decoder, encode_ack, encode_connect, encode_disconnect, encode_event};

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn text(bytes: &[u8]) -> (String, Vec<Vec<u8>>) {
    let packet = to_text_packet(bytes).unwrap();
    (
        packet.text.as_str().to_owned(),
        packet
            .attachments
            .iter()
            .map(|bytes| bytes.to_vec())
            .collect(),
    )
}

#[test]
fn node_packets_read_as_their_text_form() {
    // {type:0, nsp:"/", data:undefined}
    assert_eq!(
        text(&hex("83a47479706500a36e7370a12fa464617461d40000")).0,
        "0"
    );
    // {type:0, nsp:"/admin", data:{token:"x"}}
    assert_eq!(
        text(&hex(
            "83a47479706500a36e7370a62f61646d696ea46461746181a5746f6b656ea178"
        ))
        .0,
        r#"0/admin,{"token":"x"}"#
    );
    // {type:2, nsp:"/", id:7, data:["say", Buffer[1,2], {n:1.5, u:undefined, d:Date}]}
    let (event, attachments) = text(&hex(
        "84a47479706502a36e7370a12fa46461746193a3736179c402010283a16ecb3ff8000000000000a175d40000a164d700000001a24ee9f4c3a2696407",
    ));
    assert_eq!(
        event,
        r#"51-7["say",{"_placeholder":true,"num":0},{"n":1.5,"d":"2026-12-07T05:11:25.123Z"}]"#
    );
    assert_eq!(attachments, [vec![1, 2]]);
    // {type:2, nsp:"/", data:["arr", [undefined, null], ArrayBuffer[9], -5, 2^32]}
    let (event, attachments) = text(&hex(
        "83a47479706502a36e7370a12fa46461746195a361727292d40000c0c7010009fbcf0000000100000000",
    ));
    assert_eq!(
        event,
        r#"51-["arr",[null,null],{"_placeholder":true,"num":0},-5,4294967296]"#
    );
    assert_eq!(attachments, [vec![9]]);
    // {type:3, nsp:"/chat", id:300, data:[true]}
    assert_eq!(
        text(&hex(
            "84a47479706503a36e7370a52f63686174a26964cd012ca46461746191c3"
        ))
        .0,
        "3/chat,300[true]"
    );
    // {type:1, nsp:"/chat"}
    assert_eq!(
        text(&hex("82a47479706501a36e7370a52f63686174")).0,
        "1/chat,"
    );
}

#[test]
fn malformed_packets_are_refused() {
    use MsgpackError::{InvalidPacket as Invalid, Reserved, Truncated};
    let wrong_data = "data has the wrong type for the packet type";
    // What is wrong with each packet: not a map; type 5; nsp missing; id a
    // string; DISCONNECT with data; EVENT data an object; truncated; trailing
    // bytes; the reserved marker; a huge announced array length with nothing
    // behind it (allocating nothing).
    let cases = [
        ("920102", Invalid("a packet is a map")),
        (
            "82a47479706505a36e7370a12f",
            Invalid("type must be an integer 0-4"),
        ),
        ("81a47479706502", Invalid("nsp must be a string")),
        (
            "83a47479706503a36e7370a12fa26964a131",
            Invalid("id must be an integer"),
        ),
        (
            "83a47479706501a36e7370a12fa46461746190",
            Invalid(wrong_data),
        ),
        (
            "83a47479706502a36e7370a12fa46461746180",
            Invalid(wrong_data),
        ),
        ("83a47479706502a36e73", Truncated),
        ("82a47479706501a36e7370a12f00", Truncated),
        ("83a47479706502a36e7370a12fa46461746191c1", Reserved),
        ("83a47479706502a36e7370a12fa464617461dd7fffffff", Truncated),
    ];
    for (bytes, expected) in cases {
        assert_eq!(to_text_packet(&hex(bytes)), Err(expected), "{bytes}");
    }
}

#[test]
fn deep_nesting_is_refused() {
    let mut bytes = hex("83a47479706502a36e7370a12fa464617461");
    bytes.extend(std::iter::repeat_n(0x91, 10_000));
    bytes.push(0xc0);
    assert_eq!(to_text_packet(&bytes).unwrap_err(), MsgpackError::TooDeep);
}

/// What the text decoder makes of a MessagePack packet: the whole server path.
fn decoded(bytes: &[u8]) -> crate::protocol::Packet {
    let packet = to_text_packet(bytes).unwrap();
    let mut decoder = Decoder::default();
    let mut out = decoder.decode_text(packet.text).unwrap();
    for attachment in packet.attachments {
        out = decoder.decode_binary(attachment).unwrap();
    }
    out.unwrap()
}

#[test]
fn written_packets_read_back() {
    let event = encode_event(
        "/game",
        "state",
        &(
            bytes::Bytes::from_static(&[1, 2, 3]),
            serde_json::json!({ "x": -1.25, "n": 7 }),
        ),
        Some(9),
    )
    .unwrap();
    let bytes = from_encoded(&event).unwrap();
    let packet = decoded(&bytes);
    assert_eq!(packet.nsp, "/game");
    assert_eq!(packet.id, Some(9));
    let Body::Event { name, args } = packet.body else {
        panic!("an event")
    };
    assert_eq!(name, "state");
    assert_eq!(args.decode::<bytes::Bytes>(0).unwrap(), &[1, 2, 3][..]);
    assert_eq!(
        args.decode::<serde_json::Value>(1).unwrap(),
        serde_json::json!({ "x": -1.25, "n": 7 })
    );

    let ack = from_encoded(&encode_ack("/", 4, &("ok",)).unwrap()).unwrap();
    assert_eq!(to_text_packet(&ack).unwrap().text, r#"34["ok"]"#);
    let connect = from_encoded(&encode_connect(
        "/",
        Some(&serde_json::json!({ "sid": "abc" })),
    ))
    .unwrap();
    assert_eq!(to_text_packet(&connect).unwrap().text, r#"0{"sid":"abc"}"#);
    let disconnect = from_encoded(&encode_disconnect("/chat")).unwrap();
    assert_eq!(to_text_packet(&disconnect).unwrap().text, "1/chat,");
}

/// A MessagePack `data` array holding `items` (already encoded), in an EVENT.
fn event_with(items: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = hex("83a47479706502a36e7370a12fa464617461");
    rmp::encode::write_array_len(&mut bytes, items.len() as u32).unwrap();
    for item in items {
        bytes.extend_from_slice(item);
    }
    bytes
}

fn packed(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = Vec::new();
    write(&mut bytes);
    bytes
}

#[test]
fn one_pass_reading_matches_the_tree() {
    let mut nested = Vec::new();
    rmp::encode::write_map_len(&mut nested, 3).unwrap();
    rmp::encode::write_str(&mut nested, "a\"\\\n\u{1}é😀").unwrap();
    rmp::encode::write_array_len(&mut nested, 2).unwrap();
    rmp::encode::write_f32(&mut nested, 1.5).unwrap();
    nested.extend_from_slice(&hex("d40000"));
    rmp::encode::write_str(&mut nested, "skip").unwrap();
    nested.extend_from_slice(&hex("d40000"));
    rmp::encode::write_str(&mut nested, "bin").unwrap();
    rmp::encode::write_bin(&mut nested, &[7, 8]).unwrap();
    let items = [
        packed(|b| rmp::encode::write_str(b, "ev").unwrap()),
        packed(|b| rmp::encode::write_nil(b).unwrap()),
        packed(|b| rmp::encode::write_bool(b, false).unwrap()),
        packed(|b| {
            rmp::encode::write_uint(b, u64::MAX).unwrap();
        }),
        packed(|b| {
            rmp::encode::write_sint(b, i64::MIN).unwrap();
        }),
        packed(|b| {
            rmp::encode::write_sint(b, -3).unwrap();
        }),
        packed(|b| rmp::encode::write_i16(b, -300).unwrap()),
        packed(|b| rmp::encode::write_f64(b, f64::NAN).unwrap()),
        packed(|b| rmp::encode::write_f64(b, f64::INFINITY).unwrap()),
        packed(|b| rmp::encode::write_f64(b, -0.0).unwrap()),
        packed(|b| rmp::encode::write_f64(b, 1e300).unwrap()),
        packed(|b| rmp::encode::write_f64(b, 0.1).unwrap()),
        packed(|b| rmp::encode::write_f32(b, 3.4e38).unwrap()),
        packed(|b| rmp::encode::write_str(b, &"long ".repeat(100)).unwrap()),
        hex("d700000001a24ee9f4c3"),
        hex("c7010009"),
        nested,
        packed(|b| {
            rmp::encode::write_map_len(b, 0).unwrap();
        }),
        packed(|b| {
            rmp::encode::write_array_len(b, 0).unwrap();
        }),
    ];
    let bytes = event_with(&items);
    let streamed = match text::to_text_packet(&bytes) {
        Ok(packet) => packet,
        Err(_) => panic!("read in one pass"),
    };
    assert_eq!(streamed, to_text_packet_by_tree(&bytes).unwrap());
    assert_eq!(streamed.attachments.len(), 2);
    // The decoder takes what it wrote.
    decoded(&bytes);
}

#[test]
fn repeated_keys_keep_the_first_place_and_the_last_value() {
    // data: [{a:1, b:2, a:3}]
    let mut map = Vec::new();
    rmp::encode::write_map_len(&mut map, 3).unwrap();
    for (key, value) in [("a", 1), ("b", 2), ("a", 3)] {
        rmp::encode::write_str(&mut map, key).unwrap();
        rmp::encode::write_uint(&mut map, value).unwrap();
    }
    let bytes = event_with(&[packed(|b| rmp::encode::write_str(b, "ev").unwrap()), map]);
    assert!(matches!(
        text::to_text_packet(&bytes),
        Err(text::Fallback::DuplicateKey)
    ));
    assert_eq!(text(&bytes).0, r#"2["ev",{"a":3,"b":2}]"#);
    // Many keys, one repeated: found too.
    let mut map = Vec::new();
    rmp::encode::write_map_len(&mut map, 40).unwrap();
    for index in 0..40 {
        rmp::encode::write_str(&mut map, &format!("k{}", index % 39)).unwrap();
        rmp::encode::write_uint(&mut map, index).unwrap();
    }
    let bytes = event_with(&[map]);
    assert!(matches!(
        text::to_text_packet(&bytes),
        Err(text::Fallback::DuplicateKey)
    ));
    assert_eq!(
        to_text_packet(&bytes).unwrap(),
        to_text_packet_by_tree(&bytes).unwrap()
    );
}

#[test]
fn one_pass_reading_fails_as_the_tree_does() {
    let cases = [
        hex("83a47479706502a36e7370a12fa46461746191c1"),
        hex("83a47479706502a36e7370a12fa46461746191a2c328"),
        hex("83a47479706502a36e7370a12fa4646174619181c0c0"),
        hex("83a47479706502a36e7370a12fa46461746191d50100"),
        hex("83a47479706502a36e7370a12fa464617461dd7fffffff"),
        hex("83a47479706501a36e7370a12fa46461746190"),
        hex("83a47479706502a36e7370a12fa464617461a178"),
    ];
    for bytes in cases {
        let Err(text::Fallback::Invalid(error)) = text::to_text_packet(&bytes) else {
            panic!("refused")
        };
        assert_eq!(error, to_text_packet_by_tree(&bytes).unwrap_err());
    }
}

/// The MessagePack form of JSON text through a `serde_json::Value` tree.
fn by_tree(json: &str, attachments: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::new();
    let value: Json = serde_json::from_str(json).unwrap();
    write_json(&mut out, &value, attachments, 0).unwrap();
    out
}

#[test]
fn one_pass_writing_matches_the_tree() {
    let attachments = [Bytes::from_static(&[1, 2, 3])];
    let long_array = format!("[{}]", vec!["1"; 70_000].join(","));
    let many_keys = format!(
        "{{{}}}",
        (0..20)
            .map(|index| format!(r#""k{index}":{index}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let cases = [
        r#"["echo",{"t":123456789,"s":"x"}]"#,
        r#"[null,true,false,0,-1,-129,18446744073709551615,-9223372036854775808,1.5,-0.0,1e300,100000000000000000000]"#,
        r#"["a\"\\\n\u0001é😀",{"nested":[[[{}]],[]]}]"#,
        r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"num":0,"_placeholder":true}]"#,
        r#"[{"_placeholder":false,"num":0},{"_placeholder":true,"num":0,"x":1},{"_placeholder":true,"num":0.0}]"#,
        r#"{"_placeholder":true,"num":0}"#,
        r#" [ 1 , { "a" : [ ] } ] "#,
        r#""just a string""#,
        &"x".repeat(70_000),
        &format!(r#"["{}"]"#, "y".repeat(70_000)),
        &long_array,
        &many_keys,
    ];
    for json in cases {
        if serde_json::from_str::<Json>(json).is_err() {
            continue;
        }
        let mut out = vec![0xaa];
        let Ok(()) = transcode::write_json_text(&mut out, json, &attachments) else {
            panic!("written in one pass: {json}")
        };
        assert_eq!(out[1..], by_tree(json, &attachments), "{json}");
    }
}

#[test]
fn one_pass_writing_leaves_repeated_keys_to_the_tree() {
    let mut out = Vec::new();
    let repeated = r#"[{"a":1,"b":{"c":1,"c":2}}]"#;
    assert!(matches!(
        transcode::write_json_text(&mut out, repeated, &[]),
        Err(text::Fallback::DuplicateKey)
    ));
    let raw = serde_json::value::RawValue::from_string(r#"{"a":1,"b":{"c":1,"c":2}}"#.into());
    let event = encode_event("/", "ev", &(raw.unwrap(),), None).unwrap();
    let bytes = from_encoded(&event).unwrap();
    assert_eq!(
        to_text_packet(&bytes).unwrap().text,
        r#"2["ev",{"a":1,"b":{"c":2}}]"#
    );
    for broken in ["[1,", "[1]x", "{\"a\"}", ""] {
        assert!(matches!(
            transcode::write_json_text(&mut out, broken, &[]),
            Err(text::Fallback::Invalid(MsgpackError::InvalidEncoded(_)))
        ));
    }
}
