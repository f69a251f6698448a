//! Differential tests: the one-pass argument scan agrees with the serde_json path.

use crate::frame::Text;
use crate::protocol::payload::{
    First, RESERVED_EVENTS, array_ranges, check_scan, event_name, scan_array, serde_array_ranges,
};
use crate::protocol::{Body, Decoder, ParseError};

/// Nested arrays `depth` deep holding `1`.
fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// Payloads that probe every corner of the grammar.
fn tricky() -> Vec<String> {
    let fixed = [
        r#"["echo",1]"#,
        r#"["echo",1234567890123]"#,
        "[]",
        "[ ]",
        "[\t\n\r ]",
        "[",
        "]",
        "[,]",
        "[1,]",
        "[,1]",
        "[1,,2]",
        "[1 2]",
        "[1]]",
        "[1] x",
        "[1] ",
        "[1]\n",
        " [1]",
        "[1]\u{a0}",
        "[[]]",
        "[{}]",
        "[[],{},[[]],{\"a\":{}}]",
        "[ \"a\" , { \"k\" : [ 1 , 2 ] , \"l\" : null } , true ]",
        "[\"\"]",
        r#"["a\"b"]"#,
        r#"["a\\b"]"#,
        r#"["\/\b\f\n\r\t"]"#,
        r#"["\x"]"#,
        r#"["\'"]"#,
        r#"["\u0041"]"#,
        r#"["\u00e9", 1e5]"#,
        r#"["\ud800"]"#,
        r#"["\ud800", 1e5]"#,
        r#"["\ud800", "1e5"]"#,
        r#"[{"\ud800":1}, 1E2]"#,
        r#"["\udc00\ud800"]"#,
        r#"["\u12"]"#,
        r#"["\uZZZZ"]"#,
        "[\"a\u{1}b\"]",
        "[\"a\u{1f}b\"]",
        "[\"a\u{7f}b\"]",
        "[\"tab\tin\"]",
        "[\"new\nline\"]",
        "[\"unterminated]",
        "[\"é☃😀\"]",
        "[\"😀\",\"ü\"]",
        "[0]",
        "[-0]",
        "[-0.0]",
        "[01]",
        "[-01]",
        "[00]",
        "[1.]",
        "[.5]",
        "[-.5]",
        "[-]",
        "[--1]",
        "[+1]",
        "[1.5]",
        "[-1.5]",
        "[1.5.5]",
        "[1e400]",
        "[-1e400]",
        "[1e-400]",
        "[0e400]",
        "[1E+2]",
        "[1e2]",
        "[1e]",
        "[1e+]",
        "[\"1e400\"]",
        "[\"x\",1e308]",
        "[18446744073709551615]",
        "[18446744073709551616]",
        "[9999999999999999999]",
        "[99999999999999999999]",
        "[-9223372036854775808]",
        "[true,false,null]",
        "[tru]",
        "[truex]",
        "[nul]",
        "[nulll]",
        "[True]",
        "[NaN]",
        "[Infinity]",
        "[{\"a\":1,}]",
        "[{\"a\" 1}]",
        "[{\"a\":}]",
        "[{1:1}]",
        "[{\"a\":1 \"b\":2}]",
        "[{,}]",
        "[{\"a\":1]",
        "[[1}]",
        "[{\"_placeholder\":true,\"num\":0}]",
        "[\"connect\"]",
        "[\"connect_error\"]",
        "[\"disconnect\"]",
        "[\"disconnecting\"]",
        "[\"newListener\"]",
        "[\"removeListener\"]",
        "[\"connectx\"]",
        "[\"Connect\"]",
        "[\"connec\\u0074\"]",
        "[\"conn\\/ect\"]",
        "[42]",
        "[-42]",
        "[4.20]",
        "[null]",
        "[{}]",
        "[[\"echo\"]]",
    ];
    let mut cases: Vec<String> = fixed.iter().map(|case| (*case).to_owned()).collect();
    for depth in [99, 100, 101, 126, 127, 128, 129, 200] {
        cases.push(nested(depth));
        cases.push(format!(
            "{}, 1e5]",
            &nested(depth)[..nested(depth).len() - 1]
        ));
        cases.push(format!("[\"1e5\",{}", &nested(depth)[1..]));
    }
    let long = "9".repeat(310);
    cases.push(format!("[{long}]"));
    cases.push(format!("[1.{long}]"));
    cases.push(format!("[{}]", "9".repeat(300)));
    cases.push(format!("[{}]", "9".repeat(301)));
    cases
}

#[test]
fn scan_agrees_with_serde_json_on_tricky_payloads() {
    for case in tricky() {
        if let Err(difference) = check_scan(&case) {
            panic!("{difference}");
        }
        let fast = array_ranges(&case).map_err(|error| error.to_string());
        let slow = serde_array_ranges(&case).map_err(|error| error.to_string());
        assert_eq!(fast, slow, "payload {case:?}");
    }
}

#[test]
fn common_payloads_take_the_fast_path() {
    for (payload, first) in [
        (r#"["echo",1]"#, First::PlainString),
        (r#"[7,"x"]"#, First::Integer),
        (r#"[-7]"#, First::Other),
        (r#"["a\nb"]"#, First::Other),
        ("[ {\"a\": [1, 2.5, true]} , null ]", First::Other),
    ] {
        let scanned = super::super::payload::scan_args(payload, true).expect("valid payload");
        assert_eq!(scanned.first, first, "payload {payload:?}");
    }
}

#[test]
fn reserved_names_are_all_recognised() {
    for name in RESERVED_EVENTS {
        let payload = Text::from(format!("[\"{name}\"]"));
        let range = 1..payload.len() - 1;
        assert!(matches!(
            event_name(&payload, range, First::PlainString),
            Err(ParseError::ReservedEventName(found)) if found == name
        ));
    }
}

#[test]
fn decoded_event_names_match_the_reference_parser() {
    for (packet, expected) in [
        (r#"2["echo",1]"#, Some("echo")),
        (r#"2[42,1]"#, Some("42")),
        (r#"2[-0]"#, Some("0")),
        (r#"2[1.50]"#, Some("1.5")),
        (r#"2[1e2]"#, Some("100")),
        (r#"2["a\"b"]"#, Some("a\"b")),
        (r#"2["\u0041"]"#, Some("A")),
        (r#"2["connect"]"#, None),
        (r#"2["connec\u0074"]"#, None),
        (r#"2[null]"#, None),
    ] {
        let decoded = Decoder::default().decode_text(Text::from(packet.to_owned()));
        match (decoded, expected) {
            (Ok(Some(packet)), Some(expected)) => match packet.body {
                Body::Event { name, .. } => assert_eq!(name, expected),
                body => panic!("not an event: {body:?}"),
            },
            (Err(_), None) => {}
            (decoded, _) => panic!("{packet:?} decoded to {decoded:?}"),
        }
    }
}

/// A small deterministic generator (xorshift), so that failures reproduce.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WHITESPACE: &[&str] = &["", "", "", " ", "\n", "\t ", "\r\n"];

/// A random valid JSON value at most `depth` containers deep.
fn value(rng: &mut Rng, depth: usize, out: &mut String) {
    let choice = if depth == 0 {
        rng.below(6)
    } else {
        rng.below(8)
    };
    match choice {
        0 => out.push_str(rng.pick(&[
            "\"echo\"",
            "\"\"",
            "\"a\\\"b\"",
            "\"\\n\\t\\/\"",
            "\"é😀\"",
            "\"connect\"",
            "\"\\u0041\"",
            "\"\\ud800\"",
            "\"1e5\"",
        ])),
        1 => out.push_str(rng.pick(&[
            "0", "-0", "1", "42", "-7", "1.5", "-0.25", "1e5", "1E+2", "2e-3",
        ])),
        2 => out.push_str(&rng.next().to_string()),
        3 => out.push_str(rng.pick(&["true", "false", "null"])),
        4 => out.push_str(&format!("{}.{}", rng.below(1000), rng.below(1000))),
        5 => out.push_str("\"text\""),
        6 => array(rng, 4, depth - 1, out),
        _ => {
            let count = rng.below(4);
            members(rng, count, ('{', '}'), out, |rng, out| {
                out.push_str(rng.pick(WHITESPACE));
                out.push_str(rng.pick(&["\"a\"", "\"_placeholder\"", "\"num\"", "\"\""]));
                out.push_str(rng.pick(WHITESPACE));
                out.push(':');
                out.push_str(rng.pick(WHITESPACE));
                value(rng, depth - 1, out);
            });
        }
    }
}

/// An array of fewer than `max` random values nested at most `depth` deep.
fn array(rng: &mut Rng, max: usize, depth: usize, out: &mut String) {
    let count = rng.below(max);
    members(rng, count, ('[', ']'), out, |rng, out| {
        out.push_str(rng.pick(WHITESPACE));
        value(rng, depth, out);
        out.push_str(rng.pick(WHITESPACE));
    });
}

/// `count` members written by `member`, separated by commas, between `open` and `close`.
fn members(
    rng: &mut Rng,
    count: usize,
    (open, close): (char, char),
    out: &mut String,
    mut member: impl FnMut(&mut Rng, &mut String),
) {
    out.push(open);
    for index in 0..count {
        if index > 0 {
            out.push(',');
        }
        member(rng, out);
    }
    out.push(close);
}

/// A random array payload, valid before mutation.
pub(super) fn payload(rng: &mut Rng) -> String {
    let mut out = String::new();
    array(rng, 5, 4, &mut out);
    out
}

/// Bytes that matter to the grammar, for mutations.
const PIECES: &[&str] = &[
    "[", "]", "{", "}", ",", ":", "\"", "\\", "0", "1", "-", ".", "e", "E", "+", " ", "\n",
    "\u{1}", "t", "n", "u", "x", "é",
];

/// `text` with a few random edits: insertions, deletions, replacements, a duplicated span.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 => chars
                .splice(at..at, rng.pick(PIECES).chars())
                .for_each(drop),
            1 if at < chars.len() => drop(chars.remove(at)),
            2 if at < chars.len() => chars
                .splice(at..=at, rng.pick(PIECES).chars())
                .for_each(drop),
            _ => {
                let end = (at + rng.below(6)).min(chars.len());
                let span: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, span).for_each(drop);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn scan_agrees_with_serde_json_on_generated_payloads() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused, mut scanned) = (0, 0, 0);
    for round in 0..40_000 {
        let valid = payload(&mut rng);
        let case = if round % 3 == 0 {
            valid
        } else {
            mutate(&mut rng, &valid)
        };
        if let Err(difference) = check_scan(&case) {
            panic!("{difference}");
        }
        if scan_array(&case, false).is_some() {
            scanned += 1;
        }
        if serde_array_ranges(&case).is_ok() {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    // Both sides of the grammar were exercised, and the scan answered often.
    assert!(
        accepted > 10_000 && refused > 10_000,
        "{accepted} / {refused}"
    );
    assert!(scanned > 5_000, "{scanned} scanned");
    println!("{accepted} accepted, {refused} refused, {scanned} scanned");
}

/// Strings and digit runs whose special bytes fall at every offset of the
/// eight-byte words the scan reads at once.
#[test]
fn scan_agrees_with_serde_json_across_word_boundaries() {
    let specials = [
        "\"", "\\n", "\\u0041", "\\", "\u{1}", "\u{1f}", " ", "\u{7f}", "é", "😀", "\u{ffff}",
    ];
    for len in 0..24 {
        for at in 0..=len {
            for special in specials {
                let mut text = "x".repeat(len);
                text.insert_str(at, special);
                for case in [
                    format!("[\"{text}\"]"),
                    format!("[\"{text}\",1]"),
                    format!("[\"{text}\"   ,  \"{text}\"]"),
                    format!("[{{\"{text}\":\"{text}\"}}]"),
                ] {
                    if let Err(difference) = check_scan(&case) {
                        panic!("{difference}");
                    }
                }
            }
        }
    }
    for len in 1..40 {
        let digits: String = (0..len).map(|index| char::from(b'1' + index % 9)).collect();
        for tail in [
            "", ".5", ".", "e5", "E+1", "x", " ", ",0", "]", "/", ":", "0", "\u{ff}",
        ] {
            for case in [
                format!("[{digits}{tail}]"),
                format!("[-{digits}{tail}]"),
                format!("[0.{digits}{tail}]"),
                format!("[{digits}{tail},\"ev\"]"),
                format!("[[{digits}{tail}]]"),
            ] {
                if let Err(difference) = check_scan(&case) {
                    panic!("{difference}");
                }
            }
        }
    }
}
