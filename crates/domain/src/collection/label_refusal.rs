//! Why a scanned tube label is refused: the problem, the message naming what was read, and the code the history keeps.

use serde::{Deserialize, Serialize};

use crate::accession::ACCESSION_MAX_CHARS;
use crate::catalog::TestCode;
use crate::identification::Mrn;
use crate::ids::{CollectionId, OrderId};
use crate::wire::wire_enum;

/// Where a known label is held.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum LabelHolder {
    /// A lab accession of this order.
    Order(OrderId),
    /// Bound to a tube of this collection.
    Collection(CollectionId),
}

wire_enum! {
    /// Why a scanned tube label was refused, as kept in the record's history.
    pub enum TubeLabelRefusalCode {
        /// Nothing was read.
        Empty = "empty" => "empty scan",
        /// Longer than any accession number.
        TooLong = "too-long" => "too long",
        /// Holds control characters.
        ControlCharacters = "control-characters" => "control characters",
        /// A wristband (payload or MRN) scanned into the tube field.
        Wristband = "wristband" => "wristband in the tube field",
        /// Not the site's accession format (pattern, characters).
        NotAccession = "not-accession" => "not an accession number",
        /// Wrong check digit.
        CheckDigit = "check-digit" => "wrong check digit",
        /// Another patient's label: wrong blood in tube.
        AnotherPatient = "another-patient" => "another patient's label",
        /// This patient's accession, but for a test not on this tube.
        WrongTube = "wrong-tube" => "wrong tube",
        /// Already on a tube of this collection.
        ScannedTwice = "scanned-twice" => "scanned twice",
        /// Belongs to no order of this collection and is not one of its printed labels.
        Unknown = "unknown" => "not this collection's label",
    }
}

/// What is wrong with a scanned tube label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TubeLabelProblem {
    /// Nothing was read.
    Empty,
    /// Longer than any accession number.
    TooLong {
        /// Characters read.
        chars: usize,
    },
    /// Holds control characters (a scanner misconfigured, or a stray key).
    ControlCharacters,
    /// A wristband scanned into the tube field; the MRN when it is a known patient's.
    Wristband {
        /// Whose MRN it is, when known.
        mrn: Option<Mrn>,
    },
    /// Not the site's accession format.
    NotAccession {
        /// Why.
        why: String,
    },
    /// The check digit does not match.
    CheckDigit {
        /// Why.
        why: String,
    },
    /// Another patient's label (wrong blood in tube).
    AnotherPatient {
        /// The other patient's MRN.
        mrn: Mrn,
        /// Where the label is held.
        held_by: LabelHolder,
    },
    /// This patient's accession for tests that are not on this tube.
    WrongTube {
        /// The tests the accession is for.
        tests: Vec<TestCode>,
        /// The tube of this collection that serves them, if any.
        their_tube: Option<u32>,
    },
    /// This patient's accession of an order that is not in this collection.
    OtherOrder {
        /// That order.
        order: OrderId,
    },
    /// A label the device printed for another tube of this collection.
    PrintedForTube {
        /// The tube it was printed for.
        tube: u32,
    },
    /// Already on a tube of this collection.
    ScannedTwice {
        /// That tube.
        tube: u32,
    },
    /// Not this collection's: no order of it, not printed for it, and no stock labels here.
    Unknown,
}

/// A scanned tube label refused for a tube: what was read (as shown) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct TubeLabelRefusal {
    /// The tube the label was scanned for.
    pub tube: u32,
    /// What was read, safe to show: control characters escaped, a long text cut.
    pub read: String,
    /// Why it was refused.
    pub problem: TubeLabelProblem,
}

impl TubeLabelRefusal {
    /// The code kept in the history.
    pub fn code(&self) -> TubeLabelRefusalCode {
        use TubeLabelProblem as P;
        match &self.problem {
            P::Empty => TubeLabelRefusalCode::Empty,
            P::TooLong { .. } => TubeLabelRefusalCode::TooLong,
            P::ControlCharacters => TubeLabelRefusalCode::ControlCharacters,
            P::Wristband { .. } => TubeLabelRefusalCode::Wristband,
            P::NotAccession { .. } => TubeLabelRefusalCode::NotAccession,
            P::CheckDigit { .. } => TubeLabelRefusalCode::CheckDigit,
            P::AnotherPatient { .. } => TubeLabelRefusalCode::AnotherPatient,
            P::WrongTube { .. } | P::OtherOrder { .. } | P::PrintedForTube { .. } => {
                TubeLabelRefusalCode::WrongTube
            }
            P::ScannedTwice { .. } => TubeLabelRefusalCode::ScannedTwice,
            P::Unknown => TubeLabelRefusalCode::Unknown,
        }
    }

    /// True for wrong blood in tube: another patient's label.
    pub fn is_wrong_blood_in_tube(&self) -> bool {
        matches!(self.problem, TubeLabelProblem::AnotherPatient { .. })
    }

    /// The other patient's MRN, for wrong blood in tube.
    pub fn other_patient(&self) -> Option<&Mrn> {
        match &self.problem {
            TubeLabelProblem::AnotherPatient { mrn, .. } => Some(mrn),
            _ => None,
        }
    }

    /// The message for the collector, naming what was read.
    pub fn message(&self) -> String {
        use TubeLabelProblem as P;
        let read = &self.read;
        let tube = self.tube;
        match &self.problem {
            P::Empty => format!("Nothing was read for tube {tube}: scan the tube's label again."),
            P::TooLong { chars } => format!(
                "Read \u{201c}{read}\u{201d}: refused, {chars} characters is longer than any tube label (at most {ACCESSION_MAX_CHARS})."
            ),
            P::ControlCharacters => format!(
                "Read \u{201c}{read}\u{201d}: refused, it holds control characters; check the scanner and scan again."
            ),
            P::Wristband { mrn: Some(mrn) } => format!(
                "Read \u{201c}{read}\u{201d}: refused, that is the wristband MRN {mrn}, not a tube label."
            ),
            P::Wristband { mrn: None } => format!(
                "Read \u{201c}{read}\u{201d}: refused, that is a wristband, not a tube label."
            ),
            P::NotAccession { why } | P::CheckDigit { why } => {
                format!("Read \u{201c}{read}\u{201d}: refused, {why}.")
            }
            P::AnotherPatient { mrn, held_by } => {
                let held = match held_by {
                    LabelHolder::Order(o) => format!("an accession of order {o}"),
                    LabelHolder::Collection(c) => format!("bound in collection {c}"),
                };
                format!(
                    "WRONG BLOOD IN TUBE: \u{201c}{read}\u{201d} belongs to another patient (MRN {mrn}, {held})."
                )
            }
            P::WrongTube { tests, their_tube } => {
                let tests = tests
                    .iter()
                    .map(TestCode::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                match their_tube {
                    Some(t) => format!(
                        "Read \u{201c}{read}\u{201d}: refused, this patient's label for {tests} belongs on tube {t}, not tube {tube}."
                    ),
                    None => format!(
                        "Read \u{201c}{read}\u{201d}: refused, this patient's label for {tests}, which is not drawn in this collection."
                    ),
                }
            }
            P::OtherOrder { order } => format!(
                "Read \u{201c}{read}\u{201d}: refused, this patient's label for order {order}, which is not in this collection."
            ),
            P::PrintedForTube { tube: printed } => format!(
                "Read \u{201c}{read}\u{201d}: refused, that label was printed for tube {printed}, not tube {tube}."
            ),
            P::ScannedTwice { tube: on } => format!(
                "Read \u{201c}{read}\u{201d}: refused, that label is already on tube {on} of this collection."
            ),
            P::Unknown => format!(
                "Read \u{201c}{read}\u{201d}: refused, not a lab accession of this patient's orders nor a label printed for this collection."
            ),
        }
    }
}
