//! What a device downloads before a round: its worklist and the site configuration.

use axum::extract::State;
use axum::Json;
use chrono::Utc;

use crate::api::Worklist;
use crate::auth::{Caller, SignedIn};
use crate::error::Problem;
use crate::{AppError, AppState};

/// The open orders of the rounds assigned to the calling device (and no other device's). Patient
/// data: only for a person signed in on the device, never for the bare device token.
#[utoipa::path(get, path = "/worklist", tag = "worklist", security(("bearer" = [])),
    responses((status = 200, body = Worklist),
              (status = 401, description = "no session: `sign_in_required`", body = Problem)))]
pub async fn worklist(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Worklist>, AppError> {
    Ok(Json(
        state
            .store
            .worklist(signed_in.device.id, Utc::now())
            .await?,
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
