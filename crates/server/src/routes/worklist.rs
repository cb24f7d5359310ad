//! What a device downloads before a round: its worklist and the site configuration.

use axum::extract::State;
use axum::Json;
use chrono::Utc;

use crate::api::Worklist;
use crate::auth::Caller;
use crate::error::Problem;
use crate::{AppError, AppState};

/// The open orders of the rounds assigned to the calling device (and no other device's).
#[utoipa::path(get, path = "/worklist", tag = "worklist", security(("bearer" = [])),
    responses((status = 200, body = Worklist), (status = 401, body = Problem)))]
pub async fn worklist(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Worklist>, AppError> {
    Ok(Json(
        state.store.worklist(caller.device.id, Utc::now()).await?,
    ))
}

/// The site's order of draw and test catalog, as `drawline_domain::SiteConfig` serialises it.
#[utoipa::path(get, path = "/site", tag = "worklist", security(("bearer" = [])),
    responses((status = 200, description = "`{order_of_draw, catalog}`", body = Object),
              (status = 401, body = Problem)))]
pub async fn site(
    State(state): State<AppState>,
    _caller: Caller,
) -> Json<drawline_domain::SiteConfig> {
    Json(state.site.as_ref().clone())
}
