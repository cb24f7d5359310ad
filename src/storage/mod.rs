//! Device-side storage: the only code that touches IndexedDB, behind a trait with an in-memory twin.

pub mod conformance;
pub mod idb;
pub mod memory;
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
    /// A record could not be turned into or read back from a stored value.
    #[error("a stored record could not be read or written: {0}")]
    Serialization(String),
    /// Any other failure reported by the database.
    #[error("the device database failed: {0}")]
    Database(String),
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
}
