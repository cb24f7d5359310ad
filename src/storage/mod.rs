//! Device-side storage: the only code that touches IndexedDB, behind a trait with an in-memory twin.

pub mod boot_hints;
pub mod conformance;
pub mod idb;
pub mod keys;
pub mod memory;
pub mod quota;
pub mod raw;
pub mod schema;

use serde::{Deserialize, Serialize};

pub use idb::IdbStore;
pub use memory::MemoryStore;

/// Why a storage call failed, phrased so the collector knows what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// IndexedDB is missing or refused to open (some private-browsing modes).
    #[error("this browser will not let Drawline store data ({0}); leave private browsing or use another browser")]
    Unavailable(String),
    /// The device's storage quota is used up.
    #[error("the tablet's storage is full; sync waiting collections, then free space")]
    QuotaExceeded,
    /// An older Drawline tab holds the database open during an upgrade.
    #[error("another Drawline tab is open with an older version; close it to continue")]
    Blocked,
    /// The database was made by a newer Drawline than this page.
    #[error("this tablet's data was saved by a newer Drawline; reload the page to get it")]
    NewerVersion,
    /// This version of the collection is already in the outbox.
    #[error("collection {0} is already finalized and waiting to sync")]
    AlreadyFinalized(String),
    /// A record could not be turned into or read back from a stored value.
    #[error("a stored record could not be read or written: {0}")]
    Serialization(String),
    /// Any other failure reported by the database.
    #[error("the device database failed: {0}")]
    Database(String),
}

impl StorageError {
    /// What the collector should do about it, in one sentence.
    pub fn advice(&self) -> &'static str {
        match self {
            StorageError::Unavailable(_) => "Drawline cannot keep collections on this browser. Open it outside private browsing before collecting.",
            StorageError::QuotaExceeded => "Nothing already saved is lost. Connect to sync the waiting collections, then try again.",
            StorageError::Blocked => "Close the other Drawline tabs or windows, then reload this page. Nothing is lost.",
            StorageError::NewerVersion => "Reload the page. Nothing is lost.",
            StorageError::AlreadyFinalized(_) => "It is safe in the outbox. Go back to the draw list.",
            StorageError::Serialization(_) | StorageError::Database(_) => "Try again. If it keeps failing, call the lab: nothing already saved is lost.",
        }
    }
}

/// One in-progress collection as saved on every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Collection UUID, made on the device when the collection starts.
    pub id: String,
    /// The workflow step the collector was on, so a reload resumes there.
    pub step: String,
    /// When it was last saved (RFC 3339, device clock).
    pub saved_at: String,
    /// The collection itself.
    pub data: serde_json::Value,
}

/// One finalized, immutable collection version waiting to sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    /// `<collection id>/v<version>`: one record per version, so a correction never overwrites.
    pub id: String,
    /// The collection's UUID (shared by its versions).
    pub collection_id: String,
    /// Version number, 1 for the first.
    pub version: u32,
    /// Content hash of the finalized record.
    pub hash: String,
    /// When it was finalized (RFC 3339, device clock).
    pub finalized_at: String,
    /// The finalized record itself.
    pub data: serde_json::Value,
    /// Set when the lab refused this record (conflict or rejected): it is quarantined, kept on
    /// the device with the reason, and no longer sent, so it never blocks the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<Attention>,
}

/// Why an outbox record needs a person: the lab's answer, kept with the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attention {
    /// `conflict` or `rejected`.
    pub outcome: String,
    /// The lab's stable code, when it gave one.
    pub code: Option<String>,
    /// The lab's reason, written for people.
    pub reason: String,
    /// When the device got the answer (RFC 3339, device clock).
    pub at: String,
}

/// A collection version the lab holds, with its receipt: kept so the device can show what was
/// synced and never offers its orders for collection again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// The outbox key it had: `<collection id>/v<version>`.
    pub id: String,
    /// The collection's UUID.
    pub collection_id: String,
    /// Version number.
    pub version: u32,
    /// Content hash the lab confirmed.
    pub hash: String,
    /// Patient id of the collection.
    pub patient_id: String,
    /// The patient as the collector knows them: "Name · MRN".
    pub patient_label: String,
    /// Order ids the collection covered.
    pub order_ids: Vec<String>,
    /// When it was finalized (RFC 3339, device clock).
    pub finalized_at: String,
    /// The lab's receipt (`drawline_domain::api::Receipt`).
    pub receipt: serde_json::Value,
}

impl OutboxItem {
    /// The outbox key of a collection version.
    pub fn key(collection_id: &str, version: u32) -> String {
        format!("{collection_id}/v{version}")
    }
}

/// The operations the app needs from device storage.
#[async_trait::async_trait(?Send)]
pub trait DraftStore {
    /// Saves (inserts or replaces) a draft; resolves only once the write is committed.
    async fn put_draft(&self, draft: &Draft) -> Result<(), StorageError>;
    /// The draft with this id, if any.
    async fn get_draft(&self, id: &str) -> Result<Option<Draft>, StorageError>;
    /// Every draft, ordered by id.
    async fn list_drafts(&self) -> Result<Vec<Draft>, StorageError>;
    /// Removes a draft; removing a missing one is not an error.
    async fn delete_draft(&self, id: &str) -> Result<(), StorageError>;
    /// How many drafts there are.
    async fn count_drafts(&self) -> Result<u32, StorageError>;
    /// How many finalized collections wait in the outbox.
    async fn count_outbox(&self) -> Result<u32, StorageError>;
    /// Adds `item` to the outbox and removes the draft `draft_id`, all or nothing: a collection
    /// is never in neither store nor in both. An outbox item with the same id already there is
    /// [`StorageError::AlreadyFinalized`] and changes nothing.
    async fn finalize(&self, draft_id: &str, item: &OutboxItem) -> Result<(), StorageError>;
    /// Every outbox item, ordered by id.
    async fn list_outbox(&self) -> Result<Vec<OutboxItem>, StorageError>;
    /// Replaces an outbox item (to quarantine it with the lab's reason).
    async fn put_outbox(&self, item: &OutboxItem) -> Result<(), StorageError>;
    /// Records the lab's receipts and removes their outbox items (`receipt.id`), all of the
    /// batch or none of it, in one transaction. Settling an item that already left the outbox
    /// only (re)writes its receipt.
    async fn settle(&self, receipts: &[ReceiptRecord]) -> Result<(), StorageError>;
    /// Every receipt, ordered by id.
    async fn list_receipts(&self) -> Result<Vec<ReceiptRecord>, StorageError>;
    /// A setting's value, if set.
    async fn get_setting(&self, key: &str) -> Result<Option<serde_json::Value>, StorageError>;
    /// Sets a setting.
    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> Result<(), StorageError>;
    /// Removes a setting; removing a missing one is not an error.
    async fn delete_setting(&self, key: &str) -> Result<(), StorageError>;
    /// A downloaded worklist record (`worklist`, `site`), if any.
    async fn get_worklist(&self, id: &str) -> Result<Option<serde_json::Value>, StorageError>;
    /// Replaces a downloaded worklist record.
    async fn put_worklist(&self, id: &str, data: &serde_json::Value) -> Result<(), StorageError>;
}
