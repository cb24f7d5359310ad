//! Sync: devices push finalized collections in batches and pull worklist changes by cursor.
//!
//! Both record the device's heartbeat.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::Engine;
use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use drawline_domain::collection::{invalid_field, FUTURE_TOLERANCE_SECONDS};
use drawline_domain::{ContentHash, FinalizedCollection, IdentifyContext, ReceivedCollectionError};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::api::{
    push_codes, PullQuery, PullResponse, PushRecord, PushRequest, PushResponse, SealedRecord,
    MAX_PULL_ORDERS, MAX_PUSH_RECORDS,
};
use crate::auth::{Caller, SignedIn};
use crate::error::Problem;
use crate::extract::{ApiJson, ApiQuery};
use crate::lab_key::LabKey;
use crate::revalidate::{self, FactsWanted, Verdict};
use crate::store::{
    NewCollectionVersion, NewHeartbeat, PullCursor, SyncItem, SyncPush, SyncRecord,
};
use crate::{AppError, AppState};

/// Longest `last_error` kept; a longer one is cut (a sync must never fail over its own error text).
pub const MAX_LAST_ERROR_BYTES: usize = 2000;
/// Longest `app_version` kept.
pub const MAX_APP_VERSION_BYTES: usize = 64;

/// `PushRequest` as the server reads it: each record stays raw JSON until it is checked on its
/// own, so one malformed record is rejected alone instead of failing the batch.
#[derive(Debug, Deserialize)]
pub struct PushEnvelope {
    device_clock: DateTime<FixedOffset>,
    #[serde(default)]
    app_version: Option<String>,
    queue_length: u32,
    #[serde(default)]
    oldest_unsynced_seconds: Option<u64>,
    #[serde(default)]
    last_error: Option<String>,
    records: Vec<Value>,
    #[serde(default)]
    sealed: Vec<Value>,
}

fn cut(text: Option<String>, max: usize) -> Option<String> {
    text.map(|mut t| {
        if t.len() > max {
            let mut end = max;
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t.truncate(end);
        }
        t
    })
}

/// Checks one pushed record with the domain crate: everything that needs no database.
pub fn check_record(value: Value, device_clock: DateTime<FixedOffset>) -> SyncItem {
    read_record(value, device_clock).0
}

/// The id and version a pushed value names, as far as they can be read (nil and 0 otherwise),
/// so even a refusal answers for the record it was about.
fn claimed_id(value: &Value) -> (Uuid, u32) {
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .unwrap_or(Uuid::nil());
    let version = value
        .get("version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0);
    (id, version)
}

/// [`check_record`], with the collection read when it passed (for re-validation). No reason
/// quotes the record's text: serde's messages are replaced by the field they fail on.
fn read_record(
    value: Value,
    device_clock: DateTime<FixedOffset>,
) -> (SyncItem, Option<FinalizedCollection>) {
    let (id, version) = claimed_id(&value);
    let reject = |code: &'static str, reason: String| {
        (
            SyncItem::Rejected {
                id,
                version,
                code,
                reason,
            },
            None,
        )
    };
    let rec: PushRecord = match serde_path_to_error::deserialize(value) {
        Ok(r) => r,
        Err(e) => {
            return reject(
                push_codes::MALFORMED_RECORD,
                format!("not a push record: {}", invalid_field(&e)),
            )
        }
    };
    if let Some(bad) = crate::instants::first_bad_instant(&rec.collection) {
        return reject(push_codes::INVALID_TIME, bad);
    }
    if ContentHash::parse(&rec.content_hash).is_err() {
        return reject(
            push_codes::MALFORMED_RECORD,
            "content_hash is not 64 lower-case hex digits".into(),
        );
    }
    let f = match FinalizedCollection::from_json_value(rec.collection) {
        Ok(f) => f,
        Err(e @ ReceivedCollectionError::Malformed(_)) => {
            return reject(push_codes::INVALID_RECORD, e.to_string())
        }
        Err(e @ ReceivedCollectionError::NotFinalized) => {
            return reject(push_codes::NOT_FINALIZED, e.to_string())
        }
        Err(e @ ReceivedCollectionError::HashMismatch) => {
            return reject(push_codes::HASH_MISMATCH, e.to_string())
        }
    };
    if f.hash().as_str() != rec.content_hash {
        return reject(
            push_codes::HASH_MISMATCH,
            format!(
                "content_hash {} is not the collection's hash {}",
                rec.content_hash,
                f.hash()
            ),
        );
    }
    let r = f.record();
    if r.id().0 != rec.id {
        return reject(
            push_codes::ID_MISMATCH,
            format!("id {} is not the collection's id {}", rec.id, r.id()),
        );
    }
    if r.version() != rec.version {
        return reject(
            push_codes::VERSION_MISMATCH,
            format!(
                "version {} is not the collection's version {}",
                rec.version,
                r.version()
            ),
        );
    }
    let own = r.supersedes().map(|s| (s.version, s.hash.to_string()));
    let declared = rec.supersedes.as_ref().map(|s| (s.version, s.hash.clone()));
    if own != declared {
        return reject(
            push_codes::SUPERSEDES_MISMATCH,
            "supersedes is not what the collection itself says it supersedes".into(),
        );
    }
    let orders = crate::store::facts::record_orders(r);
    let body = match serde_json::to_value(&f) {
        Ok(b) => b,
        Err(_) => {
            return reject(
                push_codes::INVALID_RECORD,
                "the collection cannot be written back as JSON".into(),
            )
        }
    };
    let item = SyncItem::Record(SyncRecord {
        version: NewCollectionVersion {
            collection_id: rec.id,
            version: rec.version,
            supersedes: own.as_ref().map(|s| s.0),
            content_hash: rec.content_hash,
            body,
            collector_id: Uuid::parse_str(r.started_by().as_str()).ok(),
            device_clock,
        },
        supersedes_hash: own.map(|s| s.1),
        orders,
        patient_id: r.patient().id.as_str().to_owned(),
        labels: r.accessions().map(ToString::to_string).collect(),
        verdict: Verdict::default(),
    });
    (item, Some(f))
}

/// Re-validates the records that passed the domain checks against the lab's facts, gathered in
/// one store call; each gets its verdict.
async fn revalidate_all(
    state: &AppState,
    device_id: Uuid,
    read: Vec<(SyncItem, Option<FinalizedCollection>)>,
    now: DateTime<Utc>,
    device_now: DateTime<Utc>,
) -> Result<Vec<SyncItem>, AppError> {
    let mut wanted = FactsWanted::new(device_id);
    for f in read.iter().filter_map(|(_, f)| f.as_ref()) {
        wanted.add(f.record());
    }
    let facts = state.store.push_facts(wanted).await?;
    let ctx = revalidate::Context {
        now,
        device_now,
        skew_allowance: state
            .sync
            .skew_threshold
            .max(chrono::Duration::seconds(FUTURE_TOLERANCE_SECONDS)),
        identify: IdentifyContext::new(state.site.safety()),
    };
    Ok(read
        .into_iter()
        .map(|(mut item, f)| {
            if let (SyncItem::Record(rec), Some(f)) = (&mut item, f) {
                rec.verdict = revalidate::revalidate(f.record(), &facts, &ctx);
            }
            item
        })
        .collect())
}

/// Sends a batch of finalized collections; answers one result per record, in order.
///
/// Same id and content hash again: `duplicate` with the original receipt. Same id, other hash,
/// not correctly superseding the latest version: `conflict`. Invalid: `rejected` with a stable
/// `code` (see `push_codes`); it never affects the other records. Every version is re-validated
/// against the lab (see `revalidate`): identification present and matching the order's patient,
/// a tube or a coded exception per order, times neither in the future nor before the order, the
/// people it names active users. An order not on the device's rounds (or unknown: the answer
/// does not tell) is `accepted` with `held_off_round`: stored, held for a supervisor, the lab's
/// orders untouched. No reason quotes patient data or the record's text. The batch is stored in one
/// transaction: a failure stores none of it (answered 503, safe to resend). Also records the
/// device's heartbeat and flags receipts when the device clock is off by more than the lab allows.
///
/// `sealed` records (sealed to the lab's public key) are answered after `records`, one result
/// each: each is opened with the lab's key and then takes exactly the plain record's path, so a
/// record is `duplicate` with its original receipt whether it came plain or sealed before. A
/// seal that does not open, or whose content is not the record its clear id, version and hash
/// name, is that record's own `rejected` `unreadable_seal`.
#[utoipa::path(post, path = "/sync/push", tag = "sync", request_body = PushRequest,
    security(("bearer" = [])),
    responses((status = 200, body = PushResponse), (status = 400, body = Problem),
              (status = 401, body = Problem),
              (status = 403, description = "`device_revoked`: the device was revoked", body = Problem),
              (status = 413, description = "more than MAX_PUSH_RECORDS records and sealed records together, or too large a body", body = Problem),
              (status = 415, body = Problem), (status = 422, body = Problem),
              (status = 429, description = "`quota_exceeded`: too many pushes from this device; see Retry-After", body = Problem),
              (status = 503, description = "storage failed; nothing of the batch was stored", body = Problem),
              (status = 507, description = "`storage_quota_exceeded`: the device's stored records reached its quota; nothing was stored", body = Problem)))]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<PushEnvelope>,
) -> Result<Json<PushResponse>, AppError> {
    let sent = req.records.len() + req.sealed.len();
    if sent > MAX_PUSH_RECORDS {
        return Err(AppError::BadRequest {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "batch_too_large",
            message: format!("{sent} records in one push; send at most {MAX_PUSH_RECORDS}"),
        });
    }
    crate::instants::check_field("device_clock", Some(&req.device_clock))?;
    admit_push(&state, caller.device.id)?;
    let device_clock = req.device_clock;
    let batch = Batch {
        device_id: caller.device.id,
        actor: caller.actor(),
        device_clock,
        heartbeat: Some(NewHeartbeat {
            source: "push",
            app_version: cut(req.app_version, MAX_APP_VERSION_BYTES),
            heartbeat: crate::api::Heartbeat {
                device_clock: Some(device_clock),
                queue_length: req.queue_length,
                oldest_unsynced_seconds: req.oldest_unsynced_seconds,
                last_error: cut(req.last_error, MAX_LAST_ERROR_BYTES),
            },
        }),
        flag_skew: true,
        records: req.records,
        sealed: req.sealed,
    };
    let stored = store_batch(&state, batch).await?;
    let results = stored.results;
    let count = |o: crate::api::RecordOutcome| results.iter().filter(|r| r.outcome == o).count();
    tracing::info!(device = %caller.device.id, records = results.len(),
        accepted = count(crate::api::RecordOutcome::Accepted),
        duplicate = count(crate::api::RecordOutcome::Duplicate),
        conflict = count(crate::api::RecordOutcome::Conflict),
        rejected = count(crate::api::RecordOutcome::Rejected),
        clock_skew_seconds = stored.skew_seconds, clock_skew_flagged = stored.skew_flagged, "sync push");
    Ok(Json(PushResponse {
        server_time: stored.received_at,
        clock_skew_seconds: stored.skew_seconds,
        clock_skew_flagged: stored.skew_flagged,
        results,
    }))
}

/// A batch of records to store as one push of a device: what `POST /sync/push` received, or
/// what `drawline import-outbox` carries for the device that exported it.
#[derive(Debug)]
pub struct Batch {
    /// The device the records are stored for (it owns them).
    pub device_id: Uuid,
    /// Who, for the audit log.
    pub actor: String,
    /// The device's clock when it sent them (when it exported them, for an import).
    pub device_clock: DateTime<FixedOffset>,
    /// The device's sync state; `None` when the device itself did not send the batch.
    pub heartbeat: Option<NewHeartbeat>,
    /// Whether receipts are flagged for clock skew. An import's clock is when the file was made,
    /// not when the lab received it: its distance from the lab's clock is no skew.
    pub flag_skew: bool,
    /// Plain records, raw JSON (each checked on its own).
    pub records: Vec<Value>,
    /// Sealed records, raw JSON (each opened and checked on its own); answered after `records`.
    pub sealed: Vec<Value>,
}

/// What [`store_batch`] stored and answered.
#[derive(Debug)]
pub struct StoredBatch {
    /// The lab's receive time.
    pub received_at: DateTime<Utc>,
    /// Device clock minus receive time, in seconds.
    pub skew_seconds: i64,
    /// The skew is beyond what the lab allows (never for a batch with `flag_skew` off).
    pub skew_flagged: bool,
    /// One per record: `records` first, then `sealed`, each in the order given.
    pub results: Vec<crate::api::PushResult>,
}

/// Checks, opens (sealed records), re-validates and stores a batch as one push: the one path
/// every record takes into the lab, whether pushed plain, pushed sealed or imported from a file.
/// At most [`MAX_PUSH_RECORDS`] records and sealed records together (the caller checks).
pub async fn store_batch(state: &AppState, batch: Batch) -> Result<StoredBatch, AppError> {
    let received_at = Utc::now().trunc_subsecs(6);
    let device_clock = batch.device_clock;
    let skew = (device_clock.with_timezone(&Utc) - received_at).num_seconds();
    let threshold = if batch.flag_skew {
        state.sync.skew_threshold.num_seconds()
    } else {
        i64::MAX
    };
    let count = batch.records.len() + batch.sealed.len();
    let (records, sealed) = (batch.records, batch.sealed);
    let lab_key = state.lab_key.clone();
    let read_all = move || -> Vec<_> {
        let plain = records.into_iter().map(|v| read_record(v, device_clock));
        let opened = sealed
            .into_iter()
            .map(|v| read_sealed(&lab_key, v, device_clock));
        plain.chain(opened).collect()
    };
    // Reading means parsing and hashing each record (and an ECDH per seal): a big batch goes
    // off the async workers.
    let read = if count > BLOCKING_CHECK_RECORDS {
        crate::offload::off_workers(read_all).await
    } else {
        read_all()
    };
    let device_now = device_clock.with_timezone(&Utc);
    let items = revalidate_all(state, batch.device_id, read, received_at, device_now).await?;
    let push = SyncPush {
        device_id: batch.device_id,
        actor: batch.actor,
        received_at,
        skew_threshold_seconds: threshold,
        heartbeat: batch.heartbeat,
        items,
        quota: crate::store::PushQuota {
            max_stored_bytes: state.limits.max_stored_bytes_per_device,
            max_kept_refusals_per_day: state.limits.max_kept_refusals_per_day,
            max_recorded_attempts_per_day: state.limits.max_recorded_attempts_per_day,
        },
    };
    let results = state.store.sync_push(push).await?;
    Ok(StoredBatch {
        received_at,
        skew_seconds: skew,
        skew_flagged: skew.abs() > threshold,
        results,
    })
}

/// Opens one sealed record with the lab's key, then reads the record inside exactly as a plain
/// one ([`read_record`]). A seal that is malformed, does not open, or holds another record than
/// its clear fields name is rejected `unreadable_seal`; the reason never quotes the content.
fn read_sealed(
    lab_key: &LabKey,
    value: Value,
    device_clock: DateTime<FixedOffset>,
) -> (SyncItem, Option<FinalizedCollection>) {
    let (id, version) = claimed_id(&value);
    let reject = |reason: String| {
        (
            SyncItem::Rejected {
                id,
                version,
                code: push_codes::UNREADABLE_SEAL,
                reason,
            },
            None,
        )
    };
    let sealed: SealedRecord = match serde_path_to_error::deserialize(value) {
        Ok(s) => s,
        Err(e) => return reject(format!("not a sealed record: {}", invalid_field(&e))),
    };
    let record = match lab_key.open(&sealed) {
        Ok(r) => r,
        Err(e) => return reject(e.to_string()),
    };
    match serde_json::to_value(record) {
        Ok(v) => read_record(v, device_clock),
        Err(_) => reject("the sealed record cannot be read back as JSON".into()),
    }
}

/// Counts a push against the device's pushes per minute; over it, 429 `quota_exceeded` with
/// `Retry-After` (the tablet keeps its records and sends them then).
fn admit_push(state: &AppState, device: Uuid) -> Result<(), AppError> {
    let limits = &state.limits;
    let (max, window) = (limits.max_pushes_per_minute, limits.push_rate_window);
    state
        .push_rate
        .admit(device, std::time::Instant::now(), max, window)
        .map_err(|wait| {
            let secs = crate::quota::retry_after_secs(wait);
            tracing::warn!(device = %device, retry_after_secs = secs, "push rate quota exceeded");
            AppError::QuotaExceeded {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "quota_exceeded",
                message: format!(
                    "This device sent {max} pushes within {} s, as many as the lab takes; \
                     nothing of this one was stored. Send it again in {secs} s.",
                    window.as_secs()
                ),
                retry_after_secs: secs,
            }
        })
}
/// Batches of more records than this are checked on the blocking pool.
const BLOCKING_CHECK_RECORDS: usize = 8;

const CURSOR_VERSION: &str = "c1";

/// The opaque text of a cursor.
pub fn encode_cursor(c: &PullCursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{CURSOR_VERSION}:{}:{}", c.epoch, c.seq))
}

/// Reads a cursor this server issued; `None` when it is not one.
pub fn decode_cursor(text: &str) -> Option<PullCursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split(':');
    let (version, epoch, seq) = (parts.next()?, parts.next()?, parts.next()?);
    if version != CURSOR_VERSION || parts.next().is_some() {
        return None;
    }
    if epoch.is_empty() || epoch.len() > 64 || !epoch.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(PullCursor {
        epoch: epoch.to_owned(),
        seq: seq.parse().ok().filter(|s: &i64| *s >= 0)?,
    })
}

/// The device's worklist changes since `cursor` (a server-issued cursor, never a device clock):
/// patients, orders with their status (cancelled ones included), the device's rounds and the
/// site configuration version. Without a cursor (or with one this database cannot continue) it
/// answers the whole worklist with `full: true`. Also records the device's heartbeat.
///
/// Patient data: only for a person signed in on the device (its session token), never for the
/// bare device token. `rotate_token` asks the tablet to rotate a device token older than the lab
/// allows.
#[utoipa::path(get, path = "/sync/pull", tag = "sync", params(PullQuery),
    security(("bearer" = [])),
    responses((status = 200, body = PullResponse),
              (status = 400, description = "unreadable query or cursor", body = Problem),
              (status = 401, description = "no session: `sign_in_required`", body = Problem),
              (status = 422, description = "`invalid_time`: a device clock outside the years or offsets the lab takes", body = Problem)))]
pub async fn pull(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, AppError> {
    let cursor = crate::extract::cursor(
        q.cursor.as_deref(),
        decode_cursor,
        "pull without a cursor to start over",
    )?;
    crate::instants::check_field("device_clock", q.device_clock.as_ref())?;
    let limit = q
        .limit
        .map_or(MAX_PULL_ORDERS, |l| (l as usize).clamp(1, MAX_PULL_ORDERS));
    let now = Utc::now().trunc_subsecs(6);
    let heartbeat = NewHeartbeat {
        source: "pull",
        app_version: cut(q.app_version, MAX_APP_VERSION_BYTES),
        heartbeat: crate::api::Heartbeat {
            device_clock: q.device_clock,
            queue_length: q.queue_length.unwrap_or(0),
            oldest_unsynced_seconds: q.oldest_unsynced_seconds,
            last_error: cut(q.last_error, MAX_LAST_ERROR_BYTES),
        },
    };
    let page = state
        .store
        .sync_pull(caller.device.id, cursor, limit, heartbeat, now)
        .await?;
    Ok(Json(PullResponse {
        server_time: now,
        full: page.full,
        next_cursor: encode_cursor(&page.next),
        has_more: page.has_more,
        rounds: page.rounds,
        patients: page.patients,
        orders: page.orders,
        site: state.site_version.as_ref().clone(),
        rotate_token: crate::routes::device_token::rotation_due(
            caller.device.token_issued_at,
            now,
            state.limits.device_token_max_age_days,
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_garbage_is_not_a_cursor() {
        let c = PullCursor {
            epoch: "0123456789abcdef0123456789abcdef".into(),
            seq: 42,
        };
        assert_eq!(decode_cursor(&encode_cursor(&c)), Some(c));
        for bad in ["", "x", "garbage!", "YzE6OjE", "YzI6YWI6MQ", "YzE6YWI6LTE"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_long_last_error_is_cut_at_a_character_boundary() {
        let text = "é".repeat(1500);
        let cut = cut(Some(text), MAX_LAST_ERROR_BYTES).unwrap();
        assert!(cut.len() <= MAX_LAST_ERROR_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
