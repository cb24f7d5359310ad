//! `GET /supervisor/collections/{id}`: everything the lab holds about one collection.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::api::{
    AccessionClash, CollectionDetail, HistoryEntryView, PushAttemptView, RecordOutcome,
    ReviewAction, VersionDetail, VoidView,
};
use crate::auth::Supervisor;
use crate::error::Problem;
use crate::extract::ApiPath;
use crate::review::{self, record_view};
use crate::store::facts::{facts, read_finalized};
use crate::store::CollectionRecords;
use crate::{export, AppError, AppState};

/// The answer for a collection the lab knows nothing about.
pub(super) fn not_found(id: Uuid) -> AppError {
    AppError::NotFound(format!("the lab has no record of collection {id}"))
}

async fn user_names(state: &AppState) -> Result<HashMap<String, String>, AppError> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.display_name))
        .collect())
}

/// When the collection last arrived (stored, or refused): a review before it is out of date.
fn last_arrival(r: &CollectionRecords) -> Option<DateTime<Utc>> {
    let refused = r
        .attempts
        .iter()
        .filter(|a| a.view.outcome != RecordOutcome::Duplicate)
        .map(|a| a.view.received_at)
        .max();
    r.last_received_at.max(refused)
}

fn detail_of(
    state: &AppState,
    id: Uuid,
    r: CollectionRecords,
    names: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> CollectionDetail {
    let skew = state.sync.skew_threshold;
    let late = state.review.late_sync;
    let arrival = last_arrival(&r);
    let reviewed_at = r
        .reviews
        .iter()
        .filter(|e| e.action == ReviewAction::Reviewed)
        .map(|e| e.at)
        .max()
        .filter(|at| arrival.is_none_or(|a| *at >= a));
    let status = if r.versions.is_empty() {
        r.attempts
            .iter()
            .rev()
            .find(|a| a.view.outcome != RecordOutcome::Duplicate)
            .or(r.attempts.last())
            .map_or(RecordOutcome::Rejected, |a| a.view.outcome)
    } else {
        RecordOutcome::Accepted
    };
    let latest = r.versions.last().map(|v| v.view.clone());
    let fhir = export::bundle_of(latest.as_slice(), &state.site, &state.fhir, now);
    let count = r.versions.len();
    let versions = r
        .versions
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let finalized = read_finalized(&v.view.body);
            let facts = finalized.as_ref().map(|f| facts(f.record()));
            VersionDetail {
                version: v.view.version,
                supersedes: v.view.supersedes,
                content_hash: v.view.content_hash,
                device_clock: v.view.device_clock,
                received_at: v.view.received_at,
                clock_skew_seconds: v.view.clock_skew_seconds,
                standing: i + 1 == count,
                resolved_from_attempt: v.resolved_from_attempt,
                flags: review::flags(
                    facts.as_ref(),
                    v.view.version,
                    v.view.clock_skew_seconds,
                    v.view.received_at,
                    skew,
                    late,
                ),
                reason: finalized
                    .as_ref()
                    .and_then(|f| f.record().change_reason().map(str::to_owned)),
                voided: finalized.as_ref().and_then(|f| {
                    f.record().voided().map(|v| VoidView {
                        reason: v.reason.clone(),
                        by: review::person(v.by.as_str(), names),
                        at: v.at.local(),
                    })
                }),
                record: finalized.as_ref().map(|f| record_view(f, names)),
                body: v.view.body,
            }
        })
        .collect();
    let accession_clashes = r
        .clashes
        .into_iter()
        .map(|c| AccessionClash {
            attempt_id: c.attempt_id,
            accession: c.accession,
            holder_patient: c.patient,
            holder_order: c.order_id,
            holder_collection: c.collection_id,
            holder_record: c
                .collection_body
                .as_ref()
                .and_then(read_finalized)
                .map(|f| record_view(&f, names)),
        })
        .collect();
    let attempts = r
        .attempts
        .into_iter()
        .map(|a| PushAttemptView {
            record: a
                .body
                .as_ref()
                .and_then(read_finalized)
                .map(|f| record_view(&f, names)),
            ..a.view
        })
        .collect();
    let history = r
        .history
        .into_iter()
        .map(|h| HistoryEntryView {
            seq: h.seq,
            at: h.at,
            actor: h.actor,
            action: h.action,
            detail: h
                .detail
                .map(|d| serde_json::from_str(&d).unwrap_or(Value::String(d))),
        })
        .collect();
    CollectionDetail {
        collection_id: id,
        device: r.device,
        status,
        latest_version: r.latest_version,
        reviewed_at,
        versions,
        attempts,
        reviews: r.reviews,
        history,
        fhir,
        accession_clashes,
    }
}

/// Everything the lab holds about a collection: every stored version read tube by tube (times,
/// collector, labels, exceptions, flags), the pushes it did not store (resends, conflicts,
/// rejections), review actions, the audit history, and the standing version as FHIR.
#[utoipa::path(get, path = "/supervisor/collections/{id}", tag = "supervisor",
    params(("id" = Uuid, Path, description = "collection id")), security(("bearer" = [])),
    responses((status = 200, body = CollectionDetail), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn detail(
    State(state): State<AppState>,
    Supervisor(supervisor): Supervisor,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CollectionDetail>, AppError> {
    let records = state
        .store
        .collection_records(id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let names = user_names(&state).await?;
    let now = Utc::now();
    // Reading a patient's collection is itself a record: who looked, at what, when.
    state
        .store
        .audit(
            crate::store::AuditEntry {
                actor: supervisor.actor(),
                action: "collection.viewed".into(),
                subject: Some(format!("collection:{id}")),
                detail: None,
            },
            now,
        )
        .await?;
    Ok(Json(detail_of(&state, id, records, &names, now)))
}
