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

pub mod age;
mod context;
mod error;
mod evidence;
pub mod fold;
mod kind;
mod look_alike;
mod matching;
mod mrn;
mod name;
pub mod wristband;

pub use age::{age_in_years, is_under_two, YOUNG_CHILD_WARNING};
pub use context::IdentifyContext;
pub use error::IdentificationError;
pub use evidence::{parse_birth_date, Evidence, Identifier, PatientIdentity, Presented};
pub use kind::{CaptureMethod, IdentifierKind};
pub use look_alike::look_alikes;
pub use matching::{identify, Identification, MatchedIdentifier};
pub use mrn::{Mrn, MrnError};
pub use name::{NameError, PersonName};
pub use wristband::{WristbandError, MAX_WRISTBAND_CHARS};

#[cfg(test)]
mod safety_tests;
#[cfg(test)]
mod tests;
