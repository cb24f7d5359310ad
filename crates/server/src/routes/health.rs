//! Unauthenticated liveness and identity of the server.

use axum::extract::State;
use axum::Json;
use drawline_domain::api::Health;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Problem;
use crate::{AppError, AppState};

/// OpenAPI shape of `drawline_domain::api::Health` (the domain crate has no schema derive);
/// a test checks that both serialise alike.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Health)]
pub struct HealthDoc {
    /// `"ok"` when the server and its database answer.
    pub status: String,
    /// Display name of the site.
    pub site: String,
    /// Version of the server build.
    pub version: String,
}

/// Liveness: answers only when the database does.
#[utoipa::path(get, path = "/health", tag = "server",
    responses((status = 200, body = HealthDoc), (status = 503, body = Problem)))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    let site = state.store.site_name().await?;
    Ok(Json(Health {
        status: "ok".into(),
        site,
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_health_shape_is_the_one_sent() {
        let sent = Health {
            status: "ok".into(),
            site: "s".into(),
            version: "v".into(),
        };
        let doc = HealthDoc {
            status: "ok".into(),
            site: "s".into(),
            version: "v".into(),
        };
        assert_eq!(
            serde_json::to_value(sent).unwrap(),
            serde_json::to_value(doc).unwrap()
        );
    }
}
