//! Orders on the lab server: import reports, status and cancellation.

use crate::wire::wire_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
