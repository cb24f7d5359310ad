//! The wristband field on a draft: refused scans logged, and the second wristband scan some sites ask for after the draw.

use super::error::CollectionError;
use super::history::Event;
use super::record::Collection;
use super::time::DeviceTime;
use crate::identification::{
    identify, Evidence, IdentificationError, IdentifierKind, IdentifyContext,
};
use crate::ids::CollectorId;
use crate::safety::SafetyRules;

impl Collection {
    /// Reads the wristband field under the site's rules. What is not a wristband (blank, too
    /// long, control characters, a tube label, ...) is logged in the history with what was read
    /// (sanitised) and returned as [`CollectionError::Wristband`]; nothing else changes.
    pub fn read_wristband(
        &mut self,
        payload: &str,
        rules: &SafetyRules,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<Evidence, CollectionError> {
        self.editable()?;
        Evidence::read_wristband(payload, rules).map_err(|error| {
            let read = crate::scanned::shown(payload);
            self.log(
                now,
                by,
                Event::WristbandScanRefused {
                    read: read.clone(),
                    error: error.clone(),
                },
            );
            CollectionError::Wristband { read, error }
        })
    }

    /// The site asks for a second wristband scan after the draw.
    pub fn second_scan_required(&self) -> bool {
        self.second_scan_required
    }

    /// True when finalize still waits for the second wristband scan: the site asks for it, a
    /// tube was drawn, and no matching scan came after the last draw.
    pub fn second_scan_pending(&self) -> bool {
        if !self.second_scan_required {
            return false;
        }
        let Some(last_draw) = self
            .history
            .iter()
            .rposition(|e| matches!(e.event, Event::TubeDrawn { .. }))
        else {
            return false;
        };
        !self.history[last_draw..]
            .iter()
            .any(|e| matches!(e.event, Event::WristbandRescanned))
    }

    /// The second wristband scan after the draw: the scanned wristband must carry this
    /// patient's MRN, and every identifier on it must match. A mismatch is a wrong-patient hard
    /// stop (logged and counted like one at identification); a scan without an MRN is refused.
    pub fn rescan_wristband(
        &mut self,
        evidence: &Evidence,
        context: &IdentifyContext,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<(), CollectionError> {
        self.editable()?;
        self.no_pending_hard_stop()?;
        if self.identification.is_none() {
            return Err(CollectionError::NotIdentified);
        }
        if !self.tubes.iter().any(|t| t.drawn.is_some()) {
            return Err(CollectionError::SecondScanBeforeDraw);
        }
        // Only what the wristband itself says counts here: its MRN identifies the band.
        let scanned = Evidence {
            presented: evidence
                .presented
                .iter()
                .filter(|p| p.method == crate::identification::CaptureMethod::Scan)
                .cloned()
                .collect(),
        };
        let has_mrn = scanned
            .presented
            .iter()
            .any(|p| p.identifier.kind() == IdentifierKind::Mrn);
        let outcome = match identify(&scanned, &self.patient.identity, context) {
            Err(e @ IdentificationError::Mismatch { .. }) => Err(e),
            _ if !has_mrn => Err(IdentificationError::NotEnoughIdentifiers { have: Vec::new() }),
            // An MRN that matches, with nothing that disagrees: the same wristband.
            _ => Ok(()),
        };
        match outcome {
            Ok(()) => {
                self.log(now, by, Event::WristbandRescanned);
                Ok(())
            }
            Err(error) => {
                self.log(
                    now,
                    by,
                    Event::WristbandRescanFailed {
                        error: error.clone(),
                    },
                );
                Err(error.into())
            }
        }
    }
}

#[cfg(test)]
mod tests;
