//! A hand-written single-pass scan of the JSON argument array of an EVENT/ACK packet.
//!
//! Every incoming event and ack goes through here, so this is the hot path of decoding.
//! serde_json does the same job (see [`super::serde_array_ranges`]) but costs far more;
//! counted with callgrind in a saturated acked echo (`["echo",<16 digits>]`), per
//! packet: serde_json's element ranges about 935 instructions (a deserializer, a
//! `RawValue` per element, and a second pass looking for numbers beyond the range of
//! a double) and the event name about 206 more, against about 335 for this scan and
//! 84 for the name it hands over. It reads each byte once, digits and string runs
//! eight at a time.
//!
//! It is conservative: it answers only for payloads it fully understands, which the
//! serde_json path accepts with the very same element ranges, and gives up (`None`)
//! on everything else, leaving it to serde_json, so that errors and their messages
//! stay serde_json's. It gives up on any error, on `\u` escapes (serde_json checks
//! surrogates when it looks at numbers, see `check_numbers`), on numbers with an
//! exponent or longer than [`MAX_NUMBER_LEN`] (they may lie beyond a double's range),
//! and on nesting deeper than [`MAX_DEPTH`] (serde_json's recursion limit is 128).

use std::ops::Range;

use super::Ranges;

/// Containers nested deeper than this (the top-level array included) are left to
/// serde_json, well below its recursion limit of 128.
const MAX_DEPTH: u32 = 100;

/// Numbers longer than this are left to serde_json: a double overflows past 309
/// integer digits, and the overflow check of the serde_json path looks at runs of
/// more than 300 digits.
const MAX_NUMBER_LEN: usize = 300;

/// What the first element of the array is, as far as naming an event goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum First {
    /// A string without escapes: the name is the text between its quotes.
    PlainString,
    /// Up to 19 digits without sign, fraction or exponent: the name is the text
    /// itself (JSON forbids leading zeros, and such a number fits a `u64`).
    Integer,
    /// Anything else, or no element, or not known.
    Other,
}

/// The arguments found by a successful scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// The byte range of the first element, when it was asked to be kept apart (the
    /// name of an event); `None` if so asked and the array is empty.
    pub(crate) head: Option<Range<usize>>,
    /// The byte range of each element of the array (but the head, if kept apart).
    pub(crate) ranges: Ranges,
    /// What the first element is.
    pub(crate) first: First,
}

/// Scans `json`, which must be a JSON array and nothing else (whitespace aside);
/// with `split_head`, the first element goes to [`Scanned::head`]. `None` when the
/// payload is invalid or beyond what the scan handles.
pub(crate) fn scan_array(json: &str, split_head: bool) -> Option<Scanned> {
    let mut scanner = Scanner {
        bytes: json.as_bytes(),
        pos: 0,
    };
    if scanner.bytes.first() != Some(&b'[') {
        return None;
    }
    scanner.pos = 1;
    let mut scanned = Scanned {
        head: None,
        ranges: Ranges::new(),
        first: First::Other,
    };
    scanner.skip_whitespace();
    if scanner.peek() == Some(b']') {
        scanner.pos += 1;
    } else {
        let mut index = 0_usize;
        loop {
            let start = scanner.pos;
            let kind = scanner.value()?;
            if index == 0 {
                scanned.first = kind;
            }
            if index == 0 && split_head {
                scanned.head = Some(start..scanner.pos);
            } else {
                scanned.ranges.push(start..scanner.pos);
            }
            index += 1;
            scanner.skip_whitespace();
            match scanner.next()? {
                b',' => scanner.skip_whitespace(),
                b']' => break,
                _ => return None,
            }
        }
    }
    scanner.skip_whitespace();
    (scanner.pos == scanner.bytes.len()).then_some(scanned)
}

/// Eight ones, one per byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of a word.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `pos` as a little-endian word (the first byte lowest), if
/// there are that many.
#[inline]
fn word(bytes: &[u8], pos: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(pos..pos.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// A word with the high bit of each zero byte of `word` set, exactly up to its first
/// zero byte (the borrow may mark bytes after it).
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// Marks the bytes of `word` that end a run through a string, exactly up to the first
/// one: the quote, the backslash and the control characters (which JSON forbids
/// unescaped).
fn string_specials(word: u64) -> u64 {
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    control
        | zero_bytes(word ^ (ONES * u64::from(b'"')))
        | zero_bytes(word ^ (ONES * u64::from(b'\\')))
}

/// Marks the bytes of `word` that are not ASCII digits, exactly up to the first one
/// (adding 6 carries out of a byte only above `0xf9`, itself no digit).
fn non_digits(word: u64) -> u64 {
    let nibbles = ONES * 0xf0;
    let digits_high = ONES * 0x30;
    ((word & nibbles) ^ digits_high) | ((word.wrapping_add(ONES * 0x06) & nibbles) ^ digits_high)
}

/// How many bytes of a word come before the first one marked in `mask` (not zero).
fn first_marked(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// A cursor over the payload bytes.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    /// Skips JSON whitespace: space, tab, line feed, carriage return.
    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips the value at the cursor (no whitespace before it) and tells what it is.
    #[inline]
    fn value(&mut self) -> Option<First> {
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                let plain = self.string()?;
                Some(if plain {
                    First::PlainString
                } else {
                    First::Other
                })
            }
            b'[' | b'{' => {
                self.container()?;
                Some(First::Other)
            }
            _ => self.scalar(),
        }
    }

    /// Skips a number or literal at the cursor.
    #[inline]
    fn scalar(&mut self) -> Option<First> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<First> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end)? != word {
            return None;
        }
        self.pos = end;
        Some(First::Other)
    }

    /// Skips the rest of a string whose opening quote is behind the cursor; tells
    /// whether it had no escapes.
    #[inline]
    fn string(&mut self) -> Option<bool> {
        let mut plain = true;
        loop {
            self.skip_string_run();
            match self.next()? {
                b'"' => return Some(plain),
                b'\\' => match self.next()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => plain = false,
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    /// Skips a number without exponent: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
    #[inline]
    fn number(&mut self) -> Option<First> {
        let start = self.pos;
        let mut kind = First::Integer;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            kind = First::Other;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.skip_digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            kind = First::Other;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.skip_digits();
        }
        let len = self.pos - start;
        if matches!(self.peek(), Some(b'e' | b'E')) || len > MAX_NUMBER_LEN {
            return None;
        }
        Some(if len > 19 { First::Other } else { kind })
    }

    /// Skips ASCII digits, eight at a time while there are eight bytes left.
    #[inline]
    fn skip_digits(&mut self) {
        while let Some(word) = word(self.bytes, self.pos) {
            let mask = non_digits(word);
            if mask != 0 {
                self.pos += first_marked(mask);
                return;
            }
            self.pos += 8;
        }
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// Skips the bytes of a string up to a quote, a backslash or a control
    /// character, eight at a time while there are eight bytes left.
    #[inline]
    fn skip_string_run(&mut self) {
        while let Some(word) = word(self.bytes, self.pos) {
            let mask = string_specials(word);
            if mask != 0 {
                self.pos += first_marked(mask);
                return;
            }
            self.pos += 8;
        }
        while self
            .peek()
            .is_some_and(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\')
        {
            self.pos += 1;
        }
    }

    /// Skips the object key at the cursor, its colon and the whitespace around it.
    fn key(&mut self) -> Option<()> {
        if self.next()? != b'"' {
            return None;
        }
        self.string()?;
        self.skip_whitespace();
        if self.next()? != b':' {
            return None;
        }
        self.skip_whitespace();
        Some(())
    }

    /// Skips the array or object at the cursor, nested containers included, without
    /// recursion: one bit per open container tells objects from arrays.
    fn container(&mut self) -> Option<()> {
        let mut objects: u128 = 0;
        let mut depth: u32 = 0;
        loop {
            // Here a value starts.
            match self.peek()? {
                open @ (b'[' | b'{') => {
                    depth += 1;
                    // The top-level array is one more level.
                    if depth + 1 > MAX_DEPTH {
                        return None;
                    }
                    let object = open == b'{';
                    objects = (objects << 1) | u128::from(object);
                    self.pos += 1;
                    self.skip_whitespace();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        depth -= 1;
                        objects >>= 1;
                    } else {
                        if object {
                            self.key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.pos += 1;
                    self.string()?;
                }
                _ => {
                    self.scalar()?;
                }
            }
            // Here a value ended: a comma, or the end of enclosing containers.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.skip_whitespace();
                let object = objects & 1 == 1;
                match self.next()? {
                    b',' => {
                        self.skip_whitespace();
                        if object {
                            self.key()?;
                        }
                        break;
                    }
                    b']' if !object => {}
                    b'}' if object => {}
                    _ => return None,
                }
                depth -= 1;
                objects >>= 1;
            }
        }
    }
}
