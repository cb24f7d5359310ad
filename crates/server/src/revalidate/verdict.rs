//! What re-validation decides for one record.

use drawline_domain::api::push_codes;

/// Why the lab refuses a record: a stable code and a reason that quotes no patient data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// One of `push_codes`.
    pub code: &'static str,
    /// For the collector; names what is wrong, never a name, MRN, date of birth or patient id.
    pub reason: String,
}

impl Refusal {
    /// A refusal with its code and reason.
    pub fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

/// The lab's decision on one pushed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Store it; `cancelled` lists orders of the device's rounds cancelled on the lab server (the
    /// specimen is recorded, the device is told).
    Accepted {
        /// Ids of cancelled orders the device can read.
        cancelled: Vec<String>,
    },
    /// Store it but hold it for a supervisor as collected off round: an order is not on the
    /// device's rounds (or not known). The lab's orders stay as they are until a supervisor
    /// releases it. `findings` are the codes the lab's facts about those orders would have
    /// refused, for the supervisor only.
    Held {
        /// Codes of `push_codes` the device is not told.
        findings: Vec<&'static str>,
    },
    /// Refuse it.
    Rejected(Refusal),
}

impl Default for Verdict {
    fn default() -> Self {
        Verdict::Accepted {
            cancelled: Vec::new(),
        }
    }
}

impl Verdict {
    /// The reason the device reads with [`push_codes::HELD_OFF_ROUND`].
    pub const HELD_REASON: &'static str = "an order of this collection is not on this device's \
        rounds: the lab stored the collection and holds it for a supervisor (collected off round)";
}

/// What the supervisor reads about a held record: off round, and what else the lab found.
pub fn held_note(findings: &[&str]) -> String {
    let mut note = "collected off round: an order is not on the pushing device's rounds".to_owned();
    for code in findings {
        note.push_str("; ");
        note.push_str(match *code {
            push_codes::UNKNOWN_ORDER => "an order is not known to the lab",
            push_codes::PATIENT_MISMATCH => "an order is for another patient",
            push_codes::IDENTIFICATION_MISMATCH => {
                "the patient does not match an order's patient on an identifier"
            }
            push_codes::TIME_BEFORE_ORDER => "a tube was drawn before its order was placed",
            _ => "another check failed",
        });
    }
    note
}
