//! Identifiers of the collection record: collector, order, patient, accession number and collection ids.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::newtype::text_newtype;

macro_rules! text_id {
    ($name:ident, $err:ident, $what:literal, $max:literal, $allowed:expr) => {
        #[doc = concat!("A ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        #[doc = concat!("Why a text is not a ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("'{text}' is not a valid {what}", text = .0, what = $what)]
        pub struct $err(pub String);

        impl $name {
            #[doc = concat!("Parses a ", $what, " (surrounding blanks ignored).")]
            pub fn parse(text: &str) -> Result<Self, $err> {
                let t = text.trim();
                let allowed: fn(char) -> bool = $allowed;
                let valid = !t.is_empty() && t.chars().count() <= $max && t.chars().all(allowed);
                Self::checked(t.to_owned(), valid, text)
            }
        }

        text_newtype!($name, $err);
    };
}

text_id!(CollectorId, CollectorIdError, "collector id", 64, |c| !c
    .is_control());
// FHIR logical-id characters, so ids travel into FHIR references unchanged.
text_id!(OrderId, OrderIdError, "order id", 64, |c| c
    .is_ascii_alphanumeric()
    || c == '-'
    || c == '.');
text_id!(PatientId, PatientIdError, "patient id", 64, |c| c
    .is_ascii_alphanumeric()
    || c == '-'
    || c == '.');
text_id!(
    AccessionNumber,
    AccessionNumberError,
    "accession number",
    32,
    |c| c.is_ascii_alphanumeric() || c == '-'
);

/// Device-made id of one collection; all its versions share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CollectionId(pub Uuid);

impl fmt::Display for CollectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
