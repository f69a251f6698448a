//! Floating-point numbers written exactly as JavaScript writes them.
//!
//! `JSON.stringify` prints numbers with `Number.prototype.toString`: the shortest
//! digits that read back to the same value, laid out as an integer below 1e21
//! (`100000000000000000000`), as a decimal above 1e-7 (`0.000001`), and with an
//! explicit exponent sign otherwise (`1e+21`, `1.5e-7`). Whole numbers have no
//! fraction (`1`, not `1.0`), `-0` prints as `0`, and non-finite values as `null`.

use std::fmt::{self, LowerExp, Write as _};
use std::io;

/// A serde_json formatter that writes compact JSON with JavaScript number text.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JsFormatter;

impl serde_json::ser::Formatter for JsFormatter {
    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        let text = NumberText::from_f32(value);
        writer.write_all(text.as_str().as_bytes())
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        let text = NumberText::from_f64(value);
        writer.write_all(text.as_str().as_bytes())
    }
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

    fn layout<T: LowerExp>(magnitude: T, negative: bool, zero: bool, finite: bool) -> NumberText {
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
        let mut scientific = NumberText {
            buf: [0; CAPACITY],
            len: 0,
        };
        let _ = write!(scientific, "{magnitude:e}");
        let (digits, exponent) = split_scientific(scientific.as_str());
        if negative {
            out.push_str("-");
        }
        out.push_js_layout(&digits, exponent);
        out
    }

    /// Lays out significant `digits` whose first digit has weight `10^exponent`,
    /// following `Number::toString` (ECMA-262, 6.1.6.1.20).
    fn push_js_layout(&mut self, digits: &Digits, exponent: i32) {
        let digits = digits.as_str();
        let k = digits.len() as i32;
        let n = exponent + 1;
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

/// Splits Rust's shortest scientific text (`1.2345e-7`) into its digits (`12345`)
/// and exponent (`-7`).
fn split_scientific(text: &str) -> (Digits, i32) {
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let mut digits = Digits {
        buf: [0; CAPACITY],
        len: 0,
    };
    for byte in mantissa.bytes().filter(u8::is_ascii_digit) {
        if digits.len < CAPACITY {
            digits.buf[digits.len] = byte;
            digits.len += 1;
        }
    }
    if digits.len == 0 {
        digits.buf[0] = b'0';
        digits.len = 1;
    }
    (digits, exponent.parse().unwrap_or(0))
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
