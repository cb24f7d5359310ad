//! What a revoked tablet deletes: everything the lab already holds, and every way to unlock it.

use super::error::StorageError;
use super::keys::{
    KEY_WRAPS, NOTICES_ID, PULL_CURSOR, RECENT_USERS, SESSION, SIGNED_IN, SITE, SITE_HASH, WORKLIST,
};
use super::store::DraftStore;

/// What the wipe left on the tablet, sealed or encrypted, for the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// Finalized collections the lab has not acknowledged (each sealed to the lab).
    pub outbox: u32,
    /// Collections still in progress.
    pub drafts: u32,
}

/// Deletes the receipts (the lab holds those collections), the downloaded worklist, the session
/// and every PIN wrap of the data key, so no PIN opens this tablet again; keeps the outbox and
/// the drafts, which the lab does not have. Safe to run again.
pub async fn wipe_delivered(store: &dyn DraftStore) -> Result<Kept, StorageError> {
    for receipt in store.list_receipts().await? {
        store.delete_receipt(&receipt.id).await?;
    }
    for id in [WORKLIST.id, SITE.id, NOTICES_ID] {
        store.delete_worklist(id).await?;
    }
    for key in [
        SESSION.name,
        SIGNED_IN.name,
        KEY_WRAPS.name,
        PULL_CURSOR.name,
        SITE_HASH.name,
        RECENT_USERS.name,
    ] {
        store.delete_setting(key).await?;
    }
    Ok(Kept {
        outbox: store.count_outbox().await?,
        drafts: store.count_drafts().await?,
    })
}
