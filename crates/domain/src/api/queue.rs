//! The supervisor queue of received collections: filters, flags and pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::push::RecordOutcome;
use super::session::DeviceRef;
use crate::wire::wire_enum;

wire_enum! {
    /// Which version stands when a supervisor resolves a conflict.
    pub enum ConflictChoice {
        /// The lab's version stands; the conflicting push is kept, marked superseded.
        Lab = "lab",
        /// The conflicting push stands: it is stored as the lab's newest version (numbered after
        /// the lab's versions); the lab's earlier version is kept, superseded.
        Device = "device",
    }
}

wire_enum! {
    /// `status` filter of the review queue.
    pub enum QueueStatus {
        /// Collections stored by the lab.
        Accepted = "accepted",
        /// Stored collections a device sent again (`duplicate_resends > 0`).
        Duplicate = "duplicate",
        /// Pushes in conflict with the lab's version.
        Conflict = "conflict",
        /// Pushes the lab rejected.
        Rejected = "rejected",
        /// Conflicts and rejections no supervisor resolved: the device keeps them quarantined.
        Quarantined = "quarantined",
    }
}

wire_enum! {
    /// A flag the review queue raises on an item (also a filter).
    pub enum QueueFlag {
        /// The device clock was further from the server's than the skew threshold at the push.
        ClockSkew = "clock_skew",
        /// It reached the lab longer than `late_sync_minutes` after it was drawn.
        SyncedLate = "synced_late",
        /// A timed draw was taken outside its window (with the collector's confirmation).
        OutsideWindow = "outside_window",
        /// An exception was recorded: a test or the visit not collected (refused, unable, ...).
        Exception = "exception",
        /// The patient was identified by manual entry rather than a wristband scan.
        ManualIdentification = "manual_identification",
        /// A correction: version 2 or later.
        Corrected = "corrected",
        /// Possible wrong blood in tube: the lab refused a tube accession already bound to
        /// another patient's collection or order. Shown first.
        WrongBloodInTube = "wrong_blood_in_tube",
        /// A wrong-patient hard stop was raised (and acknowledged) before the draw.
        IdentificationMismatch = "identification_mismatch",
        /// Voided as entered in error.
        Voided = "voided",
        /// Held for a supervisor as collected off round: an order was not on the pushing
        /// device's rounds. Shown first until resolved.
        OffRound = "off_round",
    }
}

/// The flags of one queue item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueFlags {
    /// See [`QueueFlag::ClockSkew`].
    pub clock_skew: bool,
    /// See [`QueueFlag::SyncedLate`].
    pub synced_late: bool,
    /// See [`QueueFlag::OutsideWindow`].
    pub outside_window: bool,
    /// See [`QueueFlag::Exception`].
    pub exception: bool,
    /// See [`QueueFlag::ManualIdentification`].
    pub manual_identification: bool,
    /// See [`QueueFlag::Corrected`].
    pub corrected: bool,
    /// See [`QueueFlag::WrongBloodInTube`].
    #[serde(default)]
    pub wrong_blood_in_tube: bool,
    /// See [`QueueFlag::IdentificationMismatch`].
    #[serde(default)]
    pub identification_mismatch: bool,
    /// See [`QueueFlag::Voided`].
    #[serde(default)]
    pub voided: bool,
    /// See [`QueueFlag::OffRound`].
    #[serde(default)]
    pub off_round: bool,
}

impl QueueFlags {
    /// True when any flag is raised.
    pub fn any(&self) -> bool {
        self.clock_skew
            || self.synced_late
            || self.outside_window
            || self.exception
            || self.manual_identification
            || self.corrected
            || self.wrong_blood_in_tube
            || self.identification_mismatch
            || self.voided
            || self.off_round
    }
}

/// A patient as the review screens name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientSummary {
    /// Logical id.
    pub id: String,
    /// Medical record number.
    pub mrn: String,
    /// `FAMILY, Given Middle`.
    pub name: String,
}

/// A person as a record names them: the id it carries and, for people of this lab, their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonRef {
    /// Collector id as recorded (a user id for people of this lab).
    pub id: String,
    /// Display name, when the id is a user of this lab.
    pub name: Option<String>,
}

/// Query of `GET /api/v1/supervisor/queue`; every filter is optional and they combine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct QueueQuery {
    /// Only items of this status.
    pub status: Option<QueueStatus>,
    /// Only items raising this flag.
    pub flag: Option<QueueFlag>,
    /// Only items from this device.
    pub device: Option<Uuid>,
    /// Only items collected by this person: a user id, a user name or a collector id as recorded.
    pub collector: Option<String>,
    /// Only items for this patient: patient id or MRN (exact), or part of the name.
    pub patient: Option<String>,
    /// Only items collected (received, when nothing was drawn) at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only items collected (or received) at or before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Only items reviewed since their last arrival (`true`) or not (`false`).
    pub reviewed: Option<bool>,
    /// Only items that changed (arrived, resent, reviewed, noted, resolved) at or after this
    /// instant: poll with the previous answer's `server_time`.
    pub changed_since: Option<DateTime<Utc>>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page [default 50, at most 200].
    pub limit: Option<u32>,
}

/// Most items one page of the review queue holds.
pub const MAX_QUEUE_PAGE: u32 = 200;

/// One item of the review queue: a stored collection (its newest version), or a pushed record
/// the lab did not store (a conflict or a rejection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueItem {
    /// Stable key of the item within the queue.
    pub key: String,
    /// The collection id (as sent; nil when the record had no readable id).
    pub collection_id: Uuid,
    /// The version: the lab's newest for a stored collection, the pushed one otherwise.
    pub version: u32,
    /// `accepted` (stored), `conflict` or `rejected`.
    pub status: RecordOutcome,
    /// Stable code of a conflict or rejection (see [`push_codes`]).
    pub code: Option<String>,
    /// Why it was refused.
    pub reason: Option<String>,
    /// The push attempt, for conflicts and rejections (to resolve a conflict).
    pub attempt_id: Option<i64>,
    /// The device that sent it.
    pub device: DeviceRef,
    /// Who collected it, when the record could be read.
    pub collector: Option<PersonRef>,
    /// For whom, when the record could be read.
    pub patient: Option<PatientSummary>,
    /// Ordered test codes.
    pub tests: Vec<String>,
    /// Earliest tube draw (or the finalization when nothing was drawn).
    pub collected_at: Option<DateTime<Utc>>,
    /// When the lab received it.
    pub received_at: DateTime<Utc>,
    /// `received_at - collected_at`, in seconds.
    pub sync_delay_seconds: Option<i64>,
    /// Device clock minus server clock at the push, in seconds.
    pub clock_skew_seconds: i64,
    /// Not-collected reason codes recorded (`refused`, `unable-to-collect`, ...).
    pub exceptions: Vec<String>,
    /// What to look at.
    pub flags: QueueFlags,
    /// A conflict or rejection no supervisor resolved (quarantined on the device).
    pub quarantined: bool,
    /// How a supervisor resolved a conflict.
    pub resolution: Option<ConflictChoice>,
    /// How often the device sent the stored collection again (same content).
    pub duplicate_resends: u32,
    /// Marked reviewed at, when that was after it last arrived.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Review notes on the collection.
    pub notes: u32,
    /// The latest change: arrival, resend, review action or resolution.
    pub changed_at: DateTime<Utc>,
    /// Wrong-patient hard stops the record raised (each acknowledged on the device).
    #[serde(default)]
    pub wrong_patient_stops: u32,
    /// Of those, the ones before the first draw ("identification mismatch before draw").
    #[serde(default)]
    pub wrong_patient_before_draw: u32,
}

/// Answer of `GET /api/v1/supervisor/queue`: newest arrivals first. The answer carries an
/// `ETag`; send it back as `If-None-Match` to get `304 Not Modified` while nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuePage {
    /// Server time of the answer: the next poll's `changed_since`.
    pub server_time: DateTime<Utc>,
    /// Items matching the filters, on every page.
    pub total: u64,
    /// This page.
    pub items: Vec<QueueItem>,
    /// Cursor of the next page; absent on the last.
    pub next_cursor: Option<String>,
    /// Stored rows a list could not read back (left out of it), for the supervisor to have fixed.
    #[serde(default)]
    pub unreadable: Vec<UnreadableRow>,
}

/// A stored row the lab could not read back, so every list leaves it out: what it is and its id,
/// never its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadableRow {
    /// The list that found it: `queue`, `collection_detail`, `fhir_export`, `pull`, `worklist`,
    /// `collections`, `receipts`, `audit_log`, `devices`, `heartbeats`.
    pub list: String,
    /// What kind of row: `collection`, `collection_version`, `push_attempt`, `order`, `patient`,
    /// `receipt`, `audit_entry`, `device`, `heartbeat`.
    pub kind: String,
    /// Its id (a collection id, `collection id/version`, an order id, a sequence number).
    pub id: String,
    /// When a list last found it unreadable.
    pub seen_at: DateTime<Utc>,
}
