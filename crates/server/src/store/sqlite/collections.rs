//! Collection versions and receipts in SQLite: idempotent by id and content hash, one transaction per batch.

use chrono::{DateTime, SubsecRound, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use uuid::Uuid;

use super::{audit_in, time_at, ts, uuid_at};
use crate::api::{CollectionSummary, CollectionVersionView, Receipt};
use crate::store::{AuditEntry, NewCollectionVersion, PushOutcome, StoreError};

/// A device clock further than this from the server's is flagged on the receipt (the default of
/// `skew_threshold_minutes`).
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 5 * 60;

fn receipt_from(r: &Row<'_>) -> rusqlite::Result<Receipt> {
    Ok(Receipt {
        id: uuid_at(r, 0)?,
        collection_id: uuid_at(r, 1)?,
        version: r.get(2)?,
        content_hash: r.get(3)?,
        received_at: time_at(r, 4)?,
        clock_skew_flagged: r.get(5)?,
    })
}

const RECEIPT_COLUMNS: &str =
    "id, collection_id, version, content_hash, received_at, clock_skew_flagged";

/// What the server already holds under a pushed collection id.
pub(super) enum Existing {
    /// Another device's collection.
    AnotherDevice,
    /// This very version (same content hash): its original receipt.
    Duplicate(Receipt),
    /// Nothing yet (`None`) or this device's collection at its latest version.
    Current(Option<u32>),
}

pub(super) fn existing(
    tx: &Transaction<'_>,
    device_id: Uuid,
    v: &NewCollectionVersion,
) -> Result<Existing, StoreError> {
    let cid = v.collection_id.to_string();
    let current: Option<(String, u32)> = tx
        .query_row(
            "SELECT device_id, latest_version FROM collections WHERE id = ?1",
            [&cid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((owner, _)) = &current {
        if *owner != device_id.to_string() {
            return Ok(Existing::AnotherDevice);
        }
    }
    let duplicate = tx
        .query_row(
            &format!(
                "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE collection_id = ?1 AND content_hash = ?2"
            ),
            params![cid, v.content_hash],
            receipt_from,
        )
        .optional()?;
    Ok(match duplicate {
        Some(receipt) => Existing::Duplicate(receipt),
        None => Existing::Current(current.map(|(_, latest)| latest)),
    })
}

/// Why a new version cannot follow what the server holds, if it cannot.
pub(super) fn version_conflict(
    tx: &Transaction<'_>,
    latest: Option<u32>,
    v: &NewCollectionVersion,
    supersedes_hash: Option<&str>,
) -> Result<Option<String>, StoreError> {
    Ok(match latest {
        None if v.version != 1 || v.supersedes.is_some() => Some(format!(
            "version {} of a collection the server has never seen; send version 1 first",
            v.version
        )),
        None => None,
        Some(latest) if v.supersedes != Some(latest) => Some(match v.supersedes {
            None => format!(
                "the server holds version {latest} with a different content hash; a correction must name the version it supersedes"
            ),
            Some(s) => format!("the correction supersedes version {s} but the latest is version {latest}"),
        }),
        Some(latest) if v.version != latest + 1 => Some(format!(
            "a correction of version {latest} must be version {}",
            latest + 1
        )),
        Some(latest) => {
            let Some(declared) = supersedes_hash else {
                return Ok(None);
            };
            let held: String = tx.query_row(
                "SELECT content_hash FROM collection_versions WHERE collection_id = ?1 AND version = ?2",
                params![v.collection_id.to_string(), latest],
                |r| r.get(0),
            )?;
            (held != declared).then(|| {
                format!(
                    "the correction supersedes version {latest} with hash {declared}, but the server's version {latest} has hash {held}"
                )
            })
        }
    })
}

/// Stores a new version, its receipt and its audit entry. The caller has checked it may follow.
pub(super) fn store_version(
    tx: &Transaction<'_>,
    device_id: Uuid,
    actor: &str,
    v: &NewCollectionVersion,
    first: bool,
    received_at: DateTime<Utc>,
    skew_threshold_seconds: i64,
) -> Result<Receipt, StoreError> {
    let cid = v.collection_id.to_string();
    let skew = (v.device_clock.with_timezone(&Utc) - received_at).num_seconds();
    let flagged = skew.abs() > skew_threshold_seconds;
    let at = ts(received_at);
    if first {
        tx.execute(
            "INSERT INTO collections (id, device_id, latest_version, first_received_at, last_received_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![cid, device_id.to_string(), v.version, at],
        )?;
    } else {
        tx.execute(
            "UPDATE collections SET latest_version = ?2, last_received_at = ?3 WHERE id = ?1",
            params![cid, v.version, at],
        )?;
    }
    // The primary key and UNIQUE (collection_id, content_hash) make a second copy impossible,
    // whatever the caller checked before.
    tx.execute(
        "INSERT INTO collection_versions (collection_id, version, supersedes, content_hash, body,
                 device_id, collector_id, device_clock, received_at, clock_skew_seconds)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            cid,
            v.version,
            v.supersedes,
            v.content_hash,
            v.body.to_string(),
            device_id.to_string(),
            v.collector_id.map(|u| u.to_string()),
            v.device_clock.to_rfc3339(),
            at,
            skew
        ],
    )?;
    let receipt = Receipt {
        id: Uuid::new_v4(),
        collection_id: v.collection_id,
        version: v.version,
        content_hash: v.content_hash.clone(),
        received_at,
        clock_skew_flagged: flagged,
    };
    tx.execute(
        &format!("INSERT INTO receipts ({RECEIPT_COLUMNS}, device_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            receipt.id.to_string(),
            cid,
            receipt.version,
            receipt.content_hash,
            at,
            flagged,
            device_id.to_string()
        ],
    )?;
    super::review::insert_facts(tx, &cid, &v.content_hash, &v.body)?;
    let entry = AuditEntry {
        actor: actor.to_owned(),
        action: "collection.received".into(),
        subject: Some(cid),
        detail: Some(
            serde_json::json!({
                "version": v.version,
                "content_hash": v.content_hash,
                "clock_skew_seconds": skew,
                "clock_skew_flagged": flagged,
            })
            .to_string(),
        ),
    };
    audit_in(tx, &entry, received_at)?;
    Ok(receipt)
}

fn push_one(
    tx: &Transaction<'_>,
    device_id: Uuid,
    v: &NewCollectionVersion,
    received_at: DateTime<Utc>,
) -> Result<PushOutcome, StoreError> {
    let latest = match existing(tx, device_id, v)? {
        Existing::AnotherDevice => return Ok(PushOutcome::Forbidden),
        Existing::Duplicate(receipt) => return Ok(PushOutcome::Duplicate(receipt)),
        Existing::Current(latest) => latest,
    };
    if let Some(reason) = version_conflict(tx, latest, v, None)? {
        return Ok(PushOutcome::Conflict(reason));
    }
    let receipt = store_version(
        tx,
        device_id,
        &format!("device:{device_id}"),
        v,
        latest.is_none(),
        received_at,
        MAX_CLOCK_SKEW_SECONDS,
    )?;
    Ok(PushOutcome::Accepted(receipt))
}

pub(super) fn push(
    c: &mut Connection,
    device_id: Uuid,
    batch: Vec<NewCollectionVersion>,
    received_at: DateTime<Utc>,
) -> Result<Vec<PushOutcome>, StoreError> {
    // Stored with microseconds: the receipt answered now must equal the one a retry reads back.
    let received_at = received_at.trunc_subsecs(6);
    // IMMEDIATE takes the write lock before the first read, so no other writer can slip in
    // between the duplicate check and the insert.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for v in &batch {
        // Any storage error returns early and drops `tx`, which rolls the whole batch back.
        outcomes.push(push_one(&tx, device_id, v, received_at)?);
    }
    tx.commit()?;
    Ok(outcomes)
}

pub(super) fn list(
    c: &mut Connection,
    device_id: Option<Uuid>,
) -> Result<Vec<CollectionSummary>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT id, device_id, latest_version, first_received_at, last_received_at FROM collections
         WHERE ?1 IS NULL OR device_id = ?1 ORDER BY last_received_at DESC, id",
    )?;
    let rows = stmt
        .query_map([device_id.map(|d| d.to_string())], |r| {
            Ok(CollectionSummary {
                id: uuid_at(r, 0)?,
                device_id: uuid_at(r, 1)?,
                latest_version: r.get(2)?,
                first_received_at: time_at(r, 3)?,
                last_received_at: time_at(r, 4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub(super) const VERSION_COLUMNS: &str =
    "v.collection_id, v.version, v.supersedes, v.content_hash, v.device_clock,
     v.received_at, v.clock_skew_seconds, v.body";

pub(super) fn version_from(r: &Row<'_>) -> rusqlite::Result<CollectionVersionView> {
    let clock: String = r.get(4)?;
    let body: String = r.get(7)?;
    let conv = |i, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    Ok(CollectionVersionView {
        collection_id: uuid_at(r, 0)?,
        version: r.get(1)?,
        supersedes: r.get(2)?,
        content_hash: r.get(3)?,
        device_clock: DateTime::parse_from_rfc3339(&clock).map_err(|e| conv(4, Box::new(e)))?,
        received_at: time_at(r, 5)?,
        clock_skew_seconds: r.get(6)?,
        body: serde_json::from_str(&body).map_err(|e| conv(7, Box::new(e)))?,
    })
}

pub(super) fn versions(
    c: &mut Connection,
    collection_id: Uuid,
) -> Result<Vec<CollectionVersionView>, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {VERSION_COLUMNS} FROM collection_versions v WHERE v.collection_id = ?1 ORDER BY v.version"
    ))?;
    let rows = stmt
        .query_map([collection_id.to_string()], version_from)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub(super) fn owner(c: &mut Connection, collection_id: Uuid) -> Result<Option<Uuid>, StoreError> {
    let owner: Option<String> = c
        .query_row(
            "SELECT device_id FROM collections WHERE id = ?1",
            [collection_id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    owner
        .map(|s| Uuid::parse_str(&s).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

pub(super) fn latest_since(
    c: &mut Connection,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<CollectionVersionView>, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {VERSION_COLUMNS} FROM collection_versions v
         JOIN collections c ON c.id = v.collection_id AND c.latest_version = v.version
         WHERE ?1 IS NULL OR v.received_at >= ?1
         ORDER BY v.received_at, v.collection_id"
    ))?;
    let rows = stmt
        .query_map([since.map(ts)], version_from)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub(super) fn receipts(
    c: &mut Connection,
    device_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<Receipt>, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE device_id = ?1 AND (?2 IS NULL OR received_at >= ?2)
         ORDER BY received_at, collection_id, version"
    ))?;
    let rows = stmt
        .query_map(params![device_id.to_string(), since.map(ts)], receipt_from)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
