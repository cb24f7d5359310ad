//! Signing out on the tablet: the session and the data key leave, every draft and outbox record stays.

use leptos::prelude::*;

use crate::context::{Auth, DeviceDb, Lock};
use crate::storage::boot_hints;
use crate::storage::keys::{TypedRecords, SESSION, SIGNED_IN};
use crate::storage::Vault;

/// Signs whoever is signed in out on this tablet: removes the session and who is signed in
/// from the store and closes the vault. Drafts, the outbox and every person's PIN wrap stay:
/// the next person resumes or sends them, and the first can still unlock later.
pub async fn sign_out(db: DeviceDb, auth: Auth, lock: Lock) {
    if let Ok(store) = db.0.await {
        // A failure here leaves a session that the next start locks; it is never a lost record.
        let _ = store.remove(SESSION).await;
        let _ = store.remove(SIGNED_IN).await;
    }
    lock.vault.with_value(Vault::close);
    boot_hints::update(|h| h.signed_in = false);
    auth.session.set(None);
}
