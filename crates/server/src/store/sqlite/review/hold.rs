//! Collections held as collected off round: a supervisor releases or dismisses them.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{json, Value};

use super::actions::insert_review;
use crate::api::HoldDecision;
use crate::store::error::StoreError;
use crate::store::facts::{read_finalized, record_orders};
use crate::store::review::{HoldOutcome, HoldResolution};
use crate::store::sqlite::accessions::{bind_labels, first_held_by_another_patient};
use crate::store::sqlite::row::{code_of, corrupt, ts};
use crate::store::sqlite::sync::versions::mark_orders;

/// Releases or dismisses every open hold of a collection. Releasing applies the newest stored
/// version to the lab, as an accepted push would have: its orders' statuses and its labels.
pub(super) fn resolve_hold(
    tx: Transaction<'_>,
    res: HoldResolution,
    at: DateTime<Utc>,
) -> Result<HoldOutcome, StoreError> {
    let cid = res.event.collection_id.to_string();
    let latest: Option<(u32, String)> = tx
        .query_row(
            "SELECT v.version, v.body FROM collections c
             JOIN collection_versions v ON v.collection_id = c.id AND v.version = c.latest_version
             WHERE c.id = ?1",
            [&cid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((version, body)) = latest else {
        return Ok(HoldOutcome::NotFound);
    };
    let held: Vec<u32> = {
        let mut q = tx.prepare(
            "SELECT version FROM held_versions WHERE collection_id = ?1 AND resolution IS NULL
             ORDER BY version",
        )?;
        let rows = q.query_map([&cid], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    if held.is_empty() {
        return Ok(HoldOutcome::NotHeld);
    }
    if res.decision == HoldDecision::Release {
        let body: Value = serde_json::from_str(&body).map_err(corrupt)?;
        let f =
            read_finalized(&body).ok_or_else(|| corrupt("a stored version is not finalized"))?;
        let record = f.record();
        let patient_id = record.patient().id.as_str();
        let labels: Vec<String> = record.accessions().map(ToString::to_string).collect();
        let label_texts = labels.iter().map(String::as_str);
        if let Some(h) = first_held_by_another_patient(&tx, label_texts, &cid, patient_id)? {
            return Ok(HoldOutcome::CannotRelease(h.reason()));
        }
        mark_orders(&tx, &record_orders(record))?;
        bind_labels(&tx, &cid, version, patient_id, &labels, at)?;
    }
    let decision = match res.decision {
        HoldDecision::Release => "released",
        HoldDecision::Dismiss => "dismissed",
    };
    tx.execute(
        "UPDATE held_versions SET resolution = ?2, resolved_at = ?3, resolved_by = ?4
         WHERE collection_id = ?1 AND resolution IS NULL",
        params![cid, decision, ts(at), res.event.actor],
    )?;
    let mut event = res.event;
    event.detail = Some(json!({ "hold": code_of(res.decision), "versions": held }));
    let written = insert_review(&tx, &event, at)?;
    tx.commit()?;
    Ok(HoldOutcome::Resolved(written))
}
