//! Rules against the lab's orders: on the device's rounds, for the record's patient on every
//! identifier, and drawn no earlier than placed.
//!
//! An order the device cannot read (another device's round, or none the lab knows) holds the
//! record for a supervisor; what the lab holds for it never changes the device's answer.

use drawline_domain::api::{push_codes, OrderStatus};
use drawline_domain::identification::Identifier;
use drawline_domain::{identify, CaptureMethod, Collection, Evidence, IdentificationError, Order};

use super::facts::{LabFacts, OrderFacts};
use super::verdict::{Refusal, Verdict};
use super::Context;

/// Checks the record's orders: rejected by the first order of the device's rounds it breaks,
/// held when an order is not on them, else accepted.
pub fn check(c: &Collection, facts: &LabFacts, ctx: &Context) -> Verdict {
    let mut cancelled = Vec::new();
    let mut findings: Vec<&'static str> = Vec::new();
    let mut off_round = false;
    for o in c.orders() {
        let id = o.id.as_str();
        match facts.orders.get(id) {
            Some(lab) if lab.on_device_rounds => {
                if let Err(refusal) = check_order(c, o, lab, ctx) {
                    return Verdict::Rejected(refusal);
                }
                if lab.status == OrderStatus::Cancelled {
                    cancelled.push(id.to_owned());
                }
            }
            // For the supervisor only: the device must not learn what the lab holds here.
            other => {
                off_round = true;
                let finding = match other {
                    None => Some(push_codes::UNKNOWN_ORDER),
                    Some(lab) => check_order(c, o, lab, ctx).err().map(|r| r.code),
                };
                if let Some(f) = finding.filter(|f| !findings.contains(f)) {
                    findings.push(f);
                }
            }
        }
    }
    if off_round {
        Verdict::Held { findings }
    } else {
        Verdict::Accepted { cancelled }
    }
}

/// One order against the lab's facts for it.
fn check_order(c: &Collection, o: &Order, lab: &OrderFacts, ctx: &Context) -> Result<(), Refusal> {
    let patient = c.patient();
    if lab.patient_id != patient.id.as_str() {
        return Err(Refusal::new(
            push_codes::PATIENT_MISMATCH,
            "an order of this collection is for another patient on the lab server",
        ));
    }
    let mismatch = |what: &str| {
        Refusal::new(
            push_codes::IDENTIFICATION_MISMATCH,
            format!("the collection's patient does not match the order's patient on the {what}"),
        )
    };
    let Some(lab_patient) = &lab.patient else {
        return Err(mismatch("lab server's record (it cannot be compared)"));
    };
    // Every identifier the record carries, compared by the domain's own rules (folded names,
    // the site's MRN rule, the date of birth).
    let carried = &patient.identity;
    let evidence = Evidence::new()
        .with(Identifier::Name(carried.name.clone()), CaptureMethod::Scan)
        .with(
            Identifier::DateOfBirth(carried.birth_date),
            CaptureMethod::Scan,
        )
        .with(Identifier::Mrn(carried.mrn.clone()), CaptureMethod::Scan);
    if let Err(IdentificationError::Mismatch { mismatched }) =
        identify(&evidence, lab_patient, &ctx.identify)
    {
        let words: Vec<String> = mismatched.iter().map(ToString::to_string).collect();
        return Err(mismatch(&words.join(" and ")));
    }
    // A draw time read on a slow device clock is moved by the clock's error at the push: it is
    // refused only when it is before the order by the device's time and by the lab's alike.
    let earliest = lab.placed_at - ctx.skew_allowance;
    let device_ahead = ctx.device_now - ctx.now;
    if c.tubes_for_order(o)
        .filter_map(|t| t.drawn.as_ref())
        .any(|d| d.at.utc.max(d.at.utc - device_ahead) < earliest)
    {
        return Err(Refusal::new(
            push_codes::TIME_BEFORE_ORDER,
            format!(
                "a tube was drawn before its order was placed, by more than the {} minutes of \
                 clock difference allowed",
                ctx.skew_allowance.num_minutes()
            ),
        ));
    }
    Ok(())
}
