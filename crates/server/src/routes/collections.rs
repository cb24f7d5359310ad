//! Collections a device sent, their versions and receipts, and device heartbeats.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::api::{CollectionSummary, CollectionVersionView, Heartbeat, Receipt, Role};
use crate::auth::{Caller, SignedIn};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::{AppError, AppState};

fn is_supervisor(caller: &SignedIn) -> bool {
    caller.user.role >= Role::Supervisor
}

/// Filter of `GET /collections`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this device's collections (supervisors; others always see only their own device's).
    pub device: Option<Uuid>,
}

/// Collections sent by the calling device, for a person signed in on it (never the bare device
/// token); a signed-in supervisor sees every device's.
#[utoipa::path(get, path = "/collections", tag = "collections", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<CollectionSummary>), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<CollectionSummary>>, AppError> {
    let device = if is_supervisor(&caller) {
        q.device
    } else {
        if q.device.is_some_and(|d| d != caller.device.id) {
            return Err(AppError::forbidden(
                "role_required",
                "Only a supervisor may list another device's collections.",
            ));
        }
        Some(caller.device.id)
    };
    Ok(Json(state.store.list_collections(device).await?))
}

/// Every received version of one collection, oldest first, for a person signed in on the device
/// that sent it (or a supervisor).
#[utoipa::path(get, path = "/collections/{id}", tag = "collections",
    params(("id" = Uuid, Path, description = "collection id")), security(("bearer" = [])),
    responses((status = 200, body = Vec<CollectionVersionView>), (status = 401, body = Problem),
              (status = 404, description = "no such collection, or another device's", body = Problem)))]
pub async fn versions(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<CollectionVersionView>>, AppError> {
    let not_found = || AppError::NotFound(format!("no collection {id} for this device"));
    let owner = state
        .store
        .collection_owner(id)
        .await?
        .ok_or_else(not_found)?;
    // Another device's collection answers exactly like a missing one: ids are not confirmed.
    if owner != caller.device.id && !is_supervisor(&caller) {
        return Err(not_found());
    }
    Ok(Json(state.store.collection_versions(id).await?))
}

/// Filter of `GET /receipts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptsQuery {
    /// Only receipts issued at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
}

/// The server's receipts for the calling device's collections, for a person signed in on it.
#[utoipa::path(get, path = "/receipts", tag = "collections", params(ReceiptsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Receipt>), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn receipts(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiQuery(q): ApiQuery<ReceiptsQuery>,
) -> Result<Json<Vec<Receipt>>, AppError> {
    crate::instants::check_utc_field("since", q.since.as_ref())?;
    Ok(Json(state.store.receipts(caller.device.id, q.since).await?))
}

/// The device reports what it still holds unsynced.
#[utoipa::path(post, path = "/heartbeat", tag = "collections", request_body = Heartbeat,
    security(("bearer" = [])),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 422, body = Problem)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(beat): ApiJson<Heartbeat>,
) -> Result<StatusCode, AppError> {
    crate::instants::check_field("device_clock", beat.device_clock.as_ref())?;
    if beat.last_error.as_ref().is_some_and(|e| e.len() > 2000) {
        return Err(AppError::unprocessable(
            "invalid_body",
            "last_error is longer than 2000 bytes.",
        ));
    }
    state
        .store
        .record_heartbeat(caller.device.id, beat, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
