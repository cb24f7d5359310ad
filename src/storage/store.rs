//! `DraftStore`: the operations the app needs from device storage.

use super::error::StorageError;
use super::records::{Draft, OutboxItem, ReceiptRecord};

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
    /// Removes a downloaded worklist record; removing a missing one is not an error.
    async fn delete_worklist(&self, id: &str) -> Result<(), StorageError>;
    /// Removes a receipt (the lab holds the collection); removing a missing one is not an error.
    async fn delete_receipt(&self, id: &str) -> Result<(), StorageError>;
    /// Encrypts what an earlier version stored in the clear (only an encrypting store has
    /// anything to do); answers how many records it rewrote.
    async fn encrypt_in_place(&self) -> Result<u32, StorageError> {
        Ok(0)
    }
}
