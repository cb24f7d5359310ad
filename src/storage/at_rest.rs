//! Encrypting in place what an earlier version stored in the clear, record by record, at each unlock.
//!
//! Each record is rewritten by one committed write of the encrypted store, and a record in the
//! clear stays readable until then, so a crash or a closed tab part-way loses nothing: the next
//! unlock carries on where this one stopped.

use crate::crypto::Envelope;

use super::error::StorageError;
use super::keys::{NOTICES_ID, SESSION, SITE, WORKLIST};
use super::store::DraftStore;

/// How many records were still in the clear (or unsealed) and are now encrypted: `raw` is the
/// database as stored, `store` the encrypting store over it.
pub async fn encrypt_in_place(
    raw: &dyn DraftStore,
    store: &dyn DraftStore,
) -> Result<u32, StorageError> {
    let mut done = 0;
    for draft in raw.list_drafts().await? {
        if !Envelope::is_envelope(&draft.data) {
            store.put_draft(&draft).await?;
            done += 1;
        }
    }
    let lab_known = raw.get_setting(super::keys::LAB_KEY.name).await?.is_some();
    let clear: std::collections::HashSet<String> = raw
        .list_outbox()
        .await?
        .into_iter()
        .filter(|i| !Envelope::is_envelope(&i.data))
        .map(|i| i.id)
        .collect();
    // Listed through the store, so an encrypted record comes back decrypted, and is sealed now
    // if the lab's key was not known when it was finalized.
    for item in store.list_outbox().await? {
        if clear.contains(&item.id) || (item.sealed.is_none() && lab_known) {
            store.put_outbox(&item).await?;
            done += 1;
        }
    }
    for receipt in raw.list_receipts().await? {
        if !receipt.data.as_ref().is_some_and(Envelope::is_envelope) {
            store.settle(std::slice::from_ref(&receipt)).await?;
            done += 1;
        }
    }
    for id in [WORKLIST.id, SITE.id, NOTICES_ID] {
        if let Some(value) = raw.get_worklist(id).await? {
            if !Envelope::is_envelope(&value) {
                store.put_worklist(id, &value).await?;
                done += 1;
            }
        }
    }
    if let Some(value) = raw.get_setting(SESSION.name).await? {
        if !Envelope::is_envelope(&value) {
            store.put_setting(SESSION.name, &value).await?;
            done += 1;
        }
    }
    Ok(done)
}
