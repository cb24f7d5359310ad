//! Why a patient is not positively identified: a wrong patient (hard stop), too little, or an unreadable entry.

use serde::{Deserialize, Serialize};

use super::kind::IdentifierKind;

/// Why the patient is not positively identified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum IdentificationError {
    /// Presented identifiers disagree with the order's patient: a hard stop.
    #[error("WRONG PATIENT: {} the patient on this order. Stop and re-identify.", mismatch(.mismatched))]
    Mismatch {
        /// Kinds that did not match.
        mismatched: Vec<IdentifierKind>,
    },
    /// Fewer than two usable identifiers of distinct kinds, including the name.
    #[error("two identifiers are needed: full name and date of birth, or full name and MRN (have: {})", list(.have))]
    NotEnoughIdentifiers {
        /// Usable kinds presented.
        have: Vec<IdentifierKind>,
    },
    /// Room or bed was offered as an identifier.
    #[error(
        "room or bed number is never an identifier: confirm full name and date of birth or MRN"
    )]
    RoomOrBedIsNotAnIdentifier,
    /// Another patient of the round has the same family name and date of birth (twins,
    /// look-alikes): the MRN must be checked too. Not a hard stop.
    #[error("name and date of birth are not enough: another patient on this round has the same family name and date of birth. Check the MRN on the wristband (scan it, or type it)")]
    MrnRequired,
    /// A manually entered value that cannot be read.
    #[error("the {kind} '{value}' cannot be read")]
    Unreadable {
        /// Kind of the field.
        kind: IdentifierKind,
        /// What was typed.
        value: String,
    },
}

/// "name does not match", "name, date of birth and MRN do not match".
fn mismatch(kinds: &[IdentifierKind]) -> String {
    let names: Vec<String> = kinds.iter().map(ToString::to_string).collect();
    match names.as_slice() {
        [] => "nothing presented matches".into(),
        [one] => format!("{one} does not match"),
        [init @ .., last] => format!("{} and {last} do not match", init.join(", ")),
    }
}

fn list(kinds: &[IdentifierKind]) -> String {
    if kinds.is_empty() {
        return "none".into();
    }
    kinds
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl IdentificationError {
    /// True when the UI must show a hard stop (wrong patient), not just ask for more.
    pub fn is_hard_stop(&self) -> bool {
        matches!(self, IdentificationError::Mismatch { .. })
    }
}
