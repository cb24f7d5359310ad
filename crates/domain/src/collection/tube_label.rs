//! Tube labels: whether a scanned label may be bound to a tube of this collection (wrong blood in tube prevention).
//!
//! A tube label is accepted only when it is (a) a lab accession of one of this collection's
//! orders whose test is on this tube, (b) a label the device printed for this collection, or
//! (c) at a site with stock label rolls, a label in the site's format that belongs to no known
//! order. Everything else is refused with a message naming what was read; another patient's
//! label is a wrong-blood-in-tube hard stop.

use super::label_refusal::{LabelHolder, TubeLabelProblem, TubeLabelRefusal};
use super::order::Order;
use super::record::Collection;
use crate::accession::{looks_device_issued, ACCESSION_MAX_CHARS, DEVICE_LABEL_HEX};
use crate::catalog::TestCode;
use crate::identification::Mrn;
use crate::ids::{AccessionNumber, CollectionId};
use crate::safety::AccessionFormat;
use crate::scanned::shown;

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
