//! What the lab holds about one collection id, as a supervisor's detail view reads it.

use chrono::{DateTime, Utc};

use crate::api::{CollectionVersionView, ConflictChoice, DeviceRef, RecordOutcome, ReviewEvent};
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
    /// Attempt id.
    pub id: i64,
    /// Who pushed.
    pub device: DeviceRef,
    /// Version as sent.
    pub version: u32,
    /// `duplicate`, `conflict` or `rejected`.
    pub outcome: RecordOutcome,
    /// Stable code.
    pub code: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Content hash as sent.
    pub content_hash: Option<String>,
    /// The finalized record, when it could be read.
    pub body: Option<serde_json::Value>,
    /// Server receive time.
    pub received_at: DateTime<Utc>,
    /// Device minus server clock.
    pub clock_skew_seconds: i64,
    /// A supervisor's resolution.
    pub resolution: Option<ConflictChoice>,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
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
}
