//! Positive patient identification: wristband payloads, manual entry and the two-identifier match (NPSG.01.01.01).
//!
//! # Wristband payloads
//!
//! A scanner types the barcode and ends with Enter; surrounding blanks and line ends are ignored.
//!
//! * **Plain MRN**: 4 to 20 letters, digits or `-`, with at least one digit, e.g. `MRN0012345`
//!   or `00123456`. Yields one identifier (MRN); the collector then confirms the name.
//! * **Delimited (Drawline v1)**: `DL1|<MRN>|<FAMILY>^<GIVEN>[^<MORE GIVEN>...]|<YYYYMMDD>[|...]`,
//!   e.g. `DL1|MRN0012345|CHALMERS^PETER^JAMES|19741225`. Yields MRN, full name and date of
//!   birth. Further `|` fields (ward, bed, ...) are allowed and ignored: room and bed are never
//!   identifiers.
//!
//! Anything else is rejected with [`WristbandError`].

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::newtype::text_newtype;
use crate::wire::wire_enum;

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

    /// Same person's name: family and first given name equal, ignoring case, punctuation
    /// (`O'Brien` = `OBRIEN`) and spacing. Middle names are not compared because
    /// wristbands and orders often differ in them.
    pub fn matches(&self, other: &PersonName) -> bool {
        fn norm(s: &str) -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_uppercase)
                .collect()
        }
        norm(&self.family) == norm(&other.family)
            && self.given.first().map(|g| norm(g)) == other.given.first().map(|g| norm(g))
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_full())
    }
}

/// Parses a date of birth as `YYYY-MM-DD` or `YYYYMMDD`; day/month orders are refused
/// because `03/04` is ambiguous between sites.
pub fn parse_birth_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    crate::clock_text::parse_ymd(t).or_else(|| {
        (t.len() == 8)
            .then(|| crate::clock_text::parse_ymd_compact(t))
            .flatten()
    })
}

wire_enum! {
    custom Display;
    /// Kinds of identifier; room/bed exists only to be refused.
    pub enum IdentifierKind {
        /// Full name.
        Name = "name" => "name",
        /// Date of birth.
        DateOfBirth = "date-of-birth" => "date of birth",
        /// Medical record number.
        Mrn = "mrn" => "MRN",
        /// Room or bed number: never an identifier.
        RoomBed = "room-bed" => "room/bed",
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

/// One identifier as presented at the bedside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum Identifier {
    /// Full name.
    Name(PersonName),
    /// Date of birth.
    DateOfBirth(NaiveDate),
    /// Medical record number.
    Mrn(Mrn),
    /// Room or bed: recorded when offered, never counted.
    RoomBed(String),
}

impl Identifier {
    /// The kind of this identifier.
    pub fn kind(&self) -> IdentifierKind {
        match self {
            Identifier::Name(_) => IdentifierKind::Name,
            Identifier::DateOfBirth(_) => IdentifierKind::DateOfBirth,
            Identifier::Mrn(_) => IdentifierKind::Mrn,
            Identifier::RoomBed(_) => IdentifierKind::RoomBed,
        }
    }
}

wire_enum! {
    /// How an identifier was captured; manual entry is the recorded fallback.
    pub enum CaptureMethod {
        /// Wristband barcode scan.
        Scan = "scan" => "wristband scan",
        /// Typed or confirmed by the collector.
        Manual = "manual" => "manual entry",
    }
}

/// An identifier with how it was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presented {
    /// The identifier.
    pub identifier: Identifier,
    /// How it was captured.
    pub method: CaptureMethod,
}

/// Everything presented for one identification attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// Identifiers in the order presented.
    pub presented: Vec<Presented>,
}

/// A wristband payload that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WristbandError {
    /// Nothing was scanned.
    #[error("the scan was empty")]
    Empty,
    /// Neither a plain MRN nor a `DL1|...` payload.
    #[error("not a wristband barcode: expected a plain MRN or 'DL1|MRN|FAMILY^GIVEN|YYYYMMDD'")]
    Unrecognised,
    /// A `DL1` payload with fewer than MRN, name and date of birth.
    #[error("wristband payload is missing the {0}")]
    MissingField(IdentifierKind),
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
    /// No identifiers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a wristband scan (formats in the module documentation).
    pub fn from_wristband(payload: &str) -> Result<Self, WristbandError> {
        let p = payload.trim_matches(|c: char| c.is_whitespace() || c.is_control());
        if p.is_empty() {
            return Err(WristbandError::Empty);
        }
        let scan = |identifier| Presented {
            identifier,
            method: CaptureMethod::Scan,
        };
        if let Some(rest) = p.strip_prefix("DL1|") {
            let mut fields = rest.split('|');
            let mut next = |kind| {
                fields
                    .next()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .ok_or(WristbandError::MissingField(kind))
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

    /// Adds an identifier captured by `method`.
    pub fn with(mut self, identifier: Identifier, method: CaptureMethod) -> Self {
        self.presented.push(Presented { identifier, method });
        self
    }

    /// Adds a manually entered or confirmed identifier.
    pub fn with_manual(self, identifier: Identifier) -> Self {
        self.with(identifier, CaptureMethod::Manual)
    }

    /// Manual entry of the form fields a UI shows; blank fields are skipped.
    pub fn manual(
        name: Option<&str>,
        birth_date: Option<&str>,
        mrn: Option<&str>,
    ) -> Result<Self, IdentificationError> {
        /// The identifier in a form field: none when blank, an error when unreadable.
        fn field(
            text: Option<&str>,
            kind: IdentifierKind,
            parse: impl FnOnce(&str) -> Option<Identifier>,
        ) -> Result<Option<Identifier>, IdentificationError> {
            let Some(text) = text.map(str::trim).filter(|s| !s.is_empty()) else {
                return Ok(None);
            };
            parse(text)
                .map(Some)
                .ok_or_else(|| IdentificationError::Unreadable {
                    kind,
                    value: text.to_owned(),
                })
        }
        let fields = [
            field(name, IdentifierKind::Name, |n| {
                PersonName::parse(n).ok().map(Identifier::Name)
            })?,
            field(birth_date, IdentifierKind::DateOfBirth, |d| {
                parse_birth_date(d).map(Identifier::DateOfBirth)
            })?,
            field(mrn, IdentifierKind::Mrn, |m| {
                Mrn::parse(m).ok().map(Identifier::Mrn)
            })?,
        ];
        Ok(fields
            .into_iter()
            .flatten()
            .fold(Self::new(), Self::with_manual))
    }

    /// Both sets of identifiers, e.g. an MRN scan plus the name confirmed by the collector.
    pub fn and(mut self, other: Evidence) -> Self {
        self.presented.extend(other.presented);
        self
    }
}

/// The identity the order belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PatientIdentity {
    /// Medical record number.
    pub mrn: Mrn,
    /// Full name.
    pub name: PersonName,
    /// Date of birth.
    pub birth_date: NaiveDate,
}

/// One identifier that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedIdentifier {
    /// Kind.
    pub kind: IdentifierKind,
    /// How it was captured.
    pub method: CaptureMethod,
}

/// A successful positive identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identification {
    /// Identifiers that matched (at least a name and one of date of birth / MRN).
    pub matched: Vec<MatchedIdentifier>,
    /// `Manual` if any identifier was entered by hand, else `Scan`.
    pub method: CaptureMethod,
}

/// Why the patient is not positively identified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum IdentificationError {
    /// Presented identifiers disagree with the order's patient: a hard stop.
    #[error("WRONG PATIENT: {} the patient on this order. Stop and re-identify.", mismatch(.mismatched))]
    Mismatch {
        /// Kinds that did not match.
        mismatched: Vec<IdentifierKind>,
    },
    /// Fewer than two usable identifiers of distinct kinds, including the name.
    #[error("two identifiers are needed: full name and date of birth, or full name and MRN (have: {})", list(.have))]
    NotEnoughIdentifiers {
        /// Usable kinds presented.
        have: Vec<IdentifierKind>,
    },
    /// Room or bed was offered as an identifier.
    #[error(
        "room or bed number is never an identifier: confirm full name and date of birth or MRN"
    )]
    RoomOrBedIsNotAnIdentifier,
    /// A manually entered value that cannot be read.
    #[error("the {kind} '{value}' cannot be read")]
    Unreadable {
        /// Kind of the field.
        kind: IdentifierKind,
        /// What was typed.
        value: String,
    },
}

/// "name does not match", "name, date of birth and MRN do not match".
fn mismatch(kinds: &[IdentifierKind]) -> String {
    let names: Vec<String> = kinds.iter().map(ToString::to_string).collect();
    match names.as_slice() {
        [] => "nothing presented matches".into(),
        [one] => format!("{one} does not match"),
        [init @ .., last] => format!("{} and {last} do not match", init.join(", ")),
    }
}

fn list(kinds: &[IdentifierKind]) -> String {
    if kinds.is_empty() {
        return "none".into();
    }
    kinds
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl IdentificationError {
    /// True when the UI must show a hard stop (wrong patient), not just ask for more.
    pub fn is_hard_stop(&self) -> bool {
        matches!(self, IdentificationError::Mismatch { .. })
    }
}

/// Checks presented identifiers against the order's patient.
///
/// Any presented identifier that disagrees is a hard stop, even when two others agree: a
/// wristband with the right name and the wrong MRN belongs to someone else.
pub fn identify(
    evidence: &Evidence,
    patient: &PatientIdentity,
) -> Result<Identification, IdentificationError> {
    let mut mismatched = Vec::new();
    let mut matched: Vec<MatchedIdentifier> = Vec::new();
    let mut room_offered = false;
    for p in &evidence.presented {
        let ok = match &p.identifier {
            Identifier::Name(n) => n.matches(&patient.name),
            Identifier::DateOfBirth(d) => *d == patient.birth_date,
            Identifier::Mrn(m) => *m == patient.mrn,
            Identifier::RoomBed(_) => {
                room_offered = true;
                continue;
            }
        };
        let kind = p.identifier.kind();
        if !ok {
            if !mismatched.contains(&kind) {
                mismatched.push(kind);
            }
        } else if let Some(m) = matched.iter_mut().find(|m| m.kind == kind) {
            // Keep the weaker capture method: one manual entry makes the identification manual.
            if p.method == CaptureMethod::Manual {
                m.method = CaptureMethod::Manual;
            }
        } else {
            matched.push(MatchedIdentifier {
                kind,
                method: p.method,
            });
        }
    }
    if !mismatched.is_empty() {
        mismatched.sort();
        return Err(IdentificationError::Mismatch { mismatched });
    }
    let has = |k| matched.iter().any(|m| m.kind == k);
    if !(has(IdentifierKind::Name)
        && (has(IdentifierKind::DateOfBirth) || has(IdentifierKind::Mrn)))
    {
        if room_offered {
            return Err(IdentificationError::RoomOrBedIsNotAnIdentifier);
        }
        let mut have: Vec<_> = matched.iter().map(|m| m.kind).collect();
        have.sort();
        return Err(IdentificationError::NotEnoughIdentifiers { have });
    }
    matched.sort_by_key(|m| m.kind);
    let method = if matched.iter().any(|m| m.method == CaptureMethod::Manual) {
        CaptureMethod::Manual
    } else {
        CaptureMethod::Scan
    };
    Ok(Identification { matched, method })
}

text_newtype!(Mrn, MrnError);

#[cfg(test)]
mod tests;
