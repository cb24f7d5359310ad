//! Wire types of the lab server's HTTP API that both the app and the server speak.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Prefix under which the lab server serves its API.
pub const API_PREFIX: &str = "/api/v1";

/// Answer of the unauthenticated `GET /api/v1/health` route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `"ok"` when the server and its database answer.
    pub status: String,
    /// Display name of the site (hospital or lab) this server belongs to.
    pub site: String,
    /// Version of the server build.
    pub version: String,
}

impl Health {
    /// True when the server reports itself healthy.
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }
}

/// Body of `POST /api/v1/enroll`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    /// The one-time code printed by `drawline devices enroll NAME`, e.g. `K7QF-2M9X-WP4D`.
    pub code: String,
}

/// Answer of `POST /api/v1/enroll`: the device token, shown once and never again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    /// The device's identity on this server.
    pub device_id: Uuid,
    /// The name given at enrollment.
    pub device_name: String,
    /// Bearer token for every later request of this device (`Authorization: Bearer ...`).
    pub token: String,
}

/// Body of `POST /api/v1/sessions`, sent with the device token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInRequest {
    /// The user's sign-in name.
    pub username: String,
    /// The user's PIN or password.
    pub pin: String,
}

/// A person's role; each one includes the rights of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Draws blood; sees the device's worklist.
    Collector,
    /// Sees every device and collection; imports orders; revokes devices.
    Supervisor,
    /// Everything a supervisor can, and site administration.
    Admin,
}

impl Role {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Collector => "collector",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "collector" => Some(Role::Collector),
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A person, without any secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    /// Stable id; every collection record carries it as the collector.
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Name shown on screen and on labels.
    pub display_name: String,
    /// What the person may do.
    pub role: Role,
}

/// Answer of `POST /api/v1/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    /// Bearer token of this session; it also identifies the device it was opened on.
    pub token: String,
    /// When the session ends by itself.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub user: UserView,
}

/// A device as the device itself sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRef {
    /// The device's id.
    pub id: Uuid,
    /// The device's name.
    pub name: String,
}

/// Answer of `GET /api/v1/me`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The device the token belongs to.
    pub device: DeviceRef,
    /// The signed-in person, when the token is a session token.
    pub user: Option<UserView>,
}

/// One ordered test on a worklist: the domain's order plus what the lab adds for the draw list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorklistOrder {
    /// The order as the domain crate defines it (`id`, `patient`, `test`, `priority`,
    /// `placed_at`, `due_at`, `requisition`).
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub order: crate::Order,
    /// The round it is assigned to.
    pub round_id: Option<Uuid>,
    /// The patient must be fasting (the order says so, or a test in the catalog requires it).
    pub fasting: bool,
    /// Where the patient is (ward, room, bed, home address): never an identifier.
    pub location: Option<String>,
    /// Free-text note from the placer.
    pub note: Option<String>,
}

/// A round: draws assigned to a device and optionally a collector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundView {
    /// Server id.
    pub id: Uuid,
    /// Name, e.g. `Ward 5 morning`.
    pub name: String,
    /// Device the round is assigned to.
    pub device_id: Option<Uuid>,
    /// Collector the round is assigned to.
    pub collector_id: Option<Uuid>,
}

/// Answer of `GET /api/v1/worklist`: what a device must collect, flat so it stores as-is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Worklist {
    /// The device the worklist belongs to.
    pub device_id: Uuid,
    /// Server time the worklist was made.
    pub generated_at: DateTime<Utc>,
    /// Rounds assigned to the device.
    pub rounds: Vec<RoundView>,
    /// Patients with at least one open order in those rounds (domain `Patient`: `id`, `identity`).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub patients: Vec<crate::Patient>,
    /// Open orders of those rounds, STAT first, then timed draws by due time, then routine.
    pub orders: Vec<WorklistOrder>,
}

/// Enrollment state of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeviceStatus {
    /// Registered; its enrollment code has not been used yet.
    Pending,
    /// Holds a working token.
    Enrolled,
    /// Its token no longer works.
    Revoked,
}

/// A device heartbeat: what it still holds unsynced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    /// The device's clock when it sent the heartbeat.
    pub device_clock: Option<DateTime<FixedOffset>>,
    /// Finalized collections waiting in the outbox.
    pub queue_length: u32,
    /// Age of the oldest unsynced item, in seconds.
    pub oldest_unsynced_seconds: Option<u64>,
    /// The last sync error the device saw.
    pub last_error: Option<String>,
}

/// A heartbeat as the server stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatView {
    /// Server receive time.
    pub received_at: DateTime<Utc>,
    /// What the device reported.
    #[serde(flatten)]
    pub heartbeat: Heartbeat,
}

/// A device as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    /// The device's id.
    pub id: Uuid,
    /// The device's name.
    pub name: String,
    /// Enrollment state.
    pub status: DeviceStatus,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it exchanged its code for a token.
    pub enrolled_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last authenticated request.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Latest heartbeat.
    pub last_heartbeat: Option<HeartbeatView>,
}

/// Body of `POST /api/v1/devices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDeviceRequest {
    /// A unique name, e.g. `Ward 5 tablet`.
    pub name: String,
}

/// A one-time enrollment code for a device (shown once).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentCode {
    /// The device's id.
    pub device_id: Uuid,
    /// The device's name.
    pub device_name: String,
    /// The code to type into the app.
    pub code: String,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

/// Where an import found a problem and what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportProblem {
    /// CSV line number (the header is line 1) or FHIR `Bundle.entry` index.
    pub position: usize,
    /// Human form of the position, e.g. `line 3` or `Bundle.entry[2]`.
    pub location: String,
    /// Why the row or resource was not imported.
    pub reason: String,
}

/// Answer of `POST /api/v1/orders` and `drawline orders import`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// Orders new to the server.
    pub created: u32,
    /// Orders already known whose details changed.
    pub updated: u32,
    /// Orders already known, unchanged (a re-import).
    pub unchanged: u32,
    /// Rows or resources that were not imported.
    pub rejected: Vec<ImportProblem>,
}

/// A collection as listed for its device or a supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionSummary {
    /// The collection's id (made on the device).
    pub id: Uuid,
    /// The device that sent it.
    pub device_id: Uuid,
    /// The newest version received.
    pub latest_version: u32,
    /// When the first version arrived.
    pub first_received_at: DateTime<Utc>,
    /// When the newest version arrived.
    pub last_received_at: DateTime<Utc>,
}

/// One received version of a collection record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionVersionView {
    /// The collection's id.
    pub collection_id: Uuid,
    /// Version number (1 for the first finalized version).
    pub version: u32,
    /// The version this one corrects.
    pub supersedes: Option<u32>,
    /// Content hash of the finalized record.
    pub content_hash: String,
    /// The device's clock when it pushed.
    pub device_clock: DateTime<FixedOffset>,
    /// The server's receive time.
    pub received_at: DateTime<Utc>,
    /// Device clock minus server clock at receipt, in seconds.
    pub clock_skew_seconds: i64,
    /// The record as the device sent it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

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

// ---------------------------------------------------------------------------------------------
// Sync: push (device -> lab) and pull (lab -> device). See `docs/architecture.md`, "Sync protocol".
// ---------------------------------------------------------------------------------------------

/// Most records one `POST /api/v1/sync/push` may carry; a larger batch is answered 413
/// `batch_too_large` and nothing of it is stored.
pub const MAX_PUSH_RECORDS: usize = 200;

/// Largest body `POST /api/v1/sync/push` reads (a full batch of large collections fits).
pub const MAX_PUSH_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Most orders one `GET /api/v1/sync/pull` answers; when more changed, `has_more` is true and
/// the device pulls again at once with `next_cursor`.
pub const MAX_PULL_ORDERS: usize = 500;

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
    /// `rejected`: an order in the collection is unknown to the lab.
    pub const UNKNOWN_ORDER: &str = "unknown_order";
    /// `rejected`: an order in the collection is, on the lab server, for another patient.
    pub const PATIENT_MISMATCH: &str = "patient_mismatch";
    /// `conflict`: the lab holds another version under this id and the record does not correctly
    /// declare the (latest) version it supersedes.
    pub const VERSION_CONFLICT: &str = "version_conflict";
    /// `accepted` (a notice, not a failure): an order in the collection was cancelled on the
    /// server; the specimen is recorded all the same and the order stays cancelled.
    pub const ORDER_CANCELLED: &str = "order_cancelled";
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
    pub fn from_finalized(f: &crate::FinalizedCollection) -> Self {
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
}

/// What happened to one pushed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordOutcome {
    /// Stored now; `receipt` is its receipt. Move it to the receipts store.
    Accepted,
    /// Stored before (same id and content hash); `receipt` is the ORIGINAL receipt. Move it to
    /// the receipts store exactly as for `accepted`.
    Duplicate,
    /// Not stored: the lab holds another version under this id and this record does not declare
    /// correctly what it supersedes. Quarantine and show `reason`.
    Conflict,
    /// Not stored: the record is invalid (`code`, `reason`). Quarantine and show `reason`; sending
    /// it again gives the same answer.
    Rejected,
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

/// Query of `GET /api/v1/sync/pull`. Besides the cursor it carries the device's sync state,
/// recorded as a heartbeat (send them on every pull; `device_clock` must be URL-encoded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PullQuery {
    /// `next_cursor` of the previous pull; absent for a first (full) pull.
    pub cursor: Option<String>,
    /// The device's clock, RFC 3339 with offset.
    pub device_clock: Option<DateTime<FixedOffset>>,
    /// The app's version.
    pub app_version: Option<String>,
    /// Finalized collections waiting in the outbox (0 when absent).
    pub queue_length: Option<u32>,
    /// Age of the oldest unsynced item, in seconds.
    pub oldest_unsynced_seconds: Option<u64>,
    /// The last sync error the device saw.
    pub last_error: Option<String>,
    /// At most this many orders in the answer (default and most: [`MAX_PULL_ORDERS`]).
    pub limit: Option<u32>,
}

/// Where an order is in its life on the lab server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum OrderStatus {
    /// To be collected.
    Open,
    /// A collection that collected it reached the lab.
    Collected,
    /// A collection that recorded it as not collected reached the lab.
    NotCollected,
    /// Cancelled on the server: do not draw it; a specimen already drawn is still sent.
    Cancelled,
}

impl OrderStatus {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::Collected => "collected",
            OrderStatus::NotCollected => "not-collected",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(OrderStatus::Open),
            "collected" => Some(OrderStatus::Collected),
            "not-collected" => Some(OrderStatus::NotCollected),
            "cancelled" => Some(OrderStatus::Cancelled),
            _ => None,
        }
    }
}

/// An order as a pull delivers it: the worklist order, its status, and whether it is (still)
/// on this device's worklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncOrder {
    /// The order as on the worklist (`id`, `patient`, `test`, ..., `round_id`, `fasting`, ...).
    #[serde(flatten)]
    pub order: WorklistOrder,
    /// Its status on the server. `cancelled` must be flagged to the collector, never silently
    /// dropped when a collection for it already exists on the device.
    pub status: OrderStatus,
    /// False when the order left this device's rounds (reassigned or unassigned): drop it from
    /// the worklist unless the device already holds a collection for it.
    pub on_worklist: bool,
    /// When it was cancelled on the server.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
}

/// Which site configuration (catalog and order of draw) the server holds. When it differs from
/// the one the device stored, the device fetches `GET /api/v1/site` again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteVersion {
    /// Content hash of the whole site configuration as `GET /site` serialises it.
    pub hash: String,
    /// Content hash of its test catalog.
    pub catalog_hash: String,
    /// Content hash of its order of draw.
    pub order_of_draw_hash: String,
}

impl SiteVersion {
    /// The version of a site configuration (the app computes the same for the one it stored).
    pub fn of(site: &crate::SiteConfig) -> Self {
        let value = serde_json::to_value(site).unwrap_or(serde_json::Value::Null);
        let hash = |v: &serde_json::Value| {
            crate::ContentHash::of(v)
                .map(|h| h.to_string())
                .unwrap_or_default()
        };
        Self {
            hash: hash(&value),
            catalog_hash: hash(&value["catalog"]),
            order_of_draw_hash: hash(&value["order_of_draw"]),
        }
    }
}

/// Answer of `GET /api/v1/sync/pull`: the device's worklist changes since its cursor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    /// Server time of the answer.
    pub server_time: DateTime<Utc>,
    /// True when this is the whole worklist (no cursor, or a cursor this server cannot continue,
    /// e.g. from a restored database): replace the stored worklist, keeping orders the device
    /// holds collections for. False: apply `orders` as changes.
    pub full: bool,
    /// Opaque server cursor for the next pull; store it only once this answer is applied.
    pub next_cursor: String,
    /// More changes are waiting: pull again at once with `next_cursor`.
    pub has_more: bool,
    /// The rounds assigned to the device now.
    pub rounds: Vec<RoundView>,
    /// The patients of `orders` (domain `Patient`: `id`, `identity`).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub patients: Vec<crate::Patient>,
    /// Full pull: the open orders of the device's rounds. Otherwise: every order of the device's
    /// rounds (or that left them) that changed since the cursor, with its status.
    pub orders: Vec<SyncOrder>,
    /// The site configuration version.
    pub site: SiteVersion,
}

/// Body of `POST /api/v1/orders/{id}/cancel`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelOrderRequest {
    /// Why (shown to the collector).
    #[serde(default)]
    pub reason: Option<String>,
}

/// An order's status on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderStatusView {
    /// The order's id.
    pub id: String,
    /// Its status.
    pub status: OrderStatus,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
}

/// A heartbeat as a supervisor sees it: what a device reported and how it reached the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceHeartbeat {
    /// Server receive time.
    pub received_at: DateTime<Utc>,
    /// `push`, `pull` or `heartbeat`.
    pub source: String,
    /// The app's version.
    pub app_version: Option<String>,
    /// The device's clock.
    pub device_clock: Option<DateTime<FixedOffset>>,
    /// Device clock minus server clock, in seconds, when the device sent its clock.
    pub clock_skew_seconds: Option<i64>,
    /// Finalized collections waiting in the outbox.
    pub queue_length: u32,
    /// Age of the oldest unsynced item, in seconds.
    pub oldest_unsynced_seconds: Option<u64>,
    /// The last sync error the device saw.
    pub last_error: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Supervisor review: devices at risk, the queue of received collections, detail and actions.
// Every route is under `/supervisor` and needs a signed-in supervisor (or admin).
// ---------------------------------------------------------------------------------------------

/// How urgently a device needs a supervisor's attention; ordered from least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    /// Revoked or not enrolled yet: it cannot hold work.
    Inactive,
    /// Nothing to act on.
    Ok,
    /// Worth a look: work waiting a while, quarantined records, a sync error.
    Warning,
    /// Act now: unsynced work on a device that stopped reporting, or work waiting far too long.
    Critical,
}

/// Stable codes of [`RiskReason::code`].
pub mod risk_codes {
    /// Critical: the device holds unsynced work and has not reported for longer than allowed.
    pub const STALE_WITH_UNSYNCED: &str = "stale_with_unsynced";
    /// Critical: its oldest unsynced record is older than the critical threshold.
    pub const UNSYNCED_CRITICAL: &str = "unsynced_critical";
    /// Warning: its oldest unsynced record is older than the warning threshold.
    pub const UNSYNCED_WARNING: &str = "unsynced_warning";
    /// Warning: records the lab rejected or found in conflict are quarantined on the device.
    pub const QUARANTINED: &str = "quarantined";
    /// Warning: the device's latest heartbeat carries a sync error.
    pub const LAST_ERROR: &str = "last_error";
    /// Warning: the device clock was off by more than the skew threshold at its latest report.
    pub const CLOCK_SKEW: &str = "clock_skew";
    /// Ok: not heard from for longer than allowed, but it reported nothing unsynced.
    pub const STALE: &str = "stale";
    /// Ok: enrolled but has never reported.
    pub const NEVER_SEEN: &str = "never_seen";
    /// Inactive: revoked.
    pub const REVOKED: &str = "revoked";
    /// Inactive: its enrollment code has not been used yet.
    pub const PENDING: &str = "pending";
}

/// One reason behind a device's risk level, for the UI to highlight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskReason {
    /// Stable code (see [`risk_codes`]).
    pub code: String,
    /// The level this reason alone gives.
    pub level: RiskLevel,
    /// Human message, e.g. `3 records unsynced for 5 h 10 min; not seen for 2 h`.
    pub message: String,
}

/// The lab's thresholds behind risk levels and queue flags (server configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewThresholds {
    /// A device not heard from for longer than this is stale (`stale_device_minutes`).
    pub stale_device_minutes: u32,
    /// Unsynced work older than this is a warning (`unsynced_warning_minutes`).
    pub unsynced_warning_minutes: u32,
    /// Unsynced work older than this is critical (`unsynced_critical_minutes`).
    pub unsynced_critical_minutes: u32,
    /// A collection that reached the lab longer than this after it was drawn is flagged
    /// `synced_late` (`late_sync_minutes`).
    pub late_sync_minutes: u32,
    /// A device clock further than this from the server's is flagged (`skew_threshold_minutes`).
    pub skew_threshold_minutes: u32,
}

/// A device as the supervisor's devices view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceOverview {
    /// The device's id.
    pub id: Uuid,
    /// The device's name.
    pub name: String,
    /// Enrollment state.
    pub status: DeviceStatus,
    /// The last person who signed in on it.
    pub collector: Option<UserView>,
    /// When that person signed in.
    pub collector_signed_in_at: Option<DateTime<Utc>>,
    /// Last authenticated request.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Latest heartbeat (push, pull or `POST /heartbeat`).
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// Latest push.
    pub last_push_at: Option<DateTime<Utc>>,
    /// App version of the latest heartbeat that named one.
    pub app_version: Option<String>,
    /// Records waiting in its outbox at the latest heartbeat (0 when it never reported).
    pub queue_length: u32,
    /// Age of its oldest unsynced record as reported in the latest heartbeat, in seconds.
    pub oldest_unsynced_seconds: Option<u64>,
    /// That age now: the reported age plus the time since the heartbeat (the work kept waiting).
    pub oldest_unsynced_age_seconds: Option<u64>,
    /// The last sync error it reported.
    pub last_error: Option<String>,
    /// Device clock minus server clock at the latest heartbeat that carried a clock, in seconds.
    pub clock_skew_seconds: Option<i64>,
    /// Its records the lab rejected or found in conflict and no supervisor resolved: the device
    /// keeps them quarantined.
    pub quarantined: u32,
    /// The most urgent of `reasons` (`ok` when there is none).
    pub risk: RiskLevel,
    /// Why, most urgent first.
    pub reasons: Vec<RiskReason>,
}

/// Answer of `GET /api/v1/supervisor/devices`: every device, most at risk first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevicesOverview {
    /// Server time the levels were computed at.
    pub server_time: DateTime<Utc>,
    /// The thresholds used.
    pub thresholds: ReviewThresholds,
    /// Sorted by risk (critical first), then oldest unsynced work, then queue length, then name.
    pub devices: Vec<DeviceOverview>,
}

/// `status` filter of the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    /// Collections stored by the lab.
    Accepted,
    /// Stored collections a device sent again (`duplicate_resends > 0`).
    Duplicate,
    /// Pushes in conflict with the lab's version.
    Conflict,
    /// Pushes the lab rejected.
    Rejected,
    /// Conflicts and rejections no supervisor resolved: the device keeps them quarantined.
    Quarantined,
}

/// A flag the review queue raises on an item (also a filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QueueFlag {
    /// The device clock was further from the server's than the skew threshold at the push.
    ClockSkew,
    /// It reached the lab longer than `late_sync_minutes` after it was drawn.
    SyncedLate,
    /// A timed draw was taken outside its window (with the collector's confirmation).
    OutsideWindow,
    /// An exception was recorded: a test or the visit not collected (refused, unable, ...).
    Exception,
    /// The patient was identified by manual entry rather than a wristband scan.
    ManualIdentification,
    /// A correction: version 2 or later.
    Corrected,
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
}

/// Which version stands when a supervisor resolves a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ConflictChoice {
    /// The lab's version stands; the conflicting push is kept, marked superseded.
    Lab,
    /// The conflicting push stands: it is stored as the lab's newest version (numbered after
    /// the lab's versions); the lab's earlier version is kept, superseded.
    Device,
}

/// A confirmation to draw outside a timed draw's window, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowOverrideView {
    /// Why the draw went ahead.
    pub reason: String,
    /// The timed draw's target.
    pub target: DateTime<Utc>,
    /// The window either side, in minutes.
    pub window_minutes: u32,
    /// Signed distance of the draw from the target, in minutes.
    pub minutes_from_target: i64,
}

/// One tube of a collection version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TubeView {
    /// 1-based place in order of draw.
    pub index: u32,
    /// Container name.
    pub container: String,
    /// Cap colour.
    pub cap: String,
    /// Additive.
    pub additive: String,
    /// Tests it serves.
    pub tests: Vec<String>,
    /// A discard tube.
    pub discard: bool,
    /// Collection time, in the device's local time.
    pub drawn_at: Option<DateTime<FixedOffset>>,
    /// Who drew it.
    pub drawn_by: Option<PersonRef>,
    /// Accession barcode bound at labelling.
    pub accession: Option<String>,
    /// When labelled, device local time.
    pub labelled_at: Option<DateTime<FixedOffset>>,
    /// Drawn outside its timed window.
    pub window_override: Option<WindowOverrideView>,
    /// The label as printed (drawn and labelled tubes).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub label: Option<crate::LabelContent>,
}

/// A recorded not-collected exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExceptionView {
    /// A test code, or `visit` for the whole visit.
    pub scope: String,
    /// Reason code (`refused`, `unavailable`, `unable-to-collect`, `compromised`, `cancelled`).
    pub reason: String,
    /// Reason as shown.
    pub reason_text: String,
    /// Free-text detail.
    pub note: Option<String>,
    /// When recorded, device local time.
    pub at: DateTime<FixedOffset>,
    /// By whom.
    pub by: PersonRef,
}

/// An ordered test a collection covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderRef {
    /// Order id.
    pub id: String,
    /// Test code.
    pub test: String,
    /// `routine`, `urgent`, `asap` or `stat`.
    pub priority: String,
    /// Target time of a timed draw.
    pub due_at: Option<DateTime<Utc>>,
}

/// What a finalized record says, read for a supervisor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordView {
    /// The patient.
    pub patient: PatientSummary,
    /// Who started the record.
    pub collector: PersonRef,
    /// Orders covered.
    pub orders: Vec<OrderRef>,
    /// When started, device local time.
    pub started_at: DateTime<FixedOffset>,
    /// When finalized, device local time.
    pub finalized_at: Option<DateTime<FixedOffset>>,
    /// `scan` or `manual`.
    pub identification_method: Option<String>,
    /// Identifier kinds that matched (`name`, `date-of-birth`, `mrn`).
    pub identifiers: Vec<String>,
    /// `fasting`, `not-fasting` or `not-given`.
    pub fasting: Option<String>,
    /// Earliest tube draw (or the finalization when nothing was drawn).
    pub collected_at: Option<DateTime<Utc>>,
    /// Tubes in order of draw.
    pub tubes: Vec<TubeView>,
    /// Exceptions recorded.
    pub exceptions: Vec<ExceptionView>,
    /// The record's own history (device side), oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub history: Vec<crate::collection::HistoryEntry>,
}

/// One version of a collection the lab stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionDetail {
    /// The lab's version number.
    pub version: u32,
    /// The version it supersedes.
    pub supersedes: Option<u32>,
    /// Content hash.
    pub content_hash: String,
    /// Device clock at the push.
    pub device_clock: DateTime<FixedOffset>,
    /// Server receive time (for a resolved conflict: when it was let stand).
    pub received_at: DateTime<Utc>,
    /// Device clock minus server clock at the push, in seconds.
    pub clock_skew_seconds: i64,
    /// The version that stands (the newest).
    pub standing: bool,
    /// The push attempt it was stored from, when a supervisor let a conflict stand.
    pub resolved_from_attempt: Option<i64>,
    /// Flags of this version.
    pub flags: QueueFlags,
    /// The record, read (absent when the stored body cannot be read).
    pub record: Option<RecordView>,
    /// The stored body as the device sent it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// A pushed record the lab did not store as a new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushAttemptView {
    /// Attempt id.
    pub id: i64,
    /// The device that pushed.
    pub device: DeviceRef,
    /// Version as sent.
    pub version: u32,
    /// `duplicate`, `conflict` or `rejected`.
    pub outcome: RecordOutcome,
    /// Stable code.
    pub code: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Content hash as sent.
    pub content_hash: Option<String>,
    /// Server receive time.
    pub received_at: DateTime<Utc>,
    /// Device clock minus server clock at the push, in seconds.
    pub clock_skew_seconds: i64,
    /// How a supervisor resolved the conflict.
    pub resolution: Option<ConflictChoice>,
    /// A conflict resolved in the lab's favour: kept, superseded.
    pub superseded: bool,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it (audit actor).
    pub resolved_by: Option<String>,
    /// The record, when it could be read.
    pub record: Option<RecordView>,
}

/// What a supervisor did on a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// Marked reviewed.
    Reviewed,
    /// Added a note.
    Note,
    /// Resolved a conflict.
    ConflictResolved,
    /// Asked for the specimen to be collected again.
    RecollectionRequested,
}

impl ReviewAction {
    /// The stored spelling (also the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Reviewed => "reviewed",
            ReviewAction::Note => "note",
            ReviewAction::ConflictResolved => "conflict_resolved",
            ReviewAction::RecollectionRequested => "recollection_requested",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reviewed" => Some(ReviewAction::Reviewed),
            "note" => Some(ReviewAction::Note),
            "conflict_resolved" => Some(ReviewAction::ConflictResolved),
            "recollection_requested" => Some(ReviewAction::RecollectionRequested),
            _ => None,
        }
    }
}

/// One review action, with who and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewEvent {
    /// Event id.
    pub id: i64,
    /// The collection.
    pub collection_id: Uuid,
    /// What.
    pub action: ReviewAction,
    /// When (server time).
    pub at: DateTime<Utc>,
    /// Who.
    pub by: UserView,
    /// The supervisor's note or reason.
    pub note: Option<String>,
    /// Detail (e.g. the attempt and choice of a resolution, the new orders of a recollection).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub detail: Option<serde_json::Value>,
}

/// An audit log entry about a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntryView {
    /// Audit sequence number.
    pub seq: i64,
    /// When (server time).
    pub at: DateTime<Utc>,
    /// Who: `device:<id>`, `user:<id>@device:<id>`, ...
    pub actor: String,
    /// What, e.g. `collection.received`, `collection.reviewed`.
    pub action: String,
    /// Detail.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub detail: Option<serde_json::Value>,
}

/// Answer of `GET /api/v1/supervisor/collections/{id}`: everything the lab knows of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionDetail {
    /// The collection id.
    pub collection_id: Uuid,
    /// The device that owns it (or, never stored, that pushed it last).
    pub device: DeviceRef,
    /// `accepted` when the lab holds a version; otherwise the latest attempt's outcome.
    pub status: RecordOutcome,
    /// The lab's newest version.
    pub latest_version: Option<u32>,
    /// Marked reviewed at, when that was after it last arrived.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Every stored version, oldest first.
    pub versions: Vec<VersionDetail>,
    /// Every push not stored as a new version (resends, conflicts, rejections), oldest first.
    pub attempts: Vec<PushAttemptView>,
    /// Review actions, oldest first.
    pub reviews: Vec<ReviewEvent>,
    /// The audit log entries about it, oldest first.
    pub history: Vec<HistoryEntryView>,
    /// The standing version as the FHIR export sends it: a Bundle of Specimens and Tasks as
    /// `GET /fhir/Specimen` answers it (no entries when nothing is stored).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fhir: serde_json::Value,
}

/// Body of `POST /api/v1/supervisor/collections/{id}/review`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewRequest {
    /// An optional note kept with the review.
    #[serde(default)]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/supervisor/collections/{id}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteRequest {
    /// The note (1 to [`MAX_REVIEW_NOTE_CHARS`] characters).
    pub text: String,
}

/// Longest review note, resolution note or recollection reason accepted.
pub const MAX_REVIEW_NOTE_CHARS: usize = 2000;

/// Body of `POST /api/v1/supervisor/collections/{id}/resolve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolveConflictRequest {
    /// The conflicting push (`attempt_id` of the queue item).
    pub attempt_id: i64,
    /// Which version stands.
    pub keep: ConflictChoice,
    /// Why.
    #[serde(default)]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/supervisor/collections/{id}/recollect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecollectRequest {
    /// Why the specimen must be drawn again (shown to the collector as the order's note).
    pub reason: String,
    /// The orders to collect again [default: every order of the collection].
    #[serde(default)]
    pub orders: Option<Vec<String>>,
    /// Round for the new orders, by name (it must exist) [default: each original order's round].
    #[serde(default)]
    pub round: Option<String>,
    /// Target time of the new orders, for a timed draw [default: none].
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
}

/// A new order made by a recollection request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecollectedOrder {
    /// The new order's id (`<original>-R<n>`).
    pub id: String,
    /// The order it collects again.
    pub replaces: String,
    /// Test code.
    pub test: String,
    /// The patient.
    pub patient_id: String,
    /// Its round: devices assigned to it pull it.
    pub round_id: Option<Uuid>,
}

/// Answer of `POST /api/v1/supervisor/collections/{id}/recollect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecollectResponse {
    /// The new orders.
    pub orders: Vec<RecollectedOrder>,
    /// The review event recorded.
    pub event: ReviewEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_round_trips_through_json_as_the_server_sends_it() {
        let json = r#"{"status":"ok","site":"Demo General Hospital","version":"0.1.0"}"#;
        let health: Health = serde_json::from_str(json).unwrap();
        assert!(health.is_ok());
        assert_eq!(health.site, "Demo General Hospital");
        assert_eq!(serde_json::to_string(&health).unwrap(), json);
    }

    #[test]
    fn a_degraded_health_is_not_ok() {
        let health = Health {
            status: "degraded".into(),
            site: "x".into(),
            version: "0".into(),
        };
        assert!(!health.is_ok());
    }

    #[test]
    fn a_push_record_made_from_a_finalized_collection_carries_its_id_version_and_hash() {
        let f = crate::test_support::complete()
            .finalize(
                &crate::test_support::nurse(),
                crate::test_support::t("2024-05-01T08:12:00+02:00"),
            )
            .unwrap();
        let r = PushRecord::from_finalized(&f);
        assert_eq!(r.id, f.record().id().0);
        assert_eq!(r.version, 1);
        assert_eq!(r.supersedes, None);
        assert_eq!(r.content_hash, f.hash().as_str());
        let back = crate::FinalizedCollection::from_json_value(r.collection.clone()).unwrap();
        assert_eq!(back, f);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["content_hash"], f.hash().as_str());
    }

    #[test]
    fn outcomes_and_statuses_use_their_documented_spellings() {
        assert_eq!(
            serde_json::to_value(RecordOutcome::Duplicate).unwrap(),
            "duplicate"
        );
        assert!(RecordOutcome::Duplicate.is_synced());
        assert!(!RecordOutcome::Conflict.is_synced());
        for s in [
            OrderStatus::Open,
            OrderStatus::Collected,
            OrderStatus::NotCollected,
            OrderStatus::Cancelled,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn the_site_version_is_stable_and_changes_with_the_site() {
        let site = crate::SiteConfig::default_site();
        let a = SiteVersion::of(&site);
        assert_eq!(a, SiteVersion::of(&site.clone()));
        assert_eq!(a.hash.len(), 64);
        assert_ne!(a.catalog_hash, a.order_of_draw_hash);
        let on = SiteVersion::of(&site.clone().with_discard_before_any_coagulation(true));
        let off = SiteVersion::of(&site.with_discard_before_any_coagulation(false));
        assert_ne!(on.hash, off.hash);
        assert_eq!(on.catalog_hash, off.catalog_hash);
    }
}
