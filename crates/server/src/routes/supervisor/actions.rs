//! Supervisor actions on a collection (reviewed, note, resolve a conflict, recollect), each audited.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use uuid::Uuid;

use super::detail::not_found;
use crate::api::{
    push_codes, NoteRequest, RecollectRequest, RecollectResponse, ResolveConflictRequest,
    ResolveHoldRequest, ReviewAction, ReviewEvent, ReviewRequest, MAX_REVIEW_NOTE_CHARS,
};
use crate::auth::{SignedIn, Supervisor};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::trimmed_text;
use crate::store::facts::read_finalized;
use crate::store::{
    CollectionRecords, ConflictResolution, HoldOutcome, HoldResolution, NewReviewEvent,
    RecollectOutcome, Recollection, ResolveOutcome,
};
use crate::{accounts, AppError, AppState};

/// A trimmed note; blank is `None`, too long is refused.
fn note_text(field: &str, text: Option<String>) -> Result<Option<String>, AppError> {
    trimmed_text(field, text, MAX_REVIEW_NOTE_CHARS, "invalid_note")
}

/// What every action on a collection starts from, extracted in this order: the signed-in
/// supervisor, the collection id of the path and the request body.
#[derive(Debug)]
pub struct CollectionAction<T> {
    /// The supervisor taking the action.
    pub who: SignedIn,
    /// The collection acted on.
    pub id: Uuid,
    /// The request body.
    pub req: T,
}

impl<T> FromRequest<AppState> for CollectionAction<T>
where
    ApiJson<T>: FromRequest<AppState, Rejection = AppError>,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let Supervisor(who) = Supervisor::from_request_parts(&mut parts, state).await?;
        let ApiPath(id) = ApiPath::<Uuid>::from_request_parts(&mut parts, state).await?;
        let ApiJson(req) = ApiJson::from_request(Request::from_parts(parts, body), state).await?;
        Ok(Self { who, id, req })
    }
}

fn event(who: &SignedIn, id: Uuid, action: ReviewAction, note: Option<String>) -> NewReviewEvent {
    NewReviewEvent {
        collection_id: id,
        action,
        user: who.user.clone(),
        actor: who.actor(),
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
    CollectionAction { who, id, req }: CollectionAction<ReviewRequest>,
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
    CollectionAction { who, id, req }: CollectionAction<NoteRequest>,
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
    CollectionAction { who, id, req }: CollectionAction<ResolveConflictRequest>,
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

/// Resolves a collection held as collected off round (an order was not on the pushing device's
/// rounds): `release` applies it to the lab as an accepted push would have (its orders take its
/// statuses, its tube labels are bound); `dismiss` leaves the lab's orders as they are. The
/// collection stays stored either way. Recorded as a review and written to the audit log.
#[utoipa::path(post, path = "/supervisor/collections/{id}/hold", tag = "supervisor",
    params(("id" = Uuid, Path, description = "collection id")),
    request_body = ResolveHoldRequest, security(("bearer" = [])),
    responses((status = 200, body = ReviewEvent), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, description = "the lab stores no such collection", body = Problem),
              (status = 409, description = "nothing of the collection is held", body = Problem),
              (status = 415, body = Problem),
              (status = 422, description = "a tube label is another patient's: it cannot be released", body = Problem)))]
pub async fn resolve_hold(
    State(state): State<AppState>,
    CollectionAction { who, id, req }: CollectionAction<ResolveHoldRequest>,
) -> Result<Json<ReviewEvent>, AppError> {
    let note = note_text("the note", req.note)?;
    let resolution = HoldResolution {
        decision: req.decision,
        event: event(&who, id, ReviewAction::Reviewed, note),
    };
    match state.store.resolve_hold(resolution, Utc::now()).await? {
        HoldOutcome::Resolved(e) => {
            tracing::info!(collection = %id, user = %who.user.id, decision = req.decision.as_str(),
                "hold resolved");
            Ok(Json(e))
        }
        HoldOutcome::NotFound => Err(not_found(id)),
        HoldOutcome::NotHeld => Err(AppError::BadRequest {
            status: StatusCode::CONFLICT,
            code: "not_held",
            message: format!("nothing of collection {id} is held for a supervisor"),
        }),
        HoldOutcome::CannotRelease(why) => Err(AppError::unprocessable(
            push_codes::WRONG_BLOOD_IN_TUBE,
            format!("collection {id} cannot be released: {why}"),
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
    CollectionAction { who, id, req }: CollectionAction<RecollectRequest>,
) -> Result<(StatusCode, Json<RecollectResponse>), AppError> {
    crate::instants::check_utc_field("due_at", req.due_at.as_ref())?;
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
