//! Reading the wristband field: payload formats, and bad input refused with what was read.
//!
//! A keyboard-wedge scanner types into whatever field has the focus, so the wristband field also
//! receives tube labels, half scans, scanner prefixes with control characters and the odd
//! paragraph pasted by mistake. Each is refused with a reason, and the screen shows what was read
//! through [`crate::scanned::shown`] (control characters escaped, long text cut).

use serde::{Deserialize, Serialize};

use super::evidence::{parse_birth_date, Evidence, Identifier, Presented};
use super::kind::{CaptureMethod, IdentifierKind};
use super::mrn::Mrn;
use super::name::PersonName;
use crate::accession::looks_device_issued;
use crate::safety::SafetyRules;

/// Longest wristband payload read: a `DL1` payload with long names and ward fields stays far
/// below it; anything longer is a paste or a scanner gone wrong.
pub const MAX_WRISTBAND_CHARS: usize = 256;

/// A wristband payload that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum WristbandError {
    /// Nothing was scanned.
    #[error("the scan was empty")]
    Empty,
    /// Longer than any wristband payload.
    #[error("{chars} characters is too long for a wristband (at most {MAX_WRISTBAND_CHARS})")]
    TooLong {
        /// How many characters were read.
        chars: usize,
    },
    /// Control characters inside the payload (a scanner prefix, a garbled scan).
    #[error("it holds control characters, which no wristband barcode has")]
    ControlCharacters,
    /// A tube label (a label this app prints, or one of the lab's accession numbers).
    #[error("this is a tube label, not a wristband: scan the barcode on the patient's wristband")]
    TubeLabel,
    /// Neither a plain MRN nor a `DL1|...` payload.
    #[error("not a wristband barcode: expected a plain MRN or 'DL1|MRN|FAMILY^GIVEN|YYYYMMDD'")]
    Unrecognised,
    /// A `DL1` payload with fewer than MRN, name and date of birth.
    #[error("wristband payload is missing the {field}")]
    MissingField {
        /// The first missing field.
        field: IdentifierKind,
    },
    /// A `DL1` field that does not parse.
    #[error("wristband {field} '{value}' cannot be read")]
    BadField {
        /// Which field.
        field: IdentifierKind,
        /// What was found.
        value: String,
    },
}

impl Evidence {
    /// Reads a wristband scan (formats in the module documentation) at a site with default
    /// safety rules.
    pub fn from_wristband(payload: &str) -> Result<Self, WristbandError> {
        Self::read_wristband(payload, &SafetyRules::default())
    }

    /// Reads a wristband scan at a site with these rules: besides the formats of the module
    /// documentation, anything that fits the site's accession pattern is a tube label. A site
    /// whose plain MRNs have the same shape as its accession numbers should print `DL1`
    /// wristbands, which never look like a tube label.
    pub fn read_wristband(payload: &str, rules: &SafetyRules) -> Result<Self, WristbandError> {
        let p = payload.trim_matches(|c: char| c.is_whitespace() || c.is_control());
        if p.is_empty() {
            return Err(WristbandError::Empty);
        }
        let chars = p.chars().count();
        if chars > MAX_WRISTBAND_CHARS {
            return Err(WristbandError::TooLong { chars });
        }
        if p.chars().any(char::is_control) {
            return Err(WristbandError::ControlCharacters);
        }
        // Scanners in lower-case mode exist: a tube label is one in either case.
        let upper = p.to_ascii_uppercase();
        if looks_device_issued(&upper) || rules.accession.fits_pattern(&upper) {
            return Err(WristbandError::TubeLabel);
        }
        let scan = |identifier| Presented {
            identifier,
            method: CaptureMethod::Scan,
        };
        if let Some(rest) = p.strip_prefix("DL1|") {
            let mut fields = rest.split('|');
            let mut next = |field| {
                fields
                    .next()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .ok_or(WristbandError::MissingField { field })
            };
            let bad = |field, value: &str| WristbandError::BadField {
                field,
                value: value.to_owned(),
            };
            let mrn_text = next(IdentifierKind::Mrn)?;
            let name_text = next(IdentifierKind::Name)?;
            let dob_text = next(IdentifierKind::DateOfBirth)?;
            let mrn = Mrn::parse(mrn_text).map_err(|_| bad(IdentifierKind::Mrn, mrn_text))?;
            let name = name_text
                .split_once('^')
                .and_then(|(f, g)| PersonName::new(f, &g.split('^').collect::<Vec<_>>()).ok())
                .ok_or_else(|| bad(IdentifierKind::Name, name_text))?;
            let dob = (dob_text.len() == 8)
                .then(|| parse_birth_date(dob_text))
                .flatten()
                .ok_or_else(|| bad(IdentifierKind::DateOfBirth, dob_text))?;
            return Ok(Self {
                presented: vec![
                    scan(Identifier::Mrn(mrn)),
                    scan(Identifier::Name(name)),
                    scan(Identifier::DateOfBirth(dob)),
                ],
            });
        }
        let plain = p.len() >= 4 && !p.contains('|') && !p.contains('^');
        match Mrn::parse(p) {
            Ok(mrn) if plain => Ok(Self {
                presented: vec![scan(Identifier::Mrn(mrn))],
            }),
            _ => Err(WristbandError::Unrecognised),
        }
    }
}
