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
                manual_identification, voided)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
    tx.commit()?;
    Ok(())
}
