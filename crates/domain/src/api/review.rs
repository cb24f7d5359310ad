//! Supervisor review of one received collection: the collection in full (versions tube by tube, push attempts, history) and the review actions.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::push::RecordOutcome;
use super::queue::{ConflictChoice, PatientSummary, PersonRef, QueueFlags};
use super::session::{DeviceRef, UserView};
use crate::wire::wire_enum;

/// A confirmation to draw outside a timed draw's window, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowOverrideView {
    /// Why the draw went ahead.
    pub reason: String,
    /// The timed draw's target.
    pub target: DateTime<Utc>,
    /// The window either side, in minutes.
    pub window_minutes: u32,
    /// Signed distance of the draw from the target, in minutes.
    pub minutes_from_target: i64,
    /// The override in words: distance, window (asymmetric sides, or no due time) and reason.
    #[serde(default)]
    pub summary: String,
}

/// One tube of a collection version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TubeView {
    /// 1-based place in order of draw.
    pub index: u32,
    /// Container name.
    pub container: String,
    /// Cap colour.
    pub cap: String,
    /// Additive.
    pub additive: String,
    /// Tests it serves.
    pub tests: Vec<String>,
    /// A discard tube.
    pub discard: bool,
    /// Collection time, in the device's local time.
    pub drawn_at: Option<DateTime<FixedOffset>>,
    /// Who drew it.
    pub drawn_by: Option<PersonRef>,
    /// Accession barcode bound at labelling.
    pub accession: Option<String>,
    /// When labelled, device local time.
    pub labelled_at: Option<DateTime<FixedOffset>>,
    /// Drawn outside its timed window.
    pub window_override: Option<WindowOverrideView>,
    /// The label as printed (drawn and labelled tubes).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub label: Option<crate::label::LabelContent>,
    /// Orders it serves (empty for a discard tube, and for records made before tubes named them).
    #[serde(default)]
    pub orders: Vec<String>,
    /// Where it was drawn, in words (absent before sites were recorded).
    #[serde(default)]
    pub body_site: Option<String>,
    /// The venipuncture it was drawn in.
    #[serde(default)]
    pub venipuncture: Option<u32>,
    /// Its blood-culture set, for culture bottles.
    #[serde(default)]
    pub culture_set: Option<u32>,
}

/// A recorded not-collected exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExceptionView {
    /// A test code, or `visit` for the whole visit.
    pub scope: String,
    /// Reason code (`refused`, `unavailable`, `unable-to-collect`, `compromised`, `cancelled`).
    pub reason: String,
    /// Reason as shown.
    pub reason_text: String,
    /// Free-text detail.
    pub note: Option<String>,
    /// When recorded, device local time.
    pub at: DateTime<FixedOffset>,
    /// By whom.
    pub by: PersonRef,
}

/// An ordered test a collection covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderRef {
    /// Order id.
    pub id: String,
    /// Test code.
    pub test: String,
    /// `routine`, `urgent`, `asap` or `stat`.
    pub priority: String,
    /// Target time of a timed draw.
    pub due_at: Option<DateTime<Utc>>,
}

/// One step of a record's identification, as a supervisor reads it: an attempt, a hard stop,
/// its acknowledgement, a refused scan, the second wristband scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentificationAttemptView {
    /// When, device local time.
    pub at: DateTime<FixedOffset>,
    /// By whom.
    pub by: PersonRef,
    /// What happened, in words (the message the collector saw for a refusal).
    pub what: String,
    /// A wrong-patient hard stop.
    pub hard_stop: bool,
}

/// What a finalized record says, read for a supervisor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordView {
    /// The patient.
    pub patient: PatientSummary,
    /// Who started the record.
    pub collector: PersonRef,
    /// Orders covered.
    pub orders: Vec<OrderRef>,
    /// When started, device local time.
    pub started_at: DateTime<FixedOffset>,
    /// When finalized, device local time.
    pub finalized_at: Option<DateTime<FixedOffset>>,
    /// `scan` or `manual`.
    pub identification_method: Option<String>,
    /// Identifier kinds that matched (`name`, `date-of-birth`, `mrn`).
    pub identifiers: Vec<String>,
    /// `fasting`, `not-fasting` or `not-given`.
    pub fasting: Option<String>,
    /// Earliest tube draw (or the finalization when nothing was drawn).
    pub collected_at: Option<DateTime<Utc>>,
    /// Tubes in order of draw.
    pub tubes: Vec<TubeView>,
    /// Venipuncture attempts (one that drew blood or failed counts).
    #[serde(default)]
    pub attempts: u32,
    /// Of those, the failed ones.
    #[serde(default)]
    pub failed_attempts: u32,
    /// Exceptions recorded.
    pub exceptions: Vec<ExceptionView>,
    /// Wrong-patient hard stops the record raised.
    #[serde(default)]
    pub wrong_patient_stops: u32,
    /// Of those, the ones before the first draw.
    #[serde(default)]
    pub wrong_patient_before_draw: u32,
    /// Every identification step, oldest first.
    #[serde(default)]
    pub identification_attempts: Vec<IdentificationAttemptView>,
    /// The record's own history (device side), oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub history: Vec<crate::collection::HistoryEntry>,
}

/// Who voided a collection as entered in error, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoidView {
    /// Why.
    pub reason: String,
    /// Who.
    pub by: PersonRef,
    /// When, on the device's clock.
    pub at: DateTime<FixedOffset>,
}

/// One version of a collection the lab stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionDetail {
    /// The lab's version number.
    pub version: u32,
    /// The version it supersedes.
    pub supersedes: Option<u32>,
    /// Content hash.
    pub content_hash: String,
    /// Device clock at the push.
    pub device_clock: DateTime<FixedOffset>,
    /// Server receive time (for a resolved conflict: when it was let stand).
    pub received_at: DateTime<Utc>,
    /// Device clock minus server clock at the push, in seconds.
    pub clock_skew_seconds: i64,
    /// The version that stands (the newest).
    pub standing: bool,
    /// The push attempt it was stored from, when a supervisor let a conflict stand.
    pub resolved_from_attempt: Option<i64>,
    /// Flags of this version.
    pub flags: QueueFlags,
    /// Why this version was made: the reason given for the correction, or for the void.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The void, when this version declared the collection entered in error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided: Option<VoidView>,
    /// The record, read (absent when the stored body cannot be read).
    pub record: Option<RecordView>,
    /// The stored body as the device sent it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// A pushed record the lab did not store as a new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushAttemptView {
    /// Attempt id.
    pub id: i64,
    /// The device that pushed.
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
    /// Server receive time.
    pub received_at: DateTime<Utc>,
    /// Device clock minus server clock at the push, in seconds.
    pub clock_skew_seconds: i64,
    /// How a supervisor resolved the conflict.
    pub resolution: Option<ConflictChoice>,
    /// A conflict resolved in the lab's favour: kept, superseded.
    pub superseded: bool,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it (audit actor).
    pub resolved_by: Option<String>,
    /// The record, when it could be read.
    pub record: Option<RecordView>,
}

/// An audit log entry about a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntryView {
    /// Audit sequence number.
    pub seq: i64,
    /// When (server time).
    pub at: DateTime<Utc>,
    /// Who: `device:<id>`, `user:<id>@device:<id>`, ...
    pub actor: String,
    /// What, e.g. `collection.received`, `collection.reviewed`.
    pub action: String,
    /// Detail.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub detail: Option<serde_json::Value>,
}

/// Answer of `GET /api/v1/supervisor/collections/{id}`: everything the lab knows of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionDetail {
    /// The collection id.
    pub collection_id: Uuid,
    /// The device that owns it (or, never stored, that pushed it last).
    pub device: DeviceRef,
    /// `accepted` when the lab holds a version; otherwise the latest attempt's outcome.
    pub status: RecordOutcome,
    /// The lab's newest version.
    pub latest_version: Option<u32>,
    /// Marked reviewed at, when that was after it last arrived.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Every stored version, oldest first.
    pub versions: Vec<VersionDetail>,
    /// Every push not stored as a new version (resends, conflicts, rejections), oldest first.
    pub attempts: Vec<PushAttemptView>,
    /// Review actions, oldest first.
    pub reviews: Vec<ReviewEvent>,
    /// The audit log entries about it, oldest first.
    pub history: Vec<HistoryEntryView>,
    /// The standing version as the FHIR export sends it: a Bundle of Specimens and Tasks as
    /// `GET /fhir/Specimen` answers it (no entries when nothing is stored).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fhir: serde_json::Value,
    /// Possible wrong blood in tube: each tube label of a refused push that another patient
    /// holds, with the other side, to compare side by side.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accession_clashes: Vec<AccessionClash>,
}

/// A tube label a refused push bound that another patient holds (possible wrong blood in tube):
/// the refused record is the push attempt `attempt_id`; the other side is a collection or an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessionClash {
    /// The refused push (see `attempts`).
    pub attempt_id: i64,
    /// The tube label.
    pub accession: String,
    /// The patient who holds it.
    pub holder_patient: PatientSummary,
    /// The order whose accession it is, when it is one.
    pub holder_order: Option<String>,
    /// The collection that bound it first, when one did.
    pub holder_collection: Option<Uuid>,
    /// That collection's standing version, read tube by tube.
    pub holder_record: Option<RecordView>,
}

wire_enum! {
    /// What a supervisor did on a collection.
    pub enum ReviewAction {
        /// Marked reviewed.
        Reviewed = "reviewed",
        /// Added a note.
        Note = "note",
        /// Resolved a conflict.
        ConflictResolved = "conflict_resolved",
        /// Asked for the specimen to be collected again.
        RecollectionRequested = "recollection_requested",
    }
}

/// One review action, with who and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewEvent {
    /// Event id.
    pub id: i64,
    /// The collection.
    pub collection_id: Uuid,
    /// What.
    pub action: ReviewAction,
    /// When (server time).
    pub at: DateTime<Utc>,
    /// Who.
    pub by: UserView,
    /// The supervisor's note or reason.
    pub note: Option<String>,
    /// Detail (e.g. the attempt and choice of a resolution, the new orders of a recollection).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub detail: Option<serde_json::Value>,
}

/// Body of `POST /api/v1/supervisor/collections/{id}/review`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewRequest {
    /// An optional note kept with the review.
    #[serde(default)]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/supervisor/collections/{id}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteRequest {
    /// The note (1 to [`MAX_REVIEW_NOTE_CHARS`] characters).
    pub text: String,
}

/// Longest review note, resolution note or recollection reason accepted.
pub const MAX_REVIEW_NOTE_CHARS: usize = 2000;

/// Body of `POST /api/v1/supervisor/collections/{id}/resolve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolveConflictRequest {
    /// The conflicting push (`attempt_id` of the queue item).
    pub attempt_id: i64,
    /// Which version stands.
    pub keep: ConflictChoice,
    /// Why.
    #[serde(default)]
    pub note: Option<String>,
}

wire_enum! {
    /// What a supervisor decides about a collection held as collected off round.
    pub enum HoldDecision {
        /// The collection stands for its orders: they take its statuses (collected, not
        /// collected) and its tube labels are bound, as for any accepted collection.
        Release = "release",
        /// The collection stays stored as received; the lab's orders are left as they are.
        Dismiss = "dismiss",
    }
}

/// Body of `POST /api/v1/supervisor/collections/{id}/hold`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolveHoldRequest {
    /// Release or dismiss.
    pub decision: HoldDecision,
    /// Why.
    #[serde(default)]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/supervisor/collections/{id}/recollect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecollectRequest {
    /// Why the specimen must be drawn again (shown to the collector as the order's note).
    pub reason: String,
    /// The orders to collect again [default: every order of the collection].
    #[serde(default)]
    pub orders: Option<Vec<String>>,
    /// Round for the new orders, by name (it must exist) [default: each original order's round].
    #[serde(default)]
    pub round: Option<String>,
    /// Target time of the new orders, for a timed draw [default: none].
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
}

/// A new order made by a recollection request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecollectedOrder {
    /// The new order's id (`<original>-R<n>`).
    pub id: String,
    /// The order it collects again.
    pub replaces: String,
    /// Test code.
    pub test: String,
    /// The patient.
    pub patient_id: String,
    /// Its round: devices assigned to it pull it.
    pub round_id: Option<Uuid>,
}

/// Answer of `POST /api/v1/supervisor/collections/{id}/recollect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecollectResponse {
    /// The new orders.
    pub orders: Vec<RecollectedOrder>,
    /// The review event recorded.
    pub event: ReviewEvent,
}
