//! Collection versions and their receipts in SQLite.
//!
//! What the lab holds under an id, whether a new version may follow it, and storing one (by a push
//! or by a supervisor's resolution).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use uuid::Uuid;

use crate::api::{CollectionVersionView, Receipt};
use crate::store::error::StoreError;
use crate::store::sqlite::facts::insert_facts;
use crate::store::sqlite::row::{clock_at, conversion, time_at, ts, uuid_at};
use crate::store::sync::{NewCollectionVersion, RecordOrder};

/// Columns [`receipt_from`] reads.
pub(in crate::store::sqlite) const RECEIPT_COLUMNS: &str =
    "id, collection_id, version, content_hash, received_at, clock_skew_flagged";

/// Reads a receipt from [`RECEIPT_COLUMNS`].
pub(in crate::store::sqlite) fn receipt_from(r: &Row<'_>) -> rusqlite::Result<Receipt> {
    Ok(Receipt {
        id: uuid_at(r, 0)?,
        collection_id: uuid_at(r, 1)?,
        version: r.get(2)?,
        content_hash: r.get(3)?,
        received_at: time_at(r, 4)?,
        clock_skew_flagged: r.get(5)?,
    })
}

/// Columns [`version_from`] reads, for a `collection_versions v` query; more may follow them.
pub(in crate::store::sqlite) const VERSION_COLUMNS: &str =
    "v.collection_id, v.version, v.supersedes, v.content_hash, v.device_clock,
     v.received_at, v.clock_skew_seconds, v.body";

/// Reads a version from [`VERSION_COLUMNS`].
pub(in crate::store::sqlite) fn version_from(
    r: &Row<'_>,
) -> rusqlite::Result<CollectionVersionView> {
    let body: String = r.get(7)?;
    Ok(CollectionVersionView {
        collection_id: uuid_at(r, 0)?,
        version: r.get(1)?,
        supersedes: r.get(2)?,
        content_hash: r.get(3)?,
        device_clock: clock_at(r, 4)?,
        received_at: time_at(r, 5)?,
        clock_skew_seconds: r.get(6)?,
        body: serde_json::from_str(&body).map_err(|e| conversion(7, e))?,
    })
}

/// A version row's id for the unreadable-rows list: `collection id/version`, from [`VERSION_COLUMNS`].
pub(in crate::store::sqlite) fn version_id(r: &Row<'_>) -> crate::store::sqlite::unreadable::RowId {
    use crate::store::sqlite::unreadable::text_at;
    (
        "collection_version",
        format!("{}/{}", text_at(r, 0), text_at(r, 1)),
    )
}

/// What the server already holds under a pushed collection id.
pub(in crate::store::sqlite) enum Existing {
    /// Another device's collection.
    AnotherDevice,
    /// This very version (same content hash): its original receipt.
    Duplicate(Receipt),
    /// Nothing yet (`None`) or this device's collection at its latest version.
    Current(Option<u32>),
}

/// The owner and latest version of a collection, when the lab holds it.
pub(in crate::store::sqlite) fn held(
    tx: &Transaction<'_>,
    collection_id: &str,
) -> Result<Option<(String, u32)>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT device_id, latest_version FROM collections WHERE id = ?1",
            [collection_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// What the lab holds under the id `v` carries, as seen by the device pushing it.
pub(in crate::store::sqlite) fn existing(
    tx: &Transaction<'_>,
    device_id: Uuid,
    v: &NewCollectionVersion,
) -> Result<Existing, StoreError> {
    let cid = v.collection_id.to_string();
    let current = held(tx, &cid)?;
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
pub(in crate::store::sqlite) fn version_conflict(
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

/// How a version comes to be stored: who sent it, when it arrived, and its clock skew then.
pub(in crate::store::sqlite) struct Arrival<'a> {
    /// The device that pushed it.
    pub device_id: &'a str,
    /// When the lab stores it.
    pub received_at: DateTime<Utc>,
    /// Device minus server clock when it was pushed.
    pub clock_skew_seconds: i64,
    /// Skew beyond which its receipt is flagged.
    pub skew_threshold_seconds: i64,
    /// The conflicting push a supervisor let stand, when that is how it is stored.
    pub resolved_from_attempt: Option<i64>,
}

/// Stores a version, moves its collection to it, writes its receipt and its facts. The caller has
/// checked it may follow what the lab holds.
pub(in crate::store::sqlite) fn insert_version(
    tx: &Transaction<'_>,
    v: &NewCollectionVersion,
    by: &Arrival<'_>,
    first: bool,
) -> Result<Receipt, StoreError> {
    let (cid, at) = (v.collection_id.to_string(), ts(by.received_at));
    if first {
        tx.execute(
            "INSERT INTO collections (id, device_id, latest_version, first_received_at, last_received_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![cid, by.device_id, v.version, at],
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
                 device_id, collector_id, device_clock, received_at, clock_skew_seconds,
                 resolved_from_attempt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            cid,
            v.version,
            v.supersedes,
            v.content_hash,
            v.body.to_string(),
            by.device_id,
            v.collector_id.map(|u| u.to_string()),
            v.device_clock.to_rfc3339(),
            at,
            by.clock_skew_seconds,
            by.resolved_from_attempt
        ],
    )?;
    let receipt = Receipt {
        id: Uuid::new_v4(),
        collection_id: v.collection_id,
        version: v.version,
        content_hash: v.content_hash.clone(),
        received_at: by.received_at,
        clock_skew_flagged: by.clock_skew_seconds.abs() > by.skew_threshold_seconds,
    };
    tx.execute(
        &format!("INSERT INTO receipts ({RECEIPT_COLUMNS}, device_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            receipt.id.to_string(),
            cid,
            receipt.version,
            receipt.content_hash,
            at,
            receipt.clock_skew_flagged,
            by.device_id
        ],
    )?;
    insert_facts(tx, &cid, &v.content_hash, &v.body)?;
    Ok(receipt)
}

/// Marks the orders a stored record covers collected or not collected; a cancelled order stays
/// cancelled (the specimen is recorded, the cancellation too).
pub(in crate::store::sqlite) fn mark_orders(
    tx: &Transaction<'_>,
    orders: &[RecordOrder],
) -> Result<(), StoreError> {
    for o in orders {
        let status = if o.voided {
            // A void reopens only what a collection had closed; a cancelled order stays so.
            tx.execute(
                "UPDATE orders SET status = 'open' WHERE id = ?1 AND patient_id = ?2
                     AND status IN ('collected', 'not-collected')",
                params![o.order_id, o.patient_id],
            )?;
            continue;
        } else if o.collected {
            "collected"
        } else {
            "not-collected"
        };
        tx.execute(
            "UPDATE orders SET status = ?2 WHERE id = ?1 AND patient_id = ?3
                 AND status NOT IN ('cancelled', ?2)",
            params![o.order_id, status, o.patient_id],
        )?;
    }
    Ok(())
}
