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
    /// No person has this sign-in name.
    #[error("no user {0}")]
    UnknownUser(String),
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

/// The person with this sign-in name, active or not.
pub async fn find_user(store: &dyn Store, username: &str) -> Result<UserView, AccountError> {
    store
        .user_by_username(username.trim())
        .await?
        .ok_or_else(|| AccountError::UnknownUser(username.trim().to_owned()))
}

/// Whether someone with role `actor` may deactivate, reactivate, reset the PIN of or end the
/// sessions of someone with role `target`: a supervisor manages collectors; only an admin manages
/// supervisors and admins, so a supervisor's stolen session cannot take over another supervisor.
pub fn may_manage(actor: Role, target: Role) -> bool {
    actor == Role::Admin || (actor >= Role::Supervisor && target == Role::Collector)
}

/// Writes one audit entry about a person: their user name and how many sessions ended, never a PIN.
async fn audit_user(
    store: &dyn Store,
    actor: &str,
    action: &str,
    user: &UserView,
    sessions_ended: u32,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    store
        .audit(
            AuditEntry {
                actor: actor.to_owned(),
                action: action.to_owned(),
                subject: Some(format!("user:{}", user.id)),
                detail: Some(
                    serde_json::json!({
                        "username": user.username,
                        "sessions_ended": sessions_ended,
                    })
                    .to_string(),
                ),
            },
            now,
        )
        .await?;
    Ok(())
}

/// A new PIN as typed, with what it is checked against and hashed by.
#[derive(Clone, Copy)]
pub struct NewPin<'a> {
    /// The Argon2 workers the hash waits for.
    pub pins: &'a PinPool,
    /// The PIN in the clear (hashed here, never stored or logged).
    pub pin: &'a str,
    /// The site's shortest PIN.
    pub min_length: usize,
}

/// Stops a person from signing in and ends every session of theirs at once (`active: false`),
/// or lets them sign in again (`active: true`; their ended sessions stay ended). Answers the
/// sessions ended.
pub async fn set_active(
    store: &dyn Store,
    user: &UserView,
    active: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u32, AccountError> {
    let ended = store.set_user_active(user.id, active, now).await?;
    let action = if active {
        "user.activated"
    } else {
        "user.deactivated"
    };
    audit_user(store, actor, action, user, ended, now).await?;
    Ok(ended)
}

/// Gives a person a new PIN chosen for them and ends every session of theirs. Answers the
/// sessions ended.
pub async fn reset_pin(
    store: &dyn Store,
    user: &UserView,
    new: NewPin<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u32, AccountError> {
    let hash = hash_new_pin(new.pins, new.pin, new.min_length).await?;
    let ended = store.set_user_pin(user.id, &hash, None, now).await?;
    audit_user(store, actor, "user.pin_reset", user, ended, now).await?;
    Ok(ended)
}

/// A signed-in person's own new PIN (the old one already checked); every other session of theirs
/// ends, the one whose token hash is `keep` goes on. Answers the sessions ended.
pub async fn change_own_pin(
    store: &dyn Store,
    user: &UserView,
    new: NewPin<'_>,
    keep: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u32, AccountError> {
    let hash = hash_new_pin(new.pins, new.pin, new.min_length).await?;
    let ended = store.set_user_pin(user.id, &hash, Some(keep), now).await?;
    audit_user(store, actor, "user.pin_changed", user, ended, now).await?;
    Ok(ended)
}

/// Ends every live session of a person, on every device. Answers how many.
pub async fn end_sessions(
    store: &dyn Store,
    user: &UserView,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u32, AccountError> {
    let ended = store.end_user_sessions(user.id, now).await?;
    audit_user(store, actor, "user.sessions_ended", user, ended, now).await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_supervisor_manages_collectors_and_only_an_admin_manages_supervisors() {
        assert!(may_manage(Role::Supervisor, Role::Collector));
        assert!(!may_manage(Role::Supervisor, Role::Supervisor));
        assert!(!may_manage(Role::Supervisor, Role::Admin));
        assert!(may_manage(Role::Admin, Role::Supervisor));
        assert!(may_manage(Role::Admin, Role::Admin));
        assert!(!may_manage(Role::Collector, Role::Collector));
    }
}
