//! Corrections: a finalized version reopened as a new draft version that names it as superseded.

use super::finalize::FinalizedCollection;
use super::history::{Event, Supersedes};
use super::ids::CollectorId;
use super::record::Collection;
use super::status::Status;
use super::time::DeviceTime;

impl FinalizedCollection {
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
