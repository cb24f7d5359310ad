//! The facts table: what each stored or quarantined record says, for the review queue's filters.

use rusqlite::{params, Connection};
use serde_json::Value;

use super::row::{all, corrupt, ts};
use crate::store::error::StoreError;
use crate::store::facts::facts_of;

/// Stores what a finalized body says, once per (collection, content hash); other bodies are skipped.
pub(super) fn insert_facts(
    c: &Connection,
    collection_id: &str,
    content_hash: &str,
    body: &Value,
) -> Result<(), StoreError> {
    let Some(f) = facts_of(body) else {
        return Ok(());
    };
    let exceptions = if f.exceptions.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&f.exceptions).map_err(corrupt)?)
    };
    c.execute(
        "INSERT OR IGNORE INTO record_facts (collection_id, content_hash, patient_id, patient_mrn,
                patient_name, collector_id, tests, collected_at, outside_window, exceptions,
                manual_identification, wrong_patient_stops, wrong_patient_before_draw, voided)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            collection_id,
            content_hash,
            f.patient_id,
            f.patient_mrn,
            f.patient_name,
            f.collector_id,
            serde_json::to_string(&f.tests).map_err(corrupt)?,
            f.collected_at.map(ts),
            f.outside_window,
            exceptions,
            f.manual_identification,
            f.wrong_patient_stops,
            f.wrong_patient_before_draw,
            f.voided,
        ],
    )?;
    Ok(())
}

/// Fills the facts of versions stored before facts existed (run at every open; cheap when none
/// lack them).
pub(super) fn backfill_facts(c: &mut Connection) -> Result<(), StoreError> {
    let tx = c.transaction()?;
    let missing: Vec<(String, String, String)> = all(
        &tx,
        "SELECT v.collection_id, v.content_hash, v.body FROM collection_versions v
         LEFT JOIN record_facts f ON f.collection_id = v.collection_id AND f.content_hash = v.content_hash
         WHERE f.collection_id IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    for (cid, hash, body) in missing {
        // A body that is not JSON is left without facts; the queue still lists it.
        if let Ok(body) = serde_json::from_str::<Value>(&body) {
            insert_facts(&tx, &cid, &hash, &body)?;
        }
    }
    backfill_identification(&tx)?;
    tx.commit()?;
    Ok(())
}

/// Counts the wrong-patient hard stops of facts stored before those counts existed (migration
/// 6 left them NULL), from the stored version or pushed attempt with the same content.
fn backfill_identification(tx: &Connection) -> Result<(), StoreError> {
    let missing: Vec<(String, String, Option<String>)> = all(
        tx,
        "SELECT f.collection_id, f.content_hash, COALESCE(
             (SELECT v.body FROM collection_versions v
               WHERE v.collection_id = f.collection_id AND v.content_hash = f.content_hash LIMIT 1),
             (SELECT a.body FROM push_attempts a
               WHERE a.collection_id = f.collection_id AND a.content_hash = f.content_hash
                 AND a.body IS NOT NULL LIMIT 1))
         FROM record_facts f WHERE f.wrong_patient_stops IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    for (cid, hash, body) in missing {
        // No readable record: counted as none, so the row is not read again at every open.
        let counts = body
            .and_then(|b| serde_json::from_str::<Value>(&b).ok())
            .and_then(|b| facts_of(&b))
            .map_or((0, 0), |f| {
                (f.wrong_patient_stops, f.wrong_patient_before_draw)
            });
        tx.execute(
            "UPDATE record_facts SET wrong_patient_stops = ?3, wrong_patient_before_draw = ?4
             WHERE collection_id = ?1 AND content_hash = ?2",
            params![cid, hash, counts.0, counts.1],
        )?;
    }
    Ok(())
}
