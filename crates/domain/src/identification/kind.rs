//! What kinds of identifier there are, and how each was captured.

use std::fmt;

use crate::wire::wire_enum;

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
