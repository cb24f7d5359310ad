//! How instants, ages and clock offsets read for people on screen.

/// "12 min", "3 h 5 min", "2 d 1 h" from a number of seconds (negative reads as none).
pub fn age_text(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min")
    } else {
        format!("{s} s")
    }
}

/// A wait counting down, to the second: "42 s", "4 min 5 s", "1 h 3 min".
pub fn wait_text(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
    }
}

/// Local wall-clock time of an instant: "23 Nov 14:05".
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    drawline_domain::clock_text::day_month_hm(&t.with_timezone(&chrono::Local))
}

/// Local wall-clock time of an RFC 3339 text, as `when`; text that is no time stays as it is.
pub fn when_text(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| when(&t.to_utc()))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// How far the tablet's clock is off: "3 h 2 min ahead", "12 min behind".
pub fn skew_text(seconds: i64) -> String {
    let minutes = (seconds.unsigned_abs() + 30) / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    let size = if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min")
    };
    format!("{size} {}", if seconds > 0 { "ahead" } else { "behind" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_the_largest_useful_units() {
        for (seconds, text) in [
            (42, "42 s"),
            (125, "2 min"),
            (3 * 3600 + 5 * 60, "3 h 5 min"),
            (2 * 86_400 + 3600, "2 d 1 h"),
            (-5, "0 s"),
        ] {
            assert_eq!(age_text(seconds), text);
        }
    }

    #[test]
    fn a_wait_counts_down_in_the_units_a_person_waits_in() {
        for (seconds, text) in [
            (0, "0 s"),
            (42, "42 s"),
            (245, "4 min 5 s"),
            (3780, "1 h 3 min"),
        ] {
            assert_eq!(wait_text(seconds), text);
        }
    }

    #[test]
    fn a_clock_offset_reads_to_the_nearest_minute_with_its_direction() {
        assert_eq!(skew_text(3 * 3600 + 2 * 60 + 10), "3 h 2 min ahead");
        assert_eq!(skew_text(-12 * 60), "12 min behind");
        assert_eq!(when_text("not a time"), "not a time");
    }
}
