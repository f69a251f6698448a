//! Validating the JSON payload of a packet in one pass, without building a tree.

use std::cell::Cell;
use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::decode::ParseError;
use super::number::NumberText;
use crate::frame::Text;

mod scan;

pub(crate) use scan::{First, Scanned, scan_array};

/// Event names a client may not send: the server emits these itself.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Where `part` (a slice of `whole`) lies in `whole`.
fn range_within(whole: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

fn invalid_json(error: serde_json::Error) -> ParseError {
    ParseError::InvalidJson(error)
}

/// Whether `json` may hold a number beyond the range of a double: one with an
/// exponent, or with a run of digits too long for an `f64` (cheap and conservative:
/// text inside strings may match too).
fn may_overflow(json: &str) -> bool {
    let mut digits = 0;
    let mut previous = 0_u8;
    for &byte in json.as_bytes() {
        if byte.is_ascii_digit() {
            digits += 1;
            if digits > 300 {
                return true;
            }
        } else {
            if (byte == b'e' || byte == b'E') && previous.is_ascii_digit() {
                return true;
            }
            digits = 0;
        }
        previous = byte;
    }
    false
}

/// Fails on a number beyond the range of a double, such as `1e400`: `JSON.parse`
/// reads it as `Infinity`, which `JSON.stringify` never writes, so it is invalid here.
fn check_numbers(json: &str) -> Result<(), ParseError> {
    if !may_overflow(json) {
        return Ok(());
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    de::Deserialize::deserialize(&mut deserializer)
        .map(|Finite| ())
        .map_err(invalid_json)
}

/// Any JSON value whose numbers all fit a double (serde_json refuses the others
/// when it parses them, which skipping a value does not do).
struct Finite;

impl<'de> de::Deserialize<'de> for Finite {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FiniteVisitor)
    }
}

struct FiniteVisitor;

impl<'de> Visitor<'de> for FiniteVisitor {
    type Value = Finite;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Finite, E> {
        Ok(Finite)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Finite, E> {
        Ok(Finite)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Finite, E> {
        Ok(Finite)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Finite, E> {
        Ok(Finite)
    }

    fn visit_str<E>(self, _: &str) -> Result<Finite, E> {
        Ok(Finite)
    }

    fn visit_unit<E>(self) -> Result<Finite, E> {
        Ok(Finite)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Finite, A::Error> {
        while seq.next_element::<Finite>()?.is_some() {}
        Ok(Finite)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Finite, A::Error> {
        while map.next_entry::<de::IgnoredAny, Finite>()?.is_some() {}
        Ok(Finite)
    }
}

/// Where the elements of a JSON array lie in its text: inline for the few
/// arguments most packets carry, so that decoding and cloning them allocate nothing.
pub(crate) type Ranges = smallvec::SmallVec<[Range<usize>; 3]>;

/// The byte range of each element of the JSON array `json`.
pub(crate) fn array_ranges(json: &str) -> Result<Ranges, ParseError> {
    scan_args(json, false).map(|scanned| scanned.ranges)
}

/// The elements of the JSON array `json`, the first one kept apart with `split_head`,
/// and what the first one is: by the one-pass scan when it can tell, by serde_json
/// otherwise (for any error, too).
pub(crate) fn scan_args(json: &str, split_head: bool) -> Result<Scanned, ParseError> {
    if let Some(scanned) = scan_array(json, split_head) {
        return Ok(scanned);
    }
    let mut ranges = serde_array_ranges(json)?;
    let head = (split_head && !ranges.is_empty()).then(|| ranges.remove(0));
    Ok(Scanned {
        head,
        ranges,
        first: First::Other,
    })
}

/// [`array_ranges`] done by serde_json alone, the reference the scan must agree with.
pub(crate) fn serde_array_ranges(json: &str) -> Result<Ranges, ParseError> {
    check_numbers(json)?;
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let ranges = deserializer
        .deserialize_seq(ElementRanges { json })
        .map_err(invalid_json)?;
    deserializer.end().map_err(invalid_json)?;
    Ok(ranges)
}

/// Checks that the one-pass scan of `json` agrees with serde_json: it accepts only
/// what serde_json accepts, with the same element ranges, and says the truth about
/// the first element (its event name is the one serde_json reads). Returns what
/// differs; for tests and fuzzing.
pub(crate) fn check_scan(json: &str) -> Result<(), String> {
    let reference = serde_array_ranges(json);
    let Some(scanned) = scan_array(json, false) else {
        return Ok(());
    };
    let ranges = match reference {
        Ok(ranges) => ranges,
        Err(error) => {
            return Err(format!(
                "scan accepts {json:?}, serde_json refuses: {error}"
            ));
        }
    };
    if ranges != scanned.ranges || scanned.head.is_some() {
        return Err(format!(
            "ranges of {json:?} differ: scan {scanned:?}, serde_json {ranges:?}"
        ));
    }
    let split = scan_array(json, true);
    let expected_head = ranges.first().cloned();
    let split_agrees = split.as_ref().is_some_and(|split| {
        split.head == expected_head
            && split.first == scanned.first
            && split.ranges.as_slice() == ranges.get(1..).unwrap_or_default()
    });
    if !split_agrees {
        return Err(format!(
            "split scan of {json:?} differs: {split:?}, serde_json {ranges:?}"
        ));
    }
    let Some(range) = expected_head else {
        return Ok(());
    };
    let payload = Text::from(json.to_owned());
    let fast = event_name(&payload, range.clone(), scanned.first);
    let slow = event_name(&payload, range, First::Other);
    let fast = fast.map_err(|error| error.to_string());
    let slow = slow.map_err(|error| error.to_string());
    if fast != slow {
        return Err(format!(
            "event names of {json:?} differ: scan {fast:?}, serde_json {slow:?}"
        ));
    }
    Ok(())
}

/// The byte range of the single JSON value that makes up `json`.
pub(crate) fn value_range(json: &str) -> Result<Range<usize>, ParseError> {
    check_numbers(json)?;
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let raw =
        <&RawValue as de::Deserialize>::deserialize(&mut deserializer).map_err(invalid_json)?;
    deserializer.end().map_err(invalid_json)?;
    range_within(json, raw.get())
        .ok_or_else(|| invalid_json(de::Error::custom("value out of range")))
}

/// Collects where each array element lies in the input text.
struct ElementRanges<'a> {
    json: &'a str,
}

impl<'de> Visitor<'de> for ElementRanges<'_> {
    type Value = Ranges;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut ranges = Ranges::new();
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            let range = range_within(self.json, raw.get())
                .ok_or_else(|| de::Error::custom("element out of range"))?;
            ranges.push(range);
        }
        Ok(ranges)
    }
}

/// Whether `name` is one of [`RESERVED_EVENTS`]: the length picks the candidates.
fn is_reserved(name: &str) -> bool {
    match name.len() {
        7 => name == "connect",
        10 => name == "disconnect",
        11 => name == "newListener",
        13 => name == "connect_error" || name == "disconnecting",
        14 => name == "removeListener",
        _ => false,
    }
}

/// The event name in the first element at `range` of `payload`: a string that is not
/// reserved, or a number (as its JavaScript decimal text). `first` is what the scan
/// found there; with [`First::Other`] the element is read again.
pub(crate) fn event_name(
    payload: &Text,
    range: Range<usize>,
    first: First,
) -> Result<Text, ParseError> {
    let name = match first {
        First::PlainString => payload.slice(range.start + 1..range.end.saturating_sub(1)),
        First::Integer => return Ok(payload.slice(range)),
        First::Other => return read_event_name(payload, range),
    };
    if is_reserved(name.as_str()) {
        return Err(ParseError::ReservedEventName(name));
    }
    Ok(name)
}

/// [`event_name`] for an element the scan did not describe.
fn read_event_name(payload: &Text, range: Range<usize>) -> Result<Text, ParseError> {
    let Some(raw) = payload.get(range.clone()) else {
        return Err(ParseError::InvalidEventName);
    };
    let name = match raw.as_bytes().first() {
        Some(b'"') if !raw.contains('\\') => match payload.get(range.start + 1..range.end - 1) {
            Some(name) => name,
            None => return Err(ParseError::InvalidEventName),
        },
        Some(b'"') => Text::from(serde_json::from_str::<String>(&raw).map_err(invalid_json)?),
        Some(b'-' | b'0'..=b'9') => {
            let number: serde_json::Number = serde_json::from_str(&raw).map_err(invalid_json)?;
            return Ok(Text::from(number_text(&number)));
        }
        _ => return Err(ParseError::InvalidEventName),
    };
    if is_reserved(name.as_str()) {
        return Err(ParseError::ReservedEventName(name));
    }
    Ok(name)
}

/// A number as JavaScript's `String(number)` writes it.
fn number_text(number: &serde_json::Number) -> String {
    if number.is_f64() {
        let value = number.as_f64().unwrap_or(f64::NAN);
        NumberText::from_f64(value).as_str().to_owned()
    } else {
        number.to_string()
    }
}

/// Checks that every placeholder object in `json` names one of `count` attachments.
///
/// A placeholder is an object whose `_placeholder` field is `true`; its `num` must be
/// an integer below `count`.
pub(crate) fn check_placeholders(json: &str, count: usize) -> Result<(), ParseError> {
    let invalid = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(json);
    PlaceholderCheck {
        count,
        invalid: &invalid,
    }
    .deserialize(&mut deserializer)
    .and_then(|_| deserializer.end())
    .map_err(|error| match invalid.get() {
        Some(num) => ParseError::InvalidPlaceholder {
            num,
            attachments: count,
        },
        None => ParseError::InvalidJson(error),
    })
}

/// What the checker learned about one value: all that matters to a placeholder.
enum Seen {
    True,
    Index(u64),
    Other,
}

/// Walks a JSON value, failing on a placeholder that names no attachment.
#[derive(Clone, Copy)]
struct PlaceholderCheck<'a> {
    count: usize,
    /// Set to the `num` of the first placeholder that names no attachment.
    invalid: &'a Cell<Option<Option<u64>>>,
}

impl<'de> DeserializeSeed<'de> for PlaceholderCheck<'_> {
    type Value = Seen;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Seen, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PlaceholderCheck<'_> {
    type Value = Seen;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Seen, E> {
        Ok(if value { Seen::True } else { Seen::Other })
    }

    fn visit_u64<E>(self, value: u64) -> Result<Seen, E> {
        Ok(Seen::Index(value))
    }

    fn visit_i64<E>(self, _value: i64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_f64<E>(self, _value: f64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_str<E>(self, _value: &str) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_unit<E>(self) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(Seen::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        let mut placeholder = false;
        let mut num = None;
        while let Some(key) = map.next_key::<FieldName>()? {
            let seen = map.next_value_seed(self)?;
            match key {
                FieldName::Placeholder => placeholder = matches!(seen, Seen::True),
                FieldName::Num => {
                    num = match seen {
                        Seen::Index(index) => Some(index),
                        _ => None,
                    }
                }
                FieldName::Other => {}
            }
        }
        let names_attachment = num.is_some_and(|num| num < self.count as u64);
        if placeholder && !names_attachment {
            self.invalid.set(Some(num));
            return Err(de::Error::custom("placeholder names no attachment"));
        }
        Ok(Seen::Other)
    }
}

/// The object keys a placeholder is made of.
enum FieldName {
    Placeholder,
    Num,
    Other,
}

impl<'de> de::Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FieldNameVisitor)
    }
}

struct FieldNameVisitor;

impl Visitor<'_> for FieldNameVisitor {
    type Value = FieldName;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<FieldName, E> {
        Ok(match key {
            "_placeholder" => FieldName::Placeholder,
            "num" => FieldName::Num,
            _ => FieldName::Other,
        })
    }
}
