//! Rules on the record alone: it names orders, a positive identification before any draw, a
//! tube or a coded exception for every order, and no time later than the lab's clock allows.

use drawline_domain::api::push_codes;
use drawline_domain::Collection;

use super::verdict::Refusal;
use super::Context;

/// Checks what needs no lab facts.
pub fn check(c: &Collection, ctx: &Context) -> Result<(), Refusal> {
    if c.orders().is_empty() {
        return Err(Refusal::new(
            push_codes::NO_ORDERS,
            "the collection names no order",
        ));
    }
    let drawn = c.tubes().iter().any(|t| t.drawn.is_some());
    let positive = match c.identification() {
        Some(i) => i.is_positive(),
        // A visit that ended before any draw (patient away, refused) needs no identification.
        None => !drawn,
    };
    if !positive {
        return Err(Refusal::new(
            push_codes::IDENTIFICATION_MISSING,
            "the collection holds no positive patient identification (two identifiers)",
        ));
    }
    // The domain's own finalize rule, checked again: a fabricated record skips finalize.
    if !c.unfinished_tests().is_empty() {
        return Err(Refusal::new(
            push_codes::NO_TUBE_OR_EXCEPTION,
            "an order of the collection has neither a drawn, labelled tube nor a recorded \
             not-collected reason",
        ));
    }
    // Later than the lab's clock and than the device's own at the push: made up, not skewed.
    let latest = ctx.now.max(ctx.device_now) + ctx.skew_allowance;
    let mut times = c
        .tubes()
        .iter()
        .filter_map(|t| t.drawn.as_ref().map(|d| d.at.utc))
        .chain(c.finalized_at().map(|t| t.utc))
        .chain(std::iter::once(c.started_at().utc))
        .chain(c.history().iter().map(|e| e.at.utc));
    if times.any(|at| at > latest) {
        return Err(Refusal::new(
            push_codes::TIME_IN_FUTURE,
            format!(
                "a draw or the finalization is later than the lab's clock and the device's own \
                 by more than the {} minutes of clock difference allowed",
                ctx.skew_allowance.num_minutes()
            ),
        ));
    }
    Ok(())
}
