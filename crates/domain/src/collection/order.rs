//! Patients and their ordered tests, with order priority.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alert::PatientAlert;
use crate::catalog::TestCode;
use crate::identification::PatientIdentity;
use crate::ids::{AccessionNumber, OrderId, PatientId};
use crate::wire::wire_enum;

wire_enum! {
    /// Order priority, as in FHIR `ServiceRequest.priority`.
    pub enum Priority {
        /// Immediately (draw list: first).
        Stat = "stat",
        /// As soon as possible.
        Asap = "asap",
        /// Urgent.
        Urgent = "urgent",
        /// Routine.
        Routine = "routine",
    }
}

impl Priority {
    /// The FHIR code (the wire spelling).
    pub fn code(self) -> &'static str {
        self.as_str()
    }
}

/// A patient of the worklist.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Patient {
    /// Logical id (FHIR `Patient.id`).
    pub id: PatientId,
    /// What identification is checked against.
    pub identity: PatientIdentity,
    /// Alerts shown on every step of the draw. Not serialised when empty, so records made
    /// before alerts existed keep their content hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<PatientAlert>,
}

/// One ordered test for one patient (one FHIR `ServiceRequest`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Order {
    /// Logical id (FHIR `ServiceRequest.id`).
    pub id: OrderId,
    /// The patient's logical id.
    pub patient: PatientId,
    /// Catalog code of the test.
    pub test: TestCode,
    /// Priority.
    pub priority: Priority,
    /// When the order was placed; no collection may be earlier.
    pub placed_at: DateTime<Utc>,
    /// Target time of a timed draw.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// Requisition (order group) number.
    #[serde(default)]
    pub requisition: Option<String>,
    /// Accession numbers the lab assigned to this order's specimens (pre-labelled tubes);
    /// empty when the tablet labels at the bedside. Not serialised when empty, so records
    /// made before accessions existed keep their content hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accessions: Vec<AccessionNumber>,
    /// Free-text note from the placer, shown on the tube card (absent when none, as in records
    /// made before notes travelled with the order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why the lab asked for this order to be collected again (a recollection), shown at the
    /// bedside; absent for first collections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recollection_reason: Option<String>,
}
