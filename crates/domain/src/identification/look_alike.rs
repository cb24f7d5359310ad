//! Twins and look-alikes: patients of one round that name and date of birth cannot tell apart.

use super::evidence::PatientIdentity;
use crate::safety::MrnRule;

/// The other patients of `round` that share `patient`'s family name (folded, see
/// [`PersonName::same_family`](super::PersonName::same_family)) and date of birth.
///
/// Newborn twins are named `SMITH, Judy Girl A` and `SMITH, Judy Girl B`: one letter apart, one
/// birth date. A given name that differs by one letter is easily read past at the bedside, so a
/// shared family name and birth date is enough to make two patients look-alikes, and then the
/// MRN must identify. The patient themself (same MRN under `rule`) is skipped, so `round` may be
/// the whole worklist.
pub fn look_alikes<'a>(
    patient: &PatientIdentity,
    round: impl IntoIterator<Item = &'a PatientIdentity>,
    rule: &MrnRule,
) -> Vec<&'a PatientIdentity> {
    round
        .into_iter()
        .filter(|other| !other.mrn.same_as(&patient.mrn, rule))
        .filter(|other| other.birth_date == patient.birth_date)
        .filter(|other| other.name.same_family(&patient.name))
        .collect()
}
