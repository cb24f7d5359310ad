//! The data key at sign-in: the lab hands it out, the tablet opens its vault with it and keeps it wrapped by the PIN.

use drawline_domain::api::SessionResponse;

use crate::crypto::{DataKey, PinWrap};
use crate::error::AppError;
use crate::storage::keys::{SignedIn, TypedRecords, KEY_WRAPS, LAB_KEY, SESSION, SIGNED_IN};
use crate::storage::{boot_hints, DraftStore, Vault};

/// After the lab accepted `pin`: opens the vault with the data key it handed out, keeps that key
/// wrapped by the PIN for offline unlock, stores the session encrypted, and encrypts whatever an
/// earlier version left in the clear.
pub async fn open_at_sign_in(
    store: &dyn DraftStore,
    vault: &Vault,
    session: &SessionResponse,
    pin: &str,
) -> Result<(), AppError> {
    let raw = session.data_key.as_deref().ok_or_else(|| {
        AppError::refused(
            "The lab server did not send this tablet's data key, so nothing could be kept safe on it. The lab server needs updating.",
        )
    })?;
    let key = DataKey::from_raw_b64u(raw)
        .await
        .map_err(|e| AppError::refused(e.to_string()))?;
    let user_id = session.user.id.to_string();
    let wrap = PinWrap::wrap(raw, pin, &user_id, &session.user.username)
        .await
        .map_err(|e| AppError::refused(e.to_string()))?;
    vault.open(key);
    let mut wraps = store.read(KEY_WRAPS).await?.unwrap_or_default();
    wraps.retain(|w| w.user_id != user_id);
    wraps.push(wrap);
    store.write(KEY_WRAPS, &wraps).await?;
    if let Some(lab) = &session.lab_key {
        store.write(LAB_KEY, lab).await?;
    }
    store.write(SESSION, session).await?;
    store
        .write(
            SIGNED_IN,
            &SignedIn {
                user_id,
                username: session.user.username.clone(),
                display_name: session.user.display_name.clone(),
            },
        )
        .await?;
    boot_hints::update(|h| h.signed_in = true);
    crate::unlock::forget_failures(store, &session.user.id.to_string()).await?;
    store.encrypt_in_place().await?;
    Ok(())
}
