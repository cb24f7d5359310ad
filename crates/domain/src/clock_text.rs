//! Small hand-written formatters and parsers for the few date and time shapes the app shows, so the wasm bundle does not carry chrono's strftime machinery.

use chrono::{Datelike, NaiveDate, Timelike};

/// English month abbreviations, as chrono's `%b` writes them.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn two(out: &mut String, v: u32) {
    // Values are below 100 here (hours, minutes, seconds, days, months).
    out.push(char::from(b'0' + (v / 10 % 10) as u8));
    out.push(char::from(b'0' + (v % 10) as u8));
}

fn push_hm<T: Timelike>(out: &mut String, t: &T) {
    two(out, t.hour());
    out.push(':');
    two(out, t.minute());
}

fn push_ymd<D: Datelike>(out: &mut String, d: &D) {
    let y = d.year();
    // As `%Y`: four digits within 0..=9999, otherwise signed and at least four digits.
    if (0..=9999).contains(&y) {
        two(out, y as u32 / 100);
        two(out, y as u32 % 100);
    } else {
        out.push_str(&format!("{y:+05}"));
    }
    out.push('-');
    two(out, d.month());
    out.push('-');
    two(out, d.day());
}

/// `14:05`: as chrono's `%H:%M`.
pub fn hm<T: Timelike>(t: &T) -> String {
    let mut out = String::with_capacity(5);
    push_hm(&mut out, t);
    out
}

/// `14:05:09`: as chrono's `%H:%M:%S` (a leap second reads 60).
pub fn hms<T: Timelike>(t: &T) -> String {
    let mut out = hm(t);
    out.push(':');
    two(&mut out, t.second() + t.nanosecond() / 1_000_000_000);
    out
}

/// `2026-11-23`: as chrono's `%Y-%m-%d`.
pub fn ymd<D: Datelike>(d: &D) -> String {
    let mut out = String::with_capacity(10);
    push_ymd(&mut out, d);
    out
}

/// `2026-11-23 14:05`: as chrono's `%Y-%m-%d %H:%M`.
pub fn ymd_hm<T: Datelike + Timelike>(t: &T) -> String {
    let mut out = ymd(t);
    out.push(' ');
    push_hm(&mut out, t);
    out
}

/// `23 Nov 14:05`: as chrono's `%d %b %H:%M`.
pub fn day_month_hm<T: Datelike + Timelike>(t: &T) -> String {
    let mut out = String::with_capacity(12);
    two(&mut out, t.day());
    out.push(' ');
    out.push_str(MONTHS[t.month0() as usize]);
    out.push(' ');
    push_hm(&mut out, t);
    out
}

/// Reads a number as chrono's parser does: leading white space skipped, then 1 to `max`
/// ASCII digits (an explicit sign, where `signed`, lifts the limit).
fn number(s: &str, max: usize, signed: bool) -> Option<(i64, &str)> {
    let s = s.trim_start();
    let (negative, s, max) = match s.as_bytes().first() {
        Some(b'-') if signed => (true, &s[1..], usize::MAX),
        Some(b'+') if signed => (false, &s[1..], usize::MAX),
        _ => (false, s, max),
    };
    let digits = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut n = 0i64;
    for c in s[..digits].bytes() {
        n = n.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Some((if negative { n.checked_neg()? } else { n }, &s[digits..]))
}

/// A date written year, month, day with `sep` between them, read exactly as chrono's
/// `NaiveDate::parse_from_str(s, "%Y{sep}%m{sep}%d")` reads it.
fn parse_date(s: &str, sep: &str) -> Option<NaiveDate> {
    let (year, s) = number(s, 4, true)?;
    let s = s.strip_prefix(sep)?;
    let (month, s) = number(s, 2, false)?;
    let s = s.strip_prefix(sep)?;
    let (day, s) = number(s, 2, false)?;
    if !s.is_empty() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month as u32, day as u32)
}

/// The date in `2026-11-23`, accepting what chrono's `%Y-%m-%d` accepts.
pub fn parse_ymd(s: &str) -> Option<NaiveDate> {
    parse_date(s, "-")
}

/// The date in `20261123`, accepting what chrono's `%Y%m%d` accepts.
pub fn parse_ymd_compact(s: &str) -> Option<NaiveDate> {
    parse_date(s, "")
}

#[cfg(test)]
mod tests;
