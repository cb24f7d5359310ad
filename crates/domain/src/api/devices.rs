//! Devices as the lab registers them: enrollment state, enrollment codes and heartbeats.

use crate::wire::wire_enum;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
