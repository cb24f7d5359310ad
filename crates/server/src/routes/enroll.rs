//! Device enrollment: a one-time code in, a device token out (only its hash is stored).

use axum::extract::State;
use axum::Json;
use chrono::Utc;

use crate::api::{EnrollRequest, EnrollResponse};
use crate::auth::{self, DEVICE_TOKEN_PREFIX};
use crate::error::Problem;
use crate::extract::ApiJson;
use crate::store::{AuditEntry, DbMarkers};

/// Longest database marker kept (the tablet makes a random one, far shorter).
pub const MAX_MARKER_CHARS: usize = 128;

/// A database marker as sent: absent or blank is none; otherwise visible ASCII, at most
/// [`MAX_MARKER_CHARS`], else 422 `invalid_marker` (the code is not used up).
fn marker(field: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    let Some(text) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if text.len() > MAX_MARKER_CHARS || !text.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::unprocessable(
            "invalid_marker",
            format!("{field} must be at most {MAX_MARKER_CHARS} visible ASCII characters"),
        ));
    }
    Ok(Some(text))
}
use crate::{AppError, AppState};

/// Exchanges an enrollment code for the device token (unauthenticated; the code is the credential).
///
/// The answer carries the lab's public key (`lab_key`). The browser's database marker
/// (`db_marker`) is kept on the device; a `previous_marker` naming another device's marker marks
/// that device's storage as lost (`storage_lost_at` in the devices list, audit
/// `device.storage_lost`).
#[utoipa::path(post, path = "/enroll", tag = "devices", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 400, body = Problem),
              (status = 401, description = "unknown, used or expired code", body = Problem),
              (status = 422, description = "`invalid_marker`: a database marker that is not visible ASCII or is too long", body = Problem)))]
pub async fn enroll(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, AppError> {
    let now = Utc::now();
    let markers = DbMarkers {
        db_marker: marker("db_marker", req.db_marker)?,
        previous_marker: marker("previous_marker", req.previous_marker)?,
    };
    let token = auth::new_token(DEVICE_TOKEN_PREFIX);
    let enrolled = state
        .store
        .complete_enrollment(
            &auth::code_hash(&req.code),
            &auth::token_hash(&token),
            markers,
            now,
        )
        .await?
        .ok_or_else(|| {
            AppError::unauthorized(
                "invalid_enrollment_code",
                "The enrollment code is unknown, already used or expired; ask for a new one.",
            )
        })?;
    let device = enrolled.device;
    state
        .store
        .audit(
            AuditEntry {
                actor: format!("device:{}", device.id),
                action: "device.enrolled".into(),
                subject: Some(format!("device:{}", device.id)),
                detail: None,
            },
            now,
        )
        .await?;
    for lost in &enrolled.storage_lost {
        // Ids only: which tablet lost its storage, and which enrollment said so.
        state
            .store
            .audit(
                AuditEntry {
                    actor: format!("device:{}", device.id),
                    action: "device.storage_lost".into(),
                    subject: Some(format!("device:{lost}")),
                    detail: Some(serde_json::json!({ "enrolled_device": device.id }).to_string()),
                },
                now,
            )
            .await?;
        tracing::warn!(device = %lost, enrolled_as = %device.id, "a tablet's storage was lost: it enrolled again without its database");
    }
    tracing::info!(device = %device.id, name = %device.name, "device enrolled");
    Ok(Json(EnrollResponse {
        lab_key: Some(state.lab_key.public_jwk().clone()),
        device_id: device.id,
        device_name: device.name,
        token,
    }))
}
