//! Device tokens that are rotated: a tablet trades its token for a new one, without ever being locked out.
//!
//! The old token keeps working until the new one is first used (then it dies at once). A lost
//! answer is therefore harmless: the tablet still holds a working token and asks again, and the
//! unused new token is replaced. There is no grace period in time: a tablet that is off the
//! network for weeks with unsynced collections still gets in.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};

use crate::api::EnrollResponse;
use crate::auth::{self, Caller, DEVICE_TOKEN_PREFIX};
use crate::error::Problem;
use crate::store::AuditEntry;
use crate::{AppError, AppState};

/// Whether a device token issued at `issued_at` is due for rotation at `now`: older than
/// `max_age_days`, or of unknown age (issued before tokens were dated).
pub fn rotation_due(
    issued_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    max_age_days: u32,
) -> bool {
    issued_at.is_none_or(|at| now - at > chrono::Duration::days(i64::from(max_age_days)))
}

/// Issues the calling device a new token (with its device token, or a session on it). The old
/// token works until the new one is first used; asking again before that replaces the new one.
#[utoipa::path(post, path = "/devices/current/token", tag = "devices", security(("bearer" = [])),
    responses((status = 200, description = "the new token, shown once", body = EnrollResponse),
              (status = 401, body = Problem),
              (status = 403, description = "`device_revoked`: the device was revoked", body = Problem)))]
pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<EnrollResponse>, AppError> {
    let now = Utc::now();
    let token = auth::new_token(DEVICE_TOKEN_PREFIX);
    let device = caller.device.clone();
    if !state
        .store
        .rotate_device_token(device.id, &auth::token_hash(&token), now)
        .await?
    {
        // Revoked between the token check and now.
        return Err(auth::device_revoked());
    }
    state
        .store
        .audit(
            AuditEntry {
                actor: caller.actor(),
                action: "device.token_rotated".into(),
                subject: Some(format!("device:{}", device.id)),
                detail: None,
            },
            now,
        )
        .await?;
    tracing::info!(device = %device.id, "device token rotated");
    Ok(Json(EnrollResponse {
        lab_key: Some(state.lab_key.public_jwk().clone()),
        device_id: device.id,
        device_name: device.name,
        token,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_due_for_rotation_only_once_older_than_the_limit_or_undated() {
        let now = Utc::now();
        assert!(!rotation_due(
            Some(now - chrono::Duration::days(29)),
            now,
            30
        ));
        assert!(!rotation_due(
            Some(now - chrono::Duration::days(30)),
            now,
            30
        ));
        assert!(rotation_due(
            Some(now - chrono::Duration::days(30) - chrono::Duration::seconds(1)),
            now,
            30
        ));
        assert!(rotation_due(None, now, 30));
    }
}
