//! What the lab holds about one collection id, as a supervisor's detail view reads it.

use chrono::{DateTime, Utc};

use crate::api::{CollectionVersionView, DeviceRef, PushAttemptView, ReviewEvent};
use crate::store::audit::AuditRecord;

/// A stored version and how it came to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVersion {
    /// The version.
    pub view: CollectionVersionView,
    /// The conflicting push a supervisor let stand, if that is how.
    pub resolved_from_attempt: Option<i64>,
}

/// A push the lab did not store as a new version.
#[derive(Debug, Clone, PartialEq)]
pub struct PushAttempt {
    /// The attempt as the detail view shows it, without its `record`: the HTTP layer reads that
    /// from `body`.
    pub view: PushAttemptView,
    /// The finalized record as pushed, when it could be read.
    pub body: Option<serde_json::Value>,
}

/// A tube label of a push refused as possible wrong blood in tube, and who holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessionClashRecord {
    /// The refused push.
    pub attempt_id: i64,
    /// The tube label.
    pub accession: String,
    /// The patient who holds it.
    pub patient: crate::api::PatientSummary,
    /// The order whose accession it is, if it is one.
    pub order_id: Option<String>,
    /// The collection that bound it, if one did.
    pub collection_id: Option<uuid::Uuid>,
    /// That collection's newest version as stored.
    pub collection_body: Option<serde_json::Value>,
}

/// Everything stored about one collection id.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionRecords {
    /// The owner (or, never stored, the device that pushed last).
    pub device: DeviceRef,
    /// The lab's newest version.
    pub latest_version: Option<u32>,
    /// When the newest version arrived.
    pub last_received_at: Option<DateTime<Utc>>,
    /// Stored versions, oldest first.
    pub versions: Vec<StoredVersion>,
    /// Pushes not stored, oldest first.
    pub attempts: Vec<PushAttempt>,
    /// Review actions, oldest first.
    pub reviews: Vec<ReviewEvent>,
    /// Audit entries about it, oldest first.
    pub history: Vec<AuditRecord>,
    /// Tube labels of its refused pushes that another patient holds (wrong blood in tube).
    pub clashes: Vec<AccessionClashRecord>,
}
