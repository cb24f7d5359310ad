//! Supervisor overview of devices: risk levels, their reasons and thresholds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::session::{DeviceStatus, UserView};
use crate::wire::wire_enum;

wire_enum! {
    /// How urgently a device needs a supervisor's attention; ordered from least to most urgent.
    pub enum RiskLevel {
        /// Revoked or not enrolled yet: it cannot hold work.
        Inactive = "inactive" => "Inactive",
        /// Nothing to act on.
        Ok = "ok" => "OK",
        /// Worth a look: work waiting a while, quarantined records, a sync error.
        Warning = "warning" => "Watch",
        /// Act now: unsynced work on a device that stopped reporting, or work waiting far too long.
        Critical = "critical" => "At risk",
    }
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
    /// Stored rows a list could not read back (left out of it).
    #[serde(default)]
    pub unreadable: Vec<super::queue::UnreadableRow>,
}
