//! Every formatter and parser checked against chrono's own strftime over many values.

use super::*;
use chrono::{DateTime, FixedOffset, NaiveDateTime, NaiveTime, TimeZone, Utc};

fn instants() -> Vec<NaiveDateTime> {
    let mut out = Vec::new();
    for year in [
        -10_000, -1, 0, 1, 9, 99, 999, 1000, 1970, 2026, 9999, 10_000, 123_456,
    ] {
        for month in 1..=12 {
            for day in [1, 9, 10, 28] {
                let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
                for (h, m, s) in [(0, 0, 0), (9, 5, 7), (12, 30, 59), (23, 59, 59)] {
                    out.push(date.and_hms_opt(h, m, s).unwrap());
                }
            }
        }
    }
    let leap = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
    out.push(
        NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_time(leap),
    );
    out
}

#[test]
fn formatters_write_what_strftime_writes() {
    for t in instants() {
        assert_eq!(hm(&t), t.format("%H:%M").to_string());
        assert_eq!(hms(&t), t.format("%H:%M:%S").to_string());
        assert_eq!(ymd(&t.date()), t.format("%Y-%m-%d").to_string());
        assert_eq!(ymd_hm(&t), t.format("%Y-%m-%d %H:%M").to_string());
        assert_eq!(day_month_hm(&t), t.format("%d %b %H:%M").to_string());
    }
}

#[test]
fn formatters_read_local_fields_of_zoned_instants() {
    let offset = FixedOffset::east_opt(-(3 * 3600 + 30 * 60)).unwrap();
    for t in instants()
        .into_iter()
        .filter(|t| t.and_utc().year().abs() < 9000)
    {
        let utc: DateTime<Utc> = Utc.from_utc_datetime(&t);
        let local = utc.with_timezone(&offset);
        assert_eq!(hm(&local), local.format("%H:%M").to_string());
        assert_eq!(hms(&utc), utc.format("%H:%M:%S").to_string());
        assert_eq!(ymd_hm(&local), local.format("%Y-%m-%d %H:%M").to_string());
        assert_eq!(
            day_month_hm(&local),
            local.format("%d %b %H:%M").to_string()
        );
    }
}

#[test]
fn month_abbreviations_are_strftimes() {
    for month in 1..=12 {
        let d = NaiveDate::from_ymd_opt(2026, month, 1).unwrap();
        assert_eq!(MONTHS[month as usize - 1], d.format("%b").to_string());
    }
}

fn texts() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "2026-11-23",
        "2026-1-5",
        "2026- 1- 5",
        " 2026-11-23",
        "2026-11-23 ",
        "2026-02-30",
        "2024-02-29",
        "2023-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-12-00",
        "2026-12-32",
        "+2026-11-23",
        "-0001-01-01",
        "-1-1-1",
        "+12345-06-07",
        "12345-06-07",
        "02026-01-01",
        "2026-011-01",
        "2026-11-023",
        "2026/11/23",
        "2026-11",
        "2026-11-",
        "-",
        "+-1-1-1",
        "99999999999999999999-01-01",
        "-99999999999999999999-01-01",
        "+3000000000-01-01",
        "\u{a0}2026-11-23",
        "2026-\t7-\n8",
        "2026-1a-01",
        "１２３４-01-01",
        "0-1-1",
        "0000-01-01",
        "20261123",
        "2026 1 5",
        "2026011",
        "202611230",
        "2026-1-5x",
        "+20261123",
        "-20261123",
        "19991231",
        "00000101",
        "99991231",
        "2026ab01",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for t in instants() {
        out.push(t.format("%Y-%m-%d").to_string());
        out.push(t.format("%Y%m%d").to_string());
    }
    out
}

#[test]
fn parsers_accept_what_strftime_accepts() {
    for s in texts() {
        assert_eq!(
            parse_ymd(&s),
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok(),
            "{s:?}"
        );
        assert_eq!(
            parse_ymd_compact(&s),
            NaiveDate::parse_from_str(&s, "%Y%m%d").ok(),
            "{s:?}"
        );
    }
}
