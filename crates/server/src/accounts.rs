//! People and devices: the operations the command line and the API share.

use chrono::{DateTime, Utc};

use crate::api::{EnrollmentCode, Role, UserView};
use crate::auth::{self, AuthError};
use crate::pin_pool::{Busy, PinPool};
use crate::store::{AuditEntry, NewUser, Store, StoreError};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A name that is empty, too long or has control characters.
    #[error("{0}")]
    InvalidName(String),
    /// The PIN could not be hashed or is too short.
    #[error(transparent)]
    Pin(#[from] AuthError),
    /// Storage failed or refused (e.g. a taken name).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Every PIN worker stayed busy: try again shortly.
    #[error(transparent)]
    Busy(#[from] Busy),
}

/// Longest device, user or round name accepted.
pub const MAX_NAME_CHARS: usize = 64;

/// Checks a name for a device, user or round.
pub fn check_name(what: &str, name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(AccountError::InvalidName(format!(
            "a {what} name needs 1 to {MAX_NAME_CHARS} printable characters"
        )));
    }
    Ok(name.to_owned())
}

/// Registers a device (or gives a pending one a new code) and returns its one-time enrollment code.
pub async fn register_device(
    store: &dyn Store,
    name: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<EnrollmentCode, AccountError> {
    let name = check_name("device", name)?;
    let code = auth::new_enrollment_code();
    let expires_at = now + auth::ENROLLMENT_CODE_LIFETIME;
    let hash = auth::code_hash(&code);
    let device = match store.device_by_name(&name).await? {
        Some(d) => {
            store.reissue_enrollment(d.id, &hash, expires_at).await?;
            d
        }
        None => store.create_device(&name, &hash, expires_at).await?,
    };
    store
        .audit(
            AuditEntry {
                actor: actor.to_owned(),
                action: "device.registered".into(),
                subject: Some(format!("device:{}", device.id)),
                detail: Some(serde_json::json!({ "name": device.name }).to_string()),
            },
            now,
        )
        .await?;
    Ok(EnrollmentCode {
        device_id: device.id,
        device_name: device.name,
        code,
        expires_at,
    })
}

/// Checks a new PIN against the site's shortest length and hashes it through the bounded
/// Argon2 workers (off the async workers, never more at once than the pool allows).
pub async fn hash_new_pin(
    pins: &PinPool,
    pin: &str,
    min_length: usize,
) -> Result<String, AccountError> {
    if pin.chars().count() < min_length {
        return Err(AccountError::Pin(AuthError::PinShorterThan(min_length)));
    }
    Ok(pins.hash(pin.to_owned()).await??)
}

/// A person to add, as typed.
#[derive(Debug, Clone, Copy)]
pub struct NewPerson<'a> {
    /// Sign-in name.
    pub username: &'a str,
    /// Name on screen and labels.
    pub display_name: &'a str,
    /// Role.
    pub role: Role,
    /// The PIN in the clear (hashed here, never stored or logged).
    pub pin: &'a str,
}

/// Adds a person with a PIN of at least `min_pin_length` characters, hashed through `pins`.
pub async fn add_user(
    store: &dyn Store,
    pins: &PinPool,
    new: NewPerson<'_>,
    min_pin_length: usize,
    actor: &str,
) -> Result<UserView, AccountError> {
    let NewPerson {
        username,
        display_name,
        role,
        pin,
    } = new;
    let username = check_name("user", username)?;
    let display_name = check_name("display", display_name)?;
    let pin_hash = hash_new_pin(pins, pin, min_pin_length).await?;
    let user = store
        .create_user(NewUser {
            username,
            display_name,
            role,
            pin_hash,
        })
        .await?;
    store
        .audit(
            AuditEntry {
                actor: actor.to_owned(),
                action: "user.added".into(),
                subject: Some(format!("user:{}", user.id)),
                detail: Some(
                    serde_json::json!({ "username": user.username, "role": role.as_str() })
                        .to_string(),
                ),
            },
            Utc::now(),
        )
        .await?;
    Ok(user)
}

/// Forgets every failed sign-in of a user on every device, so they can sign in again at once;
/// audited. Answers the user and how many failures were forgotten, or `None` when no such user.
pub async fn unlock_user(
    store: &dyn Store,
    username: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<(UserView, u64)>, AccountError> {
    let Some(user) = store.user_by_username(username.trim()).await? else {
        return Ok(None);
    };
    let cleared = store.clear_user_sign_in_failures(&user.username).await?;
    store
        .audit(
            AuditEntry {
                actor: actor.to_owned(),
                action: "user.unlocked".into(),
                subject: Some(format!("user:{}", user.id)),
                detail: Some(
                    serde_json::json!({ "username": user.username, "cleared_failures": cleared })
                        .to_string(),
                ),
            },
            now,
        )
        .await?;
    Ok(Some((user, cleared)))
}
