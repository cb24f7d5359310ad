//! A sync push in SQLite: versions, order statuses, heartbeat and refusals in one transaction.
//!
//! Refused pushes get their audit entries in the same transaction.

use chrono::{DateTime, FixedOffset, NaiveTime, SubsecRound, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::{json, Value};
use uuid::Uuid;

use super::heartbeats::insert_heartbeat;
use super::versions::{existing, insert_version, mark_orders, version_conflict, Arrival, Existing};
use crate::api::{push_codes, PushResult, RecordOutcome};
use crate::revalidate::{held_note, Verdict};
use crate::store::error::StoreError;
use crate::store::sqlite::accessions::{bind_labels, first_held_by_another_patient};
use crate::store::sqlite::audit::audit_json;
use crate::store::sqlite::facts::insert_facts;
use crate::store::sqlite::row::ts;
use crate::store::sync::{PushQuota, SyncItem, SyncPush, SyncRecord};

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
    let labels = rec.labels.iter().map(String::as_str);
    if let Some(holder) = first_held_by_another_patient(tx, labels, &cid, &rec.patient_id)? {
        return Ok(rejected(push_codes::WRONG_BLOOD_IN_TUBE, holder.reason()));
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
                    .as_ref()
                    .and_then(|h| h.heartbeat.device_clock)
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
/// A refused body is kept whole while the device is within its daily quota of kept refusals
/// and its stored bytes; beyond, only its hash and size: the answer says whether it was kept.
fn record_attempt(
    tx: &Transaction<'_>,
    push: &SyncPush,
    r: &PushResult,
    a: AttemptRecord<'_>,
    usage: &mut Usage,
) -> Result<Kept, StoreError> {
    let outcome = match r.outcome {
        RecordOutcome::Accepted => return Ok(Kept::Whole),
        RecordOutcome::Duplicate => "duplicate",
        RecordOutcome::Conflict => "conflict",
        RecordOutcome::Rejected => "rejected",
    };
    // Over the day's quota of recorded attempts, only the push's audit summary counts it.
    if !usage.may_record_attempt() {
        return Ok(if a.body.is_some() && outcome != "duplicate" {
            Kept::HashOnly
        } else {
            Kept::Whole
        });
    }
    let cid = r.id.to_string();
    let skew = (a.device_clock.with_timezone(&Utc) - push.received_at).num_seconds();
    // A resend adds nothing the lab does not hold: only conflicts and rejections keep the body.
    let body = a.body.filter(|_| outcome != "duplicate");
    let text = body.map(Value::to_string);
    let bytes = text.as_ref().map(|t| t.len() as u64);
    let kept = match bytes {
        Some(n) if usage.may_keep_refusal(n) => {
            usage.kept_refusal(n);
            Kept::Whole
        }
        Some(_) => Kept::HashOnly,
        None => Kept::Whole,
    };
    let (body, text) = match kept {
        Kept::Whole => (body, text),
        Kept::HashOnly => (None, None),
    };
    tx.execute(
        "INSERT INTO push_attempts (device_id, collection_id, version, outcome, code, reason,
                content_hash, supersedes, body, device_clock, clock_skew_seconds, received_at, actor,
                body_bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            push.device_id.to_string(),
            cid,
            r.version,
            outcome,
            r.code,
            r.reason,
            a.content_hash,
            a.supersedes,
            text,
            a.device_clock.to_rfc3339(),
            skew,
            ts(push.received_at),
            push.actor,
            bytes,
        ],
    )?;
    if let (Some(body), Some(hash)) = (body, a.content_hash) {
        insert_facts(tx, &cid, hash, body)?;
    }
    Ok(kept)
}

/// Stores a push batch; a storage error stores none of it.
pub(super) fn push(c: &mut Connection, mut push: SyncPush) -> Result<Vec<PushResult>, StoreError> {
    // Stored with microseconds: the receipt answered now must equal the one a retry reads back.
    push.received_at = push.received_at.trunc_subsecs(6);
    // IMMEDIATE takes the write lock before the first read: two pushes of the same record, even
    // from two processes, are serialised, and the second one finds the first's receipt.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(heartbeat) = &push.heartbeat {
        insert_heartbeat(&tx, push.device_id, heartbeat, push.received_at)?;
    }
    let mut usage = Usage::of(&tx, &push)?;
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
        if let (RecordOutcome::Accepted, SyncItem::Record(rec)) = (r.outcome, item) {
            // Over the device's stored bytes, the whole push is refused: nothing is stored and
            // the tablet keeps every record to send again.
            usage.store(rec.version.body.to_string().len() as u64)?;
        }
        // What the lab did not store is kept for the supervisor's review queue.
        let mut r = r;
        if record_attempt(&tx, &push, &r, AttemptRecord::of(item, &push), &mut usage)?
            == Kept::HashOnly
        {
            r = body_not_kept(r);
        }
        results.push(r);
    }
    usage.save(&tx)?;
    audit_summary(&tx, &push, &results, usage.unrecorded)?;
    tx.commit()?;
    Ok(results)
}

/// Whether a refused push's body was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    /// Whole (or there was none).
    Whole,
    /// Only its hash and size: the device is over a quota.
    HashOnly,
}

/// The refusal as the device hears it when the lab kept no copy of the body.
fn body_not_kept(mut r: PushResult) -> PushResult {
    let was = r.code.take().unwrap_or_default();
    r.reason = Some(format!(
        "{was}: {}. The lab kept no copy of this version: the device is over its quota of \
         refused versions kept per day (or of stored bytes); the tablet keeps the record.",
        r.reason.as_deref().unwrap_or("refused")
    ));
    r.code = Some(push_codes::BODY_NOT_KEPT.into());
    r
}

/// What a device made the lab store, against its quota, during one push.
struct Usage {
    device_id: String,
    quota: PushQuota,
    /// Bytes stored before this push.
    stored: u64,
    /// Bytes this push adds.
    added: u64,
    /// Refused bodies kept whole today, this push's included.
    kept_today: u32,
    /// Attempts recorded today, this push's included.
    attempts_today: u32,
    /// This push's attempts over the day's quota, not recorded.
    unrecorded: u32,
}

impl Usage {
    fn of(tx: &Transaction<'_>, push: &SyncPush) -> Result<Self, StoreError> {
        let device_id = push.device_id.to_string();
        let stored: i64 = tx
            .query_row(
                "SELECT stored_bytes FROM device_usage WHERE device_id = ?1",
                [&device_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let day = push
            .received_at
            .date_naive()
            .and_time(NaiveTime::MIN)
            .and_utc();
        let (kept_today, attempts_today): (u32, u32) = tx.query_row(
            "SELECT COALESCE(SUM(outcome IN ('conflict', 'rejected') AND body IS NOT NULL), 0),
                    COUNT(*)
             FROM push_attempts WHERE device_id = ?1 AND received_at >= ?2",
            params![device_id, ts(day)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Self {
            device_id,
            quota: push.quota,
            stored: u64::try_from(stored).unwrap_or(0),
            added: 0,
            kept_today,
            attempts_today,
            unrecorded: 0,
        })
    }

    fn total(&self) -> u64 {
        self.stored.saturating_add(self.added)
    }

    /// Counts a stored version; over the quota nothing of the push may be stored.
    fn store(&mut self, bytes: u64) -> Result<(), StoreError> {
        if self.total().saturating_add(bytes) > self.quota.max_stored_bytes {
            return Err(StoreError::OverQuota {
                stored: self.total(),
                limit: self.quota.max_stored_bytes,
            });
        }
        self.added += bytes;
        Ok(())
    }

    /// Counts an attempt to record; `false` (and counted as unrecorded) over the day's quota.
    fn may_record_attempt(&mut self) -> bool {
        if self.attempts_today >= self.quota.max_recorded_attempts_per_day {
            self.unrecorded += 1;
            return false;
        }
        self.attempts_today += 1;
        true
    }

    fn may_keep_refusal(&self, bytes: u64) -> bool {
        self.kept_today < self.quota.max_kept_refusals_per_day
            && self.total().saturating_add(bytes) <= self.quota.max_stored_bytes
    }

    fn kept_refusal(&mut self, bytes: u64) {
        self.kept_today += 1;
        self.added += bytes;
    }

    fn save(&self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        if self.added > 0 {
            tx.execute(
                "INSERT INTO device_usage (device_id, stored_bytes) VALUES (?1, ?2)
                 ON CONFLICT (device_id) DO UPDATE SET stored_bytes = stored_bytes + excluded.stored_bytes",
                params![self.device_id, i64::try_from(self.added).unwrap_or(i64::MAX)],
            )?;
        }
        Ok(())
    }
}

/// One audit entry for what a push did not store (duplicates, conflicts, rejections): counts by
/// outcome and by code, never a reason or record text, so a device sending bad records cannot
/// grow the append-only log by one row per record nor put patient data in it.
fn audit_summary(
    tx: &Transaction<'_>,
    push: &SyncPush,
    results: &[PushResult],
    unrecorded: u32,
) -> Result<(), StoreError> {
    let count = |o: RecordOutcome| results.iter().filter(|r| r.outcome == o).count();
    if count(RecordOutcome::Accepted) == results.len() {
        return Ok(());
    }
    let mut codes = std::collections::BTreeMap::<&str, usize>::new();
    for r in results
        .iter()
        .filter(|r| r.outcome != RecordOutcome::Accepted)
    {
        *codes
            .entry(r.code.as_deref().unwrap_or("none"))
            .or_default() += 1;
    }
    let detail = json!({
        "records": results.len(),
        "accepted": count(RecordOutcome::Accepted),
        "duplicate": count(RecordOutcome::Duplicate),
        "conflict": count(RecordOutcome::Conflict),
        "rejected": count(RecordOutcome::Rejected),
        "codes": codes,
        "unrecorded": unrecorded,
    });
    let subject = Some(push.device_id.to_string());
    audit_json(
        tx,
        &push.actor,
        "sync.push_refusals",
        subject,
        detail,
        push.received_at,
    )?;
    Ok(())
}
