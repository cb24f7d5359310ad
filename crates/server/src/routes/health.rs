//! Unauthenticated liveness and identity of the server.

use axum::extract::State;
use axum::Json;
use drawline_domain::api::Health;

use crate::{AppError, AppState};

/// `GET /api/v1/health`: answers only when the database does.
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    let site = state.store.site_name().await?;
    Ok(Json(Health {
        status: "ok".into(),
        site,
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
