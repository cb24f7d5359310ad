//! IndexedDB storage through rexie: opens and upgrades the device database and maps its errors.

use rexie::{ObjectStore, Rexie, TransactionMode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

use super::schema::{DRAFTS, OUTBOX, SCHEMA_VERSION, STORES};
use super::{Draft, DraftStore, StorageError};

/// The device database. Dropping it closes the connection: an open one would
/// block a later schema upgrade or deletion until garbage collection.
pub struct IdbStore {
    db: Option<Rexie>,
}

impl IdbStore {
    /// Opens (creating or upgrading) the database called `name`.
    pub async fn open(name: &str) -> Result<Self, StorageError> {
        let mut builder = Rexie::builder(name).version(SCHEMA_VERSION);
        for (store, key) in STORES {
            builder = builder.add_object_store(ObjectStore::new(store).key_path(key));
        }
        let db = builder.build().await.map_err(map_err)?;
        Ok(Self { db: Some(db) })
    }

    /// Deletes a whole database (tests use a fresh name each and clean up).
    pub async fn delete(name: &str) -> Result<(), StorageError> {
        Rexie::delete(name).await.map_err(map_err)
    }

    /// Closes the connection, as a reload or a killed tab would.
    pub fn close(self) {
        drop(self);
    }

    fn db(&self) -> &Rexie {
        self.db.as_ref().expect("the connection is open until drop")
    }

    async fn count(&self, store: &str) -> Result<u32, StorageError> {
        let tx = self
            .db()
            .transaction(&[store], TransactionMode::ReadOnly)
            .map_err(map_err)?;
        let n = tx
            .store(store)
            .map_err(map_err)?
            .count(None)
            .await
            .map_err(map_err)?;
        tx.done().await.map_err(map_err)?;
        Ok(n)
    }
}

/// Sorts an IndexedDB failure into what the collector can act on.
fn map_err(e: rexie::Error) -> StorageError {
    let text = e.to_string();
    let detail = match &e {
        rexie::Error::IdbError(inner) => format!("{inner:?}"),
        _ => String::new(),
    };
    let all = format!("{text} {detail}");
    if all.contains("QuotaExceeded") {
        StorageError::QuotaExceeded
    } else if all.contains("blocked") || all.contains("Blocked") {
        StorageError::Blocked
    } else if all.contains("not supported") || all.contains("IndexedDbNotFound") {
        StorageError::Unavailable(text)
    } else {
        StorageError::Database(all)
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, StorageError> {
    // json_compatible: maps become plain objects, so IndexedDB key paths resolve.
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| StorageError::Serialization(e.to_string()))
}

fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, StorageError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| StorageError::Serialization(e.to_string()))
}

impl Drop for IdbStore {
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            db.close();
        }
    }
}

#[async_trait::async_trait(?Send)]
impl DraftStore for IdbStore {
    async fn put_draft(&self, draft: &Draft) -> Result<(), StorageError> {
        let tx = self
            .db()
            .transaction(&[DRAFTS], TransactionMode::ReadWrite)
            .map_err(map_err)?;
        tx.store(DRAFTS)
            .map_err(map_err)?
            .put(&to_js(draft)?, None)
            .await
            .map_err(map_err)?;
        // Resolve only when the transaction is complete, never on the request alone.
        tx.done().await.map_err(map_err)?;
        Ok(())
    }

    async fn get_draft(&self, id: &str) -> Result<Option<Draft>, StorageError> {
        let tx = self
            .db()
            .transaction(&[DRAFTS], TransactionMode::ReadOnly)
            .map_err(map_err)?;
        let value = tx
            .store(DRAFTS)
            .map_err(map_err)?
            .get(JsValue::from_str(id))
            .await
            .map_err(map_err)?;
        tx.done().await.map_err(map_err)?;
        value.map(from_js).transpose()
    }

    async fn list_drafts(&self) -> Result<Vec<Draft>, StorageError> {
        let tx = self
            .db()
            .transaction(&[DRAFTS], TransactionMode::ReadOnly)
            .map_err(map_err)?;
        let values = tx
            .store(DRAFTS)
            .map_err(map_err)?
            .get_all(None, None)
            .await
            .map_err(map_err)?;
        tx.done().await.map_err(map_err)?;
        values.into_iter().map(from_js).collect()
    }

    async fn delete_draft(&self, id: &str) -> Result<(), StorageError> {
        let tx = self
            .db()
            .transaction(&[DRAFTS], TransactionMode::ReadWrite)
            .map_err(map_err)?;
        tx.store(DRAFTS)
            .map_err(map_err)?
            .delete(JsValue::from_str(id))
            .await
            .map_err(map_err)?;
        tx.done().await.map_err(map_err)?;
        Ok(())
    }

    async fn count_drafts(&self) -> Result<u32, StorageError> {
        self.count(DRAFTS).await
    }

    async fn count_outbox(&self) -> Result<u32, StorageError> {
        self.count(OUTBOX).await
    }
}
