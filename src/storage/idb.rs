//! IndexedDB storage: the device database behind [`DraftStore`].
//!
//! Ordinary reads and the writes of replaceable data (settings, the downloaded worklist) go
//! through rexie. Two things rexie 0.6 cannot do stay on the small binding in [`super::raw`]:
//! transactions with `{durability: "strict"}` (every draft, finalize, outbox and settle write,
//! and draft deletes: rexie passes no transaction options) and schema upgrades (its builder has
//! no migration hook and drops every store it is not told about). So the database is opened
//! twice at the same version: first by [`raw::open`], which runs our migrations, then by rexie,
//! which then finds nothing to upgrade and so never runs its own upgrade code.

use rexie::{Rexie, TransactionMode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;
use web_sys::{IdbDatabase, IdbObjectStore, IdbTransaction};

use super::error::StorageError;
use super::raw;
use super::records::{Draft, OutboxItem, ReceiptRecord};
use super::schema::{DRAFTS, OUTBOX, RECEIPTS, SCHEMA_VERSION, SETTINGS, WORKLIST};
use super::store::DraftStore;

/// The device database. Dropping it closes the connection: an open one would block a later
/// schema upgrade or deletion until garbage collection.
pub struct IdbStore {
    /// Our connection: strict-durability writes, layout and version.
    db: IdbDatabase,
    /// rexie's connection to the same database, for everything else (taken on drop to close it).
    rexie: Option<Rexie>,
}

impl IdbStore {
    /// Opens (creating or upgrading) the database called `name` at the current schema version.
    pub async fn open(name: &str) -> Result<Self, StorageError> {
        Self::open_at(name, SCHEMA_VERSION).await
    }

    /// Opens `name` at an older or the current schema `version` (tests build old databases
    /// this way to check that an upgrade keeps their data).
    pub async fn open_at(name: &str, version: u32) -> Result<Self, StorageError> {
        let db = raw::open(name, version).await?;
        let rexie = Rexie::builder(name)
            .version(version)
            .build()
            .await
            .map_err(from_rexie)?;
        Ok(Self {
            db,
            rexie: Some(rexie),
        })
    }

    /// Deletes a whole database (tests use a fresh name each and clean up).
    pub async fn delete(name: &str) -> Result<(), StorageError> {
        Rexie::delete(name).await.map_err(from_rexie)
    }

    /// Closes the connection, as a reload or a killed tab would.
    pub fn close(self) {
        drop(self);
    }

    /// The schema version of the open database.
    pub fn version(&self) -> u32 {
        self.db.version() as u32
    }

    /// Store names, and for each the names of its indexes, as the browser reports them.
    pub fn layout(&self) -> Vec<(String, Vec<String>)> {
        let names = self.db.object_store_names();
        let mut out = Vec::new();
        for i in 0..names.length() {
            let Some(store) = names.item(i) else { continue };
            let mut indexes = Vec::new();
            if let Ok(s) = self
                .db
                .transaction_with_str(&store)
                .and_then(|tx| tx.object_store(&store))
            {
                let list = s.index_names();
                for j in 0..list.length() {
                    indexes.extend(list.item(j));
                }
            }
            out.push((store, indexes));
        }
        out
    }

    /// The durability the browser grants the draft and finalize writes (`strict` in Chromium).
    pub fn write_durability(&self) -> Result<Option<String>, StorageError> {
        let tx = raw::strict_transaction(&self.db, &[DRAFTS])?;
        let granted = raw::granted_durability(&tx);
        let _ = tx.abort();
        Ok(granted)
    }

    /// Replaces one record of `store` with strict durability.
    async fn strict_put(&self, store: &str, value: &JsValue) -> Result<(), StorageError> {
        let tx = raw::strict_transaction(&self.db, &[store])?;
        raw::issued(object_store(&tx, store)?.put(value))?;
        raw::done(&tx).await
    }

    fn rexie(&self) -> Result<&Rexie, StorageError> {
        self.rexie
            .as_ref()
            .ok_or_else(|| StorageError::Database("the database is closed".into()))
    }

    fn store(
        &self,
        name: &str,
        mode: TransactionMode,
    ) -> Result<(rexie::Transaction, rexie::Store), StorageError> {
        let tx = self
            .rexie()?
            .transaction(&[name], mode)
            .map_err(from_rexie)?;
        let store = tx.store(name).map_err(from_rexie)?;
        Ok((tx, store))
    }

    async fn count(&self, store: &str) -> Result<u32, StorageError> {
        let (_tx, s) = self.store(store, TransactionMode::ReadOnly)?;
        s.count(None).await.map_err(from_rexie)
    }

    async fn get_value<T: DeserializeOwned>(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        let (_tx, s) = self.store(store, TransactionMode::ReadOnly)?;
        match s.get(JsValue::from_str(key)).await.map_err(from_rexie)? {
            Some(value) if !value.is_undefined() => from_js(value).map(Some),
            _ => Ok(None),
        }
    }

    async fn all_values<T: DeserializeOwned>(&self, store: &str) -> Result<Vec<T>, StorageError> {
        let (_tx, s) = self.store(store, TransactionMode::ReadOnly)?;
        let values = s.get_all(None, None).await.map_err(from_rexie)?;
        values.into_iter().map(from_js).collect()
    }

    /// Replaceable data (settings, the downloaded worklist): default durability is enough.
    async fn put_value(&self, store: &str, value: &JsValue) -> Result<(), StorageError> {
        let (tx, s) = self.store(store, TransactionMode::ReadWrite)?;
        s.put(value, None).await.map_err(from_rexie)?;
        // Resolve only when the transaction is complete, never on the request alone.
        committed(tx).await
    }

    async fn get_named(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<serde_json::Value>, StorageError> {
        let found: Option<Named> = self.get_value(store, key).await?;
        Ok(found.map(|record| record.value))
    }

    async fn put_named(
        &self,
        store: &str,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<(), StorageError> {
        let (key_field, value_field) = named_fields(store);
        let record = js_sys::Object::new();
        let set = |field: &str, v: &JsValue| {
            js_sys::Reflect::set(&record, &JsValue::from_str(field), v)
                .map_err(|e| StorageError::Serialization(format!("{e:?}")))
        };
        set(key_field, &JsValue::from_str(key))?;
        set(value_field, &to_js(value)?)?;
        self.put_value(store, &record).await
    }

    async fn delete_value(&self, store: &str, key: &str) -> Result<(), StorageError> {
        let (tx, s) = self.store(store, TransactionMode::ReadWrite)?;
        s.delete(JsValue::from_str(key)).await.map_err(from_rexie)?;
        committed(tx).await
    }
}

/// Waits for a rexie transaction to commit; an abort is an error.
async fn committed(tx: rexie::Transaction) -> Result<(), StorageError> {
    match tx.done().await.map_err(from_rexie)? {
        rexie::TransactionResult::Committed => Ok(()),
        rexie::TransactionResult::Aborted => {
            Err(StorageError::Database("the transaction was aborted".into()))
        }
    }
}

/// Sorts a rexie failure like our own: the DOM exception's name decides.
fn from_rexie(e: rexie::Error) -> StorageError {
    if let rexie::Error::IdbError(idb::Error::DomException(d)) = &e {
        return raw::classify(&d.name(), &d.message());
    }
    StorageError::Database(e.to_string())
}

fn object_store(tx: &IdbTransaction, name: &str) -> Result<IdbObjectStore, StorageError> {
    tx.object_store(name)
        .map_err(|e| StorageError::Database(format!("opening {name}: {e:?}")))
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

/// The value of a settings (`{key, value}`) or worklist (`{id, data}`) record.
#[derive(serde::Deserialize)]
struct Named {
    #[serde(alias = "data")]
    value: serde_json::Value,
}

/// Settings and worklist records are `{<key field>: key, <value field>: value}`.
fn named_fields(store: &str) -> (&'static str, &'static str) {
    if store == SETTINGS {
        ("key", "value")
    } else {
        ("id", "data")
    }
}

impl Drop for IdbStore {
    fn drop(&mut self) {
        self.db.close();
        if let Some(rexie) = self.rexie.take() {
            rexie.close();
        }
    }
}

#[async_trait::async_trait(?Send)]
impl DraftStore for IdbStore {
    async fn put_draft(&self, draft: &Draft) -> Result<(), StorageError> {
        let value = to_js(draft)?;
        // Autosave is the collector's only copy: wait until it is on disk.
        self.strict_put(DRAFTS, &value).await
    }

    async fn get_draft(&self, id: &str) -> Result<Option<Draft>, StorageError> {
        self.get_value(DRAFTS, id).await
    }

    async fn list_drafts(&self) -> Result<Vec<Draft>, StorageError> {
        self.all_values(DRAFTS).await
    }

    async fn delete_draft(&self, id: &str) -> Result<(), StorageError> {
        let tx = raw::strict_transaction(&self.db, &[DRAFTS])?;
        raw::issued(object_store(&tx, DRAFTS)?.delete(&JsValue::from_str(id)))?;
        raw::done(&tx).await
    }

    async fn count_drafts(&self) -> Result<u32, StorageError> {
        self.count(DRAFTS).await
    }

    async fn count_outbox(&self) -> Result<u32, StorageError> {
        self.count(OUTBOX).await
    }

    async fn finalize(&self, draft_id: &str, item: &OutboxItem) -> Result<(), StorageError> {
        let value = to_js(item)?;
        // One transaction over both stores: IndexedDB commits both requests or neither.
        let tx = raw::strict_transaction(&self.db, &[DRAFTS, OUTBOX])?;
        // `add`, not `put`: an existing version must fail the whole transaction, not be overwritten.
        raw::issued(object_store(&tx, OUTBOX)?.add(&value))?;
        raw::issued(object_store(&tx, DRAFTS)?.delete(&JsValue::from_str(draft_id)))?;
        match raw::done(&tx).await {
            Err(StorageError::Database(why)) if why.starts_with("ConstraintError") => {
                Err(StorageError::AlreadyFinalized(item.id.clone()))
            }
            other => other,
        }
    }

    async fn list_outbox(&self) -> Result<Vec<OutboxItem>, StorageError> {
        self.all_values(OUTBOX).await
    }

    async fn put_outbox(&self, item: &OutboxItem) -> Result<(), StorageError> {
        let value = to_js(item)?;
        self.strict_put(OUTBOX, &value).await
    }

    async fn settle(&self, receipts: &[ReceiptRecord]) -> Result<(), StorageError> {
        if receipts.is_empty() {
            return Ok(());
        }
        let values = receipts.iter().map(to_js).collect::<Result<Vec<_>, _>>()?;
        // One transaction for the batch: a record is in the outbox or in receipts, never lost
        // between them, and one forced flush to disk instead of one per record.
        let tx = raw::strict_transaction(&self.db, &[OUTBOX, RECEIPTS])?;
        let (kept, sent) = (object_store(&tx, RECEIPTS)?, object_store(&tx, OUTBOX)?);
        for (receipt, value) in receipts.iter().zip(&values) {
            raw::issued(kept.put(value))?;
            raw::issued(sent.delete(&JsValue::from_str(&receipt.id)))?;
        }
        raw::done(&tx).await
    }

    async fn list_receipts(&self) -> Result<Vec<ReceiptRecord>, StorageError> {
        self.all_values(RECEIPTS).await
    }

    async fn get_setting(&self, key: &str) -> Result<Option<serde_json::Value>, StorageError> {
        self.get_named(SETTINGS, key).await
    }

    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> Result<(), StorageError> {
        self.put_named(SETTINGS, key, value).await
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StorageError> {
        self.delete_value(SETTINGS, key).await
    }

    async fn get_worklist(&self, id: &str) -> Result<Option<serde_json::Value>, StorageError> {
        self.get_named(WORKLIST, id).await
    }

    async fn put_worklist(&self, id: &str, data: &serde_json::Value) -> Result<(), StorageError> {
        self.put_named(WORKLIST, id, data).await
    }

    async fn delete_worklist(&self, id: &str) -> Result<(), StorageError> {
        self.delete_value(WORKLIST, id).await
    }

    async fn delete_receipt(&self, id: &str) -> Result<(), StorageError> {
        // Strict like every other write of the receipts store: a wipe is not undone by a crash.
        let tx = raw::strict_transaction(&self.db, &[RECEIPTS])?;
        raw::issued(object_store(&tx, RECEIPTS)?.delete(&JsValue::from_str(id)))?;
        raw::done(&tx).await
    }
}
