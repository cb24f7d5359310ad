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

/// What is wrong with a received JSON document, naming the field and never quoting a value
/// (serde's own message quotes what it read, which may be patient data).
pub fn invalid_field(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    // A segment is printed only when it looks like one of our field names or an index.
    let path: Vec<String> = e
        .path()
        .iter()
        .map(|s| {
            let text = s.to_string();
            let plain = text.len() <= 40
                && text
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if plain {
                text
            } else {
                "?".to_owned()
            }
        })
        .collect();
    let at = if path.is_empty() {
        "the document".to_owned()
    } else {
        format!("field `{}`", path.join("."))
    };
    let inner = e.inner().to_string();
    // "missing field `x`" names one of our own fields: safe, and the most useful message.
    match inner.strip_prefix("missing field ") {
        Some(field) if !field.contains('"') => format!("{at} is missing field {field}"),
        _ => format!("{at} is not valid"),
    }
}

impl FinalizedCollection {
    /// Reads a finalized collection from JSON, telling apart a malformed document, a draft and
    /// content that does not match its hash (plain deserialising reports all three the same way).
    pub fn from_json_value(value: serde_json::Value) -> Result<Self, ReceivedCollectionError> {
        let data: FinalizedData = serde_path_to_error::deserialize(value)
            .map_err(|e| ReceivedCollectionError::Malformed(invalid_field(&e)))?;
        if data.record.status != Status::Finalized {
            return Err(ReceivedCollectionError::NotFinalized);
        }
        Self::try_from(data).map_err(|_| ReceivedCollectionError::HashMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::finalized;

    #[test]
    fn a_malformed_record_is_refused_naming_the_field_without_quoting_its_value() {
        let mut v = serde_json::to_value(finalized()).unwrap();
        v["record"]["patient"]["identity"]["mrn"] = "Secret Name 12".into();
        let Err(ReceivedCollectionError::Malformed(why)) = FinalizedCollection::from_json_value(v)
        else {
            panic!("not malformed");
        };
        assert!(why.contains("record.patient.identity.mrn"), "{why}");
        assert!(!why.contains("Secret"), "{why}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let mut v = serde_json::to_value(finalized()).unwrap();
        v["record"].as_object_mut().unwrap().remove("orders");
        let Err(ReceivedCollectionError::Malformed(why)) = FinalizedCollection::from_json_value(v)
        else {
            panic!("not malformed");
        };
        assert!(why.contains("missing field `orders`"), "{why}");
    }
}
