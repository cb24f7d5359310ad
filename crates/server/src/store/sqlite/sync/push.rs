//! A sync push in SQLite: versions, order statuses, heartbeat and refusals in one transaction.
//!
//! Refused pushes get their audit entries in the same transaction.

use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use serde_json::{json, Value};
use uuid::Uuid;

use super::heartbeats::insert_heartbeat;
use super::versions::{existing, insert_version, mark_orders, version_conflict, Arrival, Existing};
use crate::api::{push_codes, PushResult, RecordOutcome};
use crate::revalidate::{held_note, Verdict};
use crate::store::error::StoreError;
use crate::store::sqlite::accessions::{bind_labels, held_by_another_patient};
use crate::store::sqlite::audit::audit_json;
use crate::store::sqlite::facts::insert_facts;
use crate::store::sqlite::row::ts;
use crate::store::sync::{SyncItem, SyncPush, SyncRecord};

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
    let detail = json!({ "version": r.version, "code": r.code, "reason": r.reason });
    let subject = Some(r.id.to_string());
    audit_json(tx, &push.actor, action, subject, detail, push.received_at)?;
    Ok(())
}

fn push_record(
    tx: &Transaction<'_>,
    push: &SyncPush,
    rec: &SyncRecord,
) -> Result<PushResult, StoreError> {
    let v = &rec.version;
    let (id, version) = (v.collection_id, v.version);
    let rejected = |code: &str, reason: String| {
        result(
            id,
            version,
            RecordOutcome::Rejected,
            Some(code),
            Some(reason),
        )
    };
    let latest = match existing(tx, push.device_id, v)? {
        Existing::AnotherDevice => {
            return Ok(rejected(
                push_codes::ANOTHER_DEVICE,
                "this collection id belongs to a collection another device sent".into(),
            ))
        }
        Existing::Duplicate(receipt) => {
            let mut r = result(id, version, RecordOutcome::Duplicate, None, None);
            r.receipt = Some(receipt);
            return Ok(r);
        }
        Existing::Current(latest) => latest,
    };
    // Re-validation's refusals come after the duplicate check: a resend of a stored version is
    // `duplicate` whatever the lab's facts say now.
    let (cancelled, held) = match &rec.verdict {
        Verdict::Rejected(r) => return Ok(rejected(r.code, r.reason.clone())),
        Verdict::Accepted { cancelled } => (cancelled.as_slice(), None),
        Verdict::Held { findings } => (&[][..], Some(findings)),
    };
    // Before anything else about versions: a tube label of another patient is never stored.
    let cid = id.to_string();
    for label in &rec.labels {
        if let Some(holder) = held_by_another_patient(tx, label, &cid, &rec.patient_id)? {
            return Ok(rejected(push_codes::WRONG_BLOOD_IN_TUBE, holder.reason()));
        }
    }
    if let Some(reason) = version_conflict(tx, latest, v, rec.supersedes_hash.as_deref())? {
        return Ok(result(
            id,
            version,
            RecordOutcome::Conflict,
            Some(push_codes::VERSION_CONFLICT),
            Some(reason),
        ));
    }
    let skew = (v.device_clock.with_timezone(&Utc) - push.received_at).num_seconds();
    let device_id = push.device_id.to_string();
    let by = Arrival {
        device_id: &device_id,
        received_at: push.received_at,
        clock_skew_seconds: skew,
        skew_threshold_seconds: push.skew_threshold_seconds,
        resolved_from_attempt: None,
    };
    let receipt = insert_version(tx, v, &by, latest.is_none())?;
    let detail = json!({
        "version": version,
        "content_hash": v.content_hash,
        "clock_skew_seconds": skew,
        "clock_skew_flagged": receipt.clock_skew_flagged,
    });
    let subject = Some(id.to_string());
    audit_json(
        tx,
        &push.actor,
        "collection.received",
        subject,
        detail,
        push.received_at,
    )?;
    let mut r = result(id, version, RecordOutcome::Accepted, None, None);
    r.receipt = Some(receipt);
    if let Some(findings) = held {
        // Stored, so nothing is lost, but the lab's orders and labels wait for a supervisor.
        hold(tx, push, &cid, version, findings)?;
        r.code = Some(push_codes::HELD_OFF_ROUND.into());
        r.reason = Some(Verdict::HELD_REASON.into());
        return Ok(r);
    }
    mark_orders(tx, &rec.orders)?;
    bind_labels(
        tx,
        &cid,
        version,
        &rec.patient_id,
        &rec.labels,
        push.received_at,
    )?;
    if !cancelled.is_empty() {
        r.code = Some(push_codes::ORDER_CANCELLED.into());
        r.reason = Some(format!(
            "order {} was cancelled on the lab server; the specimen is recorded",
            cancelled.join(", ")
        ));
    }
    Ok(r)
}

/// Holds a stored version for a supervisor as collected off round, audited.
fn hold(
    tx: &Transaction<'_>,
    push: &SyncPush,
    cid: &str,
    version: u32,
    findings: &[&str],
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO held_versions (collection_id, version, code, note, held_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            cid,
            version,
            push_codes::HELD_OFF_ROUND,
            held_note(findings),
            ts(push.received_at)
        ],
    )?;
    let detail =
        json!({ "version": version, "code": push_codes::HELD_OFF_ROUND, "findings": findings });
    audit_json(
        tx,
        &push.actor,
        "collection.held",
        Some(cid.to_owned()),
        detail,
        push.received_at,
    )?;
    Ok(())
}

/// What a push attempt to record carries beyond its outcome.
struct AttemptRecord<'a> {
    content_hash: Option<&'a str>,
    supersedes: Option<u32>,
    body: Option<&'a Value>,
    device_clock: DateTime<FixedOffset>,
}

impl<'a> AttemptRecord<'a> {
    fn of(item: &'a SyncItem, push: &SyncPush) -> Self {
        match item {
            SyncItem::Rejected { .. } => Self {
                content_hash: None,
                supersedes: None,
                body: None,
                device_clock: push
                    .heartbeat
                    .heartbeat
                    .device_clock
                    .unwrap_or_else(|| push.received_at.fixed_offset()),
            },
            SyncItem::Record(rec) => Self {
                content_hash: Some(&rec.version.content_hash),
                supersedes: rec.version.supersedes,
                body: Some(&rec.version.body),
                device_clock: rec.version.device_clock,
            },
        }
    }
}

/// Records a push the lab did not store as a new version, for the supervisor's review queue.
fn record_attempt(
    tx: &Transaction<'_>,
    push: &SyncPush,
    r: &PushResult,
    a: AttemptRecord<'_>,
) -> Result<(), StoreError> {
    let outcome = match r.outcome {
        RecordOutcome::Accepted => return Ok(()),
        RecordOutcome::Duplicate => "duplicate",
        RecordOutcome::Conflict => "conflict",
        RecordOutcome::Rejected => "rejected",
    };
    let cid = r.id.to_string();
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
            r.version,
            outcome,
            r.code,
            r.reason,
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

/// Stores a push batch; a storage error stores none of it.
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
        record_attempt(&tx, &push, &r, AttemptRecord::of(item, &push))?;
        results.push(r);
    }
    tx.commit()?;
    Ok(results)
}
