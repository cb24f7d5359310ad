//! Lab orders: import (with their patients and rounds), each device's worklist, cancellation.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::StoreError;
use crate::api::{ImportReport, OrderStatusView, RoundView, Worklist};

/// An order as imported, with its patient and where it came from (for the import report).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// CSV line or `Bundle.entry` index.
    pub position: usize,
    /// Human form of the position, e.g. `line 3`.
    pub location_in_source: String,
    /// The patient (its id is kept only when the MRN is new to the server).
    pub patient: drawline_domain::Patient,
    /// The order; its id is the re-import key.
    pub order: drawline_domain::Order,
    /// Fasting required by the order itself.
    pub fasting: bool,
    /// Where the patient is; never an identifier.
    pub location: Option<String>,
    /// True when the source speaks for all the patient's alerts (a FHIR bundle, a CSV file with
    /// an `alerts` column): the stored alerts are replaced by `patient.alerts`, none included.
    /// False (a file without alerts, or one with an alert that could not be read) adds
    /// `patient.alerts` to the stored ones and removes none.
    pub replaces_alerts: bool,
    /// Name of the round to put the order in (created when new); `None` keeps the current one.
    pub round: Option<String>,
}

/// Who a round is assigned to, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// The device.
    pub device_id: Option<Uuid>,
    /// The collector.
    pub collector_id: Option<Uuid>,
}

/// What cancelling an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Cancelled now.
    Cancelled(OrderStatusView),
    /// It was cancelled before; nothing changed.
    AlreadyCancelled(OrderStatusView),
    /// A collection for it reached the lab; a collected order is not cancelled.
    AlreadyCollected(OrderStatusView),
    /// No such order.
    NotFound,
}

/// Orders, their patients and the rounds that put them on a device's worklist.
#[async_trait::async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// Creates a round or updates its assignment.
    async fn upsert_round(
        &self,
        name: &str,
        assignment: Assignment,
    ) -> Result<RoundView, StoreError>;
    /// Every round.
    async fn list_rounds(&self) -> Result<Vec<RoundView>, StoreError>;
    /// Imports orders in one transaction; re-imports update instead of duplicating.
    async fn import_orders(
        &self,
        orders: Vec<NewOrder>,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError>;
    /// The open orders of the rounds assigned to a device.
    async fn worklist(&self, device_id: Uuid, now: DateTime<Utc>) -> Result<Worklist, StoreError>;
    /// Cancels an order (unless a collection for it already arrived), auditing it.
    async fn cancel_order(
        &self,
        order_id: &str,
        reason: Option<String>,
        actor: String,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError>;
    /// An order's status.
    async fn order_status(&self, order_id: &str) -> Result<Option<OrderStatusView>, StoreError>;
}
