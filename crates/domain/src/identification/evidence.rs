//! What is presented at the bedside: identifiers, how each was captured, and the order's patient they are checked against.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::error::IdentificationError;
use super::kind::{CaptureMethod, IdentifierKind};
use super::mrn::Mrn;
use super::name::PersonName;

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
