//! The review queue in SQLite: stored collections and refused pushes, filtered and paged in SQL.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Row};

use crate::api::{ConflictChoice, DeviceRef, PatientSummary, PersonRef, QueueFlags, QueueItem};
use crate::store::error::StoreError;
use crate::store::review::{QueueFilter, QueueRows};
use crate::store::sqlite::row::{
    code_at, code_of, from_code, named, opt_json_at, opt_time_at, time_at, ts, uuid_at,
};
use crate::store::sqlite::unreadable::{readable, text_at, RowId};

/// A conflict or rejection still waiting on the device and on a supervisor: not resolved, not
/// reviewed since it arrived, and not stored since by a later push.
pub(super) const OPEN_ATTEMPT: &str =
    "(a.outcome IN ('conflict', 'rejected') AND a.resolution IS NULL
    AND NOT EXISTS (SELECT 1 FROM review_events r WHERE r.collection_id = a.collection_id
                    AND r.kind IN ('reviewed', 'conflict_resolved') AND r.at >= a.received_at)
    AND NOT EXISTS (SELECT 1 FROM collection_versions v WHERE v.collection_id = a.collection_id
                    AND v.content_hash = a.content_hash AND v.device_id = a.device_id))";

/// The queue: stored collections (newest version) and conflicting or rejected pushes, with what
/// their records say and their review state, under the filters of `WHERE_FILTERS`.
fn queue_base() -> String {
    format!(
        "WITH items AS (
            SELECT 'c:' || c.id AS item_key, 1 AS stored, c.id AS collection_id,
                   v.version AS version, 'accepted' AS outcome, NULL AS code, NULL AS reason,
                   NULL AS attempt_id, c.device_id AS device_id, v.content_hash AS content_hash,
                   v.received_at AS received_at, v.clock_skew_seconds AS skew,
                   NULL AS resolution, NULL AS resolved_at,
                   (SELECT COUNT(*) FROM push_attempts a
                     WHERE a.collection_id = c.id AND a.outcome = 'duplicate') AS duplicates,
                   (SELECT MAX(a.received_at) FROM push_attempts a
                     WHERE a.collection_id = c.id AND a.outcome = 'duplicate') AS last_duplicate_at,
                   0 AS quarantined, v.collector_id AS version_collector,
                   (SELECT h.note FROM held_versions h WHERE h.collection_id = c.id
                     AND h.resolution IS NULL ORDER BY h.version DESC LIMIT 1) AS held_note
            FROM collections c
            JOIN collection_versions v ON v.collection_id = c.id AND v.version = c.latest_version
            UNION ALL
            SELECT 'a:' || printf('%012d', a.id), 0, a.collection_id, a.version, a.outcome, a.code,
                   a.reason, a.id, a.device_id, a.content_hash, a.received_at, a.clock_skew_seconds,
                   a.resolution, a.resolved_at, 0, NULL, {OPEN_ATTEMPT}, NULL, NULL
            FROM push_attempts a WHERE a.outcome IN ('conflict', 'rejected')
        ),
        joined AS (
            SELECT i.*, d.name AS device_name, f.patient_id, f.patient_mrn, f.patient_name,
                   COALESCE(f.collector_id, i.version_collector) AS collector_id,
                   u.display_name AS collector_name, u.username AS collector_username,
                   f.tests, f.collected_at, f.outside_window, f.exceptions, f.manual_identification,
                   f.wrong_patient_stops, f.wrong_patient_before_draw,
                   (SELECT MAX(r.at) FROM review_events r
                     WHERE r.collection_id = i.collection_id AND r.kind = 'reviewed') AS reviewed_at,
                   (SELECT COUNT(*) FROM review_events r
                     WHERE r.collection_id = i.collection_id AND r.kind = 'note') AS notes,
                   (SELECT MAX(r.at) FROM review_events r
                     WHERE r.collection_id = i.collection_id) AS last_review_at,
                   f.voided AS voided
            FROM items i JOIN devices d ON d.id = i.device_id
            LEFT JOIN record_facts f
                   ON f.collection_id = i.collection_id AND f.content_hash = i.content_hash
            LEFT JOIN users u ON u.id = COALESCE(f.collector_id, i.version_collector)
        ),
        q AS (
            -- Possible wrong blood in tube comes before everything else, whatever the filters.
            -- So does a collection held as collected off round, until a supervisor resolves it.
            SELECT joined.*, (COALESCE(code, '') = 'wrong_blood_in_tube'
                              OR held_note IS NOT NULL) AS wbit,
                   MAX(received_at, COALESCE(last_duplicate_at, ''),
                                 COALESCE(last_review_at, ''), COALESCE(resolved_at, '')) AS changed_at
            FROM joined
        )"
    )
}

const WHERE_FILTERS: &str = "
    WHERE (:status IS NULL
           OR (:status = 'accepted' AND stored = 1)
           OR (:status = 'duplicate' AND duplicates > 0)
           OR (:status IN ('conflict', 'rejected') AND outcome = :status)
           OR (:status = 'quarantined' AND quarantined = 1))
      AND (:flag IS NULL
           OR (:flag = 'clock_skew' AND ABS(skew) > :skew)
           OR (:flag = 'synced_late' AND collected_at IS NOT NULL
               AND (julianday(received_at) - julianday(collected_at)) * 86400.0 > :late)
           OR (:flag = 'outside_window' AND outside_window = 1)
           OR (:flag = 'exception' AND exceptions IS NOT NULL)
           OR (:flag = 'manual_identification' AND manual_identification = 1)
           OR (:flag = 'corrected' AND version > 1)
           OR (:flag = 'wrong_blood_in_tube' AND code = 'wrong_blood_in_tube')
           OR (:flag = 'identification_mismatch' AND wrong_patient_stops > 0)

           OR (:flag = 'voided' AND voided = 1)
           OR (:flag = 'off_round' AND held_note IS NOT NULL))
      AND (:device IS NULL OR device_id = :device)
      AND (:collector IS NULL OR collector_id = :collector OR collector_username = :collector)
      AND (:patient IS NULL OR patient_id = :patient OR patient_mrn = :patient
           OR patient_name LIKE '%' || :patient || '%')
      AND (:from IS NULL OR COALESCE(collected_at, received_at) >= :from)
      AND (:to IS NULL OR COALESCE(collected_at, received_at) <= :to)
      AND (:reviewed IS NULL OR (reviewed_at IS NOT NULL AND reviewed_at >= received_at) = :reviewed)
      AND (:changed IS NULL OR changed_at >= :changed)
      AND (:after_at IS NULL
           OR (wbit, received_at, item_key) < (
                COALESCE((SELECT c.wbit FROM q c WHERE c.item_key = :after_key), 0),
                :after_at, :after_key))";

const QUEUE_COLUMNS: &str = "item_key, stored, collection_id, version, outcome, code, reason,
    attempt_id, device_id, device_name, received_at, skew, resolution, duplicates, quarantined,
    patient_id, patient_mrn, patient_name, collector_id, collector_name, tests, collected_at,
    outside_window, exceptions, manual_identification, reviewed_at, notes, changed_at,
    wrong_patient_stops, wrong_patient_before_draw, voided, held_note";

fn queue_item(r: &Row<'_>, filter: &QueueFilter) -> rusqlite::Result<QueueItem> {
    let stored: bool = r.get(1)?;
    let status = code_at(r, 4)?;
    let received_at = time_at(r, 10)?;
    let skew: i64 = r.get(11)?;
    let resolution: Option<String> = r.get(12)?;
    let patient_id: Option<String> = r.get(15)?;
    let collector_id: Option<String> = r.get(18)?;
    let collected_at = opt_time_at(r, 21)?;
    let exceptions: Vec<String> = opt_json_at(r, 23)?.unwrap_or_default();
    let version: u32 = r.get(3)?;
    let outside_window: Option<bool> = r.get(22)?;
    let manual: Option<bool> = r.get(24)?;
    let wrong_patient_stops: Option<u32> = r.get(28)?;
    let wrong_patient_before_draw: Option<u32> = r.get(29)?;
    let reviewed_at = opt_time_at(r, 25)?.filter(|at| *at >= received_at);
    let held_note: Option<String> = r.get(31)?;
    let off_round = held_note.is_some();
    let sync_delay_seconds = collected_at.map(|at| (received_at - at).num_seconds());
    Ok(QueueItem {
        key: r.get(0)?,
        collection_id: uuid_at(r, 2)?,
        version,
        status,
        code: if off_round {
            Some(crate::api::push_codes::HELD_OFF_ROUND.to_owned())
        } else {
            r.get(5)?
        },
        reason: held_note.or(r.get(6)?),
        attempt_id: r.get(7)?,
        device: DeviceRef {
            id: uuid_at(r, 8)?,
            name: r.get(9)?,
        },
        collector: match collector_id {
            Some(id) => Some(PersonRef {
                id,
                name: r.get::<_, Option<String>>(19)?,
            }),
            None => None,
        },
        patient: match patient_id {
            Some(id) => Some(PatientSummary {
                id,
                mrn: r.get(16)?,
                name: r.get(17)?,
            }),
            None => None,
        },
        tests: opt_json_at(r, 20)?.unwrap_or_default(),
        collected_at,
        received_at,
        sync_delay_seconds,
        clock_skew_seconds: skew,
        flags: QueueFlags {
            clock_skew: skew.abs() > filter.skew_threshold_seconds,
            synced_late: sync_delay_seconds.is_some_and(|d| d > filter.late_sync_seconds),
            outside_window: outside_window.unwrap_or(false),
            exception: !exceptions.is_empty(),
            manual_identification: manual.unwrap_or(false),
            corrected: version > 1,
            wrong_blood_in_tube: r.get::<_, Option<String>>(5)?.as_deref()
                == Some(crate::api::push_codes::WRONG_BLOOD_IN_TUBE),
            identification_mismatch: wrong_patient_stops.unwrap_or(0) > 0,
            voided: r.get::<_, Option<bool>>(30)?.unwrap_or(false),
            off_round,
        },
        wrong_patient_stops: wrong_patient_stops.unwrap_or(0),
        wrong_patient_before_draw: wrong_patient_before_draw.unwrap_or(0),
        exceptions,
        quarantined: !stored && r.get::<_, bool>(14)?,
        resolution: resolution.as_deref().and_then(from_code::<ConflictChoice>),
        duplicate_resends: r.get(13)?,
        reviewed_at,
        notes: r.get(26)?,
        changed_at: time_at(r, 27)?,
    })
}

/// What a queue row is, from its key: a stored collection (`c:<id>`) or a push attempt (`a:<n>`).
fn queue_row_id(r: &Row<'_>) -> RowId {
    let key = text_at(r, 0);
    match key.split_once(':') {
        Some(("c", id)) => ("collection", id.to_owned()),
        Some(("a", n)) => ("push_attempt", n.trim_start_matches('0').to_owned()),
        _ => ("queue_item", key),
    }
}

/// One page of the queue under `filter`, with the count of every page.
pub(super) fn queue(c: &Connection, filter: QueueFilter) -> Result<QueueRows, StoreError> {
    let q = &filter.query;
    let text = |s: Option<String>| s.map_or(SqlValue::Null, SqlValue::Text);
    let mut values: Vec<(&str, SqlValue)> = vec![
        (":status", text(q.status.map(code_of))),
        (":flag", text(q.flag.map(code_of))),
        (":skew", SqlValue::Integer(filter.skew_threshold_seconds)),
        (":late", SqlValue::Integer(filter.late_sync_seconds)),
        (":device", text(q.device.map(|d| d.to_string()))),
        (":collector", text(q.collector.clone())),
        (":patient", text(q.patient.clone())),
        (":from", text(q.from.map(ts))),
        (":to", text(q.to.map(ts))),
        (
            ":reviewed",
            q.reviewed
                .map_or(SqlValue::Null, |b| SqlValue::Integer(i64::from(b))),
        ),
        (":changed", text(q.changed_since.map(ts))),
        (":after_at", SqlValue::Null),
        (":after_key", SqlValue::Null),
    ];
    let base = queue_base();
    let total: u64 = c.query_row(
        &format!("{base} SELECT COUNT(*) FROM q {WHERE_FILTERS}"),
        named(&values).as_slice(),
        |r| r.get(0),
    )?;
    if let Some((at, key)) = &filter.after {
        values.retain(|(k, _)| *k != ":after_at" && *k != ":after_key");
        values.push((":after_at", SqlValue::Text(ts(*at))));
        values.push((":after_key", SqlValue::Text(key.clone())));
    }
    values.push((":limit", SqlValue::Integer(i64::from(filter.limit) + 1)));
    // A row that does not read back is left out (and noted), never the whole page.
    let read = readable(
        c,
        "queue",
        &format!(
            "{base} SELECT {QUEUE_COLUMNS} FROM q {WHERE_FILTERS}
             ORDER BY wbit DESC, received_at DESC, item_key DESC LIMIT :limit"
        ),
        named(&values).as_slice(),
        queue_row_id,
        |r| queue_item(r, &filter),
    )?;
    let mut items = read.rows;
    let has_more = read.seen > filter.limit as usize;
    items.truncate(filter.limit as usize);
    Ok(QueueRows {
        total,
        items,
        has_more,
    })
}

/// Changes whenever an audited change or a push attempt lands.
pub(super) fn stamp(c: &Connection) -> Result<String, StoreError> {
    Ok(c.query_row(
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM audit_log) || '-' ||
                (SELECT COALESCE(MAX(id), 0) FROM push_attempts)",
        [],
        |r| r.get(0),
    )?)
}
