//! Reading the wristband field: payload formats, and bad input refused with what was read.
//!
//! A keyboard-wedge scanner types into whatever field has the focus, so the wristband field also
//! receives tube labels, half scans, scanner prefixes with control characters and the odd
//! paragraph pasted by mistake. Each is refused with a reason, and the screen shows what was read
//! through [`sanitise`] (control characters escaped, long text cut).

use serde::{Deserialize, Serialize};

use super::evidence::{parse_birth_date, Evidence, Identifier, Presented};
use super::kind::{CaptureMethod, IdentifierKind};
use super::mrn::Mrn;
use super::name::PersonName;
use crate::safety::SafetyRules;

/// Longest wristband payload read: a `DL1` payload with long names and ward fields stays far
/// below it; anything longer is a paste or a scanner gone wrong.
pub const MAX_WRISTBAND_CHARS: usize = 256;

/// How much of a refused scan is shown back.
const SHOWN_CHARS: usize = 60;

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

/// `text` as it may be shown back: blanks around it trimmed, control characters escaped
/// (`\u{1b}`), and cut after 60 characters with `…`.
pub fn sanitise(text: &str) -> String {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    let mut out = String::new();
    for (i, c) in t.chars().enumerate() {
        if i == SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// True for the labels this app prints for its own tubes: `D` + 10 hex digits + `-` + tube
/// number (`D1A2B3C4D5E-1`); shapes a little shorter or longer (8 to 12 hex digits, e.g.
/// `D1A2B3C4D5-1`) are taken as labels too, as no wristband looks like them.
fn is_device_label(text: &str) -> bool {
    let Some((head, tube)) = text.split_once('-') else {
        return false;
    };
    let mut chars = head.chars();
    chars.next().is_some_and(|c| c.eq_ignore_ascii_case(&'D'))
        && (9..=13).contains(&head.len())
        && chars.all(|c| c.is_ascii_hexdigit())
        && !tube.is_empty()
        && tube.chars().all(|c| c.is_ascii_digit())
}

/// True when `text` has the shape of the site's accession template (`#` a digit, `@` a letter,
/// `*` a letter or digit, anything else itself, letters in either case).
fn fits_accession_template(template: &str, text: &str) -> bool {
    text.chars().count() == template.chars().count()
        && template.chars().zip(text.chars()).all(|(t, c)| match t {
            '#' => c.is_ascii_digit(),
            '@' => c.is_ascii_alphabetic(),
            '*' => c.is_ascii_alphanumeric(),
            _ => t.eq_ignore_ascii_case(&c),
        })
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
        let site_accession = rules
            .accession
            .pattern
            .as_deref()
            .is_some_and(|t| fits_accession_template(t, p));
        if is_device_label(p) || site_accession {
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
