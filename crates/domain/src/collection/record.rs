//! The collection record itself: how it starts, what it holds, and the status its content implies.

use serde::{Deserialize, Serialize};

use super::attempt::Venipuncture;
use super::error::CollectionError;
use super::exception::{NotCollected, Scope};
use super::fasting::FastingStatus;
use super::history::{Event, HistoryEntry, Supersedes, Void};
use super::order::{Order, Patient};
use super::status::Status;
use super::time::DeviceTime;
use super::tube::TubeRecord;
use crate::catalog::TestCode;
use crate::identification::Identification;
use crate::ids::{CollectionId, CollectorId};
use crate::planner::{Device, Planner};
use crate::site::SiteConfig;

/// A collection in progress (draft), or a finalized one inside a `FinalizedCollection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub(super) id: CollectionId,
    pub(super) version: u32,
    pub(super) supersedes: Option<Supersedes>,
    pub(super) patient: Patient,
    pub(super) orders: Vec<Order>,
    pub(super) device: Device,
    pub(super) started_by: CollectorId,
    pub(super) started_at: DeviceTime,
    pub(super) status: Status,
    pub(super) identification: Option<Identification>,
    pub(super) tubes: Vec<TubeRecord>,
    pub(super) not_collected: Vec<NotCollected>,
    pub(super) fasting: Option<FastingStatus>,
    pub(super) finalized_at: Option<DeviceTime>,
    pub(super) history: Vec<HistoryEntry>,
    /// The site asks for a second wristband scan after the draw (copied from the site's
    /// safety rules at start, so finalize knows it). Absent when false, so records made before
    /// the rule existed keep their content hash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) second_scan_required: bool,
    /// Set on the version that voided the collection as entered in error; absent (and not
    /// serialised) otherwise, so records made before voids existed keep their hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) voided: Option<Void>,
    /// The venipunctures made, with their sites; absent (and not serialised) in records made
    /// before sites were recorded, so they keep their hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) venipunctures: Vec<Venipuncture>,
    /// The site's window either side of a due time for a test without catalog timing (copied
    /// at start, so the draw checks it). Absent when it is the shipped default, and in records
    /// made before it was copied, which the shipped default applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) default_window_minutes: Option<u32>,
}

impl Collection {
    /// Starts a collection of `orders` for `patient`, planning the tubes with `site` and `device`.
    /// Which orders a draw takes is [`super::ensure_due`]'s rule, applied by the caller that picks
    /// them from the worklist; an order drawn before its window still needs a recorded reason.
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
        let plan = Planner::new(site).plan_orders(&orders.iter().collect::<Vec<_>>(), device)?;
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
                last_dose: None,
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
            second_scan_required: site.safety().second_wristband_scan,
            voided: None,
            venipunctures: Vec::new(),
            // Kept only when the site changed it, so records of default sites read as before.
            default_window_minutes: Some(site.default_window_minutes())
                .filter(|m| *m != crate::catalog::DEFAULT_WINDOW_MINUTES),
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
    /// The accession labels bound to the tubes, in tube order: what the lab binds to the patient.
    pub fn accessions(&self) -> impl Iterator<Item = &super::AccessionNumber> {
        self.tubes.iter().filter_map(|t| t.accession.as_ref())
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
    /// The void, when this version voided the collection as entered in error.
    pub fn voided(&self) -> Option<&Void> {
        self.voided.as_ref()
    }
    /// Everything that happened, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    /// The exception covering `test`, if any: one for the test, or the visit. An exception for
    /// one order of the test is not one for the test (see [`Self::exception_for_order`]).
    pub fn exception_for(&self, test: &TestCode) -> Option<&NotCollected> {
        self.not_collected
            .iter()
            .find(|n| n.scope == Scope::Test(test.clone()))
            .or_else(|| self.not_collected.iter().find(|n| n.scope == Scope::Visit))
    }

    /// The exception covering `order`, if any: one for the order, for its test, or the visit.
    pub fn exception_for_order(&self, order: &Order) -> Option<&NotCollected> {
        self.not_collected
            .iter()
            .find(|n| n.scope == Scope::Order(order.id.clone()))
            .or_else(|| self.exception_for(&order.test))
    }

    /// Orders a tube serves: the ones it names, or (records planned before tubes named their
    /// orders) the orders of its tests.
    pub fn orders_for_tube(&self, tube: &TubeRecord) -> Vec<&Order> {
        if tube.tube.orders.is_empty() {
            return self
                .orders
                .iter()
                .filter(|o| tube.tube.tests.contains(&o.test))
                .collect();
        }
        self.orders
            .iter()
            .filter(|o| tube.tube.orders.contains(&o.id))
            .collect()
    }

    /// Tubes that serve `order`.
    pub fn tubes_for_order<'a>(&'a self, order: &'a Order) -> impl Iterator<Item = &'a TubeRecord> {
        self.tubes.iter().filter(move |t| {
            if t.tube.orders.is_empty() {
                t.tube.tests.contains(&order.test)
            } else {
                t.tube.orders.contains(&order.id)
            }
        })
    }

    /// True when every test of tube `t` is recorded as not collected (a discard tube never is).
    pub fn tube_excepted(&self, t: &TubeRecord) -> bool {
        !t.tube.discard && !self.tube_needed(t)
    }

    /// The next tube that needs a label: drawn, needed, not a discard tube, not labelled.
    pub fn next_tube_to_label(&self) -> Option<&TubeRecord> {
        self.tubes
            .iter()
            .find(|t| t.drawn.is_some() && t.accession.is_none() && self.tube_needed(t))
    }

    /// True when a fasting status must be recorded before finalizing: a drawn tube that is
    /// still needed wants a fasting patient.
    pub fn fasting_must_be_recorded(&self) -> bool {
        self.tubes
            .iter()
            .any(|t| t.drawn.is_some() && self.tube_needed(t) && t.tube.fasting)
    }

    /// Tests of the orders neither excepted nor on drawn, labelled tubes (a test twice when two
    /// of its orders are unfinished). An order no tube serves is unfinished.
    pub fn unfinished_tests(&self) -> Vec<TestCode> {
        let mut out: Vec<TestCode> = Vec::new();
        for o in &self.orders {
            if self.exception_for_order(o).is_some() {
                continue;
            }
            let mut tubes = self.tubes_for_order(o).peekable();
            let served = tubes.peek().is_some();
            let done = served && tubes.all(|t| t.drawn.is_some() && t.accession.is_some());
            if !done {
                out.push(o.test.clone());
            }
        }
        out.sort();
        out
    }

    pub(super) fn log(&mut self, now: DeviceTime, by: &CollectorId, event: Event) {
        self.history.push(HistoryEntry {
            at: now,
            by: by.clone(),
            event,
        });
    }

    pub(super) fn editable(&self) -> Result<(), CollectionError> {
        if self.status == Status::Finalized {
            Err(CollectionError::Finalized)
        } else {
            Ok(())
        }
    }

    pub(super) fn tube_index(&self, tube: u32) -> Result<usize, CollectionError> {
        self.tubes
            .iter()
            .position(|t| t.index == tube)
            .ok_or(CollectionError::NoSuchTube(tube))
    }

    /// True when tube `t` still has something to collect: not a discard tube, and some test on it
    /// is not recorded as not collected.
    pub fn tube_needed(&self, t: &TubeRecord) -> bool {
        !t.tube.discard
            && self
                .orders_for_tube(t)
                .iter()
                .any(|o| self.exception_for_order(o).is_none())
    }

    pub(super) fn refresh_status(&mut self) {
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
}
