//! Supervisor review: devices overview, review queue, one collection in full, review actions.

mod records;

pub use records::{AccessionClashRecord, CollectionRecords, PushAttempt, StoredVersion};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::StoreError;
use crate::api::{
    ConflictChoice, DeviceView, QueueItem, QueueQuery, RecollectedOrder, RecordOutcome,
    ReviewAction, ReviewEvent, UnreadableRow, UserView,
};

/// A device with what the supervisor's devices view adds to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceActivity {
    /// The device and its latest heartbeat.
    pub device: DeviceView,
    /// The last person who signed in on it.
    pub collector: Option<UserView>,
    /// When that person signed in.
    pub collector_signed_in_at: Option<DateTime<Utc>>,
    /// App version of the latest heartbeat that named one.
    pub app_version: Option<String>,
    /// Skew of the latest heartbeat that carried a device clock.
    pub clock_skew_seconds: Option<i64>,
    /// The latest push.
    pub last_push_at: Option<DateTime<Utc>>,
    /// Its unresolved conflicts and rejections.
    pub quarantined: u32,
}

/// The review queue's filters, resolved by the HTTP layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// The filters as asked, blank texts already dropped; its `cursor` and `limit` are read
    /// through `after` and `limit` below.
    pub query: QueueQuery,
    /// Continue after this item (received time and key) of the previous page.
    pub after: Option<(DateTime<Utc>, String)>,
    /// Page size.
    pub limit: u32,
    /// Skew beyond which `clock_skew` is raised.
    pub skew_threshold_seconds: i64,
    /// Delay beyond which `synced_late` is raised.
    pub late_sync_seconds: i64,
}

/// One page of the review queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRows {
    /// Items matching the filters (every page).
    pub total: u64,
    /// This page, newest arrival first.
    pub items: Vec<QueueItem>,
    /// More items follow.
    pub has_more: bool,
}

/// A review action to record (and audit, in the same transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct NewReviewEvent {
    /// The collection.
    pub collection_id: Uuid,
    /// What.
    pub action: ReviewAction,
    /// Who.
    pub user: UserView,
    /// The audit actor.
    pub actor: String,
    /// Note or reason.
    pub note: Option<String>,
    /// Detail.
    pub detail: Option<serde_json::Value>,
}

/// A supervisor's choice on a conflicting push.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictResolution {
    /// The conflicting push.
    pub attempt_id: i64,
    /// Which version stands.
    pub keep: ConflictChoice,
    /// Skew beyond which the stored version's receipt is flagged.
    pub skew_threshold_seconds: i64,
    /// The review event (its collection id must be the attempt's).
    pub event: NewReviewEvent,
}

/// What resolving a conflict did.
#[derive(Debug, Clone, PartialEq)]
pub enum ResolveOutcome {
    /// Resolved now.
    Resolved(ReviewEvent),
    /// No such attempt on this collection.
    NotFound,
    /// The attempt is not a conflict.
    NotAConflict(RecordOutcome),
    /// Resolved before.
    AlreadyResolved(ConflictChoice),
    /// The push cannot be stored (no readable body, or the lab holds it already).
    CannotStand(String),
}

/// A supervisor's decision on a collection held as collected off round.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldResolution {
    /// Release or dismiss.
    pub decision: crate::api::HoldDecision,
    /// The review event (a `reviewed` event whose detail names the decision).
    pub event: NewReviewEvent,
}

/// What resolving a hold did.
#[derive(Debug, Clone, PartialEq)]
pub enum HoldOutcome {
    /// Resolved now.
    Resolved(ReviewEvent),
    /// The lab stores no such collection.
    NotFound,
    /// Nothing of the collection is held (never, or resolved before).
    NotHeld,
    /// It cannot be released: a tube label is another patient's (possible wrong blood in tube).
    CannotRelease(String),
}

/// A request to collect some orders again.
#[derive(Debug, Clone, PartialEq)]
pub struct Recollection {
    /// The orders to copy.
    pub order_ids: Vec<String>,
    /// Round for the new orders (by name; must exist), else each original's.
    pub round: Option<String>,
    /// Target time of the new orders.
    pub due_at: Option<DateTime<Utc>>,
    /// The review event (its note is the reason).
    pub event: NewReviewEvent,
}

/// What a recollection request did.
#[derive(Debug, Clone, PartialEq)]
pub enum RecollectOutcome {
    /// New orders made.
    Done(Vec<RecollectedOrder>, ReviewEvent),
    /// An order is not known to the lab.
    UnknownOrder(String),
    /// The round is not known.
    UnknownRound(String),
}

/// What a supervisor reads and does: device risk, the queue, one collection's records, and
/// review actions (each recorded and audited in one transaction).
#[async_trait::async_trait]
pub trait ReviewStore: Send + Sync + 'static {
    /// Every device with its latest heartbeat, last signed-in user and quarantined records.
    async fn device_activity(&self) -> Result<Vec<DeviceActivity>, StoreError>;
    /// One page of the review queue.
    async fn review_queue(&self, filter: QueueFilter) -> Result<QueueRows, StoreError>;
    /// Stored rows the lists left out because they do not read back (kind and id only).
    async fn unreadable_rows(&self) -> Result<Vec<UnreadableRow>, StoreError>;
    /// Changes whenever anything the review queue shows changes (for `ETag`s).
    async fn review_stamp(&self) -> Result<String, StoreError>;
    /// Everything stored about a collection id; `None` when the lab never heard of it.
    async fn collection_records(
        &self,
        collection_id: Uuid,
    ) -> Result<Option<CollectionRecords>, StoreError>;
    /// Records and audits a review action; `None` when the lab never heard of the collection.
    async fn add_review(
        &self,
        event: NewReviewEvent,
        at: DateTime<Utc>,
    ) -> Result<Option<ReviewEvent>, StoreError>;
    /// Resolves a conflicting push, recording and auditing the choice.
    async fn resolve_conflict(
        &self,
        resolution: ConflictResolution,
        at: DateTime<Utc>,
    ) -> Result<ResolveOutcome, StoreError>;
    /// Resolves a collection held as collected off round: released (its orders take its
    /// statuses, its labels are bound) or dismissed; recorded and audited.
    async fn resolve_hold(
        &self,
        resolution: HoldResolution,
        at: DateTime<Utc>,
    ) -> Result<HoldOutcome, StoreError>;
    /// Copies orders as new open orders, recording and auditing the request.
    async fn recollect(
        &self,
        recollection: Recollection,
        at: DateTime<Utc>,
    ) -> Result<RecollectOutcome, StoreError>;
}
