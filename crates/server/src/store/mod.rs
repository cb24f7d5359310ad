//! The server's storage behind one trait, so SQLite (default) and PostgreSQL (for replicas) are interchangeable.

mod sqlite;

use chrono::{DateTime, FixedOffset, Utc};
use uuid::Uuid;

use crate::api::{
    CollectionSummary, CollectionVersionView, ConflictChoice, DeviceHeartbeat, DeviceRef,
    DeviceView, Heartbeat, ImportReport, OrderStatusView, PushResult, QueueFlag, QueueItem,
    QueueStatus, Receipt, RecollectedOrder, RecordOutcome, ReviewAction, ReviewEvent, Role,
    RoundView, SyncOrder, UserView, Worklist,
};

pub use sqlite::SqliteStore;

/// Failures of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a statement.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A migration could not be applied.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// The schema version being applied.
        version: u32,
        /// Why it failed.
        source: rusqlite::Error,
    },
    /// A blocking task died.
    #[error("storage task failed: {0}")]
    Task(String),
    /// A row that must exist does not.
    #[error("missing: {0}")]
    Missing(&'static str),
    /// The write would break a uniqueness rule the caller can fix (e.g. a taken name).
    #[error("{0}")]
    Conflict(String),
    /// A stored value could not be read back (corrupt or hand-edited row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

/// A device row (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Id.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A user with the hash needed to check a PIN.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    /// The user.
    pub user: UserView,
    /// argon2 PHC string.
    pub pin_hash: String,
    /// Inactive users cannot sign in.
    pub active: bool,
}

/// A new person.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in name (unique).
    pub username: String,
    /// Name on screen and labels.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// argon2 PHC string of the PIN.
    pub pin_hash: String,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the session token.
    pub token_hash: String,
    /// Who signed in.
    pub user_id: Uuid,
    /// On which device.
    pub device_id: Uuid,
    /// When it ends by itself.
    pub expires_at: DateTime<Utc>,
}

/// A live session with its user and device.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The signed-in user.
    pub user: UserView,
    /// The device the session was opened on.
    pub device: Device,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

/// An order as imported, with its patient and where it came from (for the import report).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// CSV line or `Bundle.entry` index.
    pub position: usize,
    /// Human form of the position, e.g. `line 3`.
    pub location_in_source: String,
    /// The patient (its id is kept only when the MRN is new to the server).
    pub patient: drawline_domain::Patient,
    /// The order; its id is the re-import key.
    pub order: drawline_domain::Order,
    /// Fasting required by the order itself.
    pub fasting: bool,
    /// Where the patient is; never an identifier.
    pub location: Option<String>,
    /// Placer's note.
    pub note: Option<String>,
    /// Name of the round to put the order in (created when new); `None` keeps the current one.
    pub round: Option<String>,
}

/// Who a round is assigned to, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// The device.
    pub device_id: Option<Uuid>,
    /// The collector.
    pub collector_id: Option<Uuid>,
}

/// One finalized collection version pushed by a device.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCollectionVersion {
    /// The collection's id, made on the device.
    pub collection_id: Uuid,
    /// Version number, from 1.
    pub version: u32,
    /// The version this one corrects (required for every version after the first).
    pub supersedes: Option<u32>,
    /// Content hash of the record.
    pub content_hash: String,
    /// The record itself.
    pub body: serde_json::Value,
    /// The collector recorded in it.
    pub collector_id: Option<Uuid>,
    /// The device clock when it pushed.
    pub device_clock: DateTime<FixedOffset>,
}

/// What happened to one pushed collection version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored; here is its receipt.
    Accepted(Receipt),
    /// Already stored with the same hash: the original receipt.
    Duplicate(Receipt),
    /// Not stored: it conflicts with what the server holds.
    Conflict(String),
    /// Not stored: the collection belongs to another device.
    Forbidden,
}

/// A heartbeat and how it reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHeartbeat {
    /// `push`, `pull` or `heartbeat`.
    pub source: &'static str,
    /// The app's version.
    pub app_version: Option<String>,
    /// What the device reported.
    pub heartbeat: Heartbeat,
}

/// One lab order a pushed collection covers, and what the collection did for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOrder {
    /// The order's id.
    pub order_id: String,
    /// The patient the collection was for.
    pub patient_id: String,
    /// Collected (true) or recorded as not collected (false).
    pub collected: bool,
}

/// A pushed version that passed the checks that need no database.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRecord {
    /// The version to store.
    pub version: NewCollectionVersion,
    /// Content hash of the version it supersedes, as the record declares it.
    pub supersedes_hash: Option<String>,
    /// The orders it covers.
    pub orders: Vec<RecordOrder>,
}

/// One record of a push, in the order sent.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncItem {
    /// A record to store (the store may still reject it or find a conflict).
    Record(SyncRecord),
    /// A record already found invalid; the store only audits it.
    Rejected {
        /// Collection id as sent (nil when unreadable).
        id: Uuid,
        /// Version as sent (0 when unreadable).
        version: u32,
        /// Stable code.
        code: &'static str,
        /// Human reason.
        reason: String,
    },
}

/// A push batch: stored in one transaction, answered per record.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncPush {
    /// The device that pushed.
    pub device_id: Uuid,
    /// Who, for the audit log.
    pub actor: String,
    /// Server receive time.
    pub received_at: DateTime<Utc>,
    /// A device clock further than this from the server's is flagged.
    pub skew_threshold_seconds: i64,
    /// The device's sync state.
    pub heartbeat: NewHeartbeat,
    /// The records.
    pub items: Vec<SyncItem>,
}

/// Where a device's previous pull ended: a database epoch and a change sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullCursor {
    /// The database the cursor came from.
    pub epoch: String,
    /// Changes up to this number were delivered.
    pub seq: i64,
}

/// One page of worklist changes for a device.
#[derive(Debug, Clone, PartialEq)]
pub struct PullPage {
    /// Where the next pull continues.
    pub next: PullCursor,
    /// The whole worklist rather than changes.
    pub full: bool,
    /// More changes wait.
    pub has_more: bool,
    /// The device's rounds.
    pub rounds: Vec<RoundView>,
    /// Patients of `orders`.
    pub patients: Vec<drawline_domain::Patient>,
    /// Orders, in change order.
    pub orders: Vec<SyncOrder>,
}

/// What cancelling an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Cancelled now.
    Cancelled(OrderStatusView),
    /// It was cancelled before; nothing changed.
    AlreadyCancelled(OrderStatusView),
    /// A collection for it reached the lab; a collected order is not cancelled.
    AlreadyCollected(OrderStatusView),
    /// No such order.
    NotFound,
}

/// An entry for the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who: `device:<id>`, `user:<id>`, `cli`, or `anonymous`.
    pub actor: String,
    /// What, as a stable verb, e.g. `device.enrolled`.
    pub action: String,
    /// On what.
    pub subject: Option<String>,
    /// Non-secret detail (JSON text).
    pub detail: Option<String>,
}

/// A written audit entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Sequence number.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub subject: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

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
    /// Status.
    pub status: Option<QueueStatus>,
    /// Flag.
    pub flag: Option<QueueFlag>,
    /// Device.
    pub device: Option<Uuid>,
    /// Collector: a recorded collector id or a user name.
    pub collector: Option<String>,
    /// Patient id, MRN or part of the name.
    pub patient: Option<String>,
    /// Collected (or received) at or after.
    pub from: Option<DateTime<Utc>>,
    /// Collected (or received) at or before.
    pub to: Option<DateTime<Utc>>,
    /// Reviewed since the last arrival, or not.
    pub reviewed: Option<bool>,
    /// Changed at or after.
    pub changed_since: Option<DateTime<Utc>>,
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

/// What the HTTP layer and the command line need from storage.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// The site's display name; proves the database answers.
    async fn site_name(&self) -> Result<String, StoreError>;
    /// True when nothing has been set up yet (no site row).
    async fn is_empty(&self) -> Result<bool, StoreError>;
    /// Names the site (first run or demo seed).
    async fn set_site_name(&self, name: &str) -> Result<(), StoreError>;
    /// A site configuration document (e.g. `catalog`, `order-of-draw`) as JSON text.
    async fn site_config(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores a site configuration document.
    async fn put_site_config(&self, key: &str, json: &str) -> Result<(), StoreError>;

    /// Adds a person; a taken user name is a `Conflict`.
    async fn create_user(&self, user: NewUser) -> Result<UserView, StoreError>;
    /// A person and their PIN hash, by sign-in name.
    async fn user_credentials(&self, username: &str)
        -> Result<Option<UserCredentials>, StoreError>;
    /// A person by sign-in name.
    async fn user_by_username(&self, username: &str) -> Result<Option<UserView>, StoreError>;
    /// Every person.
    async fn list_users(&self) -> Result<Vec<UserView>, StoreError>;
    /// Failed sign-ins for this user name on this device since `since`.
    async fn sign_in_failures(
        &self,
        username: &str,
        device_id: Uuid,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// Records a failed sign-in.
    async fn record_sign_in_failure(
        &self,
        username: &str,
        device_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Forgets failed sign-ins after a successful one.
    async fn clear_sign_in_failures(
        &self,
        username: &str,
        device_id: Uuid,
    ) -> Result<(), StoreError>;

    /// Registers a device with a pending enrollment code; a taken name is a `Conflict`.
    async fn create_device(
        &self,
        name: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Device, StoreError>;
    /// Gives a not-yet-enrolled device a new code (the old one stops working).
    async fn reissue_enrollment(
        &self,
        device_id: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Exchanges a valid, unexpired, unused code for the token hash; the code cannot be used again.
    async fn complete_enrollment(
        &self,
        code_hash: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Device>, StoreError>;
    /// The unrevoked device holding this token, marked as seen now.
    async fn device_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Device>, StoreError>;
    /// A device by id, revoked or not.
    async fn device(&self, id: Uuid) -> Result<Option<Device>, StoreError>;
    /// A device by name, revoked or not.
    async fn device_by_name(&self, name: &str) -> Result<Option<Device>, StoreError>;
    /// Every device with its latest heartbeat.
    async fn list_devices(&self) -> Result<Vec<DeviceView>, StoreError>;
    /// Revokes a device and ends its sessions; false when no such device.
    async fn revoke_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Opens a session.
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError>;
    /// The live session holding this token (unexpired, not ended, device not revoked).
    async fn session_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError>;
    /// Ends a session.
    async fn end_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Creates a round or updates its assignment.
    async fn upsert_round(
        &self,
        name: &str,
        assignment: Assignment,
    ) -> Result<RoundView, StoreError>;
    /// Every round.
    async fn list_rounds(&self) -> Result<Vec<RoundView>, StoreError>;
    /// Imports orders in one transaction; re-imports update instead of duplicating.
    async fn import_orders(
        &self,
        orders: Vec<NewOrder>,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError>;
    /// The open orders of the rounds assigned to a device.
    async fn worklist(&self, device_id: Uuid, now: DateTime<Utc>) -> Result<Worklist, StoreError>;

    /// Stores a pushed batch in one transaction, answering per record; a storage failure stores none of it.
    async fn push_collections(
        &self,
        device_id: Uuid,
        batch: Vec<NewCollectionVersion>,
        received_at: DateTime<Utc>,
    ) -> Result<Vec<PushOutcome>, StoreError>;
    /// The collections a device sent (all devices when `None`).
    async fn list_collections(
        &self,
        device_id: Option<Uuid>,
    ) -> Result<Vec<CollectionSummary>, StoreError>;
    /// Every version of one collection, oldest first, with the device that owns it.
    async fn collection_versions(
        &self,
        collection_id: Uuid,
    ) -> Result<Vec<CollectionVersionView>, StoreError>;
    /// The device that owns a collection.
    async fn collection_owner(&self, collection_id: Uuid) -> Result<Option<Uuid>, StoreError>;
    /// The newest version of each collection received at or after `since`.
    async fn latest_versions_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<CollectionVersionView>, StoreError>;
    /// A device's receipts received at or after `since`.
    async fn receipts(
        &self,
        device_id: Uuid,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Receipt>, StoreError>;

    /// Records a device heartbeat.
    async fn record_heartbeat(
        &self,
        device_id: Uuid,
        heartbeat: Heartbeat,
        received_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Stores a sync push in one transaction (records, order statuses, heartbeat, audit) and
    /// answers one result per item, in order. A storage failure stores none of it.
    async fn sync_push(&self, push: SyncPush) -> Result<Vec<PushResult>, StoreError>;
    /// A device's worklist changes after `cursor` (the whole worklist when `None` or when the
    /// cursor is not from this database), at most `limit` orders; records the heartbeat.
    async fn sync_pull(
        &self,
        device_id: Uuid,
        cursor: Option<PullCursor>,
        limit: usize,
        heartbeat: NewHeartbeat,
        now: DateTime<Utc>,
    ) -> Result<PullPage, StoreError>;
    /// Cancels an order (unless a collection for it already arrived), auditing it.
    async fn cancel_order(
        &self,
        order_id: &str,
        reason: Option<String>,
        actor: String,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError>;
    /// An order's status.
    async fn order_status(&self, order_id: &str) -> Result<Option<OrderStatusView>, StoreError>;
    /// A device's newest heartbeats, newest first.
    async fn device_heartbeats(
        &self,
        device_id: Uuid,
        limit: u32,
    ) -> Result<Vec<DeviceHeartbeat>, StoreError>;

    /// Every device with its latest heartbeat, last signed-in user and quarantined records.
    async fn device_activity(&self) -> Result<Vec<DeviceActivity>, StoreError>;
    /// One page of the review queue.
    async fn review_queue(&self, filter: QueueFilter) -> Result<QueueRows, StoreError>;
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
    /// Copies orders as new open orders, recording and auditing the request.
    async fn recollect(
        &self,
        recollection: Recollection,
        at: DateTime<Utc>,
    ) -> Result<RecollectOutcome, StoreError>;

    /// Appends to the audit log.
    async fn audit(&self, entry: AuditEntry, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The newest audit entries, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;
}
