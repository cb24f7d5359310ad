//! In-memory storage with the same behaviour as IndexedDB, for native tests and as a fallback.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::error::StorageError;
use super::records::{Draft, OutboxItem, ReceiptRecord};
use super::schema::{SETTINGS, WORKLIST};
use super::store::DraftStore;

/// Drafts, outbox, settings and worklist held in memory; lost on reload, so only for tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    drafts: RefCell<BTreeMap<String, Draft>>,
    outbox: RefCell<BTreeMap<String, OutboxItem>>,
    receipts: RefCell<BTreeMap<String, ReceiptRecord>>,
    /// Settings and worklist records, by store name and key.
    named: RefCell<BTreeMap<(&'static str, String), serde_json::Value>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn get_named(&self, store: &'static str, key: &str) -> Option<serde_json::Value> {
        self.named.borrow().get(&(store, key.to_owned())).cloned()
    }

    fn put_named(&self, store: &'static str, key: &str, value: &serde_json::Value) {
        self.named
            .borrow_mut()
            .insert((store, key.to_owned()), value.clone());
    }
}

#[async_trait::async_trait(?Send)]
impl DraftStore for MemoryStore {
    async fn put_draft(&self, draft: &Draft) -> Result<(), StorageError> {
        self.drafts
            .borrow_mut()
            .insert(draft.id.clone(), draft.clone());
        Ok(())
    }

    async fn get_draft(&self, id: &str) -> Result<Option<Draft>, StorageError> {
        Ok(self.drafts.borrow().get(id).cloned())
    }

    async fn list_drafts(&self) -> Result<Vec<Draft>, StorageError> {
        Ok(self.drafts.borrow().values().cloned().collect())
    }

    async fn delete_draft(&self, id: &str) -> Result<(), StorageError> {
        self.drafts.borrow_mut().remove(id);
        Ok(())
    }

    async fn count_drafts(&self) -> Result<u32, StorageError> {
        Ok(self.drafts.borrow().len() as u32)
    }

    async fn count_outbox(&self) -> Result<u32, StorageError> {
        Ok(self.outbox.borrow().len() as u32)
    }

    async fn finalize(&self, draft_id: &str, item: &OutboxItem) -> Result<(), StorageError> {
        let mut outbox = self.outbox.borrow_mut();
        if outbox.contains_key(&item.id) {
            return Err(StorageError::AlreadyFinalized(item.id.clone()));
        }
        outbox.insert(item.id.clone(), item.clone());
        self.drafts.borrow_mut().remove(draft_id);
        Ok(())
    }

    async fn list_outbox(&self) -> Result<Vec<OutboxItem>, StorageError> {
        Ok(self.outbox.borrow().values().cloned().collect())
    }

    async fn put_outbox(&self, item: &OutboxItem) -> Result<(), StorageError> {
        self.outbox
            .borrow_mut()
            .insert(item.id.clone(), item.clone());
        Ok(())
    }

    async fn settle(&self, receipts: &[ReceiptRecord]) -> Result<(), StorageError> {
        for receipt in receipts {
            self.outbox.borrow_mut().remove(&receipt.id);
            self.receipts
                .borrow_mut()
                .insert(receipt.id.clone(), receipt.clone());
        }
        Ok(())
    }

    async fn list_receipts(&self) -> Result<Vec<ReceiptRecord>, StorageError> {
        Ok(self.receipts.borrow().values().cloned().collect())
    }

    async fn get_setting(&self, key: &str) -> Result<Option<serde_json::Value>, StorageError> {
        Ok(self.get_named(SETTINGS, key))
    }

    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> Result<(), StorageError> {
        self.put_named(SETTINGS, key, value);
        Ok(())
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StorageError> {
        self.named.borrow_mut().remove(&(SETTINGS, key.to_owned()));
        Ok(())
    }

    async fn get_worklist(&self, id: &str) -> Result<Option<serde_json::Value>, StorageError> {
        Ok(self.get_named(WORKLIST, id))
    }

    async fn put_worklist(&self, id: &str, data: &serde_json::Value) -> Result<(), StorageError> {
        self.put_named(WORKLIST, id, data);
        Ok(())
    }

    async fn delete_worklist(&self, id: &str) -> Result<(), StorageError> {
        self.named.borrow_mut().remove(&(WORKLIST, id.to_owned()));
        Ok(())
    }

    async fn delete_receipt(&self, id: &str) -> Result<(), StorageError> {
        self.receipts.borrow_mut().remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;
    use crate::storage::conformance;

    #[test]
    fn the_memory_store_passes_the_storage_conformance_suite() {
        futures::executor::block_on(async {
            conformance::run_all(|| async { MemoryStore::new() }).await;
        });
    }
}
