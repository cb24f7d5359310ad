//! Supervisor review actions: reviewed, notes, conflict resolution and recollection requests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::session::UserView;
use crate::wire::wire_enum;

wire_enum! {
    /// Which version stands when a supervisor resolves a conflict.
    pub enum ConflictChoice {
        /// The lab's version stands; the conflicting push is kept, marked superseded.
        Lab = "lab",
        /// The conflicting push stands: it is stored as the lab's newest version (numbered after
        /// the lab's versions); the lab's earlier version is kept, superseded.
        Device = "device",
    }
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
