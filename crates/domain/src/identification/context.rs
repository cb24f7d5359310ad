//! What identification needs to know besides the evidence: the site's MRN rule and whether the MRN is required.

use super::evidence::PatientIdentity;
use super::look_alike::look_alikes;
use crate::safety::{MrnRule, SafetyRules};

/// The circumstances of one identification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentifyContext {
    /// How MRNs compare at this site.
    pub mrn_rule: MrnRule,
    /// Name and date of birth cannot tell this patient from another on the round: the MRN
    /// must be among the identifiers.
    pub mrn_required: bool,
}

impl IdentifyContext {
    /// The site's rules, the MRN not required.
    pub fn new(rules: &SafetyRules) -> Self {
        Self {
            mrn_rule: rules.mrn.clone(),
            mrn_required: false,
        }
    }

    /// The site's rules for `patient` on a round of `round` (the device's worklist patients,
    /// `patient` among them or not): the MRN is required when another patient of the round
    /// is a look-alike ([`look_alikes`]).
    pub fn for_round<'a>(
        rules: &SafetyRules,
        patient: &PatientIdentity,
        round: impl IntoIterator<Item = &'a PatientIdentity>,
    ) -> Self {
        let mut context = Self::new(rules);
        context.mrn_required = !look_alikes(patient, round, &context.mrn_rule).is_empty();
        context
    }
}
