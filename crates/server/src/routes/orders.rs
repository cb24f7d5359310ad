//! Orders in (FHIR Bundle or CSV) and rounds: which device and collector draw which orders.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts;
use crate::api::{CancelOrderRequest, ImportReport, OrderStatusView, RoundView};
use crate::auth::Supervisor;
use crate::error::Problem;
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::import::{self, Format, ImportError};
use crate::routes::trimmed_text;
use crate::store::{Assignment, AuditEntry, CancelOutcome};
use crate::{AppError, AppState};

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Json(m) => AppError::bad_request("malformed_json", m),
            e @ ImportError::NotABundle(_) => {
                AppError::unprocessable("not_a_bundle", e.to_string())
            }
            e @ ImportError::CsvHeader(_) => AppError::unprocessable("invalid_csv", e.to_string()),
            ImportError::Store(s) => AppError::Storage(s),
        }
    }
}

/// Options of `POST /orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Round for orders that do not name one (CSV `round` column); created when new.
    pub round: Option<String>,
}

/// Imports orders from a FHIR R4 Bundle (`application/fhir+json` or `application/json`) or CSV
/// (`text/csv`; columns documented in `import::csv`). Bad rows are reported, good ones stored;
/// a re-import updates instead of duplicating.
#[utoipa::path(post, path = "/orders", tag = "orders", params(ImportQuery),
    request_body(description = "FHIR Bundle or CSV",
                 content((Object = "application/fhir+json"), (String = "text/csv"))),
    security(("bearer" = [])),
    responses((status = 200, body = ImportReport), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Json<ImportReport>, AppError> {
    let round = q
        .round
        .as_deref()
        .map(|r| accounts::check_name("round", r))
        .transpose()?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let format = Format::detect(content_type, &body);
    let report = import::import(
        state.store.as_ref(),
        format,
        &body,
        &state.site,
        round.as_deref(),
        Utc::now(),
    )
    .await?;
    tracing::info!(user = %who.user.id, created = report.created, updated = report.updated,
        unchanged = report.unchanged, rejected = report.rejected.len(), "orders imported");
    Ok(Json(report))
}

/// Every round and who it is assigned to.
#[utoipa::path(get, path = "/rounds", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = Vec<RoundView>), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn rounds(
    State(state): State<AppState>,
    _: Supervisor,
) -> Result<Json<Vec<RoundView>>, AppError> {
    Ok(Json(state.store.list_rounds().await?))
}

/// Body of `POST /rounds`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoundAssignment {
    /// Round name; created when new.
    pub name: String,
    /// Device that draws the round (`null` to unassign).
    pub device_id: Option<Uuid>,
    /// Collector the round is for (`null` for anyone on the device).
    pub collector_id: Option<Uuid>,
}

/// Creates a round or (re)assigns it to a device and collector.
#[utoipa::path(post, path = "/rounds", tag = "orders", request_body = RoundAssignment,
    security(("bearer" = [])),
    responses((status = 200, body = RoundView), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_round(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiJson(req): ApiJson<RoundAssignment>,
) -> Result<Json<RoundView>, AppError> {
    let name = accounts::check_name("round", &req.name)?;
    if let Some(d) = req.device_id {
        match state.store.device(d).await? {
            Some(device) if device.revoked_at.is_none() => {}
            _ => {
                return Err(AppError::unprocessable(
                    "unknown_device",
                    format!("no usable device {d}"),
                ))
            }
        }
    }
    if let Some(u) = req.collector_id {
        let known = state.store.list_users().await?.iter().any(|x| x.id == u);
        if !known {
            return Err(AppError::unprocessable(
                "unknown_user",
                format!("no user {u}"),
            ));
        }
    }
    let assignment = Assignment {
        device_id: req.device_id,
        collector_id: req.collector_id,
    };
    let round = state.store.upsert_round(&name, assignment).await?;
    state
        .store
        .audit(
            AuditEntry {
                actor: who.actor(),
                action: "round.assigned".into(),
                subject: Some(format!("round:{}", round.id)),
                detail: Some(serde_json::to_string(&req).unwrap_or_default()),
            },
            Utc::now(),
        )
        .await?;
    Ok(Json(round))
}

/// Longest cancellation reason accepted.
pub const MAX_CANCEL_REASON_CHARS: usize = 500;

/// Cancels an order. Devices see it at their next pull with status `cancelled`; a collection
/// already drawn for it is still accepted. Cancelling twice is harmless; an order whose
/// collection reached the lab is not cancelled (409 `already_collected`).
#[utoipa::path(post, path = "/orders/{id}/cancel", tag = "orders", request_body = CancelOrderRequest,
    params(("id" = String, Path, description = "order id")), security(("bearer" = [])),
    responses((status = 200, body = OrderStatusView), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem),
              (status = 409, description = "a collection for the order already reached the lab", body = Problem),
              (status = 422, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CancelOrderRequest>,
) -> Result<Json<OrderStatusView>, AppError> {
    let reason = trimmed_text(
        "the reason",
        req.reason,
        MAX_CANCEL_REASON_CHARS,
        "invalid_reason",
    )?;
    let actor = who.actor();
    match state
        .store
        .cancel_order(&id, reason, actor, Utc::now())
        .await?
    {
        CancelOutcome::Cancelled(v) => {
            tracing::info!(order = %id, user = %who.user.id, "order cancelled");
            Ok(Json(v))
        }
        CancelOutcome::AlreadyCancelled(v) => Ok(Json(v)),
        CancelOutcome::AlreadyCollected(_) => Err(AppError::BadRequest {
            status: axum::http::StatusCode::CONFLICT,
            code: "already_collected",
            message: format!(
                "a collection for order {id} already reached the lab; it is not cancelled"
            ),
        }),
        CancelOutcome::NotFound => Err(AppError::NotFound(format!("no order {id}"))),
    }
}
