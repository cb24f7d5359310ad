//! Not-collected exceptions: the coded reason, what they cover (one order, one test or the visit) and the record.

use serde::{Deserialize, Serialize};

use super::time::DeviceTime;
use crate::catalog::TestCode;
use crate::ids::{CollectorId, OrderId};
use crate::wire::wire_enum;

wire_enum! {
    /// Coded reason a test or visit was not collected.
    pub enum NotCollectedReason {
        /// Patient refused.
        Refused = "refused" => "Patient refused",
        /// Patient unavailable (off unit, in procedure).
        Unavailable = "unavailable" => "Patient unavailable",
        /// Unable to collect (difficult access, attempts made).
        UnableToCollect = "unable-to-collect" => "Unable to collect",
        /// Specimen compromised.
        Compromised = "compromised" => "Specimen compromised",
        /// Order cancelled.
        Cancelled = "cancelled" => "Order cancelled",
    }
}

impl NotCollectedReason {
    /// Stable code (the wire spelling).
    pub fn code(self) -> &'static str {
        self.as_str()
    }
}

/// What a not-collected exception covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", content = "test", rename_all = "kebab-case")]
pub enum Scope {
    /// Every order of one test (records made before exceptions named orders).
    Test(TestCode),
    /// One order (of two orders of one test, only that one); on the wire the order id is
    /// carried in the `test` field, like the other scopes' content.
    Order(OrderId),
    /// The whole visit.
    Visit,
}

impl Scope {
    /// What the collector reads: "Whole visit" or the test code.
    pub fn display(&self) -> String {
        match self {
            Scope::Visit => "Whole visit".to_string(),
            Scope::Test(t) => t.to_string(),
            Scope::Order(o) => format!("Order {o}"),
        }
    }
}

/// A recorded not-collected exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotCollected {
    /// What it covers.
    pub scope: Scope,
    /// Coded reason.
    pub reason: NotCollectedReason,
    /// Free-text detail.
    pub note: Option<String>,
    /// When recorded.
    pub at: DeviceTime,
    /// By whom.
    pub by: CollectorId,
}
