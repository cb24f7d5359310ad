//! Received collections as the lab lists them, version by version.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
