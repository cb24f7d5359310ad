//! Supervisor review: devices by risk, the queue of what reached (or failed to reach) the lab,
//! a collection's full detail, and review actions (reviewed, note, resolve, recollect).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::api::{
    CollectionDetail, DevicesOverview, HistoryEntryView, NoteRequest, PushAttemptView, QueueItem,
    QueuePage, QueueQuery, RecollectRequest, RecollectResponse, RecordOutcome,
    ResolveConflictRequest, ReviewAction, ReviewEvent, ReviewRequest, VersionDetail,
    MAX_QUEUE_PAGE, MAX_REVIEW_NOTE_CHARS,
};
use crate::auth::{SignedIn, Supervisor};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::review::{self, read_finalized, record_view};
use crate::store::{
    CollectionRecords, ConflictResolution, NewReviewEvent, QueueFilter, RecollectOutcome,
    Recollection, ResolveOutcome,
};
use crate::{accounts, export, AppError, AppState};

/// Default page size of the review queue.
pub const DEFAULT_QUEUE_PAGE: u32 = 50;

fn actor(who: &SignedIn) -> String {
    format!("user:{}@device:{}", who.user.id, who.device.id)
}

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
    }))
}

const CURSOR_VERSION: &str = "q1";

/// The opaque cursor after a queue item.
pub fn encode_queue_cursor(item: &QueueItem) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{CURSOR_VERSION}|{}|{}",
        item.received_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        item.key
    ))
}

/// Reads a queue cursor this server issued.
pub fn decode_queue_cursor(text: &str) -> Option<(DateTime<Utc>, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(3, '|');
    let (version, at, key) = (parts.next()?, parts.next()?, parts.next()?);
    if version != CURSOR_VERSION || key.is_empty() || key.len() > 64 {
        return None;
    }
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    Some((at, key.to_owned()))
}

fn invalid_query(message: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_query", message)
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t == etag)
}

/// Collections received and pushes refused, newest arrival first, filtered and paged
/// (`next_cursor`). Each item carries its flags (clock skew, synced late, outside the timed
/// window, exception, manual identification, correction) and its review state. Poll cheaply with
/// `changed_since` (the previous `server_time`) or `If-None-Match` (the previous `ETag`: 304 while
/// nothing changed).
#[utoipa::path(get, path = "/supervisor/queue", tag = "supervisor", params(QueueQuery),
    security(("bearer" = [])),
    responses((status = 200, body = QueuePage, headers(("ETag" = String))),
              (status = 304, description = "nothing changed since the `If-None-Match` ETag"),
              (status = 400, description = "unreadable filter or cursor", body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    _: Supervisor,
    uri: Uri,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Response, AppError> {
    // Taken first, so a change made while this answer is built is after it, not lost.
    let now = Utc::now().trunc_subsecs(6);
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from > to {
            return Err(invalid_query("`from` is after `to`"));
        }
    }
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => Some(decode_queue_cursor(text).ok_or_else(|| {
            AppError::bad_request(
                "invalid_cursor",
                "The cursor is not one this server issued; start again without a cursor.",
            )
        })?),
    };
    let blank = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let limit = q
        .limit
        .unwrap_or(DEFAULT_QUEUE_PAGE)
        .clamp(1, MAX_QUEUE_PAGE);
    let filter = QueueFilter {
        query: QueueQuery {
            collector: blank(q.collector),
            patient: blank(q.patient),
            ..q
        },
        after,
        limit,
        skew_threshold_seconds: state.sync.skew_threshold.num_seconds(),
        late_sync_seconds: state.review.late_sync.num_seconds(),
    };
    // The answer is a function of the stored data, the query and the thresholds only.
    let stamp = state.store.review_stamp().await?;
    let digest = Sha256::digest(
        format!(
            "{stamp}|{}|{}|{}",
            uri.query().unwrap_or(""),
            filter.skew_threshold_seconds,
            filter.late_sync_seconds
        )
        .as_bytes(),
    );
    let etag = format!("W/\"{}\"", &hex::encode(digest)[..32]);
    let etag_value = HeaderValue::from_str(&etag)
        .map_err(|e| AppError::bad_request("invalid_query", e.to_string()))?;
    let cache = HeaderValue::from_static("private, no-cache");
    if if_none_match(&headers, &etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let rows = state.store.review_queue(filter).await?;
    let next_cursor = rows
        .has_more
        .then(|| rows.items.last().map(encode_queue_cursor))
        .flatten();
    let page = QueuePage {
        server_time: now,
        total: rows.total,
        items: rows.items,
        next_cursor,
    };
    Ok((
        [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        Json(page),
    )
        .into_response())
}

fn not_found(id: Uuid) -> AppError {
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
        .filter(|a| a.outcome != RecordOutcome::Duplicate)
        .map(|a| a.received_at)
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
            .find(|a| a.outcome != RecordOutcome::Duplicate)
            .or(r.attempts.last())
            .map_or(RecordOutcome::Rejected, |a| a.outcome)
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
            let facts = finalized.as_ref().map(|f| review::facts(f.record()));
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
                record: finalized.as_ref().map(|f| record_view(f, names)),
                body: v.view.body,
            }
        })
        .collect();
    let attempts = r
        .attempts
        .into_iter()
        .map(|a| PushAttemptView {
            id: a.id,
            device: a.device,
            version: a.version,
            outcome: a.outcome,
            code: a.code,
            reason: a.reason,
            content_hash: a.content_hash,
            received_at: a.received_at,
            clock_skew_seconds: a.clock_skew_seconds,
            resolution: a.resolution,
            superseded: a.resolution == Some(crate::api::ConflictChoice::Lab),
            resolved_at: a.resolved_at,
            resolved_by: a.resolved_by,
            record: a
                .body
                .as_ref()
                .and_then(read_finalized)
                .map(|f| record_view(&f, names)),
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
    _: Supervisor,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CollectionDetail>, AppError> {
    let records = state
        .store
        .collection_records(id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let names = user_names(&state).await?;
    Ok(Json(detail_of(&state, id, records, &names, Utc::now())))
}

/// A trimmed note; blank is `None`, too long is refused.
fn note_text(field: &str, text: Option<String>) -> Result<Option<String>, AppError> {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_REVIEW_NOTE_CHARS)
    {
        return Err(AppError::unprocessable(
            "invalid_note",
            format!("{field} is longer than {MAX_REVIEW_NOTE_CHARS} characters"),
        ));
    }
    Ok(text)
}

fn event(who: &SignedIn, id: Uuid, action: ReviewAction, note: Option<String>) -> NewReviewEvent {
    NewReviewEvent {
        collection_id: id,
        action,
        user: who.user.clone(),
        actor: actor(who),
        note,
        detail: None,
    }
}

async fn add(
    state: &AppState,
    who: &SignedIn,
    id: Uuid,
    action: ReviewAction,
    note: Option<String>,
) -> Result<(StatusCode, Json<ReviewEvent>), AppError> {
    let written = state
        .store
        .add_review(event(who, id, action, note), Utc::now())
        .await?
        .ok_or_else(|| not_found(id))?;
    tracing::info!(collection = %id, user = %who.user.id, action = action.as_str(), "review action");
    Ok((StatusCode::CREATED, Json(written)))
}

/// Marks a collection reviewed (optionally with a note). A later arrival (a correction, a
/// refused push) makes it unreviewed again. Written to the audit log.
#[utoipa::path(post, path = "/supervisor/collections/{id}/review", tag = "supervisor",
    params(("id" = Uuid, Path, description = "collection id")), request_body = ReviewRequest,
    security(("bearer" = [])),
    responses((status = 201, body = ReviewEvent), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn mark_reviewed(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> Result<(StatusCode, Json<ReviewEvent>), AppError> {
    let note = note_text("the note", req.note)?;
    add(&state, &who, id, ReviewAction::Reviewed, note).await
}

/// Adds a note to a collection's history. Written to the audit log.
#[utoipa::path(post, path = "/supervisor/collections/{id}/notes", tag = "supervisor",
    params(("id" = Uuid, Path, description = "collection id")), request_body = NoteRequest,
    security(("bearer" = [])),
    responses((status = 201, body = ReviewEvent), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_note(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<NoteRequest>,
) -> Result<(StatusCode, Json<ReviewEvent>), AppError> {
    let note = note_text("the note", Some(req.text))?
        .ok_or_else(|| AppError::unprocessable("invalid_note", "the note is empty"))?;
    add(&state, &who, id, ReviewAction::Note, Some(note)).await
}

/// Resolves a conflicting push (`attempt_id` of the queue item) by choosing the version that
/// stands: `lab` keeps the lab's version and marks the push superseded; `device` stores the push
/// as the lab's newest version (numbered after the lab's; the earlier one stays, superseded) and
/// updates its orders. Written to the audit log.
#[utoipa::path(post, path = "/supervisor/collections/{id}/resolve", tag = "supervisor",
    params(("id" = Uuid, Path, description = "collection id")),
    request_body = ResolveConflictRequest, security(("bearer" = [])),
    responses((status = 200, body = ReviewEvent), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, description = "no such conflict on this collection", body = Problem),
              (status = 409, description = "already resolved, or not a conflict", body = Problem),
              (status = 422, description = "the push cannot stand", body = Problem)))]
pub async fn resolve(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ResolveConflictRequest>,
) -> Result<Json<ReviewEvent>, AppError> {
    let note = note_text("the note", req.note)?;
    let resolution = ConflictResolution {
        attempt_id: req.attempt_id,
        keep: req.keep,
        skew_threshold_seconds: state.sync.skew_threshold.num_seconds(),
        event: event(&who, id, ReviewAction::ConflictResolved, note),
    };
    let conflict = |code: &'static str, message: String| AppError::BadRequest {
        status: StatusCode::CONFLICT,
        code,
        message,
    };
    match state.store.resolve_conflict(resolution, Utc::now()).await? {
        ResolveOutcome::Resolved(e) => {
            tracing::info!(collection = %id, attempt = req.attempt_id, user = %who.user.id,
                keep = ?req.keep, "conflict resolved");
            Ok(Json(e))
        }
        ResolveOutcome::NotFound => Err(AppError::NotFound(format!(
            "collection {id} has no push attempt {}",
            req.attempt_id
        ))),
        ResolveOutcome::NotAConflict(outcome) => Err(conflict(
            "not_a_conflict",
            format!(
                "push attempt {} was {}, not a conflict; only conflicts are resolved",
                req.attempt_id,
                serde_json::to_value(outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
        )),
        ResolveOutcome::AlreadyResolved(choice) => Err(conflict(
            "already_resolved",
            format!(
                "push attempt {} was already resolved (the {} version stands)",
                req.attempt_id,
                match choice {
                    crate::api::ConflictChoice::Lab => "lab's",
                    crate::api::ConflictChoice::Device => "device's",
                }
            ),
        )),
        ResolveOutcome::CannotStand(why) => Err(AppError::unprocessable(
            "cannot_stand",
            format!("push attempt {} cannot stand: {why}", req.attempt_id),
        )),
    }
}

/// The order ids of the newest readable record of a collection (stored, else pushed).
fn collection_orders(r: &CollectionRecords) -> Option<Vec<String>> {
    let stored = r.versions.iter().rev().map(|v| &v.view.body);
    let pushed = r.attempts.iter().rev().filter_map(|a| a.body.as_ref());
    stored.chain(pushed).find_map(|body| {
        read_finalized(body).map(|f| {
            f.record()
                .orders()
                .iter()
                .map(|o| o.id.to_string())
                .collect()
        })
    })
}

/// Asks for a collection's orders (all, or those named) to be collected again: each becomes a new
/// open order `<order>-R<n>` for the same patient and test, on the same round (or the one named),
/// which the round's device pulls. Written to the audit log.
#[utoipa::path(post, path = "/supervisor/collections/{id}/recollect", tag = "supervisor",
    params(("id" = Uuid, Path, description = "collection id")), request_body = RecollectRequest,
    security(("bearer" = [])),
    responses((status = 201, body = RecollectResponse), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn recollect(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RecollectRequest>,
) -> Result<(StatusCode, Json<RecollectResponse>), AppError> {
    let reason = note_text("the reason", Some(req.reason))?.ok_or_else(|| {
        AppError::unprocessable("invalid_reason", "a recollection needs a reason")
    })?;
    let round = req
        .round
        .as_deref()
        .map(|r| accounts::check_name("round", r))
        .transpose()?;
    let records = state
        .store
        .collection_records(id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let ordered = collection_orders(&records).ok_or_else(|| {
        AppError::unprocessable(
            "no_orders",
            format!("the lab holds no readable record of collection {id}, so no orders to copy"),
        )
    })?;
    let order_ids = match req.orders {
        None => ordered,
        Some(wanted) if wanted.is_empty() => {
            return Err(AppError::unprocessable(
                "invalid_orders",
                "orders is empty; leave it out to collect every order again",
            ))
        }
        Some(wanted) => {
            if let Some(stray) = wanted.iter().find(|o| !ordered.contains(o)) {
                return Err(AppError::unprocessable(
                    "not_in_collection",
                    format!("order {stray} is not one of collection {id}'s orders"),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            wanted
                .into_iter()
                .filter(|o| seen.insert(o.clone()))
                .collect()
        }
    };
    let rec = Recollection {
        order_ids,
        round,
        due_at: req.due_at,
        event: event(&who, id, ReviewAction::RecollectionRequested, Some(reason)),
    };
    match state.store.recollect(rec, Utc::now()).await? {
        RecollectOutcome::Done(orders, event) => {
            tracing::info!(collection = %id, user = %who.user.id, orders = orders.len(),
                "recollection requested");
            Ok((
                StatusCode::CREATED,
                Json(RecollectResponse { orders, event }),
            ))
        }
        RecollectOutcome::UnknownOrder(o) => Err(AppError::unprocessable(
            "unknown_order",
            format!("order {o} is not known to the lab"),
        )),
        RecollectOutcome::UnknownRound(r) => Err(AppError::unprocessable(
            "unknown_round",
            format!("there is no round named {r}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_cursor_reads_back_and_garbage_is_not_a_cursor() {
        let at = Utc::now().trunc_subsecs(6);
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("q1|{}|c:abc", at.to_rfc3339()));
        assert_eq!(decode_queue_cursor(&text), Some((at, "c:abc".into())));
        for bad in ["", "x", "cTE", "cTJ8eHx5"] {
            assert_eq!(decode_queue_cursor(bad), None, "{bad}");
        }
    }
}
