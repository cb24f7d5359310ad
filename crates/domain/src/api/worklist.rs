//! The worklist and sync pull (lab to device): rounds, patients and open orders, changed orders by cursor, the site version.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::orders::OrderStatus;

/// One ordered test on a worklist: the domain's order plus what the lab adds for the draw list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorklistOrder {
    /// The order as the domain crate defines it (`id`, `patient`, `test`, `priority`,
    /// `placed_at`, `due_at`, `requisition`, `accessions`, `note`, `recollection_reason`).
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub order: crate::collection::Order,
    /// The round it is assigned to.
    pub round_id: Option<Uuid>,
    /// The patient must be fasting (the order says so, or a test in the catalog requires it).
    pub fasting: bool,
    /// Where the patient is (ward, room, bed, home address): never an identifier.
    pub location: Option<String>,
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
    pub patients: Vec<crate::collection::Patient>,
    /// Open orders of those rounds, STAT first, then timed draws by due time, then routine.
    pub orders: Vec<WorklistOrder>,
}

/// Most orders one `GET /api/v1/sync/pull` answers; when more changed, `has_more` is true and
/// the device pulls again at once with `next_cursor`.
pub const MAX_PULL_ORDERS: usize = 500;

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
    pub fn of(site: &crate::site::SiteConfig) -> Self {
        let value = serde_json::to_value(site).unwrap_or(serde_json::Value::Null);
        let hash = |v: &serde_json::Value| {
            crate::hash::ContentHash::of(v)
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
    pub patients: Vec<crate::collection::Patient>,
    /// Full pull: the open orders of the device's rounds. Otherwise: every order of the device's
    /// rounds (or that left them) that changed since the cursor, with its status.
    pub orders: Vec<SyncOrder>,
    /// The site configuration version.
    pub site: SiteVersion,
    /// The device token is older than the lab allows: get a new one (`POST /devices/current/token`)
    /// and use it from then on. Absent from older servers, so it defaults to false.
    #[serde(default)]
    pub rotate_token: bool,
}
