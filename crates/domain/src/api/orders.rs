//! Orders and received collections on the lab server: import reports, order status and cancellation, collection versions.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire::wire_enum;

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

wire_enum! {
    /// Where an order is in its life on the lab server.
    pub enum OrderStatus {
        /// To be collected.
        Open = "open",
        /// A collection that collected it reached the lab.
        Collected = "collected",
        /// A collection that recorded it as not collected reached the lab.
        NotCollected = "not-collected",
        /// Cancelled on the server: do not draw it; a specimen already drawn is still sent.
        Cancelled = "cancelled",
    }
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
