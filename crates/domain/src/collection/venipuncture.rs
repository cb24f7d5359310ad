//! Venipunctures: the site and device of each attempt, failed attempts counted, and blood-culture sets each from their own.

use super::alert::PatientAlert;
use super::attempt::{FailedAttempt, Venipuncture};
use super::body_site::BodySite;
use super::error::CollectionError;
use super::history::Event;
use super::record::Collection;
use super::time::DeviceTime;
use super::tube::TubeRecord;
use crate::ids::CollectorId;
use crate::planner::Device;
use crate::site::SiteConfig;

impl Collection {
    /// Every venipuncture begun, oldest first.
    pub fn venipunctures(&self) -> &[Venipuncture] {
        &self.venipunctures
    }

    /// The venipuncture tubes are drawn in now: the last one, unless it failed.
    pub fn current_venipuncture(&self) -> Option<&Venipuncture> {
        self.venipunctures.last().filter(|v| v.failed.is_none())
    }

    /// Attempts made: venipunctures that drew blood or failed (one begun and left unused, e.g.
    /// a site picked in error, is no attempt).
    pub fn attempts(&self) -> u32 {
        self.venipunctures
            .iter()
            .filter(|v| v.failed.is_some() || self.drawn_in(v.number).next().is_some())
            .count() as u32
    }

    /// Failed attempts.
    pub fn failed_attempts(&self) -> u32 {
        self.venipunctures
            .iter()
            .filter(|v| v.failed.is_some())
            .count() as u32
    }

    /// The patient's alert that forbids a venipuncture at `site` (an arm restriction on its side).
    pub fn site_restriction(&self, site: BodySite) -> Option<&PatientAlert> {
        self.patient.alerts.iter().find(|a| a.forbids(site))
    }

    /// Tubes drawn in venipuncture `number`.
    pub fn drawn_in(&self, number: u32) -> impl Iterator<Item = &TubeRecord> {
        self.tubes
            .iter()
            .filter(move |t| t.drawn.as_ref().and_then(|d| d.venipuncture) == Some(number))
    }

    /// Begins a venipuncture at `site` with `device`: a site on an arm the patient's alerts
    /// restrict is refused; what is left to draw is planned again for the new tubing (a butterfly
    /// whose first tube is citrate gets its discard tube).
    pub fn begin_venipuncture(
        &mut self,
        site: BodySite,
        device: Device,
        config: &SiteConfig,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        self.no_pending_hard_stop()?;
        if self.identification.is_none() {
            return Err(CollectionError::NotIdentified);
        }
        if let Some(alert) = self.site_restriction(site) {
            return Err(CollectionError::RestrictedSite {
                site,
                alert: alert.text.clone(),
            });
        }
        let number = self.venipunctures.len() as u32 + 1;
        self.venipunctures.push(Venipuncture {
            number,
            site,
            device,
            at: now,
            by: by.clone(),
            failed: None,
        });
        self.device = device;
        self.log(
            now,
            by,
            Event::VenipunctureBegun {
                number,
                site,
                device,
            },
        );
        self.replan(config, by, now)
    }

    /// Records that the current venipuncture failed; the next tube needs a new one.
    pub fn record_failed_attempt(
        &mut self,
        note: Option<&str>,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        self.no_pending_hard_stop()?;
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let Some(v) = self.venipunctures.last_mut().filter(|v| v.failed.is_none()) else {
            return Err(CollectionError::NoVenipuncture);
        };
        v.failed = Some(FailedAttempt {
            at: now,
            note: note.clone(),
        });
        let number = v.number;
        self.log(now, by, Event::AttemptFailed { number, note });
        Ok(())
    }

    /// The venipuncture tube `t` may be drawn in now: there must be one, and a blood-culture
    /// set comes from its own, at another site than the other sets.
    pub(super) fn venipuncture_for(
        &self,
        t: &TubeRecord,
    ) -> Result<&Venipuncture, CollectionError> {
        let v = self
            .current_venipuncture()
            .ok_or(CollectionError::NoVenipuncture)?;
        let Some(set) = t.tube.set else {
            return Ok(v);
        };
        let other_set_here = self
            .drawn_in(v.number)
            .filter_map(|d| d.tube.set)
            .find(|s| *s != set);
        if let Some(other) = other_set_here {
            return Err(CollectionError::SeparateVenipuncture { set, other });
        }
        let same_site = self.tubes.iter().find_map(|d| {
            let draw = d.drawn.as_ref()?;
            let other = d.tube.set.filter(|s| *s != set)?;
            (draw.body_site == Some(v.site)).then_some(other)
        });
        if let Some(other) = same_site {
            return Err(CollectionError::SameSiteAsOtherSet {
                set,
                other,
                site: v.site,
            });
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests;
