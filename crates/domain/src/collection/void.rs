//! Voids: a finalized collection declared entered in error by a new finalized version.

use super::error::CollectionError;
use super::finalize::FinalizedCollection;
use super::history::{Event, Void};
use super::status::Status;
use super::time::DeviceTime;
use crate::hash::ContentHash;
use crate::ids::CollectorId;

impl FinalizedCollection {
    /// Voids the collection as entered in error: a new finalized version superseding this one,
    /// with the same content, marked voided with the reason, who and when. A reason is required;
    /// a voided collection is not voided again.
    pub fn void(
        &self,
        reason: &str,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<FinalizedCollection, CollectionError> {
        if self.record.voided.is_some() {
            return Err(CollectionError::Voided);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(CollectionError::ReasonRequired);
        }
        let mut record = self.next_version();
        record.status = Status::Finalized;
        record.finalized_at = Some(now);
        record.voided = Some(Void {
            reason: reason.to_owned(),
            by: by.clone(),
            at: now,
        });
        record.log(
            now,
            by,
            Event::Voided {
                supersedes: self.record.version,
                reason: reason.to_owned(),
            },
        );
        let hash = ContentHash::of(&record).expect("a collection always serialises");
        Ok(FinalizedCollection { record, hash })
    }
}
