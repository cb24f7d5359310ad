//! Validation of a finalized collection received from elsewhere (e.g. pushed by a device).

use super::finalize::{FinalizedCollection, FinalizedData};
use super::status::Status;

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
}
