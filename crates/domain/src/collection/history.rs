//! The record's history: who did what when, the hard stops and voids it records, and which finalized version a correction supersedes.

use serde::{Deserialize, Serialize};

use super::exception::{NotCollectedReason, Scope};
use super::fasting::FastingStatus;
use super::time::DeviceTime;
use crate::catalog::TestCode;
use crate::hash::ContentHash;
use crate::identification::{Identification, IdentificationError, WristbandError};
use crate::ids::{AccessionNumber, CollectorId};
use crate::wire::wire_enum;

/// One entry of the record's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: DeviceTime,
    /// Who.
    pub by: CollectorId,
    /// What.
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    /// Record started for these tests.
    Started {
        /// Tests ordered.
        tests: Vec<TestCode>,
    },
    /// Patient identified.
    Identified {
        /// How.
        identification: Identification,
    },
    /// Identification attempt refused (logged, hard stop or not).
    IdentificationFailed {
        /// The error shown.
        error: IdentificationError,
    },
    /// Something read in the wristband field was not a wristband (blank, too long, control
    /// characters, a tube label, ...): logged, nothing else changed.
    WristbandScanRefused {
        /// What was read, sanitised (control characters escaped, long text cut).
        read: String,
        /// Why it was refused.
        error: WristbandError,
    },
    /// The second wristband scan the site asks for after the draw matched the patient.
    WristbandRescanned,
    /// The second wristband scan was refused (a mismatch is a wrong-patient hard stop).
    WristbandRescanFailed {
        /// The error shown.
        error: IdentificationError,
    },
    /// Tube drawn.
    TubeDrawn {
        /// Tube index.
        tube: u32,
        /// Collection instant.
        at: DeviceTime,
    },
    /// When the last dose of a drug level was given, as the collector recorded it.
    LastDoseRecorded {
        /// Tube index.
        tube: u32,
        /// The dose time.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Drawn outside its timed window with confirmation.
    WindowOverridden {
        /// Tube index.
        tube: u32,
        /// Reason given.
        reason: String,
    },
    /// Collection time corrected.
    DrawTimeCorrected {
        /// Tube index.
        tube: u32,
        /// Previous time.
        from: DeviceTime,
        /// New time.
        to: DeviceTime,
        /// Reason given.
        reason: String,
    },
    /// A pre-labelled tube bound to another patient was refused (wrong blood in tube).
    TubeBindingRefused {
        /// Tube index.
        tube: u32,
        /// The refused barcode.
        accession: AccessionNumber,
    },
    /// A scanned tube label refused (logged, hard stop or not): what was read, as shown, and why.
    TubeLabelRefused {
        /// Tube index.
        tube: u32,
        /// What was read (control characters escaped, a long text cut).
        read: String,
        /// Why it was refused.
        reason: super::label_refusal::TubeLabelRefusalCode,
        /// The other patient's MRN, for wrong blood in tube.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        other_mrn: Option<crate::identification::Mrn>,
    },
    /// Tube labelled.
    TubeLabelled {
        /// Tube index.
        tube: u32,
        /// Bound accession.
        accession: AccessionNumber,
    },
    /// Exception recorded.
    NotCollected {
        /// Scope.
        scope: Scope,
        /// Reason.
        reason: NotCollectedReason,
    },
    /// Fasting status recorded.
    FastingRecorded {
        /// Status.
        status: FastingStatus,
    },
    /// A hard stop acknowledged by the collector.
    HardStopAcknowledged {
        /// Which stop.
        stop: HardStopKind,
    },
    /// A correction of a finalized version started.
    CorrectionStarted {
        /// Version corrected.
        supersedes: u32,
        /// Why it is corrected (absent in records made before corrections needed one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The collection voided as entered in error by a new finalized version.
    Voided {
        /// Version voided.
        supersedes: u32,
        /// Why.
        reason: String,
    },
    /// A venipuncture begun at a site with a device.
    VenipunctureBegun {
        /// Its number.
        number: u32,
        /// Where.
        site: super::body_site::BodySite,
        /// With what.
        device: crate::planner::Device,
    },
    /// A venipuncture attempt failed.
    AttemptFailed {
        /// Its number.
        number: u32,
        /// What happened.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// What was left to draw was planned again.
    Replanned {
        /// The device planned for.
        device: crate::planner::Device,
        /// Tubes added.
        added: Vec<u32>,
        /// Tubes taken out of the plan (never drawn).
        removed: Vec<u32>,
    },
    /// Locked.
    Finalized,
}

/// The finalized version a correction replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersedes {
    /// Version number.
    pub version: u32,
    /// Its content hash.
    pub hash: ContentHash,
}

wire_enum! {
    /// The kinds of hard stop a collection can raise.
    pub enum HardStopKind {
        /// Presented identifiers disagree with the order's patient.
        WrongPatient = "wrong-patient" => "wrong patient",
        /// A tube label belongs to another patient (wrong blood in tube).
        WrongBloodInTube = "wrong-blood-in-tube" => "wrong blood in tube",
    }
}

/// Why, by whom and when a collection was voided as entered in error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Void {
    /// Why it was entered in error (e.g. "wrong patient's orders").
    pub reason: String,
    /// Who voided it.
    pub by: CollectorId,
    /// When.
    pub at: DeviceTime,
}
