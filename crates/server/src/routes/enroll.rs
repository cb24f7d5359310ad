//! Device enrollment: a one-time code in, a device token out (only its hash is stored).

use axum::extract::State;
use axum::Json;
use chrono::Utc;

use crate::api::{EnrollRequest, EnrollResponse};
use crate::auth::{self, DEVICE_TOKEN_PREFIX};
use crate::error::Problem;
use crate::extract::ApiJson;
use crate::store::AuditEntry;
use crate::{AppError, AppState};

/// Exchanges an enrollment code for the device token (unauthenticated; the code is the credential).
#[utoipa::path(post, path = "/enroll", tag = "devices", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 400, body = Problem),
              (status = 401, description = "unknown, used or expired code", body = Problem)))]
pub async fn enroll(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, AppError> {
    let now = Utc::now();
    let token = auth::new_token(DEVICE_TOKEN_PREFIX);
    let device = state
        .store
        .complete_enrollment(&auth::code_hash(&req.code), &auth::token_hash(&token), now)
        .await?
        .ok_or_else(|| {
            AppError::unauthorized(
                "invalid_enrollment_code",
                "The enrollment code is unknown, already used or expired; ask for a new one.",
            )
        })?;
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
    tracing::info!(device = %device.id, name = %device.name, "device enrolled");
    Ok(Json(EnrollResponse {
        lab_key: None,
        device_id: device.id,
        device_name: device.name,
        token,
    }))
}
