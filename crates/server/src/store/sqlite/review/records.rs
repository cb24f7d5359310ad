//! Everything the lab holds about one collection id, read back from SQLite.
//!
//! Versions, refused pushes, review events and audit history.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};
use uuid::Uuid;

use crate::api::{
    push_codes, ConflictChoice, DeviceRef, PatientSummary, PushAttemptView, ReviewAction,
    ReviewEvent,
};
use crate::store::error::StoreError;
use crate::store::facts::read_finalized;
use crate::store::review::{AccessionClashRecord, CollectionRecords, PushAttempt, StoredVersion};
use crate::store::sqlite::accessions::held_by_another_patient;
use crate::store::sqlite::audit::audit_records;
use crate::store::sqlite::people::{user_from, USER_COLUMNS};
use crate::store::sqlite::row::{
    all, code_at, conversion, from_code, opt_json_at, opt_time_at, time_at, uuid_at,
};
use crate::store::sqlite::sync::versions::{version_from, version_id, VERSION_COLUMNS};
use crate::store::sqlite::unreadable::{note, readable, text_at};

/// Reads a review event from [`review_select`]'s columns.
pub(super) fn review_from(r: &Row<'_>) -> rusqlite::Result<ReviewEvent> {
    let kind: String = r.get(2)?;
    Ok(ReviewEvent {
        id: r.get(0)?,
        collection_id: uuid_at(r, 1)?,
        action: ReviewAction::parse(&kind).ok_or_else(|| conversion(2, kind.clone()))?,
        at: time_at(r, 3)?,
        note: r.get(4)?,
        detail: opt_json_at(r, 5)?,
        by: user_from(r, 6)?,
    })
}

/// Review events with who took them; a `WHERE` clause may follow.
pub(super) fn review_select() -> String {
    format!(
        "SELECT r.id, r.collection_id, r.kind, r.at, r.note, r.detail, {USER_COLUMNS}
         FROM review_events r JOIN users u ON u.id = r.user_id"
    )
}

fn attempt_from(r: &Row<'_>) -> rusqlite::Result<PushAttempt> {
    let resolution: Option<String> = r.get(11)?;
    let resolution = resolution.as_deref().and_then(from_code::<ConflictChoice>);
    let view = PushAttemptView {
        id: r.get(0)?,
        device: DeviceRef {
            id: uuid_at(r, 1)?,
            name: r.get(2)?,
        },
        version: r.get(3)?,
        outcome: code_at(r, 4)?,
        code: r.get(5)?,
        reason: r.get(6)?,
        content_hash: r.get(7)?,
        received_at: time_at(r, 9)?,
        clock_skew_seconds: r.get(10)?,
        resolution,
        superseded: resolution == Some(ConflictChoice::Lab),
        resolved_at: opt_time_at(r, 12)?,
        resolved_by: r.get(13)?,
        record: None,
    };
    Ok(PushAttempt {
        view,
        body: opt_json_at(r, 8)?,
    })
}

/// Everything about a collection id; `None` when the lab never heard of it.
pub(super) fn collection_records(
    c: &Connection,
    id: Uuid,
) -> Result<Option<CollectionRecords>, StoreError> {
    let cid = id.to_string();
    // An unreadable receive time is left out (and noted), not the whole detail.
    let owner: Option<(Uuid, String, u32, Option<DateTime<Utc>>)> = c
        .query_row(
            "SELECT c.device_id, d.name, c.latest_version, c.last_received_at
             FROM collections c JOIN devices d ON d.id = c.device_id WHERE c.id = ?1",
            [&cid],
            |r| Ok((uuid_at(r, 0)?, r.get(1)?, r.get(2)?, time_at(r, 3).ok())),
        )
        .optional()?;
    if owner.as_ref().is_some_and(|o| o.3.is_none()) {
        note(c, "collection_detail", &("collection", cid.clone()))?;
    }
    // A version or push that does not read back is left out (and noted), not the whole detail.
    let versions = readable(
        c,
        "collection_detail",
        &format!(
            "SELECT {VERSION_COLUMNS}, v.resolved_from_attempt FROM collection_versions v
             WHERE v.collection_id = ?1 ORDER BY v.version"
        ),
        [&cid],
        version_id,
        |r| {
            Ok(StoredVersion {
                view: version_from(r)?,
                resolved_from_attempt: r.get(8)?,
            })
        },
    )?
    .rows;
    let attempts = readable(
        c,
        "collection_detail",
        "SELECT a.id, a.device_id, d.name, a.version, a.outcome, a.code, a.reason,
                a.content_hash, a.body, a.received_at, a.clock_skew_seconds, a.resolution,
                a.resolved_at, a.resolved_by
         FROM push_attempts a JOIN devices d ON d.id = a.device_id
         WHERE a.collection_id = ?1 ORDER BY a.id",
        [&cid],
        |r| ("push_attempt", text_at(r, 0)),
        attempt_from,
    )?
    .rows;
    let device = match (&owner, attempts.last()) {
        (Some((id, name, _, _)), _) => DeviceRef {
            id: *id,
            name: name.clone(),
        },
        (None, Some(a)) => a.view.device.clone(),
        (None, None) => return Ok(None),
    };
    let reviews = all(
        c,
        &format!(
            "{} WHERE r.collection_id = ?1 ORDER BY r.id",
            review_select()
        ),
        [&cid],
        review_from,
    )?;
    let history = audit_records(c, "WHERE subject = ?1 ORDER BY seq", [&cid])?;
    let clashes = clashes_of(c, &cid, &attempts)?;
    Ok(Some(CollectionRecords {
        device,
        latest_version: owner.as_ref().map(|o| o.2),
        last_received_at: owner.and_then(|o| o.3),
        versions,
        attempts,
        reviews,
        history,
        clashes,
    }))
}

/// For each push refused as possible wrong blood in tube, the tube labels another patient holds
/// and who: the other collection (its newest version) or the other patient's order.
fn clashes_of(
    c: &Connection,
    cid: &str,
    attempts: &[PushAttempt],
) -> Result<Vec<AccessionClashRecord>, StoreError> {
    let mut out = Vec::new();
    for a in attempts {
        if a.view.code.as_deref() != Some(push_codes::WRONG_BLOOD_IN_TUBE) {
            continue;
        }
        let Some(f) = a.body.as_ref().and_then(read_finalized) else {
            continue;
        };
        let r = f.record();
        let patient_id = r.patient().id.as_str();
        for label in r.tubes().iter().filter_map(|t| t.accession.as_ref()) {
            let Some(h) = held_by_another_patient(c, label.as_str(), cid, patient_id)? else {
                continue;
            };
            let collection_body = match &h.collection_id {
                Some(other) => c
                    .query_row(
                        "SELECT v.body FROM collections k JOIN collection_versions v
                           ON v.collection_id = k.id AND v.version = k.latest_version
                         WHERE k.id = ?1",
                        [other],
                        |row| row.get::<_, String>(0),
                    )
                    .optional()?
                    .and_then(|b| serde_json::from_str(&b).ok()),
                None => None,
            };
            out.push(AccessionClashRecord {
                attempt_id: a.view.id,
                accession: h.accession.clone(),
                patient: PatientSummary {
                    id: h.patient_id.clone(),
                    mrn: h.patient_mrn.clone(),
                    name: h.patient_name.clone(),
                },
                order_id: h.order_id.clone(),
                collection_id: h
                    .collection_id
                    .as_deref()
                    .and_then(|u| Uuid::parse_str(u).ok()),
                collection_body,
            });
        }
    }
    Ok(out)
}
