//! The worklist a device downloads: its rounds, patients and open orders.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One ordered test on a worklist: the domain's order plus what the lab adds for the draw list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorklistOrder {
    /// The order as the domain crate defines it (`id`, `patient`, `test`, `priority`,
    /// `placed_at`, `due_at`, `requisition`).
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub order: crate::collection::Order,
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
    pub patients: Vec<crate::collection::Patient>,
    /// Open orders of those rounds, STAT first, then timed draws by due time, then routine.
    pub orders: Vec<WorklistOrder>,
}
