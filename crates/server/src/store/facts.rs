//! What storage reads out of a finalized record: the facts the review queue filters on.
//!
//! Also the lab orders it covers. Every backend indexes the same facts.

use chrono::{DateTime, Utc};
use drawline_domain::collection::HardStopKind;
use drawline_domain::{CaptureMethod, Collection, FinalizedCollection};
use serde_json::Value;

use super::sync::RecordOrder;

/// What a finalized record says that the review queue filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    /// Patient id.
    pub patient_id: String,
    /// Patient MRN.
    pub patient_mrn: String,
    /// `FAMILY, Given`.
    pub patient_name: String,
    /// Collector id as recorded.
    pub collector_id: String,
    /// Ordered test codes.
    pub tests: Vec<String>,
    /// Earliest draw, else the finalization.
    pub collected_at: Option<DateTime<Utc>>,
    /// A timed draw outside its window.
    pub outside_window: bool,
    /// Not-collected reason codes.
    pub exceptions: Vec<String>,
    /// Identified by typed manual entry (not a scan, nor a scan + verbal confirmation).
    pub manual_identification: bool,
    /// Wrong-patient hard stops the record raised (each acknowledged before going on).
    pub wrong_patient_stops: u32,
    /// Of those, the ones before the first tube was drawn.
    pub wrong_patient_before_draw: u32,
    /// This version voids the collection as entered in error.
    pub voided: bool,
}

/// Reads a stored body as a finalized record (its hash checked); `None` when it is not one.
pub fn read_finalized(body: &Value) -> Option<FinalizedCollection> {
    FinalizedCollection::from_json_value(body.clone()).ok()
}

/// When the specimen was taken: the earliest tube draw, or the finalization when nothing was drawn.
pub fn collected_at(c: &Collection) -> Option<DateTime<Utc>> {
    c.tubes()
        .iter()
        .filter_map(|t| t.drawn.as_ref().map(|d| d.at.utc))
        .min()
        .or_else(|| c.finalized_at().map(|t| t.utc))
}

/// The facts of a record.
pub fn facts(c: &Collection) -> RecordFacts {
    let identity = &c.patient().identity;
    let mut exceptions: Vec<String> = c
        .not_collected()
        .iter()
        .map(|n| n.reason.code().to_owned())
        .collect();
    exceptions.dedup();
    RecordFacts {
        patient_id: c.patient().id.to_string(),
        patient_mrn: identity.mrn.to_string(),
        patient_name: identity.name.display_full(),
        collector_id: c.started_by().to_string(),
        tests: c.orders().iter().map(|o| o.test.to_string()).collect(),
        collected_at: collected_at(c),
        outside_window: c.tubes().iter().any(|t| t.window_override.is_some()),
        exceptions,
        manual_identification: c
            .identification()
            .is_some_and(|i| i.method == CaptureMethod::Manual),
        wrong_patient_stops: c.hard_stops(HardStopKind::WrongPatient),
        wrong_patient_before_draw: c.wrong_patient_before_draw(),
        voided: c.voided().is_some(),
    }
}

/// The facts of a stored body, when it is a finalized record.
pub fn facts_of(body: &Value) -> Option<RecordFacts> {
    read_finalized(body).map(|f| facts(f.record()))
}

/// The lab orders a record covers and whether it collected each (a void collected none: its
/// orders are open again).
pub fn record_orders(c: &Collection) -> Vec<RecordOrder> {
    let patient_id = c.patient().id.as_str().to_owned();
    c.orders()
        .iter()
        .map(|o| RecordOrder {
            order_id: o.id.as_str().to_owned(),
            patient_id: patient_id.clone(),
            collected: c.exception_for_order(o).is_none(),
            voided: c.voided().is_some(),
        })
        .collect()
}
