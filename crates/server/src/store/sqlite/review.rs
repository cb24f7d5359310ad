//! Supervisor review in SQLite: push attempts, record facts, the review queue, review actions,
//! conflict resolution and recollection orders.

use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde_json::{json, Value};
use uuid::Uuid;

use super::collections::{version_from, VERSION_COLUMNS};
use super::people::{list_devices, user_from};
use super::{audit_in, opt_time_at, time_at, ts, uuid_at};
use crate::api::{
    ConflictChoice, DeviceRef, PatientSummary, PersonRef, QueueFlag, QueueFlags, QueueItem,
    QueueStatus, RecollectedOrder, RecordOutcome, ReviewAction, ReviewEvent,
};
use crate::review::{facts_of, read_finalized, record_orders};
use crate::store::{
    AuditEntry, AuditRecord, CollectionRecords, ConflictResolution, DeviceActivity, NewReviewEvent,
    PushAttempt, QueueFilter, QueueRows, RecollectOutcome, Recollection, ResolveOutcome,
    StoreError, StoredVersion, SyncPush,
};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

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
                manual_identification)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
        ],
    )?;
    Ok(())
}

/// Fills the facts of versions stored before facts existed (run at every open; cheap when none lack them).
pub(super) fn backfill_facts(c: &mut Connection) -> Result<(), StoreError> {
    let tx = c.transaction()?;
    let missing: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT v.collection_id, v.content_hash, v.body FROM collection_versions v
             LEFT JOIN record_facts f ON f.collection_id = v.collection_id AND f.content_hash = v.content_hash
             WHERE f.collection_id IS NULL",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows
    };
    for (cid, hash, body) in missing {
        // A body that is not JSON is left without facts; the queue still lists it.
        if let Ok(body) = serde_json::from_str::<Value>(&body) {
            insert_facts(&tx, &cid, &hash, &body)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// What a push attempt to record carries beyond its outcome.
pub(super) struct AttemptRecord<'a> {
    pub collection_id: Uuid,
    pub version: u32,
    pub outcome: RecordOutcome,
    pub code: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub content_hash: Option<&'a str>,
    pub supersedes: Option<u32>,
    pub body: Option<&'a Value>,
    pub device_clock: DateTime<FixedOffset>,
}

/// Records a push the lab did not store as a new version (inside the push's transaction).
pub(super) fn record_attempt(
    tx: &Transaction<'_>,
    push: &SyncPush,
    a: AttemptRecord<'_>,
) -> Result<(), StoreError> {
    let outcome = match a.outcome {
        RecordOutcome::Accepted => return Ok(()),
        RecordOutcome::Duplicate => "duplicate",
        RecordOutcome::Conflict => "conflict",
        RecordOutcome::Rejected => "rejected",
    };
    let cid = a.collection_id.to_string();
    let skew = (a.device_clock.with_timezone(&Utc) - push.received_at).num_seconds();
    // A resend adds nothing the lab does not hold: only conflicts and rejections keep the body.
    let body = a.body.filter(|_| outcome != "duplicate");
    tx.execute(
        "INSERT INTO push_attempts (device_id, collection_id, version, outcome, code, reason,
                content_hash, supersedes, body, device_clock, clock_skew_seconds, received_at, actor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            push.device_id.to_string(),
            cid,
            a.version,
            outcome,
            a.code,
            a.reason,
            a.content_hash,
            a.supersedes,
            body.map(Value::to_string),
            a.device_clock.to_rfc3339(),
            skew,
            ts(push.received_at),
            push.actor,
        ],
    )?;
    if let (Some(body), Some(hash)) = (body, a.content_hash) {
        insert_facts(tx, &cid, hash, body)?;
    }
    Ok(())
}

/// A conflict or rejection still waiting on the device and on a supervisor: not resolved, not
/// reviewed since it arrived, and not stored since by a later push.
const OPEN_ATTEMPT: &str = "(a.outcome IN ('conflict', 'rejected') AND a.resolution IS NULL
    AND NOT EXISTS (SELECT 1 FROM review_events r WHERE r.collection_id = a.collection_id
                    AND r.kind IN ('reviewed', 'conflict_resolved') AND r.at >= a.received_at)
    AND NOT EXISTS (SELECT 1 FROM collection_versions v WHERE v.collection_id = a.collection_id
                    AND v.content_hash = a.content_hash AND v.device_id = a.device_id))";

pub(super) fn device_activity(c: &mut Connection) -> Result<Vec<DeviceActivity>, StoreError> {
    let devices = list_devices(c)?;
    let mut out = Vec::with_capacity(devices.len());
    for device in devices {
        let id = device.id.to_string();
        let collector = c
            .query_row(
                "SELECT u.id, u.username, u.display_name, u.role, s.created_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.device_id = ?1 ORDER BY s.created_at DESC LIMIT 1",
                [&id],
                |r| Ok((user_from(r, 0)?, time_at(r, 4)?)),
            )
            .optional()?;
        let app_version: Option<String> = c
            .query_row(
                "SELECT app_version FROM heartbeats WHERE device_id = ?1 AND app_version IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        let clock_skew_seconds: Option<i64> = c
            .query_row(
                "SELECT clock_skew_seconds FROM heartbeats
                 WHERE device_id = ?1 AND clock_skew_seconds IS NOT NULL ORDER BY id DESC LIMIT 1",
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        let last_push_at = c.query_row(
            "SELECT MAX(received_at) FROM heartbeats WHERE device_id = ?1 AND source = 'push'",
            [&id],
            |r| opt_time_at(r, 0),
        )?;
        let quarantined: u32 = c.query_row(
            &format!(
                "SELECT COUNT(*) FROM push_attempts a WHERE a.device_id = ?1 AND {OPEN_ATTEMPT}"
            ),
            [&id],
            |r| r.get(0),
        )?;
        let (collector, collector_signed_in_at) = match collector {
            Some((u, at)) => (Some(u), Some(at)),
            None => (None, None),
        };
        out.push(DeviceActivity {
            device,
            collector,
            collector_signed_in_at,
            app_version,
            clock_skew_seconds,
            last_push_at,
            quarantined,
        });
    }
    Ok(out)
}

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
                   0 AS quarantined, v.collector_id AS version_collector
            FROM collections c
            JOIN collection_versions v ON v.collection_id = c.id AND v.version = c.latest_version
            UNION ALL
            SELECT 'a:' || printf('%012d', a.id), 0, a.collection_id, a.version, a.outcome, a.code,
                   a.reason, a.id, a.device_id, a.content_hash, a.received_at, a.clock_skew_seconds,
                   a.resolution, a.resolved_at, 0, NULL, {OPEN_ATTEMPT}, NULL
            FROM push_attempts a WHERE a.outcome IN ('conflict', 'rejected')
        ),
        joined AS (
            SELECT i.*, d.name AS device_name, f.patient_id, f.patient_mrn, f.patient_name,
                   COALESCE(f.collector_id, i.version_collector) AS collector_id,
                   u.display_name AS collector_name, u.username AS collector_username,
                   f.tests, f.collected_at, f.outside_window, f.exceptions, f.manual_identification,
                   (SELECT MAX(r.at) FROM review_events r
                     WHERE r.collection_id = i.collection_id AND r.kind = 'reviewed') AS reviewed_at,
                   (SELECT COUNT(*) FROM review_events r
                     WHERE r.collection_id = i.collection_id AND r.kind = 'note') AS notes,
                   (SELECT MAX(r.at) FROM review_events r
                     WHERE r.collection_id = i.collection_id) AS last_review_at
            FROM items i JOIN devices d ON d.id = i.device_id
            LEFT JOIN record_facts f
                   ON f.collection_id = i.collection_id AND f.content_hash = i.content_hash
            LEFT JOIN users u ON u.id = COALESCE(f.collector_id, i.version_collector)
        ),
        q AS (
            SELECT joined.*, MAX(received_at, COALESCE(last_duplicate_at, ''),
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
           OR (:flag = 'corrected' AND version > 1))
      AND (:device IS NULL OR device_id = :device)
      AND (:collector IS NULL OR collector_id = :collector OR collector_username = :collector)
      AND (:patient IS NULL OR patient_id = :patient OR patient_mrn = :patient
           OR patient_name LIKE '%' || :patient || '%')
      AND (:from IS NULL OR COALESCE(collected_at, received_at) >= :from)
      AND (:to IS NULL OR COALESCE(collected_at, received_at) <= :to)
      AND (:reviewed IS NULL OR (reviewed_at IS NOT NULL AND reviewed_at >= received_at) = :reviewed)
      AND (:changed IS NULL OR changed_at >= :changed)
      AND (:after_at IS NULL OR received_at < :after_at
           OR (received_at = :after_at AND item_key < :after_key))";

const QUEUE_COLUMNS: &str = "item_key, stored, collection_id, version, outcome, code, reason,
    attempt_id, device_id, device_name, received_at, skew, resolution, duplicates, quarantined,
    patient_id, patient_mrn, patient_name, collector_id, collector_name, tests, collected_at,
    outside_window, exceptions, manual_identification, reviewed_at, notes, changed_at";

fn status_text(s: QueueStatus) -> &'static str {
    match s {
        QueueStatus::Accepted => "accepted",
        QueueStatus::Duplicate => "duplicate",
        QueueStatus::Conflict => "conflict",
        QueueStatus::Rejected => "rejected",
        QueueStatus::Quarantined => "quarantined",
    }
}

fn flag_text(f: QueueFlag) -> &'static str {
    match f {
        QueueFlag::ClockSkew => "clock_skew",
        QueueFlag::SyncedLate => "synced_late",
        QueueFlag::OutsideWindow => "outside_window",
        QueueFlag::Exception => "exception",
        QueueFlag::ManualIdentification => "manual_identification",
        QueueFlag::Corrected => "corrected",
    }
}

fn outcome_from(text: &str) -> Option<RecordOutcome> {
    match text {
        "accepted" => Some(RecordOutcome::Accepted),
        "duplicate" => Some(RecordOutcome::Duplicate),
        "conflict" => Some(RecordOutcome::Conflict),
        "rejected" => Some(RecordOutcome::Rejected),
        _ => None,
    }
}

fn choice_from(text: &str) -> Option<ConflictChoice> {
    match text {
        "lab" => Some(ConflictChoice::Lab),
        "device" => Some(ConflictChoice::Device),
        _ => None,
    }
}

fn choice_text(c: ConflictChoice) -> &'static str {
    match c {
        ConflictChoice::Lab => "lab",
        ConflictChoice::Device => "device",
    }
}

fn text_err(idx: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, message.into())
}

fn json_list(r: &Row<'_>, idx: usize) -> rusqlite::Result<Vec<String>> {
    let text: Option<String> = r.get(idx)?;
    match text {
        None => Ok(Vec::new()),
        Some(t) => serde_json::from_str(&t).map_err(|e| text_err(idx, e.to_string())),
    }
}

fn queue_item(r: &Row<'_>, filter: &QueueFilter) -> rusqlite::Result<QueueItem> {
    let stored: bool = r.get(1)?;
    let outcome: String = r.get(4)?;
    let status = outcome_from(&outcome).ok_or_else(|| text_err(4, outcome.clone()))?;
    let received_at = time_at(r, 10)?;
    let skew: i64 = r.get(11)?;
    let resolution: Option<String> = r.get(12)?;
    let patient_id: Option<String> = r.get(15)?;
    let collector_id: Option<String> = r.get(18)?;
    let collected_at = opt_time_at(r, 21)?;
    let exceptions = json_list(r, 23)?;
    let version: u32 = r.get(3)?;
    let outside_window: Option<bool> = r.get(22)?;
    let manual: Option<bool> = r.get(24)?;
    let reviewed_at = opt_time_at(r, 25)?.filter(|at| *at >= received_at);
    let sync_delay_seconds = collected_at.map(|at| (received_at - at).num_seconds());
    Ok(QueueItem {
        key: r.get(0)?,
        collection_id: uuid_at(r, 2)?,
        version,
        status,
        code: r.get(5)?,
        reason: r.get(6)?,
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
        tests: json_list(r, 20)?,
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
        },
        exceptions,
        quarantined: !stored && r.get::<_, bool>(14)?,
        resolution: resolution.as_deref().and_then(choice_from),
        duplicate_resends: r.get(13)?,
        reviewed_at,
        notes: r.get(26)?,
        changed_at: time_at(r, 27)?,
    })
}

pub(super) fn queue(c: &mut Connection, filter: QueueFilter) -> Result<QueueRows, StoreError> {
    let text = |s: Option<String>| s.map_or(SqlValue::Null, SqlValue::Text);
    let mut named: Vec<(&str, SqlValue)> = vec![
        (
            ":status",
            text(filter.status.map(|s| status_text(s).to_owned())),
        ),
        (":flag", text(filter.flag.map(|f| flag_text(f).to_owned()))),
        (":skew", SqlValue::Integer(filter.skew_threshold_seconds)),
        (":late", SqlValue::Integer(filter.late_sync_seconds)),
        (":device", text(filter.device.map(|d| d.to_string()))),
        (":collector", text(filter.collector.clone())),
        (":patient", text(filter.patient.clone())),
        (":from", text(filter.from.map(ts))),
        (":to", text(filter.to.map(ts))),
        (
            ":reviewed",
            filter
                .reviewed
                .map_or(SqlValue::Null, |b| SqlValue::Integer(i64::from(b))),
        ),
        (":changed", text(filter.changed_since.map(ts))),
        (":after_at", SqlValue::Null),
        (":after_key", SqlValue::Null),
    ];
    let base = queue_base();
    let total: u64 = {
        let params: Vec<(&str, &dyn rusqlite::ToSql)> = named
            .iter()
            .map(|(k, v)| (*k, v as &dyn rusqlite::ToSql))
            .collect();
        c.query_row(
            &format!("{base} SELECT COUNT(*) FROM q {WHERE_FILTERS}"),
            params.as_slice(),
            |r| r.get(0),
        )?
    };
    if let Some((at, key)) = &filter.after {
        named.retain(|(k, _)| *k != ":after_at" && *k != ":after_key");
        named.push((":after_at", SqlValue::Text(ts(*at))));
        named.push((":after_key", SqlValue::Text(key.clone())));
    }
    named.push((":limit", SqlValue::Integer(i64::from(filter.limit) + 1)));
    let params: Vec<(&str, &dyn rusqlite::ToSql)> = named
        .iter()
        .map(|(k, v)| (*k, v as &dyn rusqlite::ToSql))
        .collect();
    let mut stmt = c.prepare(&format!(
        "{base} SELECT {QUEUE_COLUMNS} FROM q {WHERE_FILTERS}
         ORDER BY received_at DESC, item_key DESC LIMIT :limit"
    ))?;
    let mut items = stmt
        .query_map(params.as_slice(), |r| queue_item(r, &filter))?
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = items.len() > filter.limit as usize;
    items.truncate(filter.limit as usize);
    Ok(QueueRows {
        total,
        items,
        has_more,
    })
}

pub(super) fn stamp(c: &mut Connection) -> Result<String, StoreError> {
    Ok(c.query_row(
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM audit_log) || '-' ||
                (SELECT COALESCE(MAX(id), 0) FROM push_attempts)",
        [],
        |r| r.get(0),
    )?)
}

fn review_from(r: &Row<'_>) -> rusqlite::Result<ReviewEvent> {
    let kind: String = r.get(2)?;
    let detail: Option<String> = r.get(5)?;
    Ok(ReviewEvent {
        id: r.get(0)?,
        collection_id: uuid_at(r, 1)?,
        action: ReviewAction::parse(&kind).ok_or_else(|| text_err(2, kind.clone()))?,
        at: time_at(r, 3)?,
        note: r.get(4)?,
        detail: detail
            .map(|d| serde_json::from_str(&d))
            .transpose()
            .map_err(|e| text_err(5, e.to_string()))?,
        by: user_from(r, 6)?,
    })
}

const REVIEW_SELECT: &str = "SELECT r.id, r.collection_id, r.kind, r.at, r.note, r.detail,
        u.id, u.username, u.display_name, u.role
    FROM review_events r JOIN users u ON u.id = r.user_id";

fn attempt_from(r: &Row<'_>) -> rusqlite::Result<PushAttempt> {
    let outcome: String = r.get(4)?;
    let body: Option<String> = r.get(8)?;
    let resolution: Option<String> = r.get(11)?;
    Ok(PushAttempt {
        id: r.get(0)?,
        device: DeviceRef {
            id: uuid_at(r, 1)?,
            name: r.get(2)?,
        },
        version: r.get(3)?,
        outcome: outcome_from(&outcome).ok_or_else(|| text_err(4, outcome.clone()))?,
        code: r.get(5)?,
        reason: r.get(6)?,
        content_hash: r.get(7)?,
        body: body
            .map(|b| serde_json::from_str(&b))
            .transpose()
            .map_err(|e| text_err(8, e.to_string()))?,
        received_at: time_at(r, 9)?,
        clock_skew_seconds: r.get(10)?,
        resolution: resolution.as_deref().and_then(choice_from),
        resolved_at: opt_time_at(r, 12)?,
        resolved_by: r.get(13)?,
    })
}

pub(super) fn collection_records(
    c: &mut Connection,
    id: Uuid,
) -> Result<Option<CollectionRecords>, StoreError> {
    let cid = id.to_string();
    let owner: Option<(Uuid, String, u32, DateTime<Utc>)> = c
        .query_row(
            "SELECT c.device_id, d.name, c.latest_version, c.last_received_at
             FROM collections c JOIN devices d ON d.id = c.device_id WHERE c.id = ?1",
            [&cid],
            |r| Ok((uuid_at(r, 0)?, r.get(1)?, r.get(2)?, time_at(r, 3)?)),
        )
        .optional()?;
    let versions = {
        let mut stmt = c.prepare(&format!(
            "SELECT {VERSION_COLUMNS}, v.resolved_from_attempt FROM collection_versions v
             WHERE v.collection_id = ?1 ORDER BY v.version"
        ))?;
        let rows = stmt
            .query_map([&cid], |r| {
                Ok(StoredVersion {
                    view: version_from(r)?,
                    resolved_from_attempt: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows
    };
    let attempts = {
        let mut stmt = c.prepare(
            "SELECT a.id, a.device_id, d.name, a.version, a.outcome, a.code, a.reason,
                    a.content_hash, a.body, a.received_at, a.clock_skew_seconds, a.resolution,
                    a.resolved_at, a.resolved_by
             FROM push_attempts a JOIN devices d ON d.id = a.device_id
             WHERE a.collection_id = ?1 ORDER BY a.id",
        )?;
        let rows = stmt
            .query_map([&cid], attempt_from)?
            .collect::<Result<Vec<_>, _>>()?;
        rows
    };
    let device = match (&owner, attempts.last()) {
        (Some((id, name, _, _)), _) => DeviceRef {
            id: *id,
            name: name.clone(),
        },
        (None, Some(a)) => a.device.clone(),
        (None, None) => return Ok(None),
    };
    let reviews = {
        let mut stmt = c.prepare(&format!(
            "{REVIEW_SELECT} WHERE r.collection_id = ?1 ORDER BY r.id"
        ))?;
        let rows = stmt
            .query_map([&cid], review_from)?
            .collect::<Result<Vec<_>, _>>()?;
        rows
    };
    let history = {
        let mut stmt = c.prepare(
            "SELECT seq, at, actor, action, subject, detail FROM audit_log
             WHERE subject = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([&cid], |r| {
                Ok(AuditRecord {
                    seq: r.get(0)?,
                    at: time_at(r, 1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    detail: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows
    };
    Ok(Some(CollectionRecords {
        device,
        latest_version: owner.as_ref().map(|o| o.2),
        last_received_at: owner.map(|o| o.3),
        versions,
        attempts,
        reviews,
        history,
    }))
}

fn audit_action(action: ReviewAction) -> &'static str {
    match action {
        ReviewAction::Reviewed => "collection.reviewed",
        ReviewAction::Note => "collection.noted",
        ReviewAction::ConflictResolved => "collection.conflict_resolved",
        ReviewAction::RecollectionRequested => "collection.recollection_requested",
    }
}

/// Writes a review event and its audit entry inside the caller's transaction.
fn insert_review(
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
    let entry = AuditEntry {
        actor: e.actor.clone(),
        action: audit_action(e.action).into(),
        subject: Some(cid),
        detail: Some(json!({ "review_event": id, "note": e.note, "detail": e.detail }).to_string()),
    };
    audit_in(tx, &entry, at)?;
    Ok(tx.query_row(
        &format!("{REVIEW_SELECT} WHERE r.id = ?1"),
        [id],
        review_from,
    )?)
}

fn known(tx: &Transaction<'_>, cid: &str) -> Result<bool, StoreError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM collections WHERE id = ?1)
             OR EXISTS (SELECT 1 FROM push_attempts WHERE collection_id = ?1)",
        [cid],
        |r| r.get(0),
    )?)
}

pub(super) fn add_review(
    c: &mut Connection,
    event: NewReviewEvent,
    at: DateTime<Utc>,
) -> Result<Option<ReviewEvent>, StoreError> {
    let at = at.trunc_subsecs(6);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
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

pub(super) fn resolve_conflict(
    c: &mut Connection,
    res: ConflictResolution,
    at: DateTime<Utc>,
) -> Result<ResolveOutcome, StoreError> {
    let at = at.trunc_subsecs(6);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
        let outcome = outcome_from(&a.outcome).ok_or_else(|| corrupt(&a.outcome))?;
        return Ok(ResolveOutcome::NotAConflict(outcome));
    }
    if let Some(done) = a.resolution.as_deref().and_then(choice_from) {
        return Ok(ResolveOutcome::AlreadyResolved(done));
    }
    let mut detail = json!({ "attempt_id": res.attempt_id, "keep": choice_text(res.keep) });
    if res.keep == ConflictChoice::Device {
        match store_attempt_as_version(&tx, &a, res.attempt_id, res.skew_threshold_seconds, at)? {
            Ok(version) => detail["version"] = json!(version),
            Err(why) => return Ok(ResolveOutcome::CannotStand(why)),
        }
    }
    tx.execute(
        "UPDATE push_attempts SET resolution = ?2, resolved_at = ?3, resolved_by = ?4 WHERE id = ?1",
        params![res.attempt_id, choice_text(res.keep), ts(at), res.event.actor],
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
    let held: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM collection_versions WHERE collection_id = ?1 AND content_hash = ?2)",
        params![a.collection_id, hash],
        |r| r.get(0),
    )?;
    if held {
        return Ok(Err("the lab already holds this version".into()));
    }
    let current: Option<(String, u32)> = tx
        .query_row(
            "SELECT device_id, latest_version FROM collections WHERE id = ?1",
            [&a.collection_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if current
        .as_ref()
        .is_some_and(|(owner, _)| *owner != a.device_id)
    {
        return Ok(Err("the collection belongs to another device".into()));
    }
    let latest = current.map(|(_, v)| v);
    let version = latest.map_or(1, |l| l + 1);
    let now = ts(at);
    match latest {
        None => tx.execute(
            "INSERT INTO collections (id, device_id, latest_version, first_received_at, last_received_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![a.collection_id, a.device_id, version, now],
        )?,
        Some(_) => tx.execute(
            "UPDATE collections SET latest_version = ?2, last_received_at = ?3 WHERE id = ?1",
            params![a.collection_id, version, now],
        )?,
    };
    let record = finalized.record();
    let collector = Uuid::parse_str(record.started_by().as_str())
        .ok()
        .map(|u| u.to_string());
    tx.execute(
        "INSERT INTO collection_versions (collection_id, version, supersedes, content_hash, body,
                 device_id, collector_id, device_clock, received_at, clock_skew_seconds,
                 resolved_from_attempt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            a.collection_id,
            version,
            latest,
            hash,
            body.to_string(),
            a.device_id,
            collector,
            a.device_clock,
            now,
            a.skew,
            attempt_id
        ],
    )?;
    // A receipt, so the device resending the record it holds quarantined hears `duplicate`.
    tx.execute(
        "INSERT INTO receipts (id, collection_id, version, content_hash, received_at,
                 clock_skew_flagged, device_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            Uuid::new_v4().to_string(),
            a.collection_id,
            version,
            hash,
            now,
            a.skew.abs() > skew_threshold_seconds,
            a.device_id
        ],
    )?;
    insert_facts(tx, &a.collection_id, hash, &body)?;
    for o in record_orders(record) {
        let status = if o.collected {
            "collected"
        } else {
            "not-collected"
        };
        // As for a push: a cancelled order stays cancelled.
        tx.execute(
            "UPDATE orders SET status = ?2 WHERE id = ?1 AND patient_id = ?3
                 AND status NOT IN ('cancelled', ?2)",
            params![o.order_id, status, o.patient_id],
        )?;
    }
    Ok(Ok(version))
}

/// Longest base kept from an original order id, so `<base>-R<n>` stays a valid order id.
const MAX_RECOLLECT_BASE: usize = 58;

pub(super) fn recollect(
    c: &mut Connection,
    rec: Recollection,
    at: DateTime<Utc>,
) -> Result<RecollectOutcome, StoreError> {
    let at = at.trunc_subsecs(6);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
    let reason = rec.event.note.clone().unwrap_or_default();
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
        let note = format!("Recollection of {original}: {reason}");
        tx.execute(
            "INSERT INTO orders (id, patient_id, test_code, priority, placed_at, due_at,
                    requisition, fasting, location, note, round_id, imported_at)
             SELECT ?1, patient_id, test_code, priority, ?2, ?3, requisition, fasting, location,
                    ?4, COALESCE(?5, round_id), ?2
             FROM orders WHERE id = ?6",
            params![id, ts(at), rec.due_at.map(ts), note, round_id, original],
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
