//! Words for timed draws in messages: a window's sides, when an order falls due, how old a last dose may be.

use super::time::DeviceTime;
use crate::catalog::TestCode;
use crate::clock_text::hm;

/// How long ago a last dose may be: two days of the longest usual dosing interval (48 hours,
/// vancomycin in renal impairment) plus a day's slack. An older time is a typing mistake.
pub const LAST_DOSE_MAX_AGE_HOURS: i64 = 72;

/// A window's sides in words, for messages: `±30 min`, `the 30 min before it`,
/// `the 60 min after it`, `20 min before to 40 min after`.
pub(super) fn sides_text(before: u32, after: u32) -> String {
    match (before, after) {
        (b, a) if b == a => format!("\u{b1}{b} min"),
        (b, 0) => format!("the {b} min before it"),
        (0, a) => format!("the {a} min after it"),
        (b, a) => format!("{b} min before to {a} min after"),
    }
}

/// The test a `NotDueYet` names, for its message.
pub(super) fn not_due_text(test: &TestCode, opens: &DeviceTime) -> String {
    format!(
        "{test} is not due yet: its window opens at {} ({})",
        hm(&opens.local()),
        crate::clock_text::ymd(&opens.local())
    )
}
