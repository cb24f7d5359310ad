//! Site safety rules (`safety.json`): what a lab accession looks like, how MRNs compare, extra identification checks.
//!
//! The file is optional; without it a site gets [`SafetyRules::default`]: any accession text the
//! lab sends is accepted as is, leading zeros of an MRN are significant, and no second wristband
//! scan is asked before finalize.

use serde::{Deserialize, Serialize};

use crate::wire::wire_enum;

/// File name of the safety rules in a site folder.
pub const SAFETY_FILE: &str = "safety.json";

wire_enum! {
    /// The check digit a site's accession numbers end with.
    #[derive(Default)]
    pub enum CheckDigit {
        /// No check digit.
        #[default]
        None = "none",
        /// Luhn (mod 10) over the digits, the last digit being the check digit.
        Mod10 = "mod10",
        /// Mod 11 with weights 2 to 7 (repeating) from the right; a check value of 10 is written `X`.
        Mod11 = "mod11",
    }
}

wire_enum! {
    /// Whether `00123` and `123` are the same MRN at this site.
    #[derive(Default)]
    pub enum LeadingZeros {
        /// Every character counts: `00123` is not `123`.
        #[default]
        Significant = "significant",
        /// Leading zeros are padding: `00123` is `123`.
        Insignificant = "insignificant",
    }
}

/// What a lab accession number looks like.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessionFormat {
    /// Template of the lab's accession numbers: `#` a digit, `@` a letter, `*` a letter or
    /// digit, any other character itself (e.g. `"LAB########"`). Absent: any accession text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The check digit, if the site uses one.
    #[serde(default)]
    pub check_digit: CheckDigit,
    /// The site uses the lab's pre-printed stock label rolls: a label that follows the pattern
    /// and belongs to no known order may be bound to a tube at the bedside.
    #[serde(default)]
    pub stock_labels: bool,
}

/// How MRNs compare at this site.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MrnRule {
    /// Whether leading zeros count.
    #[serde(default)]
    pub leading_zeros: LeadingZeros,
}

/// A site's safety rules.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyRules {
    /// The lab's accession numbers.
    #[serde(default)]
    pub accession: AccessionFormat,
    /// MRN comparison.
    #[serde(default)]
    pub mrn: MrnRule,
    /// Ask for a second wristband scan before finalize.
    #[serde(default)]
    pub second_wristband_scan: bool,
    /// When an idle tablet locks itself.
    #[serde(default)]
    pub auto_lock: AutoLock,
}

/// How long a tablet may sit untouched before it locks to the PIN screen (`"auto_lock":
/// {"after_minutes": 5}` in `safety.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "AutoLockData")]
pub struct AutoLock {
    /// Idle minutes before the lock, 1 to 60.
    pub after_minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoLockData {
    after_minutes: u32,
}

impl AutoLock {
    /// The lock a site gets when it says nothing: five minutes, a bedside draw's pause at most.
    pub const DEFAULT_MINUTES: u32 = 5;
    /// The longest a site may choose: an unattended tablet must not stay open for hours.
    pub const MAX_MINUTES: u32 = 60;

    /// Idle milliseconds before the lock.
    pub fn after_ms(&self) -> u64 {
        u64::from(self.after_minutes) * 60_000
    }
}

impl Default for AutoLock {
    fn default() -> Self {
        Self {
            after_minutes: Self::DEFAULT_MINUTES,
        }
    }
}

impl TryFrom<AutoLockData> for AutoLock {
    type Error = String;
    fn try_from(d: AutoLockData) -> Result<Self, String> {
        if (1..=Self::MAX_MINUTES).contains(&d.after_minutes) {
            Ok(Self {
                after_minutes: d.after_minutes,
            })
        } else {
            Err(format!(
                "auto_lock.after_minutes must be 1 to {} (got {})",
                Self::MAX_MINUTES,
                d.after_minutes
            ))
        }
    }
}

#[cfg(test)]
mod auto_lock_tests {
    use super::*;

    #[test]
    fn a_site_that_says_nothing_locks_after_five_minutes() {
        let rules: SafetyRules = serde_json::from_str("{}").unwrap();
        assert_eq!(rules.auto_lock.after_minutes, 5);
        assert_eq!(rules.auto_lock.after_ms(), 300_000);
    }

    #[test]
    fn a_lock_of_zero_or_over_an_hour_is_refused_with_the_rule() {
        for bad in [0, 61] {
            let json = format!(r#"{{"auto_lock": {{"after_minutes": {bad}}}}}"#);
            let err = serde_json::from_str::<SafetyRules>(&json).unwrap_err();
            assert!(err.to_string().contains("1 to 60"), "{err}");
        }
        let ok: SafetyRules =
            serde_json::from_str(r#"{"auto_lock": {"after_minutes": 2}}"#).unwrap();
        assert_eq!(ok.auto_lock.after_minutes, 2);
    }
}
