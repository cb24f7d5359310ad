//! The collection record: orders, state machine from draft to finalized, exceptions, history and versions.
//!
//! Rules never read a clock: callers pass the device's `now` and the ids they made, so the same
//! rules run in the app, on the server and in tests.

mod alert;
mod alert_site;
mod attempt;
mod body_site;
mod correction;
mod draw_list;
mod due;
mod error;
mod exception;
mod fasting;
mod finalize;
mod hard_stop;
mod history;

mod label_refusal;
mod last_dose;
mod order;
mod plan;
mod received;
mod record;
mod replan;
mod status;
mod steps;
mod time;
mod timing_text;
mod tube;
mod tube_label;
mod venipuncture;
mod void;
mod wristband;

pub use crate::ids::{
    AccessionNumber, AccessionNumberError, CollectionId, CollectorId, CollectorIdError, OrderId,
    OrderIdError, PatientId, PatientIdError,
};
pub use alert::{
    alerts_for_display, merge_alerts, AlertError, AlertKind, PatientAlert, Side, MAX_ALERT_TEXT,
};
pub use alert_site::alerts_forbidding;
pub use attempt::{FailedAttempt, Venipuncture};
pub use body_site::{BodySite, BODY_SITE_SYSTEM};
pub use draw_list::{sort_draw_list, DrawSection};
pub use due::{ensure_due, Due, Window};
pub use error::CollectionError;
pub use exception::{NotCollected, NotCollectedReason, Scope};
pub use fasting::FastingStatus;
pub use finalize::FinalizedCollection;
pub use history::{Event, HardStopKind, HistoryEntry, Supersedes, Void};
pub use label_refusal::{LabelHolder, TubeLabelProblem, TubeLabelRefusal, TubeLabelRefusalCode};
pub use order::{Order, Patient, Priority};
pub use received::{invalid_field, ReceivedCollectionError};
pub use record::Collection;
pub use status::Status;
pub use time::{DeviceTime, FUTURE_TOLERANCE_SECONDS};
pub use timing_text::LAST_DOSE_MAX_AGE_HOURS;
pub use tube::{Draw, TubeRecord, WindowOverride};
pub use tube_label::{
    device_accession, device_label_tube, judge_tube_label, KnownLabel, KnownLabels,
};

#[cfg(test)]
mod tests;
