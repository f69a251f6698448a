//! Dates as `Date.prototype.toISOString` writes them, for the MessagePack
//! dialects that carry dates as timestamps (notepack's fixext 8 and
//! @msgpack/msgpack's ext −1) while JSON carries their ISO text.

/// `millis` since the Unix epoch as `2026-12-07T05:11:25.123Z`; `None` outside
/// the years 0 to 9999, which that form cannot write.
pub(crate) fn iso_date(millis: i64) -> Option<String> {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    // Civil date from a day count, proleptic Gregorian calendar (Howard
    // Hinnant's days-to-civil algorithm).
    let z = days.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    ))
}

#[cfg(test)]
mod tests {
    use super::iso_date;

    #[test]
    fn dates_read_as_iso_text() {
        assert_eq!(iso_date(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso_date(951_782_400_000).unwrap(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(iso_date(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            iso_date(1_796_620_285_123).unwrap(),
            "2026-12-07T05:11:25.123Z"
        );
        assert_eq!(iso_date(i64::MAX), None);
        assert_eq!(iso_date(-62_167_219_200_001), None);
    }
}
