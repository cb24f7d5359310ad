//! One tube of a collection: what to draw, who drew it and when, its label, and a timed-window override.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::body_site::BodySite;
use super::time::DeviceTime;
use crate::ids::{AccessionNumber, CollectorId};
use crate::planner::PlannedTube;

/// A recorded confirmation to draw outside a timed draw's window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowOverride {
    /// Why the draw went ahead.
    pub reason: String,
    /// Target time of the timed draw.
    pub target: DateTime<Utc>,
    /// Allowed window on the side the draw fell (either side for a symmetric window).
    pub window_minutes: u32,
    /// Signed distance of the draw from the target.
    pub minutes_from_target: i64,
    /// Minutes the window opened before the target, when the window is asymmetric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_minutes: Option<u32>,
    /// Minutes the window stayed open after the target, when the window is asymmetric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_minutes: Option<u32>,
    /// A timed test ordered without a due time: `target` is the draw time and the reason says
    /// why it was drawn then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_due_time: bool,
}

impl WindowOverride {
    /// What the override says, for the lab and the supervisor: how far from the target, the
    /// window, and the reason (or that the order had no due time).
    pub fn summary(&self) -> String {
        match (self.no_due_time, self.before_minutes, self.after_minutes) {
            (true, _, _) => format!(
                "Timed draw without a due time on its order: {}",
                self.reason
            ),
            (false, Some(before), Some(after)) => format!(
                "Drawn {} min from target time, outside the window of {before} min before to {after} min after: {}",
                self.minutes_from_target, self.reason
            ),
            _ => format!(
                "Drawn {} min from target time, outside the \u{b1}{} min window: {}",
                self.minutes_from_target, self.window_minutes, self.reason
            ),
        }
    }
}

/// Who drew a tube and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    /// Collection instant (device clock at confirmation).
    pub at: DeviceTime,
    /// Collector.
    pub by: CollectorId,
    /// Where the needle went in; absent in records made before sites were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_site: Option<BodySite>,
    /// The venipuncture it was drawn in (see `Collection::venipunctures`); absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venipuncture: Option<u32>,
}

/// One tube of the collection and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TubeRecord {
    /// 1-based place in the plan.
    pub index: u32,
    /// What to draw.
    pub tube: PlannedTube,
    /// Set when drawn.
    pub drawn: Option<Draw>,
    /// Accession barcode bound to the tube at labelling.
    pub accession: Option<AccessionNumber>,
    /// When labelled.
    pub labelled_at: Option<DeviceTime>,
    /// Confirmation for a draw outside its timed window.
    pub window_override: Option<WindowOverride>,
    /// When the last dose was given, for a drug level (a trough is judged against the next
    /// dose, and the lab reads the level against the last one); absent when not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_dose: Option<DateTime<Utc>>,
}
