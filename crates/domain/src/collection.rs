//! The collection record: orders, state machine from draft to finalized, exceptions, history and versions.
//!
//! Rules never read a clock: callers pass the device's `now` and the ids they made, so the same
//! rules run in the app, on the server and in tests.

use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, Offset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::TestCode;
use crate::hash::ContentHash;
use crate::identification::{
    identify, Evidence, Identification, IdentificationError, Mrn, PatientIdentity,
};
use crate::planner::{Device, PlanError, PlannedTube, Planner};
use crate::site::SiteConfig;

/// How far ahead of the device's `now` a collection time may be, for clocks read a moment apart.
pub const FUTURE_TOLERANCE_SECONDS: i64 = 120;

macro_rules! text_id {
    ($name:ident, $err:ident, $what:literal, $max:literal, $allowed:expr) => {
        #[doc = concat!("A ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        #[doc = concat!("Why a text is not a ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("'{text}' is not a valid {what}", text = .0, what = $what)]
        pub struct $err(pub String);

        impl $name {
            #[doc = concat!("Parses a ", $what, " (surrounding blanks ignored).")]
            pub fn parse(text: &str) -> Result<Self, $err> {
                let t = text.trim();
                let allowed: fn(char) -> bool = $allowed;
                if !t.is_empty() && t.chars().count() <= $max && t.chars().all(allowed) {
                    Ok(Self(t.to_owned()))
                } else {
                    Err($err(text.to_owned()))
                }
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $err;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(CollectorId, CollectorIdError, "collector id", 64, |c| !c
    .is_control());
// FHIR logical-id characters, so ids travel into FHIR references unchanged.
text_id!(OrderId, OrderIdError, "order id", 64, |c| c
    .is_ascii_alphanumeric()
    || c == '-'
    || c == '.');
text_id!(PatientId, PatientIdError, "patient id", 64, |c| c
    .is_ascii_alphanumeric()
    || c == '-'
    || c == '.');
text_id!(
    AccessionNumber,
    AccessionNumberError,
    "accession number",
    32,
    |c| c.is_ascii_alphanumeric() || c == '-'
);

/// Device-made id of one collection; all its versions share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CollectionId(pub Uuid);

impl fmt::Display for CollectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An instant in UTC with the offset the device clock showed, so local time can be reprinted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeviceTime {
    /// The instant.
    pub utc: DateTime<Utc>,
    /// The device's UTC offset at that instant, in minutes east of UTC.
    pub offset_minutes: i32,
}

impl DeviceTime {
    /// From a device-local timestamp.
    pub fn from_local(local: DateTime<FixedOffset>) -> Self {
        Self {
            utc: local.with_timezone(&Utc),
            offset_minutes: local.offset().fix().local_minus_utc() / 60,
        }
    }

    /// From a UTC instant and an offset in minutes; an impossible offset counts as UTC.
    pub fn new(utc: DateTime<Utc>, offset_minutes: i32) -> Self {
        let offset_minutes = if FixedOffset::east_opt(offset_minutes * 60).is_some() {
            offset_minutes
        } else {
            0
        };
        Self {
            utc,
            offset_minutes,
        }
    }

    /// The instant in the device's local time.
    pub fn local(&self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.offset_minutes * 60).unwrap_or(Utc.fix());
        self.utc.with_timezone(&offset)
    }
}

/// Order priority, as in FHIR `ServiceRequest.priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Immediately (draw list: first).
    Stat,
    /// As soon as possible.
    Asap,
    /// Urgent.
    Urgent,
    /// Routine.
    Routine,
}

impl Priority {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            Priority::Stat => "stat",
            Priority::Asap => "asap",
            Priority::Urgent => "urgent",
            Priority::Routine => "routine",
        }
    }
}

/// A patient of the worklist.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Patient {
    /// Logical id (FHIR `Patient.id`).
    pub id: PatientId,
    /// What identification is checked against.
    pub identity: PatientIdentity,
}

/// One ordered test for one patient (one FHIR `ServiceRequest`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Order {
    /// Logical id (FHIR `ServiceRequest.id`).
    pub id: OrderId,
    /// The patient's logical id.
    pub patient: PatientId,
    /// Catalog code of the test.
    pub test: TestCode,
    /// Priority.
    pub priority: Priority,
    /// When the order was placed; no collection may be earlier.
    pub placed_at: DateTime<Utc>,
    /// Target time of a timed draw.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// Requisition (order group) number.
    #[serde(default)]
    pub requisition: Option<String>,
}

/// Sorts a draw list: STAT first, then timed draws by due time, then the rest by priority
/// and by when they were placed.
pub fn sort_draw_list(orders: &mut [Order]) {
    orders.sort_by_key(|o| {
        let stat = o.priority != Priority::Stat;
        (
            stat,
            o.due_at.is_none(),
            o.due_at,
            o.priority,
            o.placed_at,
            o.id.clone(),
        )
    });
}

/// Coded reason a test or visit was not collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotCollectedReason {
    /// Patient refused.
    Refused,
    /// Patient unavailable (off unit, in procedure).
    Unavailable,
    /// Unable to collect (difficult access, attempts made).
    UnableToCollect,
    /// Specimen compromised.
    Compromised,
    /// Order cancelled.
    Cancelled,
}

impl NotCollectedReason {
    /// Stable code (also the serde form).
    pub fn code(self) -> &'static str {
        match self {
            NotCollectedReason::Refused => "refused",
            NotCollectedReason::Unavailable => "unavailable",
            NotCollectedReason::UnableToCollect => "unable-to-collect",
            NotCollectedReason::Compromised => "compromised",
            NotCollectedReason::Cancelled => "cancelled",
        }
    }

    /// Display text.
    pub fn display(self) -> &'static str {
        match self {
            NotCollectedReason::Refused => "Patient refused",
            NotCollectedReason::Unavailable => "Patient unavailable",
            NotCollectedReason::UnableToCollect => "Unable to collect",
            NotCollectedReason::Compromised => "Specimen compromised",
            NotCollectedReason::Cancelled => "Order cancelled",
        }
    }
}

/// What a not-collected exception covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", content = "test", rename_all = "kebab-case")]
pub enum Scope {
    /// One ordered test.
    Test(TestCode),
    /// The whole visit.
    Visit,
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

/// Fasting status at collection (HL7 table 0916).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FastingStatus {
    /// The patient fasted.
    Fasting,
    /// The patient did not fast.
    NotFasting,
    /// Not asked.
    NotGiven,
}

/// A recorded confirmation to draw outside a timed draw's window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowOverride {
    /// Why the draw went ahead.
    pub reason: String,
    /// Target time of the timed draw.
    pub target: DateTime<Utc>,
    /// Allowed window either side.
    pub window_minutes: u32,
    /// Signed distance of the draw from the target.
    pub minutes_from_target: i64,
}

/// Who drew a tube and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    /// Collection instant (device clock at confirmation).
    pub at: DeviceTime,
    /// Collector.
    pub by: CollectorId,
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
}

/// Where the record is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Started, patient not yet identified.
    Draft,
    /// Patient positively identified.
    Identified,
    /// Every tube to collect is drawn (or excepted).
    TubesDrawn,
    /// Every drawn tube is labelled.
    Labelled,
    /// Locked; only a new version can change it.
    Finalized,
}

/// One entry of the record's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: DeviceTime,
    /// Who.
    pub by: CollectorId,
    /// What.
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    /// Record started for these tests.
    Started {
        /// Tests ordered.
        tests: Vec<TestCode>,
    },
    /// Patient identified.
    Identified {
        /// How.
        identification: Identification,
    },
    /// Identification attempt refused (logged, hard stop or not).
    IdentificationFailed {
        /// The error shown.
        error: IdentificationError,
    },
    /// Tube drawn.
    TubeDrawn {
        /// Tube index.
        tube: u32,
        /// Collection instant.
        at: DeviceTime,
    },
    /// Drawn outside its timed window with confirmation.
    WindowOverridden {
        /// Tube index.
        tube: u32,
        /// Reason given.
        reason: String,
    },
    /// Collection time corrected.
    DrawTimeCorrected {
        /// Tube index.
        tube: u32,
        /// Previous time.
        from: DeviceTime,
        /// New time.
        to: DeviceTime,
        /// Reason given.
        reason: String,
    },
    /// A pre-labelled tube bound to another patient was refused (wrong blood in tube).
    TubeBindingRefused {
        /// Tube index.
        tube: u32,
        /// The refused barcode.
        accession: AccessionNumber,
    },
    /// Tube labelled.
    TubeLabelled {
        /// Tube index.
        tube: u32,
        /// Bound accession.
        accession: AccessionNumber,
    },
    /// Exception recorded.
    NotCollected {
        /// Scope.
        scope: Scope,
        /// Reason.
        reason: NotCollectedReason,
    },
    /// Fasting status recorded.
    FastingRecorded {
        /// Status.
        status: FastingStatus,
    },
    /// A correction of a finalized version started.
    CorrectionStarted {
        /// Version corrected.
        supersedes: u32,
    },
    /// Locked.
    Finalized,
}

/// The finalized version a correction replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersedes {
    /// Version number.
    pub version: u32,
    /// Its content hash.
    pub hash: ContentHash,
}

/// A rule the requested change would break.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CollectionError {
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
    #[error("collection time {at} is in the future (now {now})")]
    InTheFuture {
        /// Given time.
        at: DateTime<Utc>,
        /// Device now.
        now: DateTime<Utc>,
    },
    /// Collection time before the order existed.
    #[error("collection time {at} is before order {order} was placed at {placed_at}")]
    BeforeOrderPlaced {
        /// Given time.
        at: DateTime<Utc>,
        /// The order.
        order: OrderId,
        /// When it was placed.
        placed_at: DateTime<Utc>,
    },
    /// A correction or override without a reason.
    #[error("a reason is required")]
    ReasonRequired,
    /// Timed draw outside its window without a recorded override.
    #[error("{label} is {minutes_from_target} min from its target time, outside the ±{window_minutes} min window: confirm with a reason")]
    OutsideWindow {
        /// Tube index.
        tube: u32,
        /// Timing label.
        label: String,
        /// Signed distance from target.
        minutes_from_target: i64,
        /// Window either side.
        window_minutes: u32,
    },
    /// Accession used twice.
    #[error("accession {0} is already on another tube of this collection")]
    AccessionInUse(AccessionNumber),
    /// Wrong blood in tube prevention.
    #[error("WRONG PATIENT: tube {accession} is already bound to another patient")]
    TubeBoundToAnotherPatient {
        /// The tube's barcode.
        accession: AccessionNumber,
    },
    /// Already labelled.
    #[error("tube {0} is already labelled")]
    AlreadyLabelled(u32),
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
    /// A stored finalized version whose hash does not match its content.
    #[error("finalized record content does not match its hash")]
    HashMismatch,
}

/// A collection in progress (draft), or a finalized one inside [`FinalizedCollection`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    id: CollectionId,
    version: u32,
    supersedes: Option<Supersedes>,
    patient: Patient,
    orders: Vec<Order>,
    device: Device,
    started_by: CollectorId,
    started_at: DeviceTime,
    status: Status,
    identification: Option<Identification>,
    tubes: Vec<TubeRecord>,
    not_collected: Vec<NotCollected>,
    fasting: Option<FastingStatus>,
    finalized_at: Option<DeviceTime>,
    history: Vec<HistoryEntry>,
}

impl Collection {
    /// Starts a collection of `orders` for `patient`, planning the tubes with `site` and `device`.
    pub fn start(
        id: CollectionId,
        patient: Patient,
        orders: Vec<Order>,
        site: &SiteConfig,
        device: Device,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<Self, CollectionError> {
        if orders.is_empty() {
            return Err(CollectionError::NoOrders);
        }
        if let Some(o) = orders.iter().find(|o| o.patient != patient.id) {
            return Err(CollectionError::OrderForAnotherPatient {
                order: o.id.clone(),
            });
        }
        let tests: Vec<TestCode> = orders.iter().map(|o| o.test.clone()).collect();
        let plan = Planner::new(site).plan_codes(&tests, device)?;
        let tubes = plan
            .tubes
            .into_iter()
            .enumerate()
            .map(|(i, tube)| TubeRecord {
                index: i as u32 + 1,
                tube,
                drawn: None,
                accession: None,
                labelled_at: None,
                window_override: None,
            })
            .collect();
        let mut sorted = tests;
        sorted.sort();
        sorted.dedup();
        Ok(Self {
            id,
            version: 1,
            supersedes: None,
            patient,
            orders,
            device,
            started_by: by.clone(),
            started_at: now,
            status: Status::Draft,
            identification: None,
            tubes,
            not_collected: Vec::new(),
            fasting: None,
            finalized_at: None,
            history: vec![HistoryEntry {
                at: now,
                by: by.clone(),
                event: Event::Started { tests: sorted },
            }],
        })
    }

    /// Id shared by all versions.
    pub fn id(&self) -> CollectionId {
        self.id
    }
    /// Version number, 1 for the first.
    pub fn version(&self) -> u32 {
        self.version
    }
    /// The finalized version this one corrects.
    pub fn supersedes(&self) -> Option<&Supersedes> {
        self.supersedes.as_ref()
    }
    /// The patient.
    pub fn patient(&self) -> &Patient {
        &self.patient
    }
    /// The orders collected.
    pub fn orders(&self) -> &[Order] {
        &self.orders
    }
    /// Device used.
    pub fn device(&self) -> Device {
        self.device
    }
    /// Collector who started the record.
    pub fn started_by(&self) -> &CollectorId {
        &self.started_by
    }
    /// When started.
    pub fn started_at(&self) -> DeviceTime {
        self.started_at
    }
    /// Current state.
    pub fn status(&self) -> Status {
        self.status
    }
    /// The positive identification, once made.
    pub fn identification(&self) -> Option<&Identification> {
        self.identification.as_ref()
    }
    /// Tubes in order of draw.
    pub fn tubes(&self) -> &[TubeRecord] {
        &self.tubes
    }
    /// Recorded exceptions.
    pub fn not_collected(&self) -> &[NotCollected] {
        &self.not_collected
    }
    /// Fasting status, if recorded.
    pub fn fasting(&self) -> Option<FastingStatus> {
        self.fasting
    }
    /// When finalized.
    pub fn finalized_at(&self) -> Option<DeviceTime> {
        self.finalized_at
    }
    /// Everything that happened, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    /// The exception covering `test`, if any (a visit exception covers every test).
    pub fn exception_for(&self, test: &TestCode) -> Option<&NotCollected> {
        self.not_collected
            .iter()
            .find(|n| n.scope == Scope::Test(test.clone()))
            .or_else(|| self.not_collected.iter().find(|n| n.scope == Scope::Visit))
    }

    /// Orders whose test a tube serves.
    pub fn orders_for_tube(&self, tube: &TubeRecord) -> Vec<&Order> {
        self.orders
            .iter()
            .filter(|o| tube.tube.tests.contains(&o.test))
            .collect()
    }

    fn log(&mut self, now: DeviceTime, by: &CollectorId, event: Event) {
        self.history.push(HistoryEntry {
            at: now,
            by: by.clone(),
            event,
        });
    }

    fn editable(&self) -> Result<(), CollectionError> {
        if self.status == Status::Finalized {
            Err(CollectionError::Finalized)
        } else {
            Ok(())
        }
    }

    fn tube_index(&self, tube: u32) -> Result<usize, CollectionError> {
        self.tubes
            .iter()
            .position(|t| t.index == tube)
            .ok_or(CollectionError::NoSuchTube(tube))
    }

    fn tube_needed(&self, t: &TubeRecord) -> bool {
        !t.tube.discard && t.tube.tests.iter().any(|c| self.exception_for(c).is_none())
    }

    fn refresh_status(&mut self) {
        if self.status == Status::Finalized {
            return;
        }
        self.status = if self.identification.is_none() {
            Status::Draft
        } else {
            let needed: Vec<&TubeRecord> =
                self.tubes.iter().filter(|t| self.tube_needed(t)).collect();
            let all_drawn = needed.iter().all(|t| t.drawn.is_some());
            let all_labelled = self
                .tubes
                .iter()
                .filter(|t| t.drawn.is_some() && self.tube_needed(t))
                .all(|t| t.accession.is_some());
            match (all_drawn, all_labelled) {
                (true, true) => Status::Labelled,
                (true, false) => Status::TubesDrawn,
                _ => Status::Identified,
            }
        };
    }

    /// Positive identification; a failed attempt is logged in the history and returned.
    pub fn identify(
        &mut self,
        evidence: &Evidence,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        if self.identification.is_some() {
            return Err(CollectionError::AlreadyIdentified);
        }
        match identify(evidence, &self.patient.identity) {
            Ok(identification) => {
                self.identification = Some(identification.clone());
                self.log(now, by, Event::Identified { identification });
                self.refresh_status();
                Ok(())
            }
            Err(error) => {
                self.log(
                    now,
                    by,
                    Event::IdentificationFailed {
                        error: error.clone(),
                    },
                );
                Err(error.into())
            }
        }
    }

    fn check_time(
        &self,
        tube: &TubeRecord,
        at: DeviceTime,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        if at.utc > now.utc + Duration::seconds(FUTURE_TOLERANCE_SECONDS) {
            return Err(CollectionError::InTheFuture {
                at: at.utc,
                now: now.utc,
            });
        }
        if let Some(o) = self
            .orders_for_tube(tube)
            .into_iter()
            .find(|o| at.utc < o.placed_at)
        {
            return Err(CollectionError::BeforeOrderPlaced {
                at: at.utc,
                order: o.id.clone(),
                placed_at: o.placed_at,
            });
        }
        Ok(())
    }

    fn window_check(
        &self,
        tube: &TubeRecord,
        at: DeviceTime,
        override_reason: Option<&str>,
    ) -> Result<Option<WindowOverride>, CollectionError> {
        let Some(timing) = &tube.tube.timing else {
            return Ok(None);
        };
        let targets = self
            .orders_for_tube(tube)
            .into_iter()
            .filter_map(|o| o.due_at);
        for target in targets {
            let minutes = (at.utc - target).num_minutes();
            if minutes.unsigned_abs() > u64::from(timing.window_minutes) {
                let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
                return match reason {
                    Some(reason) => Ok(Some(WindowOverride {
                        reason: reason.to_owned(),
                        target,
                        window_minutes: timing.window_minutes,
                        minutes_from_target: minutes,
                    })),
                    None => Err(CollectionError::OutsideWindow {
                        tube: tube.index,
                        label: timing.label.clone(),
                        minutes_from_target: minutes,
                        window_minutes: timing.window_minutes,
                    }),
                };
            }
        }
        Ok(None)
    }

    /// Confirms a tube drawn at `at` (normally the device clock at confirmation). A timed draw
    /// outside its window needs `override_reason`, which is recorded.
    pub fn record_draw(
        &mut self,
        tube: u32,
        at: DeviceTime,
        override_reason: Option<&str>,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        if self.identification.is_none() {
            return Err(CollectionError::NotIdentified);
        }
        let i = self.tube_index(tube)?;
        let t = &self.tubes[i];
        if t.drawn.is_some() {
            return Err(CollectionError::AlreadyDrawn(tube));
        }
        if !t.tube.discard && !self.tube_needed(t) {
            return Err(CollectionError::NothingToCollect(tube));
        }
        self.check_time(t, at, now)?;
        let window = self.window_check(t, at, override_reason)?;
        self.tubes[i].drawn = Some(Draw { at, by: by.clone() });
        self.log(now, by, Event::TubeDrawn { tube, at });
        if let Some(w) = window {
            self.log(
                now,
                by,
                Event::WindowOverridden {
                    tube,
                    reason: w.reason.clone(),
                },
            );
            self.tubes[i].window_override = Some(w);
        }
        self.refresh_status();
        Ok(())
    }

    /// Corrects a tube's collection time; the reason is required, kept in the history, and
    /// also stands as the confirmation if the new time is outside a timed window.
    pub fn correct_draw_time(
        &mut self,
        tube: u32,
        at: DeviceTime,
        reason: &str,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(CollectionError::ReasonRequired);
        }
        let i = self.tube_index(tube)?;
        let t = &self.tubes[i];
        let Some(previous) = t.drawn.as_ref().map(|d| d.at) else {
            return Err(CollectionError::NotDrawn(tube));
        };
        self.check_time(t, at, now)?;
        let window = self.window_check(t, at, Some(reason))?;
        if let Some(d) = self.tubes[i].drawn.as_mut() {
            d.at = at;
        }
        self.tubes[i].window_override = window;
        self.log(
            now,
            by,
            Event::DrawTimeCorrected {
                tube,
                from: previous,
                to: at,
                reason: reason.to_owned(),
            },
        );
        Ok(())
    }

    /// Binds an accession barcode to a drawn tube at the bedside. `already_bound_to` is the MRN
    /// the barcode is bound to elsewhere (from the worklist store), if any: a tube bound to
    /// another patient is a hard stop.
    pub fn label_tube(
        &mut self,
        tube: u32,
        accession: AccessionNumber,
        already_bound_to: Option<&Mrn>,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        if let Some(mrn) = already_bound_to {
            if *mrn != self.patient.identity.mrn {
                self.log(
                    now,
                    by,
                    Event::TubeBindingRefused {
                        tube,
                        accession: accession.clone(),
                    },
                );
                return Err(CollectionError::TubeBoundToAnotherPatient { accession });
            }
        }
        let i = self.tube_index(tube)?;
        let t = &self.tubes[i];
        if t.tube.discard {
            return Err(CollectionError::DiscardTube(tube));
        }
        if t.drawn.is_none() {
            return Err(CollectionError::NotDrawn(tube));
        }
        if t.accession.is_some() {
            return Err(CollectionError::AlreadyLabelled(tube));
        }
        if self
            .tubes
            .iter()
            .any(|o| o.accession.as_ref() == Some(&accession))
        {
            return Err(CollectionError::AccessionInUse(accession));
        }
        self.tubes[i].accession = Some(accession.clone());
        self.tubes[i].labelled_at = Some(now);
        self.log(now, by, Event::TubeLabelled { tube, accession });
        self.refresh_status();
        Ok(())
    }

    /// Records a test or the whole visit as not collected.
    pub fn record_not_collected(
        &mut self,
        scope: Scope,
        reason: NotCollectedReason,
        note: Option<&str>,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        if let Scope::Test(code) = &scope {
            if !self.orders.iter().any(|o| &o.test == code) {
                return Err(CollectionError::NotOrdered(code.clone()));
            }
        }
        self.not_collected.retain(|n| n.scope != scope);
        self.not_collected.push(NotCollected {
            scope: scope.clone(),
            reason,
            note: note
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            at: now,
            by: by.clone(),
        });
        self.log(now, by, Event::NotCollected { scope, reason });
        self.refresh_status();
        Ok(())
    }

    /// Records whether the patient was fasting.
    pub fn record_fasting(
        &mut self,
        status: FastingStatus,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        self.fasting = Some(status);
        self.log(now, by, Event::FastingRecorded { status });
        Ok(())
    }

    /// Tests neither excepted nor on drawn, labelled tubes.
    pub fn unfinished_tests(&self) -> Vec<TestCode> {
        let mut out: Vec<TestCode> = Vec::new();
        for o in &self.orders {
            if self.exception_for(&o.test).is_some() || out.contains(&o.test) {
                continue;
            }
            let done = self
                .tubes
                .iter()
                .filter(|t| t.tube.tests.contains(&o.test))
                .all(|t| t.drawn.is_some() && t.accession.is_some());
            if !done {
                out.push(o.test.clone());
            }
        }
        out.sort();
        out
    }

    /// Locks the record and returns the immutable version with its content hash; the draft is
    /// left as it was (the caller replaces it with the result).
    pub fn finalize(
        &self,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<FinalizedCollection, CollectionError> {
        self.editable()?;
        let unfinished = self.unfinished_tests();
        if !unfinished.is_empty() {
            return Err(CollectionError::Incomplete(unfinished));
        }
        let fasting_needed = self
            .tubes
            .iter()
            .any(|t| t.drawn.is_some() && self.tube_needed(t) && t.tube.fasting);
        if fasting_needed && self.fasting.is_none() {
            return Err(CollectionError::FastingNotRecorded);
        }
        let mut record = self.clone();
        record.status = Status::Finalized;
        record.finalized_at = Some(now);
        record.log(now, by, Event::Finalized);
        let hash = ContentHash::of(&record).expect("a collection always serialises");
        Ok(FinalizedCollection { record, hash })
    }
}

/// An immutable finalized version and its content hash. Deserialising checks the hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FinalizedData")]
pub struct FinalizedCollection {
    record: Collection,
    hash: ContentHash,
}

#[derive(Deserialize)]
struct FinalizedData {
    record: Collection,
    hash: ContentHash,
}

impl TryFrom<FinalizedData> for FinalizedCollection {
    type Error = CollectionError;
    fn try_from(d: FinalizedData) -> Result<Self, Self::Error> {
        if d.record.status != Status::Finalized
            || ContentHash::of(&d.record).ok() != Some(d.hash.clone())
        {
            return Err(CollectionError::HashMismatch);
        }
        Ok(Self {
            record: d.record,
            hash: d.hash,
        })
    }
}

/// Why a finalized collection received from elsewhere (e.g. pushed by a device) cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceivedCollectionError {
    /// Not the JSON of a finalized collection (`{record, hash}`) at all.
    #[error("not a finalized collection record: {0}")]
    Malformed(String),
    /// A well-formed record that was never finalized (a draft).
    #[error("the record is not finalized")]
    NotFinalized,
    /// The content does not hash to the hash it carries.
    #[error("the record's content does not match its content hash")]
    HashMismatch,
}

impl FinalizedCollection {
    /// Reads a finalized collection from JSON, telling apart a malformed document, a draft and
    /// content that does not match its hash (plain deserialising reports all three the same way).
    pub fn from_json_value(value: serde_json::Value) -> Result<Self, ReceivedCollectionError> {
        let data: FinalizedData = serde_json::from_value(value)
            .map_err(|e| ReceivedCollectionError::Malformed(e.to_string()))?;
        if data.record.status != Status::Finalized {
            return Err(ReceivedCollectionError::NotFinalized);
        }
        Self::try_from(data).map_err(|_| ReceivedCollectionError::HashMismatch)
    }

    /// True when the record still hashes to its content hash.
    pub fn verify(&self) -> bool {
        ContentHash::of(&self.record).ok().as_ref() == Some(&self.hash)
    }
}

impl FinalizedCollection {
    /// The locked record.
    pub fn record(&self) -> &Collection {
        &self.record
    }

    /// SHA-256 of the record's canonical JSON.
    pub fn hash(&self) -> &ContentHash {
        &self.hash
    }

    /// Starts a correction: a new draft version that names this one as superseded.
    pub fn start_correction(&self, by: &CollectorId, now: DeviceTime) -> Collection {
        let mut next = self.record.clone();
        next.version = self.record.version + 1;
        next.supersedes = Some(Supersedes {
            version: self.record.version,
            hash: self.hash.clone(),
        });
        next.status = Status::Labelled;
        next.finalized_at = None;
        next.log(
            now,
            by,
            Event::CorrectionStarted {
                supersedes: self.record.version,
            },
        );
        next.refresh_status();
        next
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::identification::{PersonName, WristbandError};
    use chrono::NaiveDate;

    pub(crate) fn t(s: &str) -> DeviceTime {
        DeviceTime::from_local(DateTime::parse_from_rfc3339(s).unwrap())
    }

    pub(crate) fn nurse() -> CollectorId {
        CollectorId::parse("phleb-042").unwrap()
    }

    pub(crate) fn peter() -> Patient {
        Patient {
            id: PatientId::parse("example").unwrap(),
            identity: PatientIdentity {
                mrn: Mrn::parse("12345").unwrap(),
                name: PersonName::new("Chalmers", &["Peter", "James"]).unwrap(),
                birth_date: NaiveDate::from_ymd_opt(1974, 12, 25).unwrap(),
            },
        }
    }

    pub(crate) fn order(id: &str, test: &str) -> Order {
        Order {
            id: OrderId::parse(id).unwrap(),
            patient: PatientId::parse("example").unwrap(),
            test: TestCode::parse(test).unwrap(),
            priority: Priority::Routine,
            placed_at: DateTime::parse_from_rfc3339("2024-05-01T06:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            due_at: None,
            requisition: Some("REQ-1001".into()),
        }
    }

    pub(crate) fn wristband() -> Evidence {
        Evidence::from_wristband("DL1|12345|CHALMERS^PETER^JAMES|19741225").unwrap()
    }

    pub(crate) fn started(orders: Vec<Order>) -> Collection {
        Collection::start(
            CollectionId(Uuid::parse_str("5f0c6a3e-8d2b-4c1a-9e47-2b7d7c1f0a11").unwrap()),
            peter(),
            orders,
            &SiteConfig::default_site(),
            Device::EvacuatedHolder,
            &nurse(),
            t("2024-05-01T08:00:00+02:00"),
        )
        .unwrap()
    }

    /// PT + CMP + CBC drawn and labelled at 08:10 local (+02:00), ready to finalize.
    pub(crate) fn complete() -> Collection {
        let mut c = started(vec![
            order("sr-pt", "PT"),
            order("sr-cmp", "CMP"),
            order("sr-cbc", "CBC"),
        ]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        for (i, acc) in [(1, "A0001"), (2, "A0002"), (3, "A0003")] {
            let now = t("2024-05-01T08:10:00+02:00");
            c.record_draw(i, now, None, &nurse(), now).unwrap();
            c.label_tube(i, AccessionNumber::parse(acc).unwrap(), None, &nurse(), now)
                .unwrap();
        }
        c
    }

    #[test]
    fn a_collection_walks_from_draft_to_finalized() {
        let mut c = started(vec![order("sr-pt", "PT"), order("sr-cbc", "CBC")]);
        assert_eq!(c.status(), Status::Draft);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        assert_eq!(c.status(), Status::Identified);
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_draw(1, now, None, &nurse(), now).unwrap();
        c.record_draw(2, now, None, &nurse(), now).unwrap();
        assert_eq!(c.status(), Status::TubesDrawn);
        c.label_tube(
            1,
            AccessionNumber::parse("A1").unwrap(),
            None,
            &nurse(),
            now,
        )
        .unwrap();
        c.label_tube(
            2,
            AccessionNumber::parse("A2").unwrap(),
            None,
            &nurse(),
            now,
        )
        .unwrap();
        assert_eq!(c.status(), Status::Labelled);
        let f = c
            .finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
            .unwrap();
        assert_eq!(f.record().status(), Status::Finalized);
        assert_eq!(f.record().tubes()[0].drawn.as_ref().unwrap().by, nurse());
        assert!(matches!(
            f.record().history().last().unwrap().event,
            Event::Finalized
        ));
    }

    #[test]
    fn collection_instants_are_utc_with_the_device_offset_kept() {
        let c = complete();
        let d = c.tubes()[0].drawn.as_ref().unwrap().at;
        assert_eq!(d.utc.to_rfc3339(), "2024-05-01T06:10:00+00:00");
        assert_eq!(d.offset_minutes, 120);
        assert_eq!(d.local().to_rfc3339(), "2024-05-01T08:10:00+02:00");
    }

    #[test]
    fn drawing_before_identification_is_refused() {
        let mut c = started(vec![order("sr-cbc", "CBC")]);
        let now = t("2024-05-01T08:10:00+02:00");
        assert_eq!(
            c.record_draw(1, now, None, &nurse(), now).unwrap_err(),
            CollectionError::NotIdentified
        );
    }

    #[test]
    fn a_failed_identification_is_a_hard_stop_and_is_logged() {
        let mut c = started(vec![order("sr-cbc", "CBC")]);
        let other = Evidence::from_wristband("DL1|99999|DUCK^DONALD|19340609").unwrap();
        let e = c
            .identify(&other, &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap_err();
        assert!(matches!(e, CollectionError::Identification(ref i) if i.is_hard_stop()));
        assert!(matches!(
            c.history().last().unwrap().event,
            Event::IdentificationFailed { .. }
        ));
        assert_eq!(c.status(), Status::Draft);
        assert!(matches!(
            Evidence::from_wristband("???"),
            Err(WristbandError::Unrecognised)
        ));
    }

    #[test]
    fn a_collection_time_in_the_future_is_refused() {
        let mut c = started(vec![order("sr-cbc", "CBC")]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        let e = c
            .record_draw(1, t("2024-05-01T08:20:00+02:00"), None, &nurse(), now)
            .unwrap_err();
        assert!(matches!(e, CollectionError::InTheFuture { .. }));
        // Within the tolerance for clocks read a moment apart.
        c.record_draw(1, t("2024-05-01T08:11:00+02:00"), None, &nurse(), now)
            .unwrap();
    }

    #[test]
    fn a_collection_time_before_the_order_was_placed_is_refused() {
        let mut c = started(vec![order("sr-cbc", "CBC")]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        let e = c
            .record_draw(1, t("2024-05-01T07:59:00+02:00"), None, &nurse(), now)
            .unwrap_err();
        assert!(
            matches!(e, CollectionError::BeforeOrderPlaced { ref order, .. } if order.as_str() == "sr-cbc")
        );
    }

    #[test]
    fn a_correction_of_a_collection_time_needs_a_reason_and_is_kept_in_history() {
        let mut c = complete();
        let now = t("2024-05-01T08:11:00+02:00");
        let earlier = t("2024-05-01T08:09:00+02:00");
        assert_eq!(
            c.correct_draw_time(1, earlier, "  ", &nurse(), now)
                .unwrap_err(),
            CollectionError::ReasonRequired
        );
        c.correct_draw_time(1, earlier, "confirmed late", &nurse(), now)
            .unwrap();
        assert_eq!(c.tubes()[0].drawn.as_ref().unwrap().at, earlier);
        let last = &c.history().last().unwrap().event;
        assert!(matches!(last, Event::DrawTimeCorrected { from, reason, .. }
            if *from == t("2024-05-01T08:10:00+02:00") && reason == "confirmed late"));
    }

    fn trough_order(due: &str) -> Order {
        let mut o = order("sr-vanc", "VANCT");
        o.due_at = Some(
            DateTime::parse_from_rfc3339(due)
                .unwrap()
                .with_timezone(&Utc),
        );
        o
    }

    #[test]
    fn a_timed_draw_outside_its_window_needs_a_recorded_override() {
        let mut c = started(vec![trough_order("2024-05-01T09:00:00+02:00")]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        let e = c.record_draw(1, now, None, &nurse(), now).unwrap_err();
        assert_eq!(
            e,
            CollectionError::OutsideWindow {
                tube: 1,
                label: "TROUGH".into(),
                minutes_from_target: -50,
                window_minutes: 30
            }
        );
        c.record_draw(
            1,
            now,
            Some("dose moved earlier by pharmacy"),
            &nurse(),
            now,
        )
        .unwrap();
        let w = c.tubes()[0].window_override.as_ref().unwrap();
        assert_eq!(w.minutes_from_target, -50);
        assert!(c
            .history()
            .iter()
            .any(|h| matches!(h.event, Event::WindowOverridden { .. })));
    }

    #[test]
    fn a_timed_draw_inside_its_window_needs_no_override() {
        let mut c = started(vec![trough_order("2024-05-01T08:30:00+02:00")]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_draw(1, now, None, &nurse(), now).unwrap();
        assert!(c.tubes()[0].window_override.is_none());
    }

    #[test]
    fn a_finalized_record_is_immutable_and_corrected_by_a_new_version() {
        let f = complete()
            .finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
            .unwrap();
        let mut frozen = f.record().clone();
        let now = t("2024-05-01T08:20:00+02:00");
        assert_eq!(
            frozen
                .correct_draw_time(1, now, "x", &nurse(), now)
                .unwrap_err(),
            CollectionError::Finalized
        );
        let mut v2 = f.start_correction(&nurse(), now);
        assert_eq!(v2.version(), 2);
        assert_eq!(v2.supersedes().unwrap().version, 1);
        assert_eq!(&v2.supersedes().unwrap().hash, f.hash());
        v2.correct_draw_time(
            1,
            t("2024-05-01T08:08:00+02:00"),
            "clock read late",
            &nurse(),
            now,
        )
        .unwrap();
        let f2 = v2.finalize(&nurse(), now).unwrap();
        assert_ne!(f2.hash(), f.hash());
        assert_eq!(f2.record().id(), f.record().id());
    }

    #[test]
    fn the_same_content_gives_the_same_fixed_hash() {
        let f = complete()
            .finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
            .unwrap();
        let again = complete()
            .finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
            .unwrap();
        assert_eq!(f.hash(), again.hash());
        assert_eq!(
            f.hash().as_str(),
            "3174b83b0c6a3b847b2cf5815651c09249295b4ebd2aed772dbe85d88eda6a0e"
        );
    }

    #[test]
    fn a_stored_finalized_version_with_altered_content_is_refused() {
        let f = complete()
            .finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
            .unwrap();
        let json = serde_json::to_string(&f).unwrap();
        let back: FinalizedCollection = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
        let tampered = json.replace("A0002", "A0009");
        assert!(serde_json::from_str::<FinalizedCollection>(&tampered).is_err());
    }

    #[test]
    fn a_received_collection_tells_malformed_draft_and_tampered_apart() {
        let f = complete()
            .finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
            .unwrap();
        let value = serde_json::to_value(&f).unwrap();
        let back = FinalizedCollection::from_json_value(value.clone()).unwrap();
        assert_eq!(back, f);
        assert!(back.verify());

        let tampered: serde_json::Value =
            serde_json::from_str(&value.to_string().replace("A0002", "A0009")).unwrap();
        assert_eq!(
            FinalizedCollection::from_json_value(tampered),
            Err(ReceivedCollectionError::HashMismatch)
        );
        let mut draft = value.clone();
        draft["record"]["status"] = serde_json::json!("labelled");
        assert_eq!(
            FinalizedCollection::from_json_value(draft),
            Err(ReceivedCollectionError::NotFinalized)
        );
        assert!(matches!(
            FinalizedCollection::from_json_value(serde_json::json!({"record": 1})),
            Err(ReceivedCollectionError::Malformed(_))
        ));
    }

    #[test]
    fn a_test_not_collected_with_a_coded_reason_lets_the_rest_finalize() {
        let mut c = started(vec![order("sr-cbc", "CBC"), order("sr-ts", "TS")]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_draw(1, now, None, &nurse(), now).unwrap();
        c.label_tube(
            1,
            AccessionNumber::parse("A1").unwrap(),
            None,
            &nurse(),
            now,
        )
        .unwrap();
        assert_eq!(
            c.finalize(&nurse(), now).unwrap_err(),
            CollectionError::Incomplete(vec![TestCode::parse("TS").unwrap()])
        );
        let ts = TestCode::parse("TS").unwrap();
        c.record_not_collected(
            Scope::Test(ts.clone()),
            NotCollectedReason::UnableToCollect,
            Some("two attempts"),
            &nurse(),
            now,
        )
        .unwrap();
        assert_eq!(c.status(), Status::Labelled);
        let f = c.finalize(&nurse(), now).unwrap();
        assert_eq!(
            f.record().exception_for(&ts).unwrap().reason,
            NotCollectedReason::UnableToCollect
        );
    }

    #[test]
    fn a_whole_visit_can_end_as_not_collected_without_identification() {
        let mut c = started(vec![order("sr-cbc", "CBC"), order("sr-pt", "PT")]);
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_not_collected(
            Scope::Visit,
            NotCollectedReason::Unavailable,
            Some("in CT"),
            &nurse(),
            now,
        )
        .unwrap();
        assert!(c.finalize(&nurse(), now).is_ok());
    }

    #[test]
    fn an_exception_for_a_test_not_ordered_is_refused() {
        let mut c = started(vec![order("sr-cbc", "CBC")]);
        let now = t("2024-05-01T08:10:00+02:00");
        let e = c.record_not_collected(
            Scope::Test(TestCode::parse("PT").unwrap()),
            NotCollectedReason::Refused,
            None,
            &nurse(),
            now,
        );
        assert_eq!(
            e.unwrap_err(),
            CollectionError::NotOrdered(TestCode::parse("PT").unwrap())
        );
    }

    #[test]
    fn a_fasting_test_cannot_be_finalized_without_a_fasting_status() {
        let mut c = started(vec![order("sr-lipid", "LIPID")]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_draw(1, now, None, &nurse(), now).unwrap();
        c.label_tube(
            1,
            AccessionNumber::parse("A1").unwrap(),
            None,
            &nurse(),
            now,
        )
        .unwrap();
        assert_eq!(
            c.finalize(&nurse(), now).unwrap_err(),
            CollectionError::FastingNotRecorded
        );
        c.record_fasting(FastingStatus::NotFasting, &nurse(), now)
            .unwrap();
        let f = c.finalize(&nurse(), now).unwrap();
        assert_eq!(f.record().fasting(), Some(FastingStatus::NotFasting));
    }

    #[test]
    fn a_prelabelled_tube_bound_to_another_patient_is_a_hard_stop() {
        let mut c = started(vec![order("sr-cbc", "CBC")]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_draw(1, now, None, &nurse(), now).unwrap();
        let other = Mrn::parse("99999").unwrap();
        let e = c
            .label_tube(
                1,
                AccessionNumber::parse("A1").unwrap(),
                Some(&other),
                &nurse(),
                now,
            )
            .unwrap_err();
        assert!(matches!(
            e,
            CollectionError::TubeBoundToAnotherPatient { .. }
        ));
        let same = Mrn::parse("12345").unwrap();
        c.label_tube(
            1,
            AccessionNumber::parse("A1").unwrap(),
            Some(&same),
            &nurse(),
            now,
        )
        .unwrap();
    }

    #[test]
    fn one_accession_cannot_label_two_tubes() {
        let mut c = started(vec![order("sr-cbc", "CBC"), order("sr-cmp", "CMP")]);
        c.identify(&wristband(), &nurse(), t("2024-05-01T08:05:00+02:00"))
            .unwrap();
        let now = t("2024-05-01T08:10:00+02:00");
        c.record_draw(1, now, None, &nurse(), now).unwrap();
        c.record_draw(2, now, None, &nurse(), now).unwrap();
        c.label_tube(
            1,
            AccessionNumber::parse("A1").unwrap(),
            None,
            &nurse(),
            now,
        )
        .unwrap();
        let e = c
            .label_tube(
                2,
                AccessionNumber::parse("A1").unwrap(),
                None,
                &nurse(),
                now,
            )
            .unwrap_err();
        assert!(matches!(e, CollectionError::AccessionInUse(_)));
    }

    #[test]
    fn orders_for_another_patient_cannot_join_the_collection() {
        let mut o = order("sr-cbc", "CBC");
        o.patient = PatientId::parse("pat1").unwrap();
        let e = Collection::start(
            CollectionId(Uuid::nil()),
            peter(),
            vec![o],
            &SiteConfig::default_site(),
            Device::Winged,
            &nurse(),
            t("2024-05-01T08:00:00+02:00"),
        )
        .unwrap_err();
        assert!(matches!(e, CollectionError::OrderForAnotherPatient { .. }));
    }

    #[test]
    fn a_draft_round_trips_through_json_for_storage() {
        let c = complete();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Collection>(&json).unwrap(), c);
    }

    #[test]
    fn the_draw_list_puts_stat_first_then_timed_draws_by_due_time_then_routine() {
        let mut routine = order("a-routine", "CBC");
        routine.placed_at -= Duration::hours(1);
        let mut stat = order("b-stat", "TROP");
        stat.priority = Priority::Stat;
        let late = trough_order("2024-05-01T11:00:00+02:00");
        let mut early = trough_order("2024-05-01T09:00:00+02:00");
        early.id = OrderId::parse("c-early").unwrap();
        let mut urgent = order("d-urgent", "BMP");
        urgent.priority = Priority::Urgent;
        let mut list = vec![routine, late, urgent, early, stat];
        sort_draw_list(&mut list);
        let ids: Vec<&str> = list.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(
            ids,
            ["b-stat", "c-early", "sr-vanc", "d-urgent", "a-routine"]
        );
    }

    #[test]
    fn priorities_sort_stat_first() {
        let mut p = vec![
            Priority::Routine,
            Priority::Stat,
            Priority::Urgent,
            Priority::Asap,
        ];
        p.sort();
        assert_eq!(
            p,
            [
                Priority::Stat,
                Priority::Asap,
                Priority::Urgent,
                Priority::Routine
            ]
        );
        assert_eq!(serde_json::to_string(&Priority::Stat).unwrap(), "\"stat\"");
    }
}
