//! Health, enrollment and sessions: tablets registered and enrolled, people signed in, heartbeats.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire::wire_enum;

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
    /// A random marker the tablet also keeps in its database (and outside it, in a cookie), so
    /// the lab can tell when a tablet's storage was evicted and it enrolled again empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_marker: Option<String>,
    /// The marker of the database this browser had before, when the tablet found it gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_marker: Option<String>,
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
    /// The lab's public key: finalized records are sealed to it, so they can be sent (or handed
    /// over in a file) when nobody is signed in on the tablet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_key: Option<crate::api::PublicJwk>,
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

wire_enum! {
    /// A person's role; each one includes the rights of the ones before it.
    pub enum Role {
        /// Draws blood; sees the device's worklist.
        Collector = "collector",
        /// Sees every device and collection; imports orders; revokes devices.
        Supervisor = "supervisor",
        /// Everything a supervisor can, and site administration.
        Admin = "admin",
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
    /// This device's data key (32 bytes, base64url): what the tablet encrypts its patient data
    /// with. Given only to a person signed in on this device; the tablet keeps it wrapped by the
    /// person's PIN, never in the clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_key: Option<String>,
    /// The lab's public key, as in [`EnrollResponse::lab_key`] (for tablets enrolled before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_key: Option<crate::api::PublicJwk>,
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

wire_enum! {
    /// Enrollment state of a device.
    pub enum DeviceStatus {
        /// Registered; its enrollment code has not been used yet.
        Pending = "pending",
        /// Holds a working token.
        Enrolled = "enrolled",
        /// Its token no longer works.
        Revoked = "revoked",
    }
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
    /// When a browser enrolled again naming this device's database marker as the one it lost:
    /// the tablet's storage was evicted, and whatever it had not synced is gone from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_lost_at: Option<DateTime<Utc>>,
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
