//! The two-identifier match: presented identifiers checked against the order's patient.

use serde::{Deserialize, Serialize};

use super::context::IdentifyContext;
use super::error::IdentificationError;
use super::evidence::{Evidence, Identifier, PatientIdentity};
use super::kind::{CaptureMethod, IdentifierKind};

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
    /// `Manual` if any identifier was typed (or none was scanned), `ScanVerbal` for a scan
    /// plus identifiers the patient stated, else `Scan`.
    pub method: CaptureMethod,
}

impl Identification {
    /// True when it holds what a positive identification needs: the name and a second
    /// identifier (date of birth or MRN). A record read from elsewhere (a push) is checked with
    /// it, as [`identify`] only ever makes such identifications.
    pub fn is_positive(&self) -> bool {
        let has = |k| self.matched.iter().any(|m| m.kind == k);
        has(IdentifierKind::Name) && (has(IdentifierKind::DateOfBirth) || has(IdentifierKind::Mrn))
    }
}

/// How weak a capture method is: a repeated identifier keeps its weakest capture.
fn weakness(m: CaptureMethod) -> u8 {
    match m {
        CaptureMethod::Scan => 0,
        CaptureMethod::ScanVerbal | CaptureMethod::Verbal => 1,
        CaptureMethod::Manual => 2,
    }
}

/// Checks presented identifiers against the order's patient under the site's rules.
///
/// Any presented identifier that disagrees is a hard stop, even when two others agree: a
/// wristband with the right name and the wrong MRN belongs to someone else. Names compare on
/// every given name, folded ([`PersonName::matches`](super::PersonName::matches)); MRNs by the
/// site's rule. When `context` requires the MRN (a look-alike on the round), name and date of
/// birth alone are refused with [`IdentificationError::MrnRequired`].
pub fn identify(
    evidence: &Evidence,
    patient: &PatientIdentity,
    context: &IdentifyContext,
) -> Result<Identification, IdentificationError> {
    let mut mismatched = Vec::new();
    let mut matched: Vec<MatchedIdentifier> = Vec::new();
    let mut room_offered = false;
    for p in &evidence.presented {
        let ok = match &p.identifier {
            Identifier::Name(n) => n.matches(&patient.name),
            Identifier::DateOfBirth(d) => *d == patient.birth_date,
            Identifier::Mrn(m) => m.same_as(&patient.mrn, &context.mrn_rule),
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
            if weakness(p.method) > weakness(m.method) {
                m.method = p.method;
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
    if context.mrn_required && has(IdentifierKind::Name) && !has(IdentifierKind::Mrn) {
        return Err(IdentificationError::MrnRequired);
    }
    let positive = Identification {
        matched: matched.clone(),
        method: CaptureMethod::Manual,
    };
    if !positive.is_positive() {
        if room_offered {
            return Err(IdentificationError::RoomOrBedIsNotAnIdentifier);
        }
        let mut have: Vec<_> = matched.iter().map(|m| m.kind).collect();
        have.sort();
        return Err(IdentificationError::NotEnoughIdentifiers { have });
    }
    matched.sort_by_key(|m| m.kind);
    let any = |method| matched.iter().any(|m| m.method == method);
    // Identifiers only stated by the patient, with nothing scanned, are as good as typed ones.
    let method = if any(CaptureMethod::Manual) || !any(CaptureMethod::Scan) {
        CaptureMethod::Manual
    } else if any(CaptureMethod::Verbal) || any(CaptureMethod::ScanVerbal) {
        CaptureMethod::ScanVerbal
    } else {
        CaptureMethod::Scan
    };
    Ok(Identification { matched, method })
}
