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
}
