//! Collections out as FHIR R4: a searchset Bundle of Specimen and Task resources.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Supervisor;
use crate::error::Problem;
use crate::extract::ApiQuery;
use crate::{export, AppError, AppState};

/// Filter of `GET /fhir/Specimen`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpecimenQuery {
    /// Only collections received at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
}

/// The newest version of each received collection as Specimens (drawn tubes) and Tasks (not collected).
#[utoipa::path(get, path = "/fhir/Specimen", tag = "fhir", params(SpecimenQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "FHIR R4 Bundle (searchset)", body = Object,
               content_type = "application/fhir+json"),
              (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn specimens(
    State(state): State<AppState>,
    Supervisor(supervisor): Supervisor,
    ApiQuery(q): ApiQuery<SpecimenQuery>,
) -> Result<impl IntoResponse, AppError> {
    crate::instants::check_utc_field("since", q.since.as_ref())?;
    let now = Utc::now();
    let bundle =
        export::specimen_bundle(state.store.as_ref(), &state.site, &state.fhir, q.since, now)
            .await?;
    // An export reads every patient's collections at once: audited like a single read.
    let entries = bundle["entry"].as_array().map_or(0, Vec::len);
    state
        .store
        .audit(
            crate::store::AuditEntry {
                actor: supervisor.actor(),
                action: "fhir.exported".into(),
                subject: None,
                detail: Some(
                    serde_json::json!({ "entries": entries, "since": q.since }).to_string(),
                ),
            },
            now,
        )
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/fhir+json")],
        Json(bundle),
    ))
}
