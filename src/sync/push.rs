//! The push half of sync as pure decisions, tested natively.
//!
//! Which outbox records go next, what the lab's answer does to each, and how long to wait
//! before trying again.

use chrono::{DateTime, FixedOffset};
use drawline_domain::api::{PushRecord, PushRequest, PushResponse, RecordOutcome, SealedRecord};
use drawline_domain::FinalizedCollection;

use super::error::SyncError;
use crate::crypto::Envelope;
use crate::storage::records::ReceiptDetails;
use crate::storage::{Attention, OutboxItem, ReceiptRecord};

/// First retry after a transient failure, in milliseconds.
pub const RETRY_BASE_MS: u32 = 2_000;
/// Longest wait between retries. Short enough that a tablet back in signal syncs within a minute;
/// an offline tablet's failed fetch costs nothing.
pub const RETRY_MAX_MS: u32 = 60_000;
/// How often to look again while records wait and nothing failed (a timer trigger).
pub const RECHECK_MS: u32 = 30_000;

/// The records that may be sent: not quarantined, and readable now (sealed to the lab, or
/// decrypted because someone unlocked the tablet), oldest finalized first.
pub fn sendable(items: &[OutboxItem]) -> Vec<&OutboxItem> {
    let mut out: Vec<&OutboxItem> = items
        .iter()
        .filter(|i| i.attention.is_none())
        .filter(|i| i.sealed.is_some() || !Envelope::is_envelope(&i.data))
        .collect();
    out.sort_by(|a, b| {
        a.finalized_at
            .cmp(&b.finalized_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// Queue length and the age in seconds of the oldest record still waiting, for the heartbeat.
pub fn queue_stats(items: &[OutboxItem], now: DateTime<FixedOffset>) -> (u32, Option<u64>) {
    let oldest = items
        .iter()
        .filter_map(|i| DateTime::parse_from_rfc3339(&i.finalized_at).ok())
        .min()
        .map(|t| (now - t).num_seconds().max(0) as u64);
    (items.len() as u32, oldest)
}

/// A record that cannot even be read back on the device: quarantined instead of sent.
fn unreadable(item: &OutboxItem, why: String, now: DateTime<FixedOffset>) -> OutboxItem {
    let mut q = item.clone();
    q.attention = Some(Attention {
        outcome: "rejected".into(),
        code: Some("unreadable_on_device".into()),
        reason: format!("this record cannot be read on the tablet: {why}"),
        at: now.to_rfc3339(),
    });
    q
}

/// The push request for `batch`, with the device's sync state as its heartbeat. Records that
/// cannot be read back are returned separately, quarantined, instead of being sent.
pub fn push_request(
    batch: &[OutboxItem],
    all: &[OutboxItem],
    now: DateTime<FixedOffset>,
    app_version: &str,
    last_error: Option<String>,
) -> (PushRequest, Vec<OutboxItem>) {
    let (queue_length, oldest_unsynced_seconds) = queue_stats(all, now);
    let mut records = Vec::with_capacity(batch.len());
    let mut broken = Vec::new();
    let mut sealed = Vec::new();
    for item in batch {
        // The sealed copy when there is one: the same record, and sendable while locked.
        if let (Some(seal), Ok(id)) = (&item.sealed, item.collection_id.parse::<uuid::Uuid>()) {
            sealed.push(SealedRecord {
                id,
                version: item.version,
                hash: item.hash.clone(),
                sealed: seal.clone(),
            });
            continue;
        }
        match crate::json_value::from_value::<FinalizedCollection>(&item.data) {
            Ok(f) => records.push(PushRecord::from_finalized(&f)),
            Err(e) => broken.push(unreadable(item, e.to_string(), now)),
        }
    }
    let request = PushRequest {
        sealed,
        device_clock: now,
        app_version: Some(app_version.to_owned()),
        queue_length,
        oldest_unsynced_seconds,
        last_error,
        records,
    };
    (request, broken)
}

/// What the lab's answer does to one outbox record.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement {
    /// The lab holds it (accepted or duplicate): move it to receipts.
    Synced(ReceiptRecord),
    /// Conflict or rejected: keep it, with the reason, and stop sending it.
    Quarantined(OutboxItem),
    /// No usable answer for it: it stays waiting and goes again.
    Unanswered(String),
}

/// Matches the lab's per-record answers to the batch (by id and version, not position).
pub fn settle(
    batch: &[OutboxItem],
    response: &PushResponse,
    now: DateTime<FixedOffset>,
) -> Vec<Settlement> {
    batch
        .iter()
        .map(|item| {
            let found = response
                .results
                .iter()
                .find(|r| r.id.to_string() == item.collection_id && r.version == item.version);
            let Some(result) = found else {
                return Settlement::Unanswered(item.id.clone());
            };
            match result.outcome {
                RecordOutcome::Accepted | RecordOutcome::Duplicate => match &result.receipt {
                    Some(receipt) => Settlement::Synced(receipt_record(item, receipt)),
                    // A synced answer without its receipt is not proof: send it again.
                    None => Settlement::Unanswered(item.id.clone()),
                },
                RecordOutcome::Conflict | RecordOutcome::Rejected => {
                    let mut q = item.clone();
                    q.attention = Some(Attention {
                        outcome: match result.outcome {
                            RecordOutcome::Conflict => "conflict",
                            _ => "rejected",
                        }
                        .into(),
                        code: result.code.clone(),
                        reason: result
                            .reason
                            .clone()
                            .unwrap_or_else(|| "the lab refused this record".into()),
                        at: now.to_rfc3339(),
                    });
                    Settlement::Quarantined(q)
                }
            }
        })
        .collect()
}

fn receipt_record(item: &OutboxItem, receipt: &drawline_domain::api::Receipt) -> ReceiptRecord {
    // While the tablet is locked the record is still an envelope: the receipt keeps it as it
    // is, and what it says is read out of it once someone unlocks.
    let details = ReceiptDetails::of(&item.data);
    ReceiptRecord {
        id: item.id.clone(),
        collection_id: item.collection_id.clone(),
        version: item.version,
        hash: item.hash.clone(),
        patient_id: details.patient_id,
        patient_label: details.patient_label,
        order_ids: details.order_ids,
        finalized_at: item.finalized_at.clone(),
        receipt: serde_json::to_value(receipt).unwrap_or_default(),
        voided: details.voided,
        data: Some(item.data.clone()),
    }
}

/// What to do after a failed push or pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No connection, a timeout, a server error: try again after a backoff.
    Transient(String),
    /// The lab no longer knows this device (revoked, or enrolled elsewhere): stop and ask to
    /// enroll again. Nothing on the device is deleted.
    Reenroll(String),
    /// The lab refused the whole request as malformed: isolate the record that causes it.
    Refused(String),
    /// The lab revoked this device: what it delivered is wiped, the rest kept sealed, and sync
    /// stops.
    Revoked(String),
}

impl Failure {
    /// Classifies a failed call.
    pub fn of(error: &SyncError) -> Self {
        match error {
            SyncError::Revoked(why) => Failure::Revoked(why.clone()),
            SyncError::Server {
                status: 401 | 403, ..
            } => Failure::Reenroll(error.human()),
            SyncError::Server { status, .. }
                if (400..500).contains(status) && !matches!(status, 408 | 425 | 429) =>
            {
                Failure::Refused(error.human())
            }
            other => Failure::Transient(other.human()),
        }
    }
}

/// The wait before retry number `attempt` (1 for the first): exponential, capped, with jitter so
/// a ward of tablets coming back online does not retry in step. `unit` is a random number in
/// `[0, 1)`; the wait is between half and all of the exponential step.
pub fn retry_delay_ms(attempt: u32, unit: f64) -> u32 {
    let step = RETRY_BASE_MS
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(RETRY_MAX_MS);
    let unit = unit.clamp(0.0, 1.0);
    step / 2 + (f64::from(step / 2) * unit) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use drawline_domain::api::{PushResult, Receipt};
    use uuid::Uuid;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn item(id: Uuid, version: u32, finalized_at: &str) -> OutboxItem {
        OutboxItem {
            id: OutboxItem::key(&id.to_string(), version),
            collection_id: id.to_string(),
            version,
            hash: format!("h{version}"),
            finalized_at: finalized_at.into(),
            data: serde_json::json!({}),
            attention: None,
            sealed: None,
        }
    }

    fn receipt(id: Uuid, version: u32) -> Receipt {
        Receipt {
            id: Uuid::new_v4(),
            collection_id: id,
            version,
            content_hash: format!("h{version}"),
            received_at: Utc::now(),
            clock_skew_flagged: false,
        }
    }

    fn result(id: Uuid, version: u32, outcome: RecordOutcome) -> PushResult {
        PushResult {
            id,
            version,
            outcome,
            receipt: outcome.is_synced().then(|| receipt(id, version)),
            code: (!outcome.is_synced()).then(|| "unknown_order".to_string()),
            reason: (!outcome.is_synced()).then(|| "order o-1 is not known to the lab".into()),
        }
    }

    fn response(results: Vec<PushResult>) -> PushResponse {
        PushResponse {
            server_time: Utc::now(),
            clock_skew_seconds: 0,
            clock_skew_flagged: false,
            results,
        }
    }

    #[test]
    fn quarantined_records_are_not_sent_and_the_oldest_goes_first() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut stuck = item(c, 1, "2026-11-23T06:00:00+00:00");
        stuck.attention = Some(Attention {
            outcome: "rejected".into(),
            code: None,
            reason: "no".into(),
            at: "2026-11-23T06:01:00+00:00".into(),
        });
        let items = vec![
            item(a, 1, "2026-11-23T09:00:00+01:00"),
            item(b, 1, "2026-11-23T07:30:00+00:00"),
            stuck,
        ];
        let order: Vec<&str> = sendable(&items)
            .into_iter()
            .map(|i| i.collection_id.as_str())
            .collect();
        assert_eq!(order, [b.to_string(), a.to_string()]);
        let (n, oldest) = queue_stats(&items, t("2026-11-23T08:00:00+00:00"));
        assert_eq!((n, oldest), (3, Some(7200)));
    }

    fn sealed_copy() -> drawline_domain::api::Sealed {
        drawline_domain::api::Sealed {
            epk: drawline_domain::api::PublicJwk {
                kty: "EC".into(),
                crv: "P-256".into(),
                x: "x".into(),
                y: "y".into(),
            },
            iv: "iv".into(),
            ct: "ct".into(),
        }
    }

    #[test]
    fn a_sealed_record_goes_sealed_and_a_locked_record_without_a_seal_waits_unharmed() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut sealed = item(a, 1, "2026-11-23T07:00:00+00:00");
        // Locked: its data is still an envelope, but its sealed copy can go.
        sealed.data = serde_json::json!({"drawline_enc": 1, "iv": "i", "ct": "c"});
        sealed.sealed = Some(sealed_copy());
        let mut waiting = item(b, 1, "2026-11-23T06:00:00+00:00");
        waiting.data = serde_json::json!({"drawline_enc": 1, "iv": "i", "ct": "c"});
        let items = vec![sealed.clone(), waiting];
        let ready: Vec<OutboxItem> = sendable(&items).into_iter().cloned().collect();
        assert_eq!(ready, vec![sealed]);
        let (request, broken) =
            push_request(&ready, &items, t("2026-11-23T08:00:00+00:00"), "1", None);
        assert!(broken.is_empty(), "nothing is quarantined for being locked");
        assert!(request.records.is_empty());
        assert_eq!(request.sealed.len(), 1);
        assert_eq!((request.sealed[0].id, request.sealed[0].version), (a, 1));
        assert_eq!(request.sealed[0].hash, "h1");
        assert_eq!(request.queue_length, 2);
    }

    #[test]
    fn the_lab_revoking_the_device_is_told_apart_from_an_unknown_token() {
        assert!(matches!(
            Failure::of(&SyncError::Revoked("revoked".into())),
            Failure::Revoked(_)
        ));
        assert!(matches!(
            Failure::of(&SyncError::Server {
                status: 401,
                message: "unknown".into()
            }),
            Failure::Reenroll(_)
        ));
    }

    #[test]
    fn each_answer_settles_its_own_record_whatever_the_order_of_the_results() {
        let (a, b, c, d) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let now = t("2026-11-23T08:00:00+00:00");
        let batch = vec![
            item(a, 1, "2026-11-23T07:00:00+00:00"),
            item(b, 1, "2026-11-23T07:01:00+00:00"),
            item(c, 2, "2026-11-23T07:02:00+00:00"),
            item(d, 1, "2026-11-23T07:03:00+00:00"),
        ];
        let answer = response(vec![
            result(c, 2, RecordOutcome::Conflict),
            result(b, 1, RecordOutcome::Duplicate),
            result(a, 1, RecordOutcome::Accepted),
        ]);
        let s = settle(&batch, &answer, now);
        assert!(matches!(&s[0], Settlement::Synced(r) if r.id == batch[0].id));
        assert!(matches!(&s[1], Settlement::Synced(r) if r.id == batch[1].id));
        match &s[2] {
            Settlement::Quarantined(q) => {
                let why = q.attention.as_ref().unwrap();
                assert_eq!(why.outcome, "conflict");
                assert_eq!(why.reason, "order o-1 is not known to the lab");
            }
            other => panic!("expected quarantine, got {other:?}"),
        }
        assert_eq!(s[3], Settlement::Unanswered(batch[3].id.clone()));
    }

    #[test]
    fn a_synced_answer_without_a_receipt_is_sent_again() {
        let a = Uuid::new_v4();
        let batch = vec![item(a, 1, "2026-11-23T07:00:00+00:00")];
        let mut r = result(a, 1, RecordOutcome::Accepted);
        r.receipt = None;
        let s = settle(&batch, &response(vec![r]), Utc::now().fixed_offset());
        assert_eq!(s, vec![Settlement::Unanswered(batch[0].id.clone())]);
    }

    #[test]
    fn an_unreadable_record_is_quarantined_instead_of_sent() {
        let a = Uuid::new_v4();
        let batch = vec![item(a, 1, "2026-11-23T07:00:00+00:00")];
        let (req, broken) = push_request(&batch, &batch, Utc::now().fixed_offset(), "0.1.0", None);
        assert!(req.records.is_empty());
        assert_eq!(req.queue_length, 1);
        assert_eq!(
            broken[0].attention.as_ref().unwrap().code.as_deref(),
            Some("unreadable_on_device")
        );
    }

    #[test]
    fn auth_failures_ask_to_re_enroll_and_server_trouble_is_retried() {
        let server = |status| SyncError::Server {
            status,
            message: "m".into(),
        };
        assert!(matches!(Failure::of(&server(401)), Failure::Reenroll(_)));
        assert!(matches!(Failure::of(&server(403)), Failure::Reenroll(_)));
        for s in [408, 429, 500, 502, 503, 507] {
            assert!(
                matches!(Failure::of(&server(s)), Failure::Transient(_)),
                "{s}"
            );
        }
        assert!(matches!(Failure::of(&server(422)), Failure::Refused(_)));
        assert!(matches!(Failure::of(&server(413)), Failure::Refused(_)));
        assert!(matches!(
            Failure::of(&SyncError::Offline),
            Failure::Transient(_)
        ));
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_a_cap() {
        assert_eq!(retry_delay_ms(1, 0.0), RETRY_BASE_MS / 2);
        assert_eq!(retry_delay_ms(1, 0.999_999), RETRY_BASE_MS - 1);
        assert_eq!(retry_delay_ms(2, 0.0), RETRY_BASE_MS);
        assert_eq!(retry_delay_ms(3, 0.0), 2 * RETRY_BASE_MS);
        for attempt in 1..100 {
            let d = retry_delay_ms(attempt, 0.5);
            assert!(
                (RETRY_BASE_MS / 2..=RETRY_MAX_MS).contains(&d),
                "{attempt}: {d}"
            );
        }
        assert_eq!(retry_delay_ms(40, 0.0), RETRY_MAX_MS / 2);
    }
}
