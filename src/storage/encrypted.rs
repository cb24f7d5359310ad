//! The device database encrypted at rest: patient data reaches IndexedDB only as AES-GCM envelopes under the data key.
//!
//! A decorator over any [`DraftStore`]: what it writes below carries in the clear only ids,
//! times, versions, content hashes, the lab's quarantine answer and the copy sealed to the lab.
//! Each envelope is bound (AES-GCM additional data) to the store and id it belongs to, so a
//! ciphertext copied onto another record does not decrypt.
//!
//! Two writes need no key, because the sync engine makes them while nobody is signed in: a
//! quarantine answer on an outbox record, and settling a record into receipts. Both carry the
//! outbox record's envelope on unchanged (outbox and receipts share its binding). Records
//! written before encryption read back as they are, until [`super::at_rest`] encrypts them.

use std::rc::Rc;

use drawline_domain::api::{seal_aad, PushRecord};
use drawline_domain::FinalizedCollection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::StorageError;
use super::keys::LAB_KEY;
use super::records::{Draft, OutboxItem, ReceiptDetails, ReceiptRecord};
use super::store::DraftStore;
use super::vault::Vault;
use crate::crypto::{self, CryptoError, DataKey, Envelope};

/// Settings that hold a secret: the session's bearer token opens the lab's patient data.
const SECRET_SETTINGS: &[&str] = &["session"];

/// The binding of a draft's envelope.
fn draft_aad(id: &str) -> String {
    format!("drafts/{id}")
}

/// The binding of a finalized version's envelope, in the outbox and then in receipts.
fn record_aad(key: &str) -> String {
    format!("outbox/{key}")
}

fn worklist_aad(id: &str) -> String {
    format!("worklist/{id}")
}

fn setting_aad(key: &str) -> String {
    format!("settings/{key}")
}

/// What a draft's envelope holds.
#[derive(Serialize, Deserialize)]
struct DraftContent {
    step: String,
    data: Value,
}

/// What a receipt's envelope holds when written by an unlocked tablet (a receipt settled while
/// locked holds the finalized record itself, and its details are read out of it).
#[derive(Serialize, Deserialize)]
struct ReceiptContent {
    drawline_receipt: ReceiptDetails,
    #[serde(default)]
    data: Option<Value>,
}

fn from_crypto(e: CryptoError) -> StorageError {
    match e {
        CryptoError::Decrypt(why) | CryptoError::Malformed(why) => StorageError::Undecryptable(why),
        other => StorageError::Database(other.to_string()),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, StorageError> {
    serde_json::to_value(value).map_err(|e| StorageError::Serialization(e.to_string()))
}

/// The device store with patient data encrypted under the [`Vault`]'s data key.
pub struct EncryptedStore {
    inner: Rc<dyn DraftStore>,
    vault: Vault,
}

impl EncryptedStore {
    /// Encrypts what goes into `inner` with the key `vault` holds.
    pub fn new(inner: Rc<dyn DraftStore>, vault: Vault) -> Self {
        Self { inner, vault }
    }

    /// The store underneath, as written (tests read it to prove nothing is in the clear).
    pub fn inner(&self) -> &Rc<dyn DraftStore> {
        &self.inner
    }

    fn key(&self) -> Result<DataKey, StorageError> {
        self.vault.key().ok_or(StorageError::Locked)
    }

    async fn seal_value(&self, aad: &str, value: &Value) -> Result<Value, StorageError> {
        let text =
            serde_json::to_vec(value).map_err(|e| StorageError::Serialization(e.to_string()))?;
        let envelope = self.key()?.encrypt(aad, &text).await.map_err(from_crypto)?;
        to_json(&envelope)
    }

    async fn open_value(&self, aad: &str, stored: Value) -> Result<Value, StorageError> {
        if !Envelope::is_envelope(&stored) {
            // Written before encryption: read as it is until migrated.
            return Ok(stored);
        }
        let envelope: Envelope = serde_json::from_value(stored)
            .map_err(|e| StorageError::Undecryptable(e.to_string()))?;
        let text = self
            .key()?
            .decrypt(aad, &envelope)
            .await
            .map_err(from_crypto)?;
        serde_json::from_slice(&text).map_err(|e| StorageError::Undecryptable(e.to_string()))
    }

    async fn open_draft(&self, stored: Draft) -> Result<Draft, StorageError> {
        if !Envelope::is_envelope(&stored.data) {
            return Ok(stored);
        }
        let content = self.open_value(&draft_aad(&stored.id), stored.data).await?;
        let content: DraftContent = serde_json::from_value(content)
            .map_err(|e| StorageError::Undecryptable(e.to_string()))?;
        Ok(Draft {
            id: stored.id,
            step: content.step,
            saved_at: stored.saved_at,
            data: content.data,
        })
    }

    /// The outbox record as stored: its data in an envelope (unless it already is one) and,
    /// when the tablet knows the lab's key, a copy sealed to the lab. `rewrite` is a record
    /// already on the tablet: one an earlier version stored in the clear is rewritten as it was
    /// while locked (a quarantine answer must not wait for a PIN), and encrypted at the unlock.
    async fn outbox_at_rest(
        &self,
        item: &OutboxItem,
        rewrite: bool,
    ) -> Result<OutboxItem, StorageError> {
        let mut stored = item.clone();
        if Envelope::is_envelope(&item.data) || (rewrite && !self.vault.is_open()) {
            return Ok(stored);
        }
        if stored.sealed.is_none() {
            stored.sealed = self.seal_to_lab(item).await?;
        }
        stored.data = self.seal_value(&record_aad(&item.id), &item.data).await?;
        Ok(stored)
    }

    /// Seals the record for the lab, or `None` when the lab's key is not known yet (the record
    /// is then pushed from the unlocked tablet as it always was) or the record is not a
    /// finalized collection (the push quarantines it, as before).
    async fn seal_to_lab(
        &self,
        item: &OutboxItem,
    ) -> Result<Option<drawline_domain::api::Sealed>, StorageError> {
        let Some(lab) = self.inner.get_setting(LAB_KEY.name).await? else {
            return Ok(None);
        };
        let Ok(lab) = serde_json::from_value(lab) else {
            return Ok(None);
        };
        let Ok(finalized) = crate::json_value::from_value::<FinalizedCollection>(&item.data) else {
            return Ok(None);
        };
        let Ok(id) = item.collection_id.parse::<uuid::Uuid>() else {
            return Ok(None);
        };
        let record = PushRecord::from_finalized(&finalized);
        let text =
            serde_json::to_vec(&record).map_err(|e| StorageError::Serialization(e.to_string()))?;
        // A lab key the browser refuses must never stop a finalize: the record is kept, and
        // goes out from the unlocked tablet as records always did.
        match crypto::seal(&lab, &seal_aad(id, item.version), &text).await {
            Ok(sealed) => Ok(Some(sealed)),
            Err(e) => {
                web_sys::console::warn_1(&format!("not sealed to the lab: {e}").into());
                Ok(None)
            }
        }
    }

    async fn open_outbox(
        &self,
        mut stored: OutboxItem,
        key: bool,
    ) -> Result<OutboxItem, StorageError> {
        if key && Envelope::is_envelope(&stored.data) {
            stored.data = self
                .open_value(&record_aad(&stored.id), stored.data)
                .await?;
        }
        Ok(stored)
    }

    async fn receipt_at_rest(&self, r: &ReceiptRecord) -> Result<ReceiptRecord, StorageError> {
        let carried = r.data.as_ref().is_some_and(Envelope::is_envelope);
        if !carried && !self.vault.is_open() {
            // Settled while locked from a record an earlier version stored in the clear: it
            // stays as it was until the unlock encrypts it; a receipt never waits for a PIN.
            return Ok(r.clone());
        }
        let mut stored = r.clone();
        stored.patient_id = String::new();
        stored.patient_label = String::new();
        stored.order_ids = Vec::new();
        stored.voided = false;
        stored.data = match &r.data {
            // Carried on from the outbox while locked: its details are read out of it later.
            Some(data) if Envelope::is_envelope(data) => Some(data.clone()),
            data => {
                let content = ReceiptContent {
                    drawline_receipt: ReceiptDetails::from_receipt(r),
                    data: data.clone(),
                };
                Some(
                    self.seal_value(&record_aad(&r.id), &to_json(&content)?)
                        .await?,
                )
            }
        };
        Ok(stored)
    }

    async fn open_receipt(&self, mut stored: ReceiptRecord) -> Result<ReceiptRecord, StorageError> {
        let Some(data) = stored.data.take() else {
            return Ok(stored);
        };
        if !Envelope::is_envelope(&data) {
            stored.data = Some(data);
            return Ok(stored);
        }
        let opened = self.open_value(&record_aad(&stored.id), data).await?;
        let (details, data) = match serde_json::from_value::<ReceiptContent>(opened.clone()) {
            Ok(content) => (content.drawline_receipt, content.data),
            Err(_) => (ReceiptDetails::of(&opened), Some(opened)),
        };
        stored.patient_id = details.patient_id;
        stored.patient_label = details.patient_label;
        stored.order_ids = details.order_ids;
        stored.voided = details.voided;
        stored.data = data;
        Ok(stored)
    }
}

#[async_trait::async_trait(?Send)]
impl DraftStore for EncryptedStore {
    async fn put_draft(&self, draft: &Draft) -> Result<(), StorageError> {
        let content = to_json(&DraftContent {
            step: draft.step.clone(),
            data: draft.data.clone(),
        })?;
        let stored = Draft {
            id: draft.id.clone(),
            step: String::new(),
            saved_at: draft.saved_at.clone(),
            data: self.seal_value(&draft_aad(&draft.id), &content).await?,
        };
        self.inner.put_draft(&stored).await
    }

    async fn get_draft(&self, id: &str) -> Result<Option<Draft>, StorageError> {
        match self.inner.get_draft(id).await? {
            Some(d) => Ok(Some(self.open_draft(d).await?)),
            None => Ok(None),
        }
    }

    async fn list_drafts(&self) -> Result<Vec<Draft>, StorageError> {
        let mut out = Vec::new();
        for d in self.inner.list_drafts().await? {
            out.push(self.open_draft(d).await?);
        }
        Ok(out)
    }

    async fn delete_draft(&self, id: &str) -> Result<(), StorageError> {
        self.inner.delete_draft(id).await
    }

    async fn count_drafts(&self) -> Result<u32, StorageError> {
        self.inner.count_drafts().await
    }

    async fn count_outbox(&self) -> Result<u32, StorageError> {
        self.inner.count_outbox().await
    }

    async fn finalize(&self, draft_id: &str, item: &OutboxItem) -> Result<(), StorageError> {
        let stored = self.outbox_at_rest(item, false).await?;
        self.inner.finalize(draft_id, &stored).await
    }

    /// Decrypted while unlocked; while locked, each record's data stays an envelope and its
    /// sealed copy is what can be sent.
    async fn list_outbox(&self) -> Result<Vec<OutboxItem>, StorageError> {
        let key = self.vault.is_open();
        let mut out = Vec::new();
        for item in self.inner.list_outbox().await? {
            out.push(self.open_outbox(item, key).await?);
        }
        Ok(out)
    }

    async fn put_outbox(&self, item: &OutboxItem) -> Result<(), StorageError> {
        let stored = self.outbox_at_rest(item, true).await?;
        self.inner.put_outbox(&stored).await
    }

    async fn settle(&self, receipts: &[ReceiptRecord]) -> Result<(), StorageError> {
        let mut stored = Vec::with_capacity(receipts.len());
        for r in receipts {
            stored.push(self.receipt_at_rest(r).await?);
        }
        self.inner.settle(&stored).await
    }

    /// Decrypted while unlocked; while locked, as stored (ids and the lab's receipts only:
    /// enough to wipe them).
    async fn list_receipts(&self) -> Result<Vec<ReceiptRecord>, StorageError> {
        let stored = self.inner.list_receipts().await?;
        if !self.vault.is_open() {
            return Ok(stored);
        }
        let mut out = Vec::new();
        for r in stored {
            out.push(self.open_receipt(r).await?);
        }
        Ok(out)
    }

    async fn get_setting(&self, key: &str) -> Result<Option<Value>, StorageError> {
        match self.inner.get_setting(key).await? {
            Some(v) => Ok(Some(self.open_value(&setting_aad(key), v).await?)),
            None => Ok(None),
        }
    }

    async fn put_setting(&self, key: &str, value: &Value) -> Result<(), StorageError> {
        if SECRET_SETTINGS.contains(&key) {
            let sealed = self.seal_value(&setting_aad(key), value).await?;
            self.inner.put_setting(key, &sealed).await
        } else {
            self.inner.put_setting(key, value).await
        }
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StorageError> {
        self.inner.delete_setting(key).await
    }

    async fn get_worklist(&self, id: &str) -> Result<Option<Value>, StorageError> {
        match self.inner.get_worklist(id).await? {
            Some(v) => Ok(Some(self.open_value(&worklist_aad(id), v).await?)),
            None => Ok(None),
        }
    }

    async fn put_worklist(&self, id: &str, data: &Value) -> Result<(), StorageError> {
        let sealed = self.seal_value(&worklist_aad(id), data).await?;
        self.inner.put_worklist(id, &sealed).await
    }

    async fn delete_worklist(&self, id: &str) -> Result<(), StorageError> {
        self.inner.delete_worklist(id).await
    }

    async fn delete_receipt(&self, id: &str) -> Result<(), StorageError> {
        self.inner.delete_receipt(id).await
    }

    async fn encrypt_in_place(&self) -> Result<u32, StorageError> {
        super::at_rest::encrypt_in_place(self.inner.as_ref(), self).await
    }
}
