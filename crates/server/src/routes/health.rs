//! Unauthenticated liveness and identity of the server.

use axum::extract::State;
use axum::Json;
use drawline_domain::api::Health;

use crate::error::Problem;
use crate::{AppError, AppState};

/// Liveness: answers only when the database does.
#[utoipa::path(get, path = "/health", tag = "server",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    let site = state.store.site_name().await?;
    Ok(Json(Health {
        status: "ok".into(),
        site,
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
