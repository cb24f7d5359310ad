//! Review actions in SQLite: audited review events, and conflict resolution.
//!
//! Resolving a conflict may store the device's version.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{json, Value};
use uuid::Uuid;

use super::records::{review_from, review_select};
use crate::api::{ConflictChoice, RecordOutcome, ReviewAction, ReviewEvent};
use crate::store::error::StoreError;
use crate::store::facts::{read_finalized, record_orders};
use crate::store::review::{ConflictResolution, NewReviewEvent, ResolveOutcome};
use crate::store::sqlite::accessions::{bind_labels, first_held_by_another_patient};
use crate::store::sqlite::audit::audit_json;
use crate::store::sqlite::row::{code_of, corrupt, from_code, ts};
use crate::store::sqlite::sync::versions::{held, insert_version, mark_orders, Arrival};
use crate::store::sync::NewCollectionVersion;

fn audit_action(action: ReviewAction) -> &'static str {
    match action {
        ReviewAction::Reviewed => "collection.reviewed",
        ReviewAction::Note => "collection.noted",
        ReviewAction::ConflictResolved => "collection.conflict_resolved",
        ReviewAction::RecollectionRequested => "collection.recollection_requested",
    }
}

/// Writes a review event and its audit entry inside the caller's transaction.
pub(super) fn insert_review(
    tx: &Transaction<'_>,
    e: &NewReviewEvent,
    at: DateTime<Utc>,
) -> Result<ReviewEvent, StoreError> {
    let cid = e.collection_id.to_string();
    tx.execute(
        "INSERT INTO review_events (collection_id, kind, user_id, actor, at, note, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            cid,
            e.action.as_str(),
            e.user.id.to_string(),
            e.actor,
            ts(at),
            e.note,
            e.detail.as_ref().map(Value::to_string),
        ],
    )?;
    let id = tx.last_insert_rowid();
    // The note is free text (it may name the patient): it stays in `review_events`, which the
    // audit entry points to, and never enters the append-only log.
    let detail = json!({ "review_event": id, "noted": e.note.is_some(), "detail": e.detail });
    audit_json(tx, &e.actor, audit_action(e.action), Some(cid), detail, at)?;
    let sql = format!("{} WHERE r.id = ?1", review_select());
    Ok(tx.query_row(&sql, [id], review_from)?)
}

fn known(tx: &Transaction<'_>, cid: &str) -> Result<bool, StoreError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM collections WHERE id = ?1)
             OR EXISTS (SELECT 1 FROM push_attempts WHERE collection_id = ?1)",
        [cid],
        |r| r.get(0),
    )?)
}

/// Records a review event on a collection the lab knows of.
pub(super) fn add_review(
    tx: Transaction<'_>,
    event: NewReviewEvent,
    at: DateTime<Utc>,
) -> Result<Option<ReviewEvent>, StoreError> {
    if !known(&tx, &event.collection_id.to_string())? {
        return Ok(None);
    }
    let written = insert_review(&tx, &event, at)?;
    tx.commit()?;
    Ok(Some(written))
}

struct AttemptRow {
    collection_id: String,
    device_id: String,
    outcome: String,
    content_hash: Option<String>,
    body: Option<String>,
    device_clock: String,
    skew: i64,
    resolution: Option<String>,
}

/// Resolves a conflicting push: records the choice and, when the device's version stands,
/// stores it.
pub(super) fn resolve_conflict(
    tx: Transaction<'_>,
    res: ConflictResolution,
    at: DateTime<Utc>,
) -> Result<ResolveOutcome, StoreError> {
    let row = tx
        .query_row(
            "SELECT collection_id, device_id, outcome, content_hash, body, device_clock,
                    clock_skew_seconds, resolution
             FROM push_attempts WHERE id = ?1",
            [res.attempt_id],
            |r| {
                Ok(AttemptRow {
                    collection_id: r.get(0)?,
                    device_id: r.get(1)?,
                    outcome: r.get(2)?,
                    content_hash: r.get(3)?,
                    body: r.get(4)?,
                    device_clock: r.get(5)?,
                    skew: r.get(6)?,
                    resolution: r.get(7)?,
                })
            },
        )
        .optional()?;
    let cid = res.event.collection_id.to_string();
    let Some(a) = row.filter(|a| a.collection_id == cid) else {
        return Ok(ResolveOutcome::NotFound);
    };
    if a.outcome != "conflict" {
        let outcome: RecordOutcome = from_code(&a.outcome).ok_or_else(|| corrupt(&a.outcome))?;
        return Ok(ResolveOutcome::NotAConflict(outcome));
    }
    if let Some(done) = a
        .resolution
        .as_deref()
        .and_then(from_code::<ConflictChoice>)
    {
        return Ok(ResolveOutcome::AlreadyResolved(done));
    }
    let keep = code_of(res.keep);
    let mut detail = json!({ "attempt_id": res.attempt_id, "keep": keep });
    if res.keep == ConflictChoice::Device {
        let stand = store_attempt_as_version(
            &tx,
            &a,
            res.event.collection_id,
            res.attempt_id,
            res.skew_threshold_seconds,
            at,
        )?;
        match stand {
            Ok(version) => detail["version"] = json!(version),
            Err(why) => return Ok(ResolveOutcome::CannotStand(why)),
        }
    }
    tx.execute(
        "UPDATE push_attempts SET resolution = ?2, resolved_at = ?3, resolved_by = ?4 WHERE id = ?1",
        params![res.attempt_id, keep, ts(at), res.event.actor],
    )?;
    let mut event = res.event;
    event.detail = Some(detail);
    let written = insert_review(&tx, &event, at)?;
    tx.commit()?;
    Ok(ResolveOutcome::Resolved(written))
}

/// Stores a conflicting push as the lab's newest version; `Err` says why it cannot stand.
fn store_attempt_as_version(
    tx: &Transaction<'_>,
    a: &AttemptRow,
    collection_id: Uuid,
    attempt_id: i64,
    skew_threshold_seconds: i64,
    at: DateTime<Utc>,
) -> Result<Result<u32, String>, StoreError> {
    let (Some(body), Some(hash)) = (&a.body, &a.content_hash) else {
        return Ok(Err("the push carried no readable record".into()));
    };
    let body: Value = serde_json::from_str(body).map_err(corrupt)?;
    let Some(finalized) = read_finalized(&body) else {
        return Ok(Err("the pushed record is not a finalized collection".into()));
    };
    let stored: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM collection_versions WHERE collection_id = ?1 AND content_hash = ?2)",
        params![a.collection_id, hash],
        |r| r.get(0),
    )?;
    if stored {
        return Ok(Err("the lab already holds this version".into()));
    }
    let current = held(tx, &a.collection_id)?;
    if current
        .as_ref()
        .is_some_and(|(owner, _)| *owner != a.device_id)
    {
        return Ok(Err("the collection belongs to another device".into()));
    }
    let latest = current.map(|(_, v)| v);
    let version = latest.map_or(1, |l| l + 1);
    let record = finalized.record();
    // A label another patient holds is never stored, not even by a supervisor's choice.
    let patient_id = record.patient().id.as_str();
    let labels: Vec<String> = record.accessions().map(ToString::to_string).collect();
    let label_texts = labels.iter().map(String::as_str);
    if let Some(h) = first_held_by_another_patient(tx, label_texts, &a.collection_id, patient_id)? {
        return Ok(Err(h.reason()));
    }
    let device_clock = DateTime::parse_from_rfc3339(&a.device_clock).map_err(corrupt)?;
    let v = NewCollectionVersion {
        collection_id,
        version,
        supersedes: latest,
        content_hash: hash.clone(),
        collector_id: Uuid::parse_str(record.started_by().as_str()).ok(),
        device_clock,
        body,
    };
    let by = Arrival {
        device_id: &a.device_id,
        received_at: at,
        clock_skew_seconds: a.skew,
        skew_threshold_seconds,
        resolved_from_attempt: Some(attempt_id),
    };
    // With a receipt, so the device resending the record it holds quarantined hears `duplicate`.
    insert_version(tx, &v, &by, latest.is_none())?;
    // As for a push: a cancelled order stays cancelled.
    mark_orders(tx, &record_orders(record))?;
    bind_labels(tx, &a.collection_id, version, patient_id, &labels, at)?;
    Ok(Ok(version))
}
