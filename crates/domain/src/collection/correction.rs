//! Corrections: a finalized version reopened as a new draft version that names it as superseded.

use super::error::CollectionError;
use super::finalize::FinalizedCollection;
use super::history::{Event, Supersedes};
use super::record::Collection;
use super::status::Status;
use super::time::DeviceTime;
use crate::ids::CollectorId;

impl FinalizedCollection {
    /// Starts a correction: a new draft version that names this one as superseded. The reason
    /// is required and kept in the history; a voided collection is not corrected.
    pub fn start_correction(
        &self,
        reason: &str,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<Collection, CollectionError> {
        if self.record.voided.is_some() {
            return Err(CollectionError::Voided);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(CollectionError::ReasonRequired);
        }
        let mut next = self.next_version();
        next.status = Status::Labelled;
        next.finalized_at = None;
        next.log(
            now,
            by,
            Event::CorrectionStarted {
                supersedes: self.record.version,
                reason: Some(reason.to_owned()),
            },
        );
        next.refresh_status();
        Ok(next)
    }

    /// A copy of the record as the next version, superseding this one.
    pub(super) fn next_version(&self) -> Collection {
        let mut next = self.record.clone();
        next.version = self.record.version + 1;
        next.supersedes = Some(Supersedes {
            version: self.record.version,
            hash: self.hash.clone(),
        });
        next
    }
}

impl Collection {
    /// Why this version was made, when it corrects or voids an earlier one: the reason given
    /// when the correction started, or the void's reason.
    pub fn change_reason(&self) -> Option<&str> {
        if let Some(v) = &self.voided {
            return Some(&v.reason);
        }
        let supersedes = self.supersedes.as_ref()?.version;
        self.history.iter().rev().find_map(|h| match &h.event {
            Event::CorrectionStarted {
                supersedes: s,
                reason,
            } if *s == supersedes => reason.as_deref(),
            _ => None,
        })
    }
}
