//! Floating-point numbers written exactly as JavaScript writes them.
//!
//! `JSON.stringify` prints numbers with `Number.prototype.toString`: the shortest
//! digits that read back to the same value, laid out as an integer below 1e21
//! (`100000000000000000000`), as a decimal above 1e-7 (`0.000001`), and with an
//! explicit exponent sign otherwise (`1e+21`, `1.5e-7`). Whole numbers have no
//! fraction (`1`, not `1.0`), `-0` prints as `0`, and non-finite values as `null`.

use std::fmt::{self, Write as _};
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

/// The text of a finite, non-zero `value` when plain decimal notation is how both
/// the shortest formatter and JavaScript write it (magnitudes from 1e-5 to 1e16),
/// but for the `.0` of whole numbers; `None` for every other value.
fn plain_decimal<F: zmij::Float + Into<f64>>(buffer: &mut zmij::Buffer, value: F) -> Option<&str> {
    let wide: f64 = value.into();
    if !wide.is_finite() || wide == 0.0 {
        return None;
    }
    let text = buffer.format_finite(value);
    (!text.contains('e')).then(|| text.strip_suffix(".0").unwrap_or(text))
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
        NumberText::layout(
            value.abs(),
            value.is_sign_negative(),
            value == 0.0,
            value.is_finite(),
        )
    }

    /// The text of a single-precision float, using its own shortest digits (`0.1`
    /// stays `0.1` rather than becoming `0.10000000149011612`).
    pub(crate) fn from_f32(value: f32) -> NumberText {
        NumberText::layout(
            value.abs(),
            value.is_sign_negative(),
            value == 0.0,
            value.is_finite(),
        )
    }

    /// The text as a string slice.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("null")
    }

    fn layout<F: zmij::Float + Into<f64>>(
        magnitude: F,
        negative: bool,
        zero: bool,
        finite: bool,
    ) -> NumberText {
        let mut out = NumberText {
            buf: [0; CAPACITY],
            len: 0,
        };
        if !finite {
            out.push_str("null");
            return out;
        }
        if zero {
            out.push_str("0");
            return out;
        }
        if negative {
            out.push_str("-");
        }
        let mut shortest = zmij::Buffer::new();
        match plain_decimal(&mut shortest, magnitude) {
            Some(text) => out.push_str(text),
            None => {
                let (digits, point) = split_shortest(shortest.format_finite(magnitude));
                out.push_js_layout(&digits, point);
            }
        }
        out
    }

    /// Lays out the value `0.digits × 10^n`, following `Number::toString`
    /// (ECMA-262, 6.1.6.1.20).
    fn push_js_layout(&mut self, digits: &Digits, n: i32) {
        let digits = digits.as_str();
        let k = digits.len() as i32;
        if k <= n && n <= 21 {
            self.push_str(digits);
            self.push_repeated(b'0', (n - k) as usize);
        } else if 0 < n && n <= 21 {
            let (whole, fraction) = digits.split_at(n as usize);
            self.push_str(whole);
            self.push_str(".");
            self.push_str(fraction);
        } else if -6 < n && n <= 0 {
            self.push_str("0.");
            self.push_repeated(b'0', (-n) as usize);
            self.push_str(digits);
        } else {
            let (first, rest) = digits.split_at(1);
            self.push_str(first);
            if !rest.is_empty() {
                self.push_str(".");
                self.push_str(rest);
            }
            let _ = write!(self, "e{}{}", if n > 0 { '+' } else { '-' }, (n - 1).abs());
        }
    }

    fn push_str(&mut self, text: &str) {
        let end = (self.len + text.len()).min(CAPACITY);
        let take = end - self.len;
        self.buf[self.len..end].copy_from_slice(&text.as_bytes()[..take]);
        self.len = end;
    }

    fn push_repeated(&mut self, byte: u8, count: usize) {
        let end = (self.len + count).min(CAPACITY);
        self.buf[self.len..end].fill(byte);
        self.len = end;
    }
}

impl fmt::Write for NumberText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if self.len + text.len() > CAPACITY {
            return Err(fmt::Error);
        }
        self.push_str(text);
        Ok(())
    }
}

/// Up to 17 significant decimal digits.
struct Digits {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Digits {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("0")
    }
}

/// Splits the shortest text of a positive number (`123.0`, `0.001`, `1.5e-7`, `1e21`)
/// into its significant digits, without leading or trailing zeros, and the position
/// `n` of the decimal point relative to them: the value is `0.digits × 10^n`.
fn split_shortest(text: &str) -> (Digits, i32) {
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut point = whole.len() as i32 + exponent.parse::<i32>().unwrap_or(0);
    let mut digits = Digits {
        buf: [0; CAPACITY],
        len: 0,
    };
    for byte in whole.bytes().chain(fraction.bytes()) {
        if digits.len == 0 && byte == b'0' {
            point -= 1;
        } else if byte.is_ascii_digit() && digits.len < CAPACITY {
            digits.buf[digits.len] = byte;
            digits.len += 1;
        }
    }
    while digits.len > 1 && digits.buf[digits.len - 1] == b'0' {
        digits.len -= 1;
    }
    if digits.len == 0 {
        digits.buf[0] = b'0';
        digits.len = 1;
        point = 1;
    }
    (digits, point)
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
    fn shortest_text_splits_into_digits_and_point() {
        let split = |text| {
            let (digits, point) = split_shortest(text);
            (digits.as_str().to_owned(), point)
        };
        assert_eq!(split("123.0"), ("123".to_owned(), 3));
        assert_eq!(split("0.001"), ("1".to_owned(), -2));
        assert_eq!(split("1.5e-7"), ("15".to_owned(), -6));
        assert_eq!(split("1e21"), ("1".to_owned(), 22));
        assert_eq!(split("1e+21"), ("1".to_owned(), 22));
        assert_eq!(split("100"), ("1".to_owned(), 3));
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
