//! Supervisor routes for devices: list with their last heartbeat, register, revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use uuid::Uuid;

use crate::accounts::{self, AccountError};
use crate::api::{DeviceHeartbeat, DeviceView, EnrollmentCode, NewDeviceRequest};
use crate::auth::Supervisor;
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::store::AuditEntry;
use crate::{AppError, AppState};

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::InvalidName(m) => AppError::unprocessable("invalid_name", m),
            AccountError::Pin(p) => AppError::unprocessable("invalid_pin", p.to_string()),
            AccountError::Store(s) => AppError::Storage(s),
            AccountError::Busy(b) => AppError::Busy {
                retry_after_secs: b.retry_after_secs,
            },
            AccountError::UnknownUser(name) => AppError::NotFound(format!("no user {name}")),
        }
    }
}

/// Every device, its enrollment state and its latest heartbeat.
#[utoipa::path(get, path = "/devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeviceView>), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _: Supervisor,
) -> Result<Json<Vec<DeviceView>>, AppError> {
    Ok(Json(state.store.list_devices().await?))
}

/// Registers a device (or re-issues a pending device's code) and answers its one-time enrollment code.
#[utoipa::path(post, path = "/devices", tag = "devices", request_body = NewDeviceRequest,
    security(("bearer" = [])),
    responses((status = 201, body = EnrollmentCode), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiJson(req): ApiJson<NewDeviceRequest>,
) -> Result<(StatusCode, Json<EnrollmentCode>), AppError> {
    let actor = who.actor();
    let code =
        accounts::register_device(state.store.as_ref(), &req.name, &actor, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(code)))
}

/// Revokes a device: its token and every session on it stop working at once.
#[utoipa::path(post, path = "/devices/{id}/revoke", tag = "devices",
    params(("id" = Uuid, Path, description = "device id")), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, AppError> {
    let now = Utc::now();
    if !state.store.revoke_device(id, now).await? {
        return Err(AppError::NotFound(format!("no device {id}")));
    }
    state
        .store
        .audit(
            AuditEntry {
                actor: who.actor(),
                action: "device.revoked".into(),
                subject: Some(format!("device:{id}")),
                detail: None,
            },
            now,
        )
        .await?;
    tracing::info!(device = %id, "device revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Filter of `GET /devices/{id}/heartbeats`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HeartbeatsQuery {
    /// At most this many, newest first [default 50, at most 1000].
    pub limit: Option<u32>,
}

/// A device's newest heartbeats (from pushes, pulls and `POST /heartbeat`): queue length, oldest
/// unsynced age, last error, app version and clock skew.
#[utoipa::path(get, path = "/devices/{id}/heartbeats", tag = "devices",
    params(("id" = Uuid, Path, description = "device id"), HeartbeatsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<DeviceHeartbeat>), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn heartbeats(
    State(state): State<AppState>,
    _: Supervisor,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<HeartbeatsQuery>,
) -> Result<Json<Vec<DeviceHeartbeat>>, AppError> {
    if state.store.device(id).await?.is_none() {
        return Err(AppError::NotFound(format!("no device {id}")));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    Ok(Json(state.store.device_heartbeats(id, limit).await?))
}
