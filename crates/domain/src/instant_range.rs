//! A sane instant: a year the lab can have seen a collection in, and the UTC offset of a real time zone.
//!
//! Every instant that enters the lab server passes here first. The lab stores instants as
//! fixed-width RFC 3339 text with a four-digit year (so text order is time order) and reads them
//! back strictly: an instant it accepted but cannot read back would take down every list that
//! shows it. Years are bounded to `EARLIEST_YEAR..=LATEST_YEAR`: Drawline did not exist before
//! 2000, so an earlier time is a tablet clock that lost its setting (1970 is the classic), and a
//! year past 2099 is a typo (20266) or an attack, while 2099 leaves decades for due dates. Offsets
//! are those real time zones use: -12:00 to +14:00 in whole quarter hours (+05:45 Nepal, +08:45
//! Eucla, +12:45 Chatham, -09:30 Marquesas).

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, Offset, Utc};
use serde_json::Value;

/// The first year an instant may fall in (UTC).
pub const EARLIEST_YEAR: i32 = 2000;
/// The last year an instant may fall in (UTC).
pub const LATEST_YEAR: i32 = 2099;
/// The westernmost real UTC offset, in minutes (-12:00, Baker Island).
pub const MIN_OFFSET_MINUTES: i32 = -12 * 60;
/// The easternmost real UTC offset, in minutes (+14:00, Line Islands).
pub const MAX_OFFSET_MINUTES: i32 = 14 * 60;
/// Every real UTC offset is a whole number of these minutes.
pub const OFFSET_STEP_MINUTES: i32 = 15;

/// Why an instant is not one the lab takes. The message never repeats the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstantError {
    /// Not an RFC 3339 date and time at all.
    #[error("not a date and time the lab can read (RFC 3339, e.g. 2026-03-01T08:30:00+01:00)")]
    Unreadable,
    /// The year (in UTC) is outside `EARLIEST_YEAR..=LATEST_YEAR`.
    #[error("the year is outside {EARLIEST_YEAR}-{LATEST_YEAR}")]
    YearOutOfRange,
    /// The UTC offset is not one a real time zone uses.
    #[error("the UTC offset is not a real time zone's (-12:00 to +14:00, in whole quarter hours)")]
    OffsetOutOfRange,
}

/// Checks the year of an instant (in UTC).
pub fn check_utc(t: &DateTime<Utc>) -> Result<(), InstantError> {
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&t.year()) {
        Ok(())
    } else {
        Err(InstantError::YearOutOfRange)
    }
}

/// Checks a UTC offset given in minutes east of UTC.
pub fn check_offset_minutes(minutes: i64) -> Result<(), InstantError> {
    let range = i64::from(MIN_OFFSET_MINUTES)..=i64::from(MAX_OFFSET_MINUTES);
    if range.contains(&minutes) && minutes % i64::from(OFFSET_STEP_MINUTES) == 0 {
        Ok(())
    } else {
        Err(InstantError::OffsetOutOfRange)
    }
}

/// Checks an instant with its offset: the year and the offset.
pub fn check_instant(t: &DateTime<FixedOffset>) -> Result<(), InstantError> {
    let seconds = t.offset().fix().local_minus_utc();
    if seconds % 60 != 0 {
        return Err(InstantError::OffsetOutOfRange);
    }
    check_offset_minutes(i64::from(seconds / 60))?;
    check_utc(&t.with_timezone(&Utc))
}

/// The `±HH:MM` offset at the end of a date-time text, in minutes, when it has one (`Z` has none).
fn trailing_offset_minutes(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let tail = b.get(b.len().checked_sub(6)?..)?;
    let sign = match tail[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digit = |c: u8| c.is_ascii_digit().then(|| i64::from(c - b'0'));
    let hours = digit(tail[1])? * 10 + digit(tail[2])?;
    if tail[3] != b':' {
        return None;
    }
    let minutes = digit(tail[4])? * 10 + digit(tail[5])?;
    Some(sign * (hours * 60 + minutes))
}

/// Reads a date-time text (RFC 3339; a signed year of more than four digits is read too, so it
/// can be refused by name) and checks it.
pub fn parse_instant(text: &str) -> Result<DateTime<FixedOffset>, InstantError> {
    let text = text.trim();
    // An offset no time zone uses (+25:00) is named as such, though chrono cannot even read it.
    if let Some(minutes) = trailing_offset_minutes(text) {
        check_offset_minutes(minutes)?;
    }
    let t = DateTime::parse_from_rfc3339(text)
        .or_else(|_| text.parse::<DateTime<FixedOffset>>())
        .map_err(|_| InstantError::Unreadable)?;
    check_instant(&t)?;
    Ok(t)
}

/// Whether a text has the shape of a date and time (an optionally signed year of four or more
/// digits, month, day, then `T` or a space and an hour, and nothing but digits and the signs a
/// date and time uses): the texts [`first_bad_instant`] checks. A date alone (a birth date) is
/// not an instant, nor free text that starts with one ("2026-01-01T10:00 redrawn").
pub fn looks_like_instant(text: &str) -> bool {
    let b = text.trim().as_bytes();
    let instant_chars = |c: &u8| c.is_ascii_digit() || b"+-:.TtZz ".contains(c);
    if b.len() > 64 || !b.iter().all(instant_chars) {
        return false;
    }
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let year_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i - year_start < 4 {
        return false;
    }
    let two_digits = |at: usize| {
        b.get(at..at + 2)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    b.get(i) == Some(&b'-')
        && two_digits(i + 1)
        && b.get(i + 3) == Some(&b'-')
        && two_digits(i + 4)
        && matches!(b.get(i + 6), Some(b'T' | b't' | b' '))
        && b.get(i + 7).is_some_and(u8::is_ascii_digit)
}

/// An instant inside a JSON document that the lab does not take, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInstant {
    /// Where: `collection.tubes[2].drawn_at.utc`.
    pub path: String,
    /// What is wrong with it.
    pub error: InstantError,
}

impl fmt::Display for BadInstant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.error)
    }
}

/// The member name that holds a device time's UTC offset in minutes (`DeviceTime`).
const OFFSET_FIELD: &str = "offset_minutes";

/// The first instant in `value` the lab does not take, in document order, with its path from
/// `root`: every text shaped like a date and time ([`looks_like_instant`]) and every
/// `offset_minutes` number is checked, so an instant anywhere in a record is covered, whatever
/// field holds it.
pub fn first_bad_instant(value: &Value, root: &str) -> Option<BadInstant> {
    let bad = |path: &str, error| {
        Some(BadInstant {
            path: path.to_owned(),
            error,
        })
    };
    match value {
        Value::String(s) if looks_like_instant(s) => match parse_instant(s) {
            Ok(_) => None,
            Err(e) => bad(root, e),
        },
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_bad_instant(v, &format!("{root}[{i}]"))),
        Value::Object(members) => members.iter().find_map(|(k, v)| {
            let path = format!("{root}.{k}");
            if k == OFFSET_FIELD && v.is_number() {
                let ok = v.as_i64().is_some_and(|m| check_offset_minutes(m).is_ok());
                return if ok {
                    None
                } else {
                    bad(&path, InstantError::OffsetOutOfRange)
                };
            }
            first_bad_instant(v, &path)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, SecondsFormat, TimeZone};
    use proptest::prelude::*;
    use serde_json::json;

    fn at(year: i32, offset_minutes: i32) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap();
        offset.with_ymd_and_hms(year, 6, 15, 12, 0, 0).unwrap()
    }

    #[test]
    fn real_time_zones_at_the_edges_are_taken() {
        for minutes in [-720, -570, 0, 345, 525, 765, 840] {
            assert_eq!(check_instant(&at(2026, minutes)), Ok(()), "{minutes}");
        }
        assert_eq!(parse_instant("2000-01-01T00:00:00Z").map(|_| ()), Ok(()));
        assert_eq!(parse_instant("2099-12-31T23:59:59Z").map(|_| ()), Ok(()));
    }

    #[test]
    fn year_ten_thousand_and_an_impossible_offset_are_named() {
        assert_eq!(
            parse_instant("+10000-01-01T00:00:00Z"),
            Err(InstantError::YearOutOfRange)
        );
        assert_eq!(
            parse_instant("2026-01-01T00:00:00+25:00"),
            Err(InstantError::OffsetOutOfRange)
        );
        assert_eq!(
            parse_instant("2026-01-01T00:00:00+05:10"),
            Err(InstantError::OffsetOutOfRange)
        );
        assert_eq!(
            parse_instant("1970-01-01T00:00:00Z"),
            Err(InstantError::YearOutOfRange)
        );
        assert_eq!(
            parse_instant("2026-13-01T00:00:00Z"),
            Err(InstantError::Unreadable)
        );
    }

    #[test]
    fn a_birth_date_or_free_text_is_not_an_instant() {
        for text in [
            "1950-04-01",
            "call 2026",
            "on 2026-01-01T10:00Z",
            "",
            "+12-01-01T00:00Z",
            "2026-01-01T10:00 redrawn after a faint",
        ] {
            assert!(!looks_like_instant(text), "{text}");
        }
        for text in [
            "2026-01-01T10:00:00Z",
            "+10000-01-01T00:00:00Z",
            "2026-01-01 10:00",
        ] {
            assert!(looks_like_instant(text), "{text}");
        }
    }

    #[test]
    fn a_bad_instant_is_found_by_its_path_and_the_message_never_quotes_it() {
        let doc = json!({
            "patient": {"birth_date": "1950-04-01", "name": "2026 Smith"},
            "tubes": [
                {"drawn_at": {"utc": "2026-03-01T08:30:00Z", "offset_minutes": 60}},
                {"drawn_at": {"utc": "+10000-03-01T08:30:00Z", "offset_minutes": 60}}
            ]
        });
        let bad = first_bad_instant(&doc, "collection").unwrap();
        assert_eq!(bad.path, "collection.tubes[1].drawn_at.utc");
        assert_eq!(bad.error, InstantError::YearOutOfRange);
        assert!(!bad.to_string().contains("10000"));

        let offset = json!({"started_at": {"utc": "2026-03-01T08:30:00Z", "offset_minutes": 1500}});
        let bad = first_bad_instant(&offset, "collection").unwrap();
        assert_eq!(bad.path, "collection.started_at.offset_minutes");
        assert_eq!(bad.error, InstantError::OffsetOutOfRange);
        assert_eq!(first_bad_instant(&doc["tubes"][0], "t"), None);
    }

    proptest! {
        #[test]
        fn every_instant_in_range_in_a_real_zone_is_taken_and_reads_back(
            seconds in 0i64..(100 * 365 * 86_400),
            quarters in (MIN_OFFSET_MINUTES / 15)..=(MAX_OFFSET_MINUTES / 15),
        ) {
            let utc = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds);
            prop_assume!(utc.year() <= LATEST_YEAR);
            let local = utc.with_timezone(&FixedOffset::east_opt(quarters * 15 * 60).unwrap());
            // The local text may show another year than UTC near New Year: UTC is what counts.
            let text = local.to_rfc3339_opts(SecondsFormat::Micros, false);
            prop_assert!(looks_like_instant(&text));
            prop_assert_eq!(parse_instant(&text), Ok(local));
            prop_assert_eq!(first_bad_instant(&json!({"at": text}), "r"), None);
        }

        #[test]
        fn every_year_outside_the_range_is_refused(
            year in prop_oneof![1i32..EARLIEST_YEAR, (LATEST_YEAR + 1)..200_000],
        ) {
            let t = Utc.with_ymd_and_hms(year, 7, 1, 12, 0, 0).unwrap();
            prop_assert_eq!(check_utc(&t), Err(InstantError::YearOutOfRange));
            let text = t.to_rfc3339_opts(SecondsFormat::Secs, true);
            let bad = first_bad_instant(&json!({"a": [{"b": text}]}), "r");
            prop_assert_eq!(
                bad,
                Some(BadInstant { path: "r.a[0].b".into(), error: InstantError::YearOutOfRange })
            );
        }

        #[test]
        fn every_offset_off_the_quarter_hours_or_beyond_real_zones_is_refused(
            minutes in -3000i64..3000,
        ) {
            let real = (i64::from(MIN_OFFSET_MINUTES)..=i64::from(MAX_OFFSET_MINUTES))
                .contains(&minutes) && minutes % 15 == 0;
            prop_assert_eq!(check_offset_minutes(minutes).is_ok(), real);
            let doc = json!({"t": {"utc": "2026-01-01T00:00:00Z", "offset_minutes": minutes}});
            prop_assert_eq!(first_bad_instant(&doc, "r").is_none(), real);
        }
    }
}
