//! The people a record names: each a user of the lab, and whoever made this version active.

use drawline_domain::api::push_codes;
use drawline_domain::collection::Event;
use drawline_domain::{Collection, CollectorId};

use super::facts::{recorded_people, LabFacts};
use super::verdict::Refusal;

/// The people who made this version: the authors of the entries from its own correction (or
/// void) on; every author for a first version. Earlier versions' authors only need to exist, so
/// a correction by a colleague stays possible after the first collector left.
fn this_versions_people(c: &Collection) -> impl Iterator<Item = &CollectorId> {
    let own_from = c
        .history()
        .iter()
        .rposition(|e| {
            matches!(
                e.event,
                Event::CorrectionStarted { .. } | Event::Voided { .. }
            )
        })
        .unwrap_or(0);
    let first = (own_from == 0).then(|| c.started_by());
    first
        .into_iter()
        .chain(c.history()[own_from..].iter().map(|e| &e.by))
}

/// Everyone named is a user of the lab, and whoever made this version is an active one.
pub fn check(c: &Collection, facts: &LabFacts) -> Result<(), Refusal> {
    if recorded_people(c).any(|p| !facts.users.contains_key(p.as_str())) {
        return Err(Refusal::new(
            push_codes::UNKNOWN_COLLECTOR,
            "a person the collection names is not a user of the lab",
        ));
    }
    let inactive = |p: &CollectorId| facts.users.get(p.as_str()).is_some_and(|u| !u.active);
    if this_versions_people(c).any(inactive) {
        return Err(Refusal::new(
            push_codes::INACTIVE_COLLECTOR,
            "a person who made this version of the collection is not an active user of the lab",
        ));
    }
    Ok(())
}
