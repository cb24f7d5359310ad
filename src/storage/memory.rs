//! In-memory storage with the same behaviour as IndexedDB, for native tests and as a fallback.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::{Draft, DraftStore, StorageError};

/// Drafts and outbox held in memory; lost on reload, so only for tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    drafts: RefCell<BTreeMap<String, Draft>>,
    outbox: RefCell<BTreeMap<String, serde_json::Value>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
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
