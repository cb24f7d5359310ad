//! Sync push (device to lab): records, outcomes, receipts and their stable codes. See `docs/architecture.md`, "Sync protocol".

use crate::wire::wire_enum;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The server's acknowledgement of one collection version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// Receipt id.
    pub id: Uuid,
    /// The collection.
    pub collection_id: Uuid,
    /// The version acknowledged.
    pub version: u32,
    /// Its content hash.
    pub content_hash: String,
    /// Server receive time.
    pub received_at: DateTime<Utc>,
    /// The device clock disagreed with the server by more than the allowed skew.
    pub clock_skew_flagged: bool,
}

/// Most records one `POST /api/v1/sync/push` may carry; a larger batch is answered 413
/// `batch_too_large` and nothing of it is stored.
pub const MAX_PUSH_RECORDS: usize = 200;

/// Largest body `POST /api/v1/sync/push` reads (a full batch of large collections fits).
pub const MAX_PUSH_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Stable codes of a push result (`PushResult::code`). A `rejected` record will be rejected
/// again however often it is sent: the device quarantines it and shows the reason.
pub mod push_codes {
    /// `rejected`: the record is not a `PushRecord` (missing or mistyped `id`, `version`, ...).
    pub const MALFORMED_RECORD: &str = "malformed_record";
    /// `rejected`: `collection` is not a finalized collection the domain crate can read.
    pub const INVALID_RECORD: &str = "invalid_record";
    /// `rejected`: `collection` is a draft, not a finalized record.
    pub const NOT_FINALIZED: &str = "not_finalized";
    /// `rejected`: the content does not match its hash, or `content_hash` is not the record's hash.
    pub const HASH_MISMATCH: &str = "hash_mismatch";
    /// `rejected`: `id` is not the collection's own id.
    pub const ID_MISMATCH: &str = "id_mismatch";
    /// `rejected`: `version` is not the collection's own version.
    pub const VERSION_MISMATCH: &str = "version_mismatch";
    /// `rejected`: `supersedes` is not what the collection itself says it supersedes.
    pub const SUPERSEDES_MISMATCH: &str = "supersedes_mismatch";
    /// `rejected`: the collection id belongs to a collection another device sent.
    pub const ANOTHER_DEVICE: &str = "another_device";
    /// No longer answered: an order the lab does not know is, to the device, like an order of
    /// another device's rounds (the answer must not tell which): held as [`HELD_OFF_ROUND`].
    pub const UNKNOWN_ORDER: &str = "unknown_order";
    /// `rejected`: an order of the device's rounds is, on the lab server, for another patient.
    pub const PATIENT_MISMATCH: &str = "patient_mismatch";
    /// `rejected`: a tube label of the collection is already bound to another patient's
    /// collection, or is an accession of another patient's order: possible wrong blood in tube.
    pub const WRONG_BLOOD_IN_TUBE: &str = "wrong_blood_in_tube";
    /// `rejected`: the collection names no order.
    pub const NO_ORDERS: &str = "no_orders";
    /// `rejected`: a tube was drawn but the record holds no positive identification (two
    /// identifiers matched).
    pub const IDENTIFICATION_MISSING: &str = "identification_missing";
    /// `rejected`: the patient the record names does not match the order's patient on the lab
    /// server on an identifier (name, date of birth or MRN); the reason names the identifier only.
    pub const IDENTIFICATION_MISMATCH: &str = "identification_mismatch";
    /// `rejected`: an order of the collection has neither a drawn, labelled tube nor a coded
    /// not-collected exception.
    pub const NO_TUBE_OR_EXCEPTION: &str = "no_tube_or_exception";
    /// `rejected`: a draw or the finalization is later than the lab's clock (beyond the clock
    /// skew the lab allows).
    pub const TIME_IN_FUTURE: &str = "time_in_future";
    /// `rejected`: a tube was drawn before its order was placed (beyond the clock skew allowed).
    pub const TIME_BEFORE_ORDER: &str = "time_before_order";
    /// `rejected`: a person the record names (the collector or another entry's author) is not a
    /// user of the lab.
    pub const UNKNOWN_COLLECTOR: &str = "unknown_collector";
    /// `rejected`: a person who made this version is not an active user of the lab.
    pub const INACTIVE_COLLECTOR: &str = "inactive_collector";
    /// `accepted` (a notice): an order of the collection is not on this device's rounds (or not
    /// known to the lab: the answer does not say which). The record is stored but held for a
    /// supervisor as "collected off round"; the lab's orders are not changed until released.
    pub const HELD_OFF_ROUND: &str = "held_off_round";
    /// `conflict`: the lab holds another version under this id and the record does not correctly
    /// declare the (latest) version it supersedes.
    pub const VERSION_CONFLICT: &str = "version_conflict";
    /// `accepted` (a notice, not a failure): an order in the collection was cancelled on the
    /// server; the specimen is recorded all the same and the order stays cancelled.
    pub const ORDER_CANCELLED: &str = "order_cancelled";
    /// A time in the record is outside the years the lab takes or has an offset no time zone
    /// uses (`instant_range`); the reason names the field, never its value.
    pub const INVALID_TIME: &str = "invalid_time";
    /// The device kept more refused bodies today than the lab keeps: the refusal is recorded
    /// (hash and size), the body is not. A notice code beside `conflict` or `rejected`.
    pub const BODY_NOT_KEPT: &str = "body_not_kept";
    /// `rejected`: a sealed record (`PushRequest::sealed`, or a record of an outbox export) that
    /// does not open with the lab's key (altered, sealed to another lab, bound to another record),
    /// or whose sealed content is not the record its clear `id`, `version` and `hash` name. The
    /// reason says which check failed, never the content.
    pub const UNREADABLE_SEAL: &str = "unreadable_seal";
}

/// The finalized version a pushed correction replaces, as the push names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupersedesRef {
    /// Its version number.
    pub version: u32,
    /// Its content hash (64 lower-case hex digits).
    pub hash: String,
}

impl From<&crate::collection::Supersedes> for SupersedesRef {
    fn from(s: &crate::collection::Supersedes) -> Self {
        Self {
            version: s.version,
            hash: s.hash.to_string(),
        }
    }
}

/// One finalized collection version in a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRecord {
    /// The collection's id (made on the device; every version shares it).
    pub id: Uuid,
    /// Its version number (1 for the first finalized version).
    pub version: u32,
    /// The version this one corrects; required for every version after the first.
    pub supersedes: Option<SupersedesRef>,
    /// The finalized record's content hash (64 lower-case hex digits).
    pub content_hash: String,
    /// The `FinalizedCollection` JSON (`{"record": ..., "hash": ...}`) exactly as the domain crate
    /// serialises it. Kept as raw JSON on the wire so one bad record is rejected alone.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub collection: serde_json::Value,
}

impl PushRecord {
    /// The record a device pushes for a finalized collection.
    pub fn from_finalized(f: &crate::collection::FinalizedCollection) -> Self {
        let record = f.record();
        Self {
            id: record.id().0,
            version: record.version(),
            supersedes: record.supersedes().map(SupersedesRef::from),
            content_hash: f.hash().to_string(),
            collection: serde_json::to_value(f).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Body of `POST /api/v1/sync/push`: a batch of the outbox and the device's sync state
/// (recorded as a heartbeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    /// The device's clock when it sent the batch, with its UTC offset.
    pub device_clock: DateTime<FixedOffset>,
    /// The app's version.
    #[serde(default)]
    pub app_version: Option<String>,
    /// Finalized collections waiting in the outbox (this batch included).
    pub queue_length: u32,
    /// Age of the oldest unsynced item, in seconds.
    #[serde(default)]
    pub oldest_unsynced_seconds: Option<u64>,
    /// The last sync error the device saw (kept to 2000 bytes).
    #[serde(default)]
    pub last_error: Option<String>,
    /// At most [`MAX_PUSH_RECORDS`] records; answered one result each, in the same order.
    pub records: Vec<PushRecord>,
    /// Records sealed to the lab's public key (what a tablet sends when nobody has unlocked its
    /// own copy); answered exactly like `records`, after them. Together at most
    /// [`MAX_PUSH_RECORDS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sealed: Vec<crate::api::SealedRecord>,
}

wire_enum! {
    /// What happened to one pushed record.
    pub enum RecordOutcome {
        /// Stored now; `receipt` is its receipt. Move it to the receipts store.
        Accepted = "accepted",
        /// Stored before (same id and content hash); `receipt` is the ORIGINAL receipt. Move it to
        /// the receipts store exactly as for `accepted`.
        Duplicate = "duplicate",
        /// Not stored: the lab holds another version under this id and this record does not declare
        /// correctly what it supersedes. Quarantine and show `reason`.
        Conflict = "conflict",
        /// Not stored: the record is invalid (`code`, `reason`). Quarantine and show `reason`; sending
        /// it again gives the same answer.
        Rejected = "rejected",
    }
}

impl RecordOutcome {
    /// True when the lab holds the record (accepted or duplicate): it may leave the outbox.
    pub fn is_synced(self) -> bool {
        matches!(self, RecordOutcome::Accepted | RecordOutcome::Duplicate)
    }
}

/// The answer for one pushed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResult {
    /// The record's collection id, as sent (nil when the record had no readable id).
    pub id: Uuid,
    /// The record's version, as sent (0 when it had no readable version).
    pub version: u32,
    /// What happened.
    pub outcome: RecordOutcome,
    /// The receipt, for `accepted` and `duplicate`.
    pub receipt: Option<Receipt>,
    /// Stable code (see [`push_codes`]): why for `conflict` and `rejected`; a notice on `accepted`.
    pub code: Option<String>,
    /// Human reason to show the collector.
    pub reason: Option<String>,
}

/// Answer of `POST /api/v1/sync/push`: one result per record, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// The server's receive time of the batch.
    pub server_time: DateTime<Utc>,
    /// Device clock minus server clock, in seconds.
    pub clock_skew_seconds: i64,
    /// The device clock is further from the server's than the lab allows; every record of this
    /// batch is flagged on its receipt.
    pub clock_skew_flagged: bool,
    /// One per record, in the order of `PushRequest::records`.
    pub results: Vec<PushResult>,
}
