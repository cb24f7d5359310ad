//! Medical record numbers: what one looks like, and how two compare under the site's rule.

use serde::{Deserialize, Serialize};

use crate::newtype::text_newtype;
use crate::safety::{LeadingZeros, MrnRule};

/// Medical record number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mrn(String);

/// Why a text is not an MRN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a medical record number: use 3 to 20 letters, digits or '-', with at least one digit")]
pub struct MrnError(pub String);

impl Mrn {
    /// Parses an MRN; blanks around it are ignored and letters upper-cased.
    pub fn parse(text: &str) -> Result<Self, MrnError> {
        let t = text.trim().to_ascii_uppercase();
        let ok = (3..=20).contains(&t.len())
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && t.chars().any(|c| c.is_ascii_digit());
        Self::checked(t, ok, text)
    }
}

impl Mrn {
    /// The same record number under the site's rule: with [`LeadingZeros::Insignificant`],
    /// `00123456` is `123456`. Only zeros that lead the whole text are padding: `MRN00123` is not
    /// `MRN123` (the zeros follow letters), and an all-zero MRN keeps one zero.
    pub fn same_as(&self, other: &Mrn, rule: &MrnRule) -> bool {
        self.comparable(rule) == other.comparable(rule)
    }

    /// The text compared under `rule`.
    pub fn comparable(&self, rule: &MrnRule) -> &str {
        match rule.leading_zeros {
            LeadingZeros::Significant => &self.0,
            LeadingZeros::Insignificant => {
                let t = self.0.trim_start_matches('0');
                if t.is_empty() {
                    "0"
                } else {
                    t
                }
            }
        }
    }
}

text_newtype!(Mrn, MrnError);
