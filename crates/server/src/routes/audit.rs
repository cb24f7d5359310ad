//! The append-only audit log, for supervisors.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Supervisor;
use crate::error::Problem;
use crate::extract::ApiQuery;
use crate::store::AuditRecord;
use crate::{AppError, AppState};

/// Options of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// How many of the newest entries (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// The newest audit entries, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<AuditRecord>), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn audit_log(
    State(state): State<AppState>,
    _: Supervisor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditRecord>>, AppError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(state.store.audit_log(limit).await?))
}
