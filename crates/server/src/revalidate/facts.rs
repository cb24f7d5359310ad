//! The lab's facts a push is checked against, gathered by the store in one call per push.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use drawline_domain::api::OrderStatus;
use drawline_domain::{Collection, PatientIdentity};
use uuid::Uuid;

use drawline_domain::CollectorId;

/// What the store must look up for a push: its device, the orders and people its records name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactsWanted {
    /// The pushing device (whose rounds decide which orders it can read).
    pub device_id: Uuid,
    /// Every order id the records name.
    pub order_ids: BTreeSet<String>,
    /// Every person id the records name.
    pub user_ids: BTreeSet<String>,
}

impl FactsWanted {
    /// Nothing wanted yet, for `device_id`.
    pub fn new(device_id: Uuid) -> Self {
        Self {
            device_id,
            ..Self::default()
        }
    }

    /// Adds what one record names.
    pub fn add(&mut self, c: &Collection) {
        self.order_ids
            .extend(c.orders().iter().map(|o| o.id.as_str().to_owned()));
        self.user_ids
            .extend(recorded_people(c).map(|p| p.as_str().to_owned()));
    }
}

/// One lab order as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    /// The order's patient (logical id).
    pub patient_id: String,
    /// The patient's identifiers as the lab has them; `None` when the lab's row cannot be read
    /// as an identity (nothing then matches it).
    pub patient: Option<PatientIdentity>,
    /// Its status on the lab server.
    pub status: OrderStatus,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// Its round is assigned to the pushing device: the device can read it.
    pub on_device_rounds: bool,
}

/// One user of the lab as the rules need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserFacts {
    /// Still allowed to work.
    pub active: bool,
}

/// The lab's facts for one push: the orders and users its records name (missing ones absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabFacts {
    /// By order id.
    pub orders: HashMap<String, OrderFacts>,
    /// By user id.
    pub users: HashMap<String, UserFacts>,
}

/// Every person the record names: who started it, the author of every history entry, and
/// whoever a draw, a venipuncture, an exception or a void names (a fabricated record need not
/// keep them in step with its history).
pub fn recorded_people(c: &Collection) -> impl Iterator<Item = &CollectorId> {
    std::iter::once(c.started_by())
        .chain(c.history().iter().map(|e| &e.by))
        .chain(
            c.tubes()
                .iter()
                .filter_map(|t| t.drawn.as_ref().map(|d| &d.by)),
        )
        .chain(c.venipunctures().iter().map(|v| &v.by))
        .chain(c.not_collected().iter().map(|n| &n.by))
        .chain(c.voided().map(|v| &v.by))
}
