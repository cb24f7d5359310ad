//! `GET /supervisor/devices`: every device assessed for risk, most at risk first.

use axum::extract::State;
use axum::Json;
use chrono::{SubsecRound, Utc};

use crate::api::DevicesOverview;
use crate::auth::Supervisor;
use crate::error::Problem;
use crate::review;
use crate::{AppError, AppState};

/// Every device with its collector, last contact, sync state, risk level and reasons, most at
/// risk first (thresholds from the server configuration, reported in the answer).
#[utoipa::path(get, path = "/supervisor/devices", tag = "supervisor", security(("bearer" = [])),
    responses((status = 200, body = DevicesOverview), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn devices(
    State(state): State<AppState>,
    _: Supervisor,
) -> Result<Json<DevicesOverview>, AppError> {
    let now = Utc::now().trunc_subsecs(6);
    let skew = state.sync.skew_threshold;
    let mut devices: Vec<_> = state
        .store
        .device_activity()
        .await?
        .iter()
        .map(|a| review::assess(a, &state.review, skew, now))
        .collect();
    review::sort_by_risk(&mut devices);
    Ok(Json(DevicesOverview {
        server_time: now,
        thresholds: state.review.thresholds(skew),
        devices,
        unreadable: state.store.unreadable_rows().await?,
    }))
}
