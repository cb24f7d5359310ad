//! Sync in SQLite: push batches (versions, order statuses, heartbeat, audit in one transaction)
//! and pulls by the orders' change sequence.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use uuid::Uuid;

use drawline_domain::{
    Mrn, Order, OrderId, Patient, PatientId, PatientIdentity, PersonName, TestCode,
};

use super::collections::{existing, store_version, version_conflict, Existing};
use super::orders::{corrupt, priority, round_from};
use super::review::{record_attempt, AttemptRecord};
use super::{audit_in, opt_time_at, opt_uuid_at, time_at, ts};
use crate::api::{
    push_codes, DeviceHeartbeat, OrderStatus, OrderStatusView, PushResult, RecordOutcome,
    SyncOrder, WorklistOrder,
};
use crate::store::{
    AuditEntry, CancelOutcome, NewHeartbeat, PullCursor, PullPage, StoreError, SyncItem, SyncPush,
    SyncRecord,
};

/// Writes a heartbeat row (inside the caller's transaction when given one).
pub(super) fn insert_heartbeat(
    c: &Connection,
    device_id: Uuid,
    beat: &NewHeartbeat,
    received_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let h = &beat.heartbeat;
    let skew = h
        .device_clock
        .map(|clock| (clock.with_timezone(&Utc) - received_at).num_seconds());
    c.execute(
        "INSERT INTO heartbeats (device_id, received_at, device_clock, queue_length,
                                 oldest_unsynced_seconds, last_error, source, app_version,
                                 clock_skew_seconds)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            device_id.to_string(),
            ts(received_at),
            h.device_clock.map(|t| t.to_rfc3339()),
            h.queue_length,
            h.oldest_unsynced_seconds
                .map(|s| s.min(i64::MAX as u64) as i64),
            h.last_error,
            beat.source,
            beat.app_version,
            skew
        ],
    )?;
    Ok(())
}

fn result(
    id: Uuid,
    version: u32,
    outcome: RecordOutcome,
    code: Option<&str>,
    reason: Option<String>,
) -> PushResult {
    PushResult {
        id,
        version,
        outcome,
        receipt: None,
        code: code.map(str::to_owned),
        reason,
    }
}

fn audit_refusal(tx: &Transaction<'_>, push: &SyncPush, r: &PushResult) -> Result<(), StoreError> {
    let action = match r.outcome {
        RecordOutcome::Conflict => "collection.conflict",
        _ => "collection.rejected",
    };
    let entry = AuditEntry {
        actor: push.actor.clone(),
        action: action.into(),
        subject: Some(r.id.to_string()),
        detail: Some(
            serde_json::json!({ "version": r.version, "code": r.code, "reason": r.reason })
                .to_string(),
        ),
    };
    audit_in(tx, &entry, push.received_at)?;
    Ok(())
}

/// Checks the record's orders against the lab's; `Err` is a rejection, `Ok` lists cancelled orders.
fn check_orders(
    tx: &Transaction<'_>,
    rec: &SyncRecord,
) -> Result<Result<Vec<String>, (&'static str, String)>, StoreError> {
    let mut cancelled = Vec::new();
    for o in &rec.orders {
        let row: Option<(String, String)> = tx
            .query_row(
                "SELECT patient_id, status FROM orders WHERE id = ?1",
                [&o.order_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => {
                return Ok(Err((
                    push_codes::UNKNOWN_ORDER,
                    format!("order {} is not known to the lab", o.order_id),
                )))
            }
            Some((patient, _)) if patient != o.patient_id => {
                return Ok(Err((
                    push_codes::PATIENT_MISMATCH,
                    format!(
                        "order {} is for patient {patient} on the lab server, not {}",
                        o.order_id, o.patient_id
                    ),
                )))
            }
            Some((_, status)) if status == OrderStatus::Cancelled.as_str() => {
                cancelled.push(o.order_id.clone());
            }
            Some(_) => {}
        }
    }
    Ok(Ok(cancelled))
}

fn push_record(
    tx: &Transaction<'_>,
    push: &SyncPush,
    rec: &SyncRecord,
) -> Result<PushResult, StoreError> {
    let v = &rec.version;
    let (id, version) = (v.collection_id, v.version);
    let latest = match existing(tx, push.device_id, v)? {
        Existing::AnotherDevice => {
            return Ok(result(
                id,
                version,
                RecordOutcome::Rejected,
                Some(push_codes::ANOTHER_DEVICE),
                Some("this collection id belongs to a collection another device sent".into()),
            ))
        }
        Existing::Duplicate(receipt) => {
            let mut r = result(id, version, RecordOutcome::Duplicate, None, None);
            r.receipt = Some(receipt);
            return Ok(r);
        }
        Existing::Current(latest) => latest,
    };
    let cancelled = match check_orders(tx, rec)? {
        Ok(cancelled) => cancelled,
        Err((code, reason)) => {
            return Ok(result(
                id,
                version,
                RecordOutcome::Rejected,
                Some(code),
                Some(reason),
            ))
        }
    };
    if let Some(reason) = version_conflict(tx, latest, v, rec.supersedes_hash.as_deref())? {
        return Ok(result(
            id,
            version,
            RecordOutcome::Conflict,
            Some(push_codes::VERSION_CONFLICT),
            Some(reason),
        ));
    }
    let receipt = store_version(
        tx,
        push.device_id,
        &push.actor,
        v,
        latest.is_none(),
        push.received_at,
        push.skew_threshold_seconds,
    )?;
    for o in &rec.orders {
        let status = if o.collected {
            OrderStatus::Collected
        } else {
            OrderStatus::NotCollected
        };
        // A cancelled order stays cancelled: the specimen is recorded, the cancellation too.
        tx.execute(
            "UPDATE orders SET status = ?2 WHERE id = ?1 AND status NOT IN ('cancelled', ?2)",
            params![o.order_id, status.as_str()],
        )?;
    }
    let mut r = result(id, version, RecordOutcome::Accepted, None, None);
    r.receipt = Some(receipt);
    if !cancelled.is_empty() {
        r.code = Some(push_codes::ORDER_CANCELLED.into());
        r.reason = Some(format!(
            "order {} was cancelled on the lab server; the specimen is recorded",
            cancelled.join(", ")
        ));
    }
    Ok(r)
}

pub(super) fn push(c: &mut Connection, mut push: SyncPush) -> Result<Vec<PushResult>, StoreError> {
    // Stored with microseconds: the receipt answered now must equal the one a retry reads back.
    push.received_at = push.received_at.trunc_subsecs(6);
    // IMMEDIATE takes the write lock before the first read: two pushes of the same record, even
    // from two processes, are serialised, and the second one finds the first's receipt.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    insert_heartbeat(&tx, push.device_id, &push.heartbeat, push.received_at)?;
    let mut results = Vec::with_capacity(push.items.len());
    for item in &push.items {
        // A storage error returns early and drops `tx`: nothing of the batch is stored.
        let r = match item {
            SyncItem::Rejected {
                id,
                version,
                code,
                reason,
            } => result(
                *id,
                *version,
                RecordOutcome::Rejected,
                Some(code),
                Some(reason.clone()),
            ),
            SyncItem::Record(rec) => push_record(&tx, &push, rec)?,
        };
        if matches!(r.outcome, RecordOutcome::Rejected | RecordOutcome::Conflict) {
            audit_refusal(&tx, &push, &r)?;
        }
        // What the lab did not store is kept for the supervisor's review queue.
        let attempt = match item {
            SyncItem::Rejected { .. } => AttemptRecord {
                collection_id: r.id,
                version: r.version,
                outcome: r.outcome,
                code: r.code.as_deref(),
                reason: r.reason.as_deref(),
                content_hash: None,
                supersedes: None,
                body: None,
                device_clock: push
                    .heartbeat
                    .heartbeat
                    .device_clock
                    .unwrap_or_else(|| push.received_at.fixed_offset()),
            },
            SyncItem::Record(rec) => AttemptRecord {
                collection_id: r.id,
                version: r.version,
                outcome: r.outcome,
                code: r.code.as_deref(),
                reason: r.reason.as_deref(),
                content_hash: Some(&rec.version.content_hash),
                supersedes: rec.version.supersedes,
                body: Some(&rec.version.body),
                device_clock: rec.version.device_clock,
            },
        };
        record_attempt(&tx, &push, attempt)?;
        results.push(r);
    }
    tx.commit()?;
    Ok(results)
}

const SYNC_ORDER_COLUMNS: &str =
    "o.id, o.patient_id, o.test_code, o.priority, o.placed_at, o.due_at, o.requisition,
     o.fasting, o.location, o.note, o.round_id, o.status, o.cancelled_at, o.cancel_reason,
     o.change_seq, COALESCE(r.device_id = ?1, 0)";

struct OrderRow {
    id: String,
    patient: String,
    test: String,
    priority: String,
    placed_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    requisition: Option<String>,
    fasting: bool,
    location: Option<String>,
    note: Option<String>,
    round_id: Option<Uuid>,
    status: String,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    seq: i64,
    on_worklist: bool,
}

fn order_row(r: &Row<'_>) -> rusqlite::Result<OrderRow> {
    Ok(OrderRow {
        id: r.get(0)?,
        patient: r.get(1)?,
        test: r.get(2)?,
        priority: r.get(3)?,
        placed_at: time_at(r, 4)?,
        due_at: opt_time_at(r, 5)?,
        requisition: r.get(6)?,
        fasting: r.get(7)?,
        location: r.get(8)?,
        note: r.get(9)?,
        round_id: opt_uuid_at(r, 10)?,
        status: r.get(11)?,
        cancelled_at: opt_time_at(r, 12)?,
        cancel_reason: r.get(13)?,
        seq: r.get(14)?,
        on_worklist: r.get(15)?,
    })
}

fn sync_order(row: OrderRow) -> Result<SyncOrder, StoreError> {
    Ok(SyncOrder {
        order: WorklistOrder {
            order: Order {
                id: OrderId::parse(&row.id).map_err(corrupt)?,
                patient: PatientId::parse(&row.patient).map_err(corrupt)?,
                test: TestCode::parse(&row.test).map_err(corrupt)?,
                priority: priority(&row.priority)?,
                placed_at: row.placed_at,
                due_at: row.due_at,
                requisition: row.requisition,
            },
            round_id: row.round_id,
            fasting: row.fasting,
            location: row.location,
            note: row.note,
        },
        status: OrderStatus::parse(&row.status)
            .ok_or_else(|| corrupt(format!("order status '{}'", row.status)))?,
        on_worklist: row.on_worklist,
        cancelled_at: row.cancelled_at,
        cancel_reason: row.cancel_reason,
    })
}

fn patient(tx: &Transaction<'_>, id: &str) -> Result<Patient, StoreError> {
    let (mrn, family, given, birth): (String, String, String, String) = tx.query_row(
        "SELECT mrn, family, given, birth_date FROM patients WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(Patient {
        id: PatientId::parse(id).map_err(corrupt)?,
        identity: PatientIdentity {
            mrn: Mrn::parse(&mrn).map_err(corrupt)?,
            name: PersonName {
                family,
                given: serde_json::from_str(&given).map_err(corrupt)?,
            },
            birth_date: NaiveDate::parse_from_str(&birth, "%Y-%m-%d").map_err(corrupt)?,
        },
    })
}

pub(super) fn pull(
    c: &mut Connection,
    device_id: Uuid,
    cursor: Option<PullCursor>,
    limit: usize,
    heartbeat: NewHeartbeat,
    now: DateTime<Utc>,
) -> Result<PullPage, StoreError> {
    let device = device_id.to_string();
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    insert_heartbeat(&tx, device_id, &heartbeat, now)?;
    let (epoch, max_seq): (String, i64) =
        tx.query_row("SELECT epoch, seq FROM sync_state WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    // A cursor from another database, or from this one's future (a restored backup), cannot be
    // continued: the device gets its whole worklist again.
    let since = cursor.filter(|c| c.epoch == epoch && c.seq >= 0 && c.seq <= max_seq);
    let full = since.is_none();
    let rounds = {
        let mut stmt = tx.prepare(
            "SELECT id, name, device_id, collector_id FROM rounds WHERE device_id = ?1 ORDER BY name",
        )?;
        let rounds = stmt
            .query_map([&device], round_from)?
            .collect::<Result<Vec<_>, _>>()?;
        rounds
    };
    let mut rows: Vec<OrderRow> = match &since {
        None => {
            let mut stmt = tx.prepare(&format!(
                "SELECT {SYNC_ORDER_COLUMNS} FROM orders o JOIN rounds r ON r.id = o.round_id
                 WHERE r.device_id = ?1 AND o.status = 'open' ORDER BY o.change_seq"
            ))?;
            let rows = stmt
                .query_map([&device], order_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        }
        Some(c) => {
            let mut stmt = tx.prepare(&format!(
                "SELECT {SYNC_ORDER_COLUMNS} FROM orders o LEFT JOIN rounds r ON r.id = o.round_id
                 WHERE o.change_seq > ?2
                   AND (r.device_id = ?1
                        OR o.id IN (SELECT order_id FROM device_orders WHERE device_id = ?1))
                 ORDER BY o.change_seq LIMIT ?3"
            ))?;
            let rows = stmt
                .query_map(
                    params![device, c.seq, (limit + 1).min(i64::MAX as usize) as i64],
                    order_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        }
    };
    let has_more = !full && rows.len() > limit;
    rows.truncate(if full { rows.len() } else { limit });
    let next_seq = match rows.last() {
        Some(last) if has_more => last.seq,
        _ => max_seq,
    };
    for row in rows.iter().filter(|r| r.on_worklist) {
        tx.execute(
            "INSERT OR IGNORE INTO device_orders (device_id, order_id) VALUES (?1, ?2)",
            params![device, row.id],
        )?;
    }
    let patient_ids: BTreeSet<String> = rows.iter().map(|r| r.patient.clone()).collect();
    let patients = patient_ids
        .iter()
        .map(|id| patient(&tx, id))
        .collect::<Result<Vec<_>, _>>()?;
    let orders = rows
        .into_iter()
        .map(sync_order)
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok(PullPage {
        next: PullCursor {
            epoch,
            seq: next_seq,
        },
        full,
        has_more,
        rounds,
        patients,
        orders,
    })
}

fn status_view(tx: &Connection, order_id: &str) -> Result<Option<OrderStatusView>, StoreError> {
    let row: Option<(String, Option<DateTime<Utc>>, Option<String>)> = tx
        .query_row(
            "SELECT status, cancelled_at, cancel_reason FROM orders WHERE id = ?1",
            [order_id],
            |r| Ok((r.get(0)?, opt_time_at(r, 1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(status, cancelled_at, cancel_reason)| {
        Ok(OrderStatusView {
            id: order_id.to_owned(),
            status: OrderStatus::parse(&status)
                .ok_or_else(|| corrupt(format!("order status '{status}'")))?,
            cancelled_at,
            cancel_reason,
        })
    })
    .transpose()
}

pub(super) fn order_status(
    c: &mut Connection,
    order_id: &str,
) -> Result<Option<OrderStatusView>, StoreError> {
    status_view(c, order_id)
}

pub(super) fn cancel_order(
    c: &mut Connection,
    order_id: &str,
    reason: Option<String>,
    actor: String,
    now: DateTime<Utc>,
) -> Result<CancelOutcome, StoreError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(view) = status_view(&tx, order_id)? else {
        return Ok(CancelOutcome::NotFound);
    };
    match view.status {
        OrderStatus::Cancelled => return Ok(CancelOutcome::AlreadyCancelled(view)),
        OrderStatus::Collected => return Ok(CancelOutcome::AlreadyCollected(view)),
        OrderStatus::Open | OrderStatus::NotCollected => {}
    }
    tx.execute(
        "UPDATE orders SET status = 'cancelled', cancelled_at = ?2, cancel_reason = ?3 WHERE id = ?1",
        params![order_id, ts(now), reason],
    )?;
    let entry = AuditEntry {
        actor,
        action: "order.cancelled".into(),
        subject: Some(format!("order:{order_id}")),
        detail: Some(
            serde_json::json!({ "reason": reason, "previous_status": view.status.as_str() })
                .to_string(),
        ),
    };
    audit_in(&tx, &entry, now)?;
    let view = status_view(&tx, order_id)?.ok_or(StoreError::Missing("order"))?;
    tx.commit()?;
    Ok(CancelOutcome::Cancelled(view))
}

pub(super) fn device_heartbeats(
    c: &mut Connection,
    device_id: Uuid,
    limit: u32,
) -> Result<Vec<DeviceHeartbeat>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT received_at, source, app_version, device_clock, clock_skew_seconds, queue_length,
                oldest_unsynced_seconds, last_error
         FROM heartbeats WHERE device_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![device_id.to_string(), limit], |r| {
            let clock: Option<String> = r.get(3)?;
            let oldest: Option<i64> = r.get(6)?;
            Ok(DeviceHeartbeat {
                received_at: time_at(r, 0)?,
                source: r.get(1)?,
                app_version: r.get(2)?,
                device_clock: clock.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()),
                clock_skew_seconds: r.get(4)?,
                queue_length: r.get(5)?,
                oldest_unsynced_seconds: oldest.map(|s| s.max(0) as u64),
                last_error: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
