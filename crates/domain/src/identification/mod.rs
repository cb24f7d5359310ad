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
//! Anything else is rejected with [`WristbandError`]: a blank scan, an over-long one, control
//! characters, and a tube label (a device label or the site's accession pattern) scanned into the
//! wristband field each say what was read ([`wristband`]).
//!
//! # Comparing
//!
//! Names compare on the family name and every given name, folded ([`fold`]); MRNs by the site's
//! rule ([`Mrn::same_as`]). When another patient of the round has the same family name and date
//! of birth ([`look_alikes`]), name and date of birth are not enough and the MRN is required
//! ([`IdentifyContext`]).

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::wire::wire_enum;

mod context;
pub mod fold;
mod look_alike;
mod matching;
mod mrn;
mod name;
pub mod wristband;

pub use context::IdentifyContext;
pub use look_alike::look_alikes;
pub use matching::{identify, Identification, IdentificationError, MatchedIdentifier};
pub use mrn::{Mrn, MrnError};
pub use name::{NameError, PersonName};
pub use wristband::{sanitise, WristbandError, MAX_WRISTBAND_CHARS};

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
        /// Typed by the collector.
        Manual = "manual" => "manual entry",
        /// Stated by the patient and confirmed by the collector against the order (not typed).
        Verbal = "verbal" => "stated by the patient",
        /// Overall method of an identification: a wristband scan plus identifiers the patient
        /// stated (an MRN-only wristband with name and date of birth confirmed verbally).
        ScanVerbal = "scan-verbal" => "wristband scan + verbal confirmation",
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

impl Evidence {
    /// No identifiers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an identifier captured by `method`.
    pub fn with(mut self, identifier: Identifier, method: CaptureMethod) -> Self {
        self.presented.push(Presented { identifier, method });
        self
    }

    /// Adds a manually entered (typed) identifier.
    pub fn with_manual(self, identifier: Identifier) -> Self {
        self.with(identifier, CaptureMethod::Manual)
    }

    /// Adds the full name and date of birth the patient stated, confirmed by the collector
    /// against `patient` (the identity on the order): recorded as [`CaptureMethod::Verbal`].
    /// With a scanned wristband this makes a "scan + verbal" identification.
    pub fn with_stated_name_and_birth_date(self, patient: &PatientIdentity) -> Self {
        self.with(
            Identifier::Name(patient.name.clone()),
            CaptureMethod::Verbal,
        )
        .with(
            Identifier::DateOfBirth(patient.birth_date),
            CaptureMethod::Verbal,
        )
    }

    /// True when some identifier came from a wristband scan.
    pub fn has_scan(&self) -> bool {
        self.presented
            .iter()
            .any(|p| p.method == CaptureMethod::Scan)
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

#[cfg(test)]
mod safety_tests;
#[cfg(test)]
mod tests;
