//! Recollection in SQLite: copies of orders as new open orders, recorded as a review event.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;
use uuid::Uuid;

use super::actions::insert_review;
use crate::api::RecollectedOrder;
use crate::store::error::StoreError;
use crate::store::review::{RecollectOutcome, Recollection};
use crate::store::sqlite::row::{corrupt, ts};

/// Longest base kept from an original order id, so `<base>-R<n>` stays a valid order id.
const MAX_RECOLLECT_BASE: usize = 58;

/// Copies the orders (all or none), auditing the request.
pub(super) fn recollect(
    tx: Transaction<'_>,
    rec: Recollection,
    at: DateTime<Utc>,
) -> Result<RecollectOutcome, StoreError> {
    let round_id: Option<String> = match &rec.round {
        None => None,
        Some(name) => {
            let id = tx
                .query_row("SELECT id FROM rounds WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?;
            match id {
                Some(id) => Some(id),
                None => return Ok(RecollectOutcome::UnknownRound(name.clone())),
            }
        }
    };
    let reason = rec.event.note.clone();
    let mut made = Vec::with_capacity(rec.order_ids.len());
    for original in &rec.order_ids {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM orders WHERE id = ?1)",
            [original],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(RecollectOutcome::UnknownOrder(original.clone()));
        }
        let base: String = original.chars().take(MAX_RECOLLECT_BASE).collect();
        let mut n = 1u32;
        let id = loop {
            let candidate = format!("{base}-R{n}");
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM orders WHERE id = ?1)",
                [&candidate],
                |r| r.get(0),
            )?;
            if !taken {
                break candidate;
            }
            n += 1;
        };
        // The placer's note stays the note; the supervisor's reason is shown beside it.
        tx.execute(
            "INSERT INTO orders (id, patient_id, test_code, priority, placed_at, due_at,
                    requisition, fasting, location, note, recollection_reason, round_id,
                    imported_at)
             SELECT ?1, patient_id, test_code, priority, ?2, ?3, requisition, fasting, location,
                    note, ?4, COALESCE(?5, round_id), ?2
             FROM orders WHERE id = ?6",
            params![id, ts(at), rec.due_at.map(ts), reason, round_id, original],
        )?;
        let (test, patient_id, round): (String, String, Option<String>) = tx.query_row(
            "SELECT test_code, patient_id, round_id FROM orders WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        made.push(RecollectedOrder {
            id,
            replaces: original.clone(),
            test,
            patient_id,
            round_id: round
                .map(|r| Uuid::parse_str(&r).map_err(corrupt))
                .transpose()?,
        });
    }
    let mut event = rec.event;
    event.detail = Some(json!({
        "orders": made.iter().map(|o| json!({ "id": o.id, "replaces": o.replaces })).collect::<Vec<_>>(),
        "round": rec.round,
        "due_at": rec.due_at,
    }));
    let written = insert_review(&tx, &event, at)?;
    tx.commit()?;
    Ok(RecollectOutcome::Done(made, written))
}
