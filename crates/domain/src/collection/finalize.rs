//! Finalizing: the record locked with its content hash, which deserialising checks again.

use serde::{Deserialize, Serialize};

use super::error::CollectionError;
use super::history::Event;
use super::record::Collection;
use super::status::Status;
use super::time::DeviceTime;
use crate::hash::ContentHash;
use crate::ids::CollectorId;

impl Collection {
    /// Locks the record and returns the immutable version with its content hash; the draft is
    /// left as it was (the caller replaces it with the result).
    pub fn finalize(
        &self,
        by: &CollectorId,
        now: DeviceTime,
    ) -> Result<FinalizedCollection, CollectionError> {
        self.editable()?;
        self.no_pending_hard_stop()?;
        let unfinished = self.unfinished_tests();
        if !unfinished.is_empty() {
            return Err(CollectionError::Incomplete(unfinished));
        }
        if self.fasting_must_be_recorded() && self.fasting.is_none() {
            return Err(CollectionError::FastingNotRecorded);
        }
        if self.second_scan_pending() {
            return Err(CollectionError::SecondScanNeeded);
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
    pub(super) record: Collection,
    pub(super) hash: ContentHash,
}

#[derive(Deserialize)]
pub(super) struct FinalizedData {
    pub(super) record: Collection,
    pub(super) hash: ContentHash,
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

impl FinalizedCollection {
    /// True when the record still hashes to its content hash.
    pub fn verify(&self) -> bool {
        ContentHash::of(&self.record).ok().as_ref() == Some(&self.hash)
    }

    /// The locked record.
    pub fn record(&self) -> &Collection {
        &self.record
    }

    /// SHA-256 of the record's canonical JSON.
    pub fn hash(&self) -> &ContentHash {
        &self.hash
    }
}
