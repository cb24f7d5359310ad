//! Sync with devices: idempotent pushed versions with receipts, pulls by cursor, heartbeats.
//!
//! Pushes are idempotent by id and content hash.

use chrono::{DateTime, FixedOffset, Utc};
use uuid::Uuid;

use super::error::StoreError;
use crate::api::{
    CollectionSummary, CollectionVersionView, DeviceHeartbeat, Heartbeat, PushResult, Receipt,
    RoundView, SyncOrder,
};

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
    /// The version voids the collection as entered in error: the order is open again, to be
    /// collected anew.
    pub voided: bool,
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
    /// The patient it is for (logical id).
    pub patient_id: String,
    /// The tube labels (accessions) it binds.
    pub labels: Vec<String>,
    /// What re-validation against the lab's facts decided (applied after the duplicate check,
    /// so a resend of a stored version is always `duplicate`).
    pub verdict: crate::revalidate::Verdict,
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
    /// The device's sync state; `None` when the records did not come from the device itself
    /// (`drawline import-outbox`), so nothing is said about its queue or its last contact.
    pub heartbeat: Option<NewHeartbeat>,
    /// The records.
    pub items: Vec<SyncItem>,
    /// What the device may make the lab keep.
    pub quota: PushQuota,
}

/// What one device may make the lab keep (`Limits`); the default keeps everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushQuota {
    /// Bytes of record bodies stored for the device, at most; a push that would store more
    /// stores nothing (`StoreError::OverQuota`).
    pub max_stored_bytes: u64,
    /// Refused bodies (conflicts, rejections) kept whole per device per UTC day; beyond it
    /// only their hash, size and refusal.
    pub max_kept_refusals_per_day: u32,
    /// Records the lab did not store (resends, conflicts, rejections) recorded one by one per
    /// device per UTC day; beyond it they are only counted in the push's audit summary.
    pub max_recorded_attempts_per_day: u32,
}

impl Default for PushQuota {
    fn default() -> Self {
        Self {
            max_stored_bytes: u64::MAX,
            max_kept_refusals_per_day: u32::MAX,
            max_recorded_attempts_per_day: u32::MAX,
        }
    }
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

/// Pushes and pulls, the collection versions and receipts they leave, and device heartbeats.
#[async_trait::async_trait]
pub trait SyncStore: Send + Sync + 'static {
    /// Stores a sync push in one transaction (records, order statuses, heartbeat, audit) and
    /// answers one result per item, in order. A storage failure stores none of it.
    async fn sync_push(&self, push: SyncPush) -> Result<Vec<PushResult>, StoreError>;
    /// The lab's facts a push is re-validated against, in one read: the orders its records name
    /// (patient, status, placing time, on the device's rounds or not) and the people (active).
    async fn push_facts(
        &self,
        wanted: crate::revalidate::FactsWanted,
    ) -> Result<crate::revalidate::LabFacts, StoreError>;
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

    /// Records a heartbeat sent on its own (pushes and pulls record theirs).
    async fn record_heartbeat(
        &self,
        device_id: Uuid,
        heartbeat: Heartbeat,
        received_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// A device's newest heartbeats, newest first.
    async fn device_heartbeats(
        &self,
        device_id: Uuid,
        limit: u32,
    ) -> Result<Vec<DeviceHeartbeat>, StoreError>;
}
