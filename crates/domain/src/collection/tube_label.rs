//! Tube labels: whether a scanned label may be bound to a tube of this collection (wrong blood in tube prevention).
//!
//! A tube label is accepted only when it is (a) a lab accession of one of this collection's
//! orders whose test is on this tube, (b) a label the device printed for this collection, or
//! (c) at a site with stock label rolls, a label in the site's format that belongs to no known
//! order. Everything else is refused with a message naming what was read; another patient's
//! label is a wrong-blood-in-tube hard stop.

use serde::{Deserialize, Serialize};

use super::ids::{AccessionNumber, CollectionId, OrderId};
use super::order::Order;
use super::record::Collection;
use crate::accession::{looks_device_issued, ACCESSION_MAX_CHARS, DEVICE_LABEL_HEX};
use crate::catalog::TestCode;
use crate::identification::Mrn;
use crate::safety::AccessionFormat;
use crate::scanned::shown;
use crate::wire::wire_enum;

/// The label the device prints for tube `tube` of a collection when the tube is not
/// pre-labelled: `D` + the first 10 hex digits of the collection's random UUID + `-` + tube.
pub fn device_accession(collection: CollectionId, tube: u32) -> AccessionNumber {
    let short = device_prefix(collection);
    AccessionNumber::parse(&format!("{short}-{tube}")).expect("hex digits and '-' only")
}

fn device_prefix(collection: CollectionId) -> String {
    let hex: String = collection
        .0
        .simple()
        .to_string()
        .chars()
        .take(DEVICE_LABEL_HEX)
        .collect();
    format!("D{}", hex.to_uppercase())
}

/// The tube a device-issued label of `collection` was printed for, or `None` when `label` is
/// not one of this collection's device-issued labels.
pub fn device_label_tube(collection: CollectionId, label: &str) -> Option<u32> {
    let rest = label.strip_prefix(&device_prefix(collection))?;
    rest.strip_prefix('-')?.parse().ok()
}

/// Where a known label is held.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum LabelHolder {
    /// A lab accession of this order.
    Order(OrderId),
    /// Bound to a tube of this collection.
    Collection(CollectionId),
}

/// A label the device knows the owner of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLabel {
    /// The label.
    pub accession: AccessionNumber,
    /// Its patient.
    pub mrn: Mrn,
    /// Where it is held.
    pub held_by: LabelHolder,
}

/// What the device knows of other patients' labels: the accessions of the orders on its
/// worklist, the labels its other collections bound, and the MRNs of its patients.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownLabels {
    labels: Vec<KnownLabel>,
    patients: Vec<Mrn>,
}

impl KnownLabels {
    /// Nothing known (the label is judged on this collection alone).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a patient (their MRN scanned into the tube field is a wristband) and the lab
    /// accessions of their orders.
    pub fn add_orders<'a>(&mut self, mrn: &Mrn, orders: impl IntoIterator<Item = &'a Order>) {
        self.add_patient(mrn);
        for o in orders {
            for a in &o.accessions {
                self.labels.push(KnownLabel {
                    accession: a.clone(),
                    mrn: mrn.clone(),
                    held_by: LabelHolder::Order(o.id.clone()),
                });
            }
        }
    }

    /// Adds a patient known by MRN.
    pub fn add_patient(&mut self, mrn: &Mrn) {
        if !self.patients.contains(mrn) {
            self.patients.push(mrn.clone());
        }
    }

    /// Adds the labels another collection on the device bound (its orders' accessions too).
    pub fn add_collection(&mut self, c: &Collection) {
        let mrn = &c.patient().identity.mrn;
        self.add_orders(mrn, c.orders());
        for t in c.tubes() {
            if let Some(a) = &t.accession {
                self.labels.push(KnownLabel {
                    accession: a.clone(),
                    mrn: mrn.clone(),
                    held_by: LabelHolder::Collection(c.id()),
                });
            }
        }
    }

    /// The known holders of `accession`.
    pub fn holders<'a>(&'a self, accession: &'a str) -> impl Iterator<Item = &'a KnownLabel> {
        self.labels
            .iter()
            .filter(move |l| l.accession.as_str() == accession)
    }
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

/// Judges a scanned tube label `read` for tube `tube` of `collection`, by the site's accession
/// rules and what the device knows of other patients' labels. Returns the accession to bind,
/// or why it is refused. Pure: the caller logs a refusal ([`Collection::label_tube`] does).
pub fn judge_tube_label(
    collection: &Collection,
    tube: u32,
    read: &str,
    rules: &AccessionFormat,
    known: &KnownLabels,
) -> Result<AccessionNumber, TubeLabelRefusal> {
    let text = read.trim();
    let refuse = |problem| TubeLabelRefusal {
        tube,
        read: shown(text),
        problem,
    };
    if text.is_empty() {
        return Err(refuse(TubeLabelProblem::Empty));
    }
    if text.chars().any(char::is_control) {
        return Err(refuse(TubeLabelProblem::ControlCharacters));
    }
    if text
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("DL1|"))
    {
        return Err(refuse(TubeLabelProblem::Wristband { mrn: None }));
    }
    let chars = text.chars().count();
    if chars > ACCESSION_MAX_CHARS {
        return Err(refuse(TubeLabelProblem::TooLong { chars }));
    }
    let this_mrn = &collection.patient().identity.mrn;
    if let Ok(mrn) = Mrn::parse(text) {
        if &mrn == this_mrn || known.patients.contains(&mrn) {
            return Err(refuse(TubeLabelProblem::Wristband { mrn: Some(mrn) }));
        }
    }
    let Ok(accession) = AccessionNumber::parse(text) else {
        return Err(refuse(TubeLabelProblem::NotAccession {
            why: format!(
                "a tube label has only letters, digits and '-', up to {ACCESSION_MAX_CHARS}"
            ),
        }));
    };
    let this_id = collection.id();
    // Another patient's label, wherever the device saw it: wrong blood in tube.
    if let Some(other) = known
        .holders(text)
        .find(|l| &l.mrn != this_mrn && l.held_by != LabelHolder::Collection(this_id))
    {
        return Err(refuse(TubeLabelProblem::AnotherPatient {
            mrn: other.mrn.clone(),
            held_by: other.held_by.clone(),
        }));
    }
    if let Some(on) = collection
        .tubes()
        .iter()
        .find(|t| t.accession.as_ref() == Some(&accession))
    {
        return Err(refuse(TubeLabelProblem::ScannedTwice { tube: on.index }));
    }
    let this_tube = collection.tubes().iter().find(|t| t.index == tube);
    // (a) an accession of this collection's orders, for a test on this tube.
    let owners: Vec<&Order> = collection
        .orders()
        .iter()
        .filter(|o| o.accessions.contains(&accession))
        .collect();
    if !owners.is_empty() {
        let on_this_tube =
            this_tube.is_some_and(|t| owners.iter().any(|o| t.tube.tests.contains(&o.test)));
        if on_this_tube {
            return Ok(accession);
        }
        let tests: Vec<TestCode> = owners.iter().map(|o| o.test.clone()).collect();
        let their_tube = collection
            .tubes()
            .iter()
            .find(|t| !t.tube.discard && tests.iter().any(|c| t.tube.tests.contains(c)))
            .map(|t| t.index);
        return Err(refuse(TubeLabelProblem::WrongTube { tests, their_tube }));
    }
    // This patient's accession of an order outside this collection.
    if let Some(LabelHolder::Order(order)) = known
        .holders(text)
        .map(|l| &l.held_by)
        .find(|h| matches!(h, LabelHolder::Order(_)))
    {
        return Err(refuse(TubeLabelProblem::OtherOrder {
            order: order.clone(),
        }));
    }
    // (b) a label the device printed for this collection, for this tube.
    if let Some(printed_for) = device_label_tube(this_id, text) {
        if printed_for == tube {
            return Ok(accession);
        }
        return Err(refuse(TubeLabelProblem::PrintedForTube {
            tube: printed_for,
        }));
    }
    if looks_device_issued(text) {
        return Err(refuse(TubeLabelProblem::Unknown));
    }
    // (c) a stock label in the site's format; without stock labels, say what is wrong with it.
    match rules.check(text) {
        Err(e @ crate::accession::AccessionFormatError::CheckDigit(_)) => {
            Err(refuse(TubeLabelProblem::CheckDigit { why: e.to_string() }))
        }
        Err(e) => Err(refuse(TubeLabelProblem::NotAccession {
            why: e.to_string(),
        })),
        Ok(()) if rules.stock_labels => Ok(accession),
        Ok(()) => Err(refuse(TubeLabelProblem::Unknown)),
    }
}

#[cfg(test)]
mod tests;
