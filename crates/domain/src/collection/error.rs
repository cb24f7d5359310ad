//! The rules a requested change to a collection would break.

use chrono::{DateTime, Utc};

use crate::catalog::TestCode;
use crate::identification::{IdentificationError, WristbandError};
use crate::ids::OrderId;
use crate::planner::PlanError;

/// A rule the requested change would break.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CollectionError {
    /// A hard stop was raised and not acknowledged yet.
    #[error("{} hard stop: acknowledge it before going on", .0.display().to_uppercase())]
    HardStopNotAcknowledged(super::history::HardStopKind),
    /// There is no hard stop waiting for an acknowledgement.
    #[error("there is no hard stop to acknowledge")]
    NoHardStopToAcknowledge,
    /// No order given.
    #[error("a collection needs at least one order")]
    NoOrders,
    /// An order for someone else.
    #[error("order {order} is for another patient")]
    OrderForAnotherPatient {
        /// The order.
        order: OrderId,
    },
    /// Tests could not be planned.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Identification failed (the attempt is in the history).
    #[error(transparent)]
    Identification(#[from] IdentificationError),
    /// Something read in the wristband field is not a wristband (the attempt is in the history).
    #[error("read \u{201c}{read}\u{201d}: refused, {error}")]
    Wristband {
        /// What was read, sanitised.
        read: String,
        /// Why it was refused.
        error: WristbandError,
    },
    /// The site asks for a second wristband scan after the draw, before finalize.
    #[error(
        "scan the patient's wristband again before finalizing (this site checks it after the draw)"
    )]
    SecondScanNeeded,
    /// A second wristband scan with no tube drawn yet.
    #[error("the second wristband scan comes after the draw: draw a tube first")]
    SecondScanBeforeDraw,
    /// Drawing before positive identification.
    #[error("identify the patient before drawing")]
    NotIdentified,
    /// Already identified.
    #[error("the patient is already identified")]
    AlreadyIdentified,
    /// No such tube.
    #[error("there is no tube {0}")]
    NoSuchTube(u32),
    /// Already drawn (use a correction to change the time).
    #[error("tube {0} is already drawn")]
    AlreadyDrawn(u32),
    /// Not drawn yet.
    #[error("tube {0} is not drawn yet")]
    NotDrawn(u32),
    /// Discard tubes are thrown away, never labelled.
    #[error("tube {0} is a discard tube and is not labelled")]
    DiscardTube(u32),
    /// Every test of the tube is excepted.
    #[error("every test of tube {0} is recorded as not collected")]
    NothingToCollect(u32),
    /// Collection time later than the device's now.
    #[error("collection time {at} is in the future (now {now}), allowing {} min for clock drift", super::time::FUTURE_TOLERANCE_SECONDS / 60)]
    InTheFuture {
        /// Given time.
        at: DateTime<Utc>,
        /// Device now.
        now: DateTime<Utc>,
    },
    /// Collection time before the order existed.
    #[error("collection time {at} is before order {order} was placed at {placed_at}, allowing {} min for clock drift", super::time::FUTURE_TOLERANCE_SECONDS / 60)]
    BeforeOrderPlaced {
        /// Given time.
        at: DateTime<Utc>,
        /// The order.
        order: OrderId,
        /// When it was placed.
        placed_at: DateTime<Utc>,
    },
    /// A typed time of day that is not one (shown with what was read, shortened).
    #[error("\"{0}\" is not a time of day: type it as HH:MM, 24-hour (e.g. 08:05)")]
    UnreadableTime(String),
    /// A correction or override without a reason.
    #[error("a reason is required")]
    ReasonRequired,
    /// Timed draw outside its window without a recorded override.
    #[error("{label} is {} min {} its target time, outside its window ({}): confirm with a reason", .minutes_from_target.abs(), if *.minutes_from_target < 0 { "before" } else { "after" }, super::timing_text::sides_text(*.before_minutes, *.after_minutes))]
    OutsideWindow {
        /// Tube index.
        tube: u32,
        /// Timing label (the test code for a test without catalog timing).
        label: String,
        /// Signed distance from target.
        minutes_from_target: i64,
        /// Minutes the window opens before the target.
        before_minutes: u32,
        /// Minutes it stays open after the target.
        after_minutes: u32,
    },
    /// A timed test ordered without a due time: its window cannot be checked, so the draw needs
    /// a recorded reason, as one outside its window does.
    #[error("{label} (tube {tube}) is a timed draw but its order has no due time, so its window cannot be checked: confirm with a reason (e.g. the time of the next dose)")]
    NoDueTime {
        /// Tube index.
        tube: u32,
        /// Timing label.
        label: String,
    },
    /// An order whose window opens later is not drawn now.
    #[error("order {order}: {}", super::timing_text::not_due_text(.test, .opens))]
    NotDueYet {
        /// The order.
        order: OrderId,
        /// Its test.
        test: TestCode,
        /// When its window opens (in the device's offset).
        opens: super::time::DeviceTime,
    },
    /// A drug level drawn before its last dose is recorded.
    #[error("record when the last dose was given before drawing the {label} (tube {tube})")]
    LastDoseNeeded {
        /// Tube index.
        tube: u32,
        /// Timing label.
        label: String,
    },
    /// A last dose for a tube that is no drug level.
    #[error("tube {0} is not a drug level: no last dose is asked for it")]
    LastDoseNotAsked(u32),
    /// A last dose later than now.
    #[error("the last dose at {} is in the future: give the time it was given", crate::clock_text::hm(&.0.local()))]
    LastDoseInFuture(super::time::DeviceTime),
    /// A last dose after the tube was drawn.
    #[error("the last dose at {} is after tube {tube} was drawn at {}: the level is read against the dose before the draw", crate::clock_text::hm(&.at.local()), crate::clock_text::hm(&.drawn.local()))]
    LastDoseAfterDraw {
        /// Tube index.
        tube: u32,
        /// The dose time given.
        at: super::time::DeviceTime,
        /// When the tube was drawn.
        drawn: super::time::DeviceTime,
    },
    /// A last dose too long ago to be the dose a level is timed against.
    #[error("the last dose at {} is more than {} hours ago: give the time of the most recent dose", crate::clock_text::ymd_hm(&.0.local()), super::timing_text::LAST_DOSE_MAX_AGE_HOURS)]
    LastDoseTooOld(super::time::DeviceTime),
    /// A scanned tube label refused (wrong blood in tube when it is another patient's).
    #[error(transparent)]
    TubeLabelRefused(#[from] super::label_refusal::TubeLabelRefusal),
    /// Already labelled.
    #[error("tube {0} is already labelled")]
    AlreadyLabelled(u32),
    /// No venipuncture to draw in: none begun, or the last one failed.
    #[error("record the venipuncture site (and needle or butterfly) before drawing")]
    NoVenipuncture,
    /// A site on an arm the patient's alerts restrict.
    #[error("{}: {alert}. Choose a site on the other side", .site.display())]
    RestrictedSite {
        /// The site chosen.
        site: super::body_site::BodySite,
        /// The alert that forbids it.
        alert: String,
    },
    /// A blood-culture set drawn in the venipuncture of another set.
    #[error("blood-culture set {set} must come from its own venipuncture (set {other} was drawn in this one): record a new venipuncture site first")]
    SeparateVenipuncture {
        /// The set to draw.
        set: u32,
        /// The set already drawn in this venipuncture.
        other: u32,
    },
    /// A blood-culture set drawn at the site of another set.
    #[error("blood-culture set {set} must come from another site than set {other} ({}): record a new venipuncture at another site", .site.display())]
    SameSiteAsOtherSet {
        /// The set to draw.
        set: u32,
        /// The set drawn at that site.
        other: u32,
        /// The site.
        site: super::body_site::BodySite,
    },
    /// A fasting test is on the plan and fasting was not asked yet.
    #[error("ask whether the patient is fasting before the first tube ({}) need a fasting patient", .0.iter().map(TestCode::as_str).collect::<Vec<_>>().join(", "))]
    FastingNotAsked(Vec<TestCode>),
    /// An order not in this collection.
    #[error("order {0} is not in this collection")]
    NotInCollection(OrderId),
    /// A test not in this collection's orders.
    #[error("test {0} is not ordered in this collection")]
    NotOrdered(TestCode),
    /// Cannot finalize: tests neither collected nor excepted.
    #[error("not finished: {} neither collected and labelled nor recorded as not collected", .0.iter().map(TestCode::as_str).collect::<Vec<_>>().join(", "))]
    Incomplete(Vec<TestCode>),
    /// A fasting test collected without a fasting status.
    #[error("record whether the patient was fasting")]
    FastingNotRecorded,
    /// Finalized records are immutable.
    #[error("the record is finalized; start a correction to change it")]
    Finalized,
    /// A voided collection is not corrected or voided again: collect it anew.
    #[error(
        "the collection was voided as entered in error; it cannot be corrected or voided again"
    )]
    Voided,
    /// A stored finalized version whose hash does not match its content.
    #[error("finalized record content does not match its hash")]
    HashMismatch,
}
