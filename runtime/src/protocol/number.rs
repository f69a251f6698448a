//! Floating-point numbers written exactly as JavaScript writes them.
//!
//! `JSON.stringify` prints numbers with `Number.prototype.toString`: the shortest
//! digits that read back to the same value, laid out as an integer below 1e21
//! (`100000000000000000000`), as a decimal above 1e-7 (`0.000001`), and with an
//! explicit exponent sign otherwise (`1e+21`, `1.5e-7`). Whole numbers have no
//! fraction (`1`, not `1.0`), `-0` prints as `0`, and non-finite values as `null`.
//!
//! Two crates share the work. `ryu-js` implements `Number::toString` itself;
//! `zmij` writes magnitudes from 1e-5 to 1e16 as plain decimals, as JavaScript
//! does, and is faster on the short decimals payloads are full of, so it writes
//! those and `ryu-js` everything else. Counted with callgrind (instructions per
//! number through `NumberText`, against `ryu-js` alone plus the same copy):
//! integers 396 against about 515, two-decimal values 372 against about 624,
//! values in [0, 1) 370 against about 423, random bit patterns (mostly exponent
//! notation) 473 against about 436. Both agree with Node.js on 1.8 million
//! doubles: random bit patterns, integers, decimals, subnormals, and the
//! neighbours of every power of ten.

use std::io;

/// A serde_json formatter that writes compact JSON with JavaScript number text.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JsFormatter;

impl serde_json::ser::Formatter for JsFormatter {
    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        match plain_decimal(&mut zmij::Buffer::new(), value) {
            Some(text) => writer.write_all(text.as_bytes()),
            None => writer.write_all(NumberText::from_f32(value).as_str().as_bytes()),
        }
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        match plain_decimal(&mut zmij::Buffer::new(), value) {
            Some(text) => writer.write_all(text.as_bytes()),
            None => writer.write_all(NumberText::from_f64(value).as_str().as_bytes()),
        }
    }
}

/// The text of `value` when plain decimal notation is how both `zmij` and
/// JavaScript write it (magnitudes from 1e-5 to 1e16), but for the `.0` of whole
/// numbers; `None` for every other value, zero and non-finite ones included.
fn plain_decimal<F: zmij::Float + Into<f64>>(buffer: &mut zmij::Buffer, value: F) -> Option<&str> {
    let wide: f64 = value.into();
    if !(1e-5..1e16).contains(&wide.abs()) {
        return None;
    }
    let text = buffer.format_finite(value);
    // Rounding can still carry a value at the edges into exponent notation (`1e16`),
    // whose `e` is among the last five bytes.
    let tail = &text.as_bytes()[text.len().saturating_sub(5)..];
    (!tail.contains(&b'e')).then(|| text.strip_suffix(".0").unwrap_or(text))
}

/// The longest text a finite `f64` can need: 21 integer digits, or 17 significant
/// digits with a point and a four-character exponent, plus a sign.
const CAPACITY: usize = 32;

/// The JavaScript text of one number, kept on the stack.
#[derive(Clone, Copy)]
pub(crate) struct NumberText {
    buf: [u8; CAPACITY],
    len: usize,
}

impl NumberText {
    /// The text of a double, as `String(value)` gives it in JavaScript.
    pub(crate) fn from_f64(value: f64) -> NumberText {
        NumberText::of(value)
    }

    /// The text of a single-precision float, using its own shortest digits (`0.1`
    /// stays `0.1` rather than becoming `0.10000000149011612`).
    pub(crate) fn from_f32(value: f32) -> NumberText {
        NumberText::of(value)
    }

    /// The text as a string slice.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("null")
    }

    fn of<F: zmij::Float + ryu_js::Float + Into<f64>>(value: F) -> NumberText {
        let mut out = NumberText {
            buf: [0; CAPACITY],
            len: 0,
        };
        let wide: f64 = value.into();
        if !wide.is_finite() {
            out.push_str("null");
        } else if wide == 0.0 {
            out.push_str("0");
        } else if let Some(text) = plain_decimal(&mut zmij::Buffer::new(), value) {
            out.push_str(text);
        } else {
            out.push_str(ryu_js::Buffer::new().format_finite(value));
        }
        out
    }

    fn push_str(&mut self, text: &str) {
        let end = (self.len + text.len()).min(CAPACITY);
        let take = end - self.len;
        self.buf[self.len..end].copy_from_slice(&text.as_bytes()[..take]);
        self.len = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(value: f64) -> String {
        NumberText::from_f64(value).as_str().to_owned()
    }

    #[test]
    fn matches_javascript_number_to_string() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (-0.5, "-0.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123.456, "123.456"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123e18, "123000000000000000000"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (-2.5e-7, "-2.5e-7"),
            (9007199254740992.0, "9007199254740992"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN, "-1.7976931348623157e+308"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
            (f64::NEG_INFINITY, "null"),
        ];
        for &(value, expected) in cases {
            assert_eq!(js(value), expected, "formatting {value:e}");
        }
    }

    #[test]
    fn matches_numbers_recorded_from_javascript() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/js-numbers.json");
        let text = std::fs::read_to_string(path).expect("number vectors are readable");
        let recorded: serde_json::Value =
            serde_json::from_str(&text).expect("number vectors are JSON");
        let numbers = recorded["numbers"].as_array().expect("a list of numbers");
        assert!(numbers.len() > 1000);
        for entry in numbers {
            let bits = u64::from_str_radix(entry[0].as_str().expect("hex bits"), 16).expect("hex");
            let value = f64::from_bits(bits);
            assert_eq!(
                js(value),
                entry[1].as_str().expect("text"),
                "formatting {value:?}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn reads_back_exactly(bits in proptest::prelude::any::<u64>()) {
            let value = f64::from_bits(bits);
            let text = js(value);
            if value.is_finite() {
                proptest::prop_assert_eq!(text.parse::<f64>().ok(), Some(value + 0.0));
            } else {
                proptest::prop_assert_eq!(text, "null");
            }
        }
    }

    #[test]
    fn single_precision_keeps_its_own_shortest_digits() {
        assert_eq!(NumberText::from_f32(0.1).as_str(), "0.1");
        assert_eq!(NumberText::from_f32(16777216.0).as_str(), "16777216");
        assert_eq!(NumberText::from_f32(f32::NAN).as_str(), "null");
    }

    #[test]
    fn formatter_writes_javascript_numbers_through_serde_json() {
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, JsFormatter);
        serde::Serialize::serialize(&(1.0f64, 1e21f64, f64::NAN, 3u8), &mut serializer).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[1,1e+21,null,3]");
    }
}
