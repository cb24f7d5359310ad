//! People's names: parsed from wristbands and forms, and compared on family and all given names.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::fold::{fold, Fold, FOLDS};

/// A person's full name: family name and given names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName {
    /// Family name.
    pub family: String,
    /// Given names, first name first.
    pub given: Vec<String>,
}

/// Why a text is not a full name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a full name: give family and given name, as 'FAMILY, Given' or 'FAMILY^Given'"
)]
pub struct NameError(pub String);

impl PersonName {
    /// A name from its parts; both a family and a first given name are required.
    pub fn new(family: &str, given: &[&str]) -> Result<Self, NameError> {
        let family = family.trim();
        let given: Vec<String> = given
            .iter()
            .flat_map(|g| g.split_whitespace())
            .map(str::to_owned)
            .collect();
        if family.is_empty() || given.is_empty() || !family.chars().any(char::is_alphabetic) {
            return Err(NameError(format!("{family}, {}", given.join(" "))));
        }
        Ok(Self {
            family: family.split_whitespace().collect::<Vec<_>>().join(" "),
            given,
        })
    }

    /// Parses `FAMILY, Given Middle` or `FAMILY^Given^Middle`.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let err = || NameError(text.to_owned());
        let (family, rest) = if let Some((f, r)) = text.split_once(',') {
            (f, r.split_whitespace().collect::<Vec<_>>())
        } else if let Some((f, r)) = text.split_once('^') {
            (f, r.split('^').collect::<Vec<_>>())
        } else {
            return Err(err());
        };
        Self::new(family, &rest).map_err(|_| err())
    }

    /// `FAMILY, Given Middle`: family in capitals, as on labels and wristbands.
    pub fn display_full(&self) -> String {
        format!("{}, {}", self.family.to_uppercase(), self.given.join(" "))
    }

    /// Same person's name: family name and **every** given name equal after folding
    /// diacritics, case, hyphens, apostrophes and spacing (see [`fold`](super::fold)), under
    /// either fold. `"SMITH, Judy Girl A"` is not `"SMITH, Judy Girl B"` (newborn twins);
    /// `"O'Brien, Mary Ann"` is `"OBRIEN^MARY-ANN"`; `"MÜLLER"` is `"MULLER"` and `"MUELLER"`.
    pub fn matches(&self, other: &PersonName) -> bool {
        FOLDS
            .iter()
            .any(|&how| self.folded(how) == other.folded(how))
    }

    /// The family name alone is the same after folding (twins share it with their birth date).
    pub fn same_family(&self, other: &PersonName) -> bool {
        FOLDS
            .iter()
            .any(|&how| fold(&self.family, how) == fold(&other.family, how))
    }

    /// Family name and all given names folded, as compared: `("OBRIEN", "MARYANN")`.
    pub fn folded(&self, how: Fold) -> (String, String) {
        (fold(&self.family, how), fold(&self.given.concat(), how))
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_full())
    }
}
