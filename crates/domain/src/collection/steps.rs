//! The collector's steps on a draft: identify, draw (with time and timed-window checks), label, except, fasting.

use chrono::Duration;

use super::due::Window;
use super::error::CollectionError;
use super::exception::{NotCollected, NotCollectedReason, Scope};
use super::fasting::FastingStatus;
use super::history::Event;
use super::record::Collection;
use super::time::{DeviceTime, FUTURE_TOLERANCE_SECONDS};
use super::tube::{Draw, TubeRecord, WindowOverride};
use super::tube_label::{judge_tube_label, KnownLabels};
use crate::identification::{identify, Evidence, IdentifyContext};
use crate::ids::{AccessionNumber, CollectorId};
use crate::safety::AccessionFormat;

impl Collection {
    /// Positive identification under `context` (the site's MRN rule, and whether a look-alike
    /// on the round makes the MRN required); a failed attempt is logged in the history and
    /// returned, a mismatch as a wrong-patient hard stop.
    pub fn identify(
        &mut self,
        evidence: &Evidence,
        context: &IdentifyContext,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        self.no_pending_hard_stop()?;
        if self.identification.is_some() {
            return Err(CollectionError::AlreadyIdentified);
        }
        match identify(evidence, &self.patient.identity, context) {
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
            .find(|o| at.utc + Duration::seconds(FUTURE_TOLERANCE_SECONDS) < o.placed_at)
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
        let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
        let timing = tube.tube.timing.as_ref();
        // Records started before the site default was copied in get the shipped default.
        let default = self
            .default_window_minutes
            .unwrap_or(crate::catalog::DEFAULT_WINDOW_MINUTES);
        for o in self.orders_for_tube(tube) {
            let Some(target) = o.due_at else {
                // A timed test without a due time is never a silent pass.
                let Some(timing) = timing else { continue };
                return match reason {
                    Some(reason) => Ok(Some(WindowOverride {
                        reason: reason.to_owned(),
                        target: at.utc,
                        window_minutes: timing.window_minutes,
                        minutes_from_target: 0,
                        before_minutes: None,
                        after_minutes: None,
                        no_due_time: true,
                    })),
                    None => Err(CollectionError::NoDueTime {
                        tube: tube.index,
                        label: timing.label.clone(),
                    }),
                };
            };
            let window = Window::new(target, timing, default);
            if window.contains(at.utc) {
                continue;
            }
            let minutes = window.minutes_from_target(at.utc);
            let (before, after) = (window.before_minutes, window.after_minutes);
            return match reason {
                Some(reason) => Ok(Some(WindowOverride {
                    reason: reason.to_owned(),
                    target,
                    // The side the draw fell on; both sides are kept when they differ.
                    window_minutes: if minutes < 0 { before } else { after },
                    minutes_from_target: minutes,
                    before_minutes: (before != after).then_some(before),
                    after_minutes: (before != after).then_some(after),
                    no_due_time: false,
                })),
                None => Err(CollectionError::OutsideWindow {
                    tube: tube.index,
                    label: window.label.unwrap_or_else(|| o.test.to_string()),
                    minutes_from_target: minutes,
                    before_minutes: before,
                    after_minutes: after,
                }),
            };
        }
        Ok(None)
    }

    /// Tests on tubes still to collect that want a fasting patient: fasting is asked before the
    /// first tube when there are any.
    pub fn fasting_tests(&self) -> Vec<crate::catalog::TestCode> {
        let mut out: Vec<_> = self
            .tubes
            .iter()
            .filter(|t| t.tube.fasting && self.tube_needed(t))
            .flat_map(|t| t.tube.tests.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Confirms a tube drawn at `at` (normally the device clock at confirmation), in the current
    /// venipuncture, whose site it records. Fasting must be asked first when a tube wants it; a
    /// blood-culture set needs its own venipuncture; a drug level needs its last dose recorded
    /// first. A timed draw outside its window (asymmetric where the catalog says, the site
    /// default for a due time on a test without timing), or of a timed test ordered without a
    /// due time, needs `override_reason`, which is recorded.
    pub fn record_draw(
        &mut self,
        tube: u32,
        at: DeviceTime,
        override_reason: Option<&str>,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        self.no_pending_hard_stop()?;
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
        let fasting = self.fasting_tests();
        if self.fasting.is_none() && !fasting.is_empty() {
            return Err(CollectionError::FastingNotAsked(fasting));
        }
        let venipuncture = self.venipuncture_for(t)?;
        let (site, number) = (venipuncture.site, venipuncture.number);
        self.check_time(t, at, now)?;
        if let Some(timing) = t.tube.timing.as_ref().filter(|x| x.last_dose) {
            if t.last_dose.is_none() {
                return Err(CollectionError::LastDoseNeeded {
                    tube,
                    label: timing.label.clone(),
                });
            }
        }
        let window = self.window_check(t, at, override_reason)?;
        self.tubes[i].drawn = Some(Draw {
            at,
            by: by.clone(),
            body_site: Some(site),
            venipuncture: Some(number),
        });
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
        self.no_pending_hard_stop()?;
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

    /// The reasons given for correcting tube `tube`'s collection time, oldest first.
    pub fn time_corrections(&self, tube: u32) -> Vec<&str> {
        self.history
            .iter()
            .filter_map(|h| match &h.event {
                Event::DrawTimeCorrected {
                    tube: t, reason, ..
                } if *t == tube => Some(reason.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Corrects a tube's collection time to a time of day the collector typed (`HH:MM`), on the
    /// day the tube was drawn, in the device's offset then; otherwise as [`Self::correct_draw_time`].
    pub fn correct_draw_time_typed(
        &mut self,
        tube: u32,
        typed: &str,
        reason: &str,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        let i = self.tube_index(tube)?;
        let Some(drawn) = self.tubes[i].drawn.as_ref().map(|d| d.at) else {
            return Err(CollectionError::NotDrawn(tube));
        };
        let Some(at) = drawn.at_local_time(typed) else {
            return Err(CollectionError::UnreadableTime(super::time::shown_typed(
                typed,
            )));
        };
        self.correct_draw_time(tube, at, reason, by, now)
    }

    /// Binds a scanned (or device-printed) tube label to a drawn tube at the bedside. The label
    /// is judged by [`judge_tube_label`] against the site's accession `rules` and what the device
    /// `known`s of other patients' labels; a refused label is logged in the history (the only
    /// change), and another patient's label is a wrong-blood-in-tube hard stop.
    pub fn label_tube(
        &mut self,
        tube: u32,
        read: &str,
        rules: &AccessionFormat,
        known: &KnownLabels,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<AccessionNumber, CollectionError> {
        self.editable()?;
        self.no_pending_hard_stop()?;
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
        let accession = match judge_tube_label(self, tube, read, rules, known) {
            Ok(a) => a,
            Err(refusal) => {
                self.log(
                    now,
                    by,
                    Event::TubeLabelRefused {
                        tube,
                        read: refusal.read.clone(),
                        reason: refusal.code(),
                        other_mrn: refusal.other_patient().cloned(),
                    },
                );
                return Err(CollectionError::TubeLabelRefused(refusal));
            }
        };
        self.tubes[i].accession = Some(accession.clone());
        self.tubes[i].labelled_at = Some(now);
        self.log(
            now,
            by,
            Event::TubeLabelled {
                tube,
                accession: accession.clone(),
            },
        );
        self.refresh_status();
        Ok(accession)
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
        self.no_pending_hard_stop()?;
        if let Scope::Test(code) = &scope {
            if !self.orders.iter().any(|o| &o.test == code) {
                return Err(CollectionError::NotOrdered(code.clone()));
            }
        }
        if let Scope::Order(id) = &scope {
            if !self.orders.iter().any(|o| &o.id == id) {
                return Err(CollectionError::NotInCollection(id.clone()));
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
        self.no_pending_hard_stop()?;
        self.fasting = Some(status);
        self.log(now, by, Event::FastingRecorded { status });
        Ok(())
    }
}
