//! Differential tests: received `Args` written straight into a packet give the
//! bytes the serde path gives.

use bytes::Bytes;
use serde::{Serialize, Serializer};

use super::scan::{Rng, payload};
use crate::frame::Text;
use crate::protocol::encode::Header;
use crate::protocol::{
    Args, Body, Decoder, EmitArgs, Encoded, PacketKind, encode_ack, encode_event, raw_args,
};

/// Serializes as the `Args` it holds, but is another type, so the encoders take
/// the serde path for it.
struct ThroughSerde<'a>(&'a Args);

impl Serialize for ThroughSerde<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

const NAMESPACES: [&str; 3] = ["/", "/admin", ""];
const ACK_IDS: [u64; 5] = [0, 9, 10, 12_345, u64::MAX];
const EVENT_NAMES: [&str; 5] = ["echo", "", "日本語 ok", "a\u{7f}b", "x y/z"];

/// Argument arrays as clients send them: escapes, unicode, nesting, numbers,
/// whitespace between and inside arguments.
const SOURCES: &[&str] = &[
    "[]",
    "[ ]",
    r#"["echo"]"#,
    r#"["echo",1,{"a":2}]"#,
    r#"[ "echo" , 1 ,{"a" : 2} ]"#,
    "[\n\"a\"\n,\r\n\"b\"\t]",
    r#"["tab\t\"quote\" \\ \u00e9 \u2028 \ud83c\udf89", "é日本🎉"]"#,
    r#"[{"nested":[1,[2,{"x":null}]],"s":"a,b]"},[],{}]"#,
    "[0,-1,1.5,1e21,-0,123456789012345678901234567890,1E-7,2.50]",
    "[true,false,null]",
    r#"[{"_placeholder":true,"num":0}]"#,
    "[[ 1 , 2 ],{ }]",
];

fn args(source: &str) -> Args {
    Args::from_json_array(Text::from(source.to_owned()), Vec::new()).unwrap()
}

/// The arguments of an incoming event packet, whose ranges start after its name.
fn decoded_event_args(source: &str) -> Args {
    let inner = source
        .trim()
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap();
    let packet = if inner.trim().is_empty() {
        "2[\"incoming\"]".to_owned()
    } else {
        format!("2[\"incoming\",{inner}]")
    };
    match Decoder::default().decode_text(Text::from(packet)).unwrap() {
        Some(packet) => match packet.body {
            Body::Event { args, .. } => args,
            body => panic!("not an event: {body:?}"),
        },
        None => panic!("the packet waits for attachments"),
    }
}

/// The direct encoding, asserted to be taken, to be exactly sized, and to
/// match the serde path; both for `args` itself and as emitted data.
fn check(kind: PacketKind, nsp: &str, id: Option<u64>, event: Option<&str>, args: &Args) {
    let buffer = raw_args::write_packet(
        Header::new(kind, nsp, id, &mut itoa::Buffer::new()),
        event,
        args,
    )
    .unwrap_or_else(|| panic!("no direct encoding of {args:?}"));
    assert_eq!(buffer.len(), buffer.capacity(), "{args:?}");
    let direct = String::from_utf8(buffer).unwrap();

    let emitted = EmitArgs::new(args);
    let through_emit = raw_args::encode(kind, nsp, id, event, &emitted).unwrap();
    let plain = raw_args::encode(kind, nsp, id, event, args).unwrap();
    let serde = encode(nsp, id, event, &ThroughSerde(args));
    let serde_emitted = encode(nsp, id, event, &EmitArgs::new(&ThroughSerde(args)));

    assert_eq!(direct.as_str(), serde.text().as_str(), "{args:?}");
    assert_eq!(through_emit, serde);
    assert_eq!(plain, serde);
    assert_eq!(serde_emitted, serde);
    assert_eq!(encode(nsp, id, event, args), serde);
    assert_eq!(encode(nsp, id, event, &emitted), serde);
}

/// An ack (`event` is `None`) or an event, through the public encoders.
fn encode<A: Serialize + ?Sized>(
    nsp: &str,
    id: Option<u64>,
    event: Option<&str>,
    args: &A,
) -> Encoded {
    match event {
        Some(event) => encode_event(nsp, event, args, id).unwrap(),
        None => encode_ack(nsp, id.unwrap(), args).unwrap(),
    }
}

#[test]
fn direct_acks_and_events_match_the_serde_path() {
    for source in SOURCES {
        for args in [args(source), decoded_event_args(source)] {
            for nsp in NAMESPACES {
                for id in ACK_IDS {
                    check(PacketKind::Ack, nsp, Some(id), None, &args);
                }
                for event in EVENT_NAMES {
                    for id in [None, Some(0), Some(u64::MAX)] {
                        check(PacketKind::Event, nsp, id, Some(event), &args);
                    }
                }
            }
        }
    }
}

#[test]
fn known_packets_are_written_as_expected() {
    let echoed = args(r#"[ "echo" , 1 ,{"a" : 2} ]"#);
    let ack = encode_ack("/", 7, &echoed).unwrap();
    assert_eq!(ack.text(), r#"437["echo",1,{"a" : 2}]"#);
    let ack = encode_ack("/admin", u64::MAX, &EmitArgs::new(&echoed)).unwrap();
    assert_eq!(
        ack.text(),
        r#"43/admin,18446744073709551615["echo",1,{"a" : 2}]"#
    );
    let event = encode_event("/admin", "relay", &args("[]"), Some(0)).unwrap();
    assert_eq!(event.text(), r#"42/admin,0["relay"]"#);
    let event = encode_event("/", "relay", &args(r#"["a",2]"#), None).unwrap();
    assert_eq!(event.text(), r#"42["relay","a",2]"#);
}

#[test]
fn generated_arguments_match_the_serde_path() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut checked = 0;
    for _ in 0..2_000 {
        let source = payload(&mut rng);
        // The generator also writes lone surrogates, which serde_json refuses.
        let Ok(received) = Args::from_json_array(Text::from(source.clone()), Vec::new()) else {
            continue;
        };
        checked += 1;
        check(PacketKind::Ack, "/", Some(3), None, &received);
        check(
            PacketKind::Event,
            "/chat",
            None,
            Some("ev"),
            &decoded_event_args(&source),
        );
    }
    assert!(checked > 1_000, "{checked} checked");
}

#[test]
fn names_that_need_escaping_and_attachments_take_the_serde_path() {
    let plain = args(r#"["x",1]"#);
    for event in ["a\"b", "back\\slash", "line\nbreak", "\u{1}"] {
        assert!(raw_args::encode(PacketKind::Event, "/", None, Some(event), &plain).is_none());
        assert_eq!(
            encode("/admin", None, Some(event), &plain),
            encode("/admin", None, Some(event), &ThroughSerde(&plain))
        );
    }

    let binary = Args::from_json_array(
        Text::from(
            r#"[{"_placeholder":true,"num":0}, "x" ,{"b":{"_placeholder":true,"num":1}}]"#
                .to_owned(),
        ),
        vec![Bytes::from_static(b"\x01\x02"), Bytes::from_static(b"")],
    )
    .unwrap();
    assert!(raw_args::encode(PacketKind::Ack, "/", Some(1), None, &binary).is_none());
    let encoded = encode_ack("/admin", 1, &EmitArgs::new(&binary)).unwrap();
    assert_eq!(
        encoded,
        encode_ack("/admin", 1, &ThroughSerde(&binary)).unwrap()
    );
    assert_eq!(
        encoded.text(),
        r#"462-/admin,1[{"_placeholder":true,"num":0},"x",{"b":{"_placeholder":true,"num":1}}]"#
    );
    assert_eq!(encoded.attachments(), binary.attachments());
}

#[test]
fn only_args_and_emitted_args_are_recognised() {
    let plain = args(r#"["x"]"#);
    let kind = PacketKind::Ack;
    assert!(raw_args::encode(kind, "/", Some(1), None, &plain).is_some());
    assert!(raw_args::encode(kind, "/", Some(1), None, &EmitArgs::new(&plain)).is_some());
    assert!(raw_args::encode(kind, "/", Some(1), None, &ThroughSerde(&plain)).is_none());
    assert!(raw_args::encode(kind, "/", Some(1), None, &(plain.clone(),)).is_none());
    assert!(raw_args::encode(kind, "/", Some(1), None, &&plain).is_none());
    assert!(raw_args::encode(kind, "/", Some(1), None, &EmitArgs::new(&(1, 2))).is_none());
    // A tuple holding `Args` is one argument, the array of them.
    let nested = encode_ack("/", 1, &EmitArgs::new(&(plain,))).unwrap();
    assert_eq!(nested.text(), r#"431[["x"]]"#);
}

#[test]
fn args_serialize_as_their_array_elsewhere() {
    let echoed = args(r#"[ "echo" , 1 ,{"a" : 2} ]"#);
    assert_eq!(
        serde_json::to_string(&echoed).unwrap(),
        r#"["echo",1,{"a" : 2}]"#
    );
    let empty = args("[]");
    assert_eq!(serde_json::to_string(&empty).unwrap(), "[]");
}

/// Compiles only while `EmitArgs` is covariant in its lifetime, which the
/// direct path's reading of an `EmitArgs<'_, Args>` relies on.
fn shorten<'short, 'long: 'short>(
    emitted: &'short EmitArgs<'long, Args>,
) -> &'short EmitArgs<'short, Args> {
    emitted
}

#[test]
fn emitted_args_are_read_through_a_shorter_lifetime() {
    let received = args(r#"["x"]"#);
    let emitted = EmitArgs::new(&received);
    let shortened = shorten(&emitted);
    assert_eq!(shortened.spread_data(), Some(&received));
}
