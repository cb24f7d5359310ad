//! Re-validation of pushed records: the lab re-checks every version with the domain rules.
//!
//! A tablet decides at the bedside (who the patient is, what was drawn, when, by whom); the lab
//! trusts none of it blindly. The store gathers the facts a push needs in one call
//! ([`LabFacts`]); [`revalidate`] then decides each record with no database, one file per rule
//! family. A refusal carries a stable code and a reason that quotes no patient data, and the
//! answer about an order the device cannot read (another device's, or none at all) never depends
//! on what the lab holds for it.

mod facts;
mod orders;
mod people;
mod record;
mod verdict;

use chrono::{DateTime, Duration, Utc};
use drawline_domain::{Collection, IdentifyContext};

pub use facts::{FactsWanted, LabFacts, OrderFacts, UserFacts};
pub use verdict::{held_note, Refusal, Verdict};

/// What the rules need besides the record and the lab's facts.
#[derive(Debug, Clone)]
pub struct Context {
    /// The lab's clock when the push arrived.
    pub now: DateTime<Utc>,
    /// The device's clock at the push, as it said. A tablet whose clock is wrong still syncs
    /// (its receipts are flagged for clock skew): a time is refused only when it is wrong by the
    /// lab's clock and by the device's own alike.
    pub device_now: DateTime<Utc>,
    /// How far a device clock may be from the lab's before a time counts as in the future, or
    /// as before the order was placed (the site's clock skew threshold).
    pub skew_allowance: Duration,
    /// How the site compares identifiers (its MRN rule).
    pub identify: IdentifyContext,
}

/// Decides one pushed version: rejected (with the first rule it breaks), held for a supervisor
/// (an order the device cannot read), or accepted (with the cancelled orders to mention).
pub fn revalidate(c: &Collection, facts: &LabFacts, ctx: &Context) -> Verdict {
    if let Err(refusal) = record::check(c, ctx) {
        return Verdict::Rejected(refusal);
    }
    if let Err(refusal) = people::check(c, facts) {
        return Verdict::Rejected(refusal);
    }
    orders::check(c, facts, ctx)
}

#[cfg(test)]
mod tests;
