//! Hard stops: a wrong-patient or wrong-tube refusal must be acknowledged before the collector goes on, and is counted.

use super::error::CollectionError;
use super::history::{Event, HardStopKind, HistoryEntry};
use super::label_refusal::TubeLabelRefusalCode;
use super::record::Collection;
use super::time::DeviceTime;
use crate::identification::IdentificationError;
use crate::ids::CollectorId;

impl Event {
    /// The hard stop this event raised, if it is one.
    pub fn hard_stop(&self) -> Option<HardStopKind> {
        match self {
            Event::IdentificationFailed {
                error: IdentificationError::Mismatch { .. },
            }
            | Event::WristbandRescanFailed {
                error: IdentificationError::Mismatch { .. },
            } => Some(HardStopKind::WrongPatient),
            // Records made before tube labels were judged logged only wrong blood in tube so.
            Event::TubeBindingRefused { .. } => Some(HardStopKind::WrongBloodInTube),
            Event::TubeLabelRefused {
                reason: TubeLabelRefusalCode::AnotherPatient,
                ..
            } => Some(HardStopKind::WrongBloodInTube),
            _ => None,
        }
    }
}

impl Collection {
    /// The hard stop raised and not yet acknowledged, if any: the collector must acknowledge it
    /// (and set the patient or the tube aside) before anything else is recorded.
    pub fn pending_hard_stop(&self) -> Option<HardStopKind> {
        for entry in self.history.iter().rev() {
            if let Event::HardStopAcknowledged { .. } = entry.event {
                return None;
            }
            if let Some(kind) = entry.event.hard_stop() {
                return Some(kind);
            }
        }
        None
    }

    /// The history entry that raised the pending hard stop, if one waits: what a screen shows
    /// again after a reload.
    pub fn pending_hard_stop_entry(&self) -> Option<&HistoryEntry> {
        self.pending_hard_stop()?;
        self.history
            .iter()
            .rev()
            .find(|e| e.event.hard_stop().is_some())
    }

    /// How many hard stops of `kind` this record raised.
    pub fn hard_stops(&self, kind: HardStopKind) -> u32 {
        self.history
            .iter()
            .filter(|e| e.event.hard_stop() == Some(kind))
            .count() as u32
    }

    /// How many wrong-patient hard stops this record raised before its first tube was drawn:
    /// what the lab shows as "identification mismatch before draw".
    pub fn wrong_patient_before_draw(&self) -> u32 {
        self.history
            .iter()
            .take_while(|e| !matches!(e.event, Event::TubeDrawn { .. }))
            .filter(|e| e.event.hard_stop() == Some(HardStopKind::WrongPatient))
            .count() as u32
    }

    /// Acknowledges the pending hard stop; the acknowledgement is kept in the history.
    pub fn acknowledge_hard_stop(
        &mut self,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<HardStopKind, CollectionError> {
        self.editable()?;
        let stop = self
            .pending_hard_stop()
            .ok_or(CollectionError::NoHardStopToAcknowledge)?;
        self.log(now, by, Event::HardStopAcknowledged { stop });
        Ok(stop)
    }

    /// Refuses any step while a hard stop waits for its acknowledgement.
    pub(super) fn no_pending_hard_stop(&self) -> Result<(), CollectionError> {
        match self.pending_hard_stop() {
            Some(stop) => Err(CollectionError::HardStopNotAcknowledged(stop)),
            None => Ok(()),
        }
    }
}
