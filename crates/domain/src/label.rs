//! What a bedside tube label says, as data for the UI and for printer formats (NPSG.01.01.01 EP2).

use serde::{Deserialize, Serialize};

use crate::catalog::{Handling, Labelling};
use crate::collection::{Collection, DeviceTime};
use crate::identification::IdentifierKind;

/// Which second identifier the site prints next to the full name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecondIdentifier {
    /// Medical record number.
    #[default]
    Mrn,
    /// Date of birth.
    DateOfBirth,
}

/// An identifier as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedIdentifier {
    /// Kind.
    pub kind: IdentifierKind,
    /// Printed value (`YYYY-MM-DD` for dates).
    pub value: String,
}

/// The content of one tube label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelContent {
    /// `FAMILY, Given Middle`.
    pub patient_name: String,
    /// Identifiers printed after the name: the site's second identifier, and for blood bank
    /// labels both MRN and date of birth.
    pub identifiers: Vec<PrintedIdentifier>,
    /// Accession number, encoded as the barcode.
    pub accession: String,
    /// Barcode symbology for printers.
    pub barcode_symbology: String,
    /// Tube type and cap, e.g. `Gold serum separator tube (SST) (gold)`.
    pub tube: String,
    /// Test codes on the tube.
    pub tests: Vec<String>,
    /// Collection date and time in the device's local time, `YYYY-MM-DD HH:MM`.
    pub collected_local: String,
    /// The same instant with its offset kept.
    pub collected_at: DeviceTime,
    /// Collector id.
    pub collector: String,
    /// Timing label of a timed draw, e.g. `TROUGH`.
    pub timing_label: Option<String>,
    /// Handling wording, e.g. `ON ICE`.
    pub handling: Option<String>,
    /// Blood bank (transfusion) label.
    pub blood_bank: bool,
}

/// Why a label cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// No such tube.
    #[error("there is no tube {0}")]
    NoSuchTube(u32),
    /// Labels are printed for drawn tubes only: never pre-labelled in batches.
    #[error("tube {0} is not drawn yet: label at the bedside after drawing")]
    NotDrawn(u32),
    /// The tube has no accession bound.
    #[error("tube {0} has no accession number yet")]
    NoAccession(u32),
    /// Discard tubes are not labelled.
    #[error("tube {0} is a discard tube")]
    DiscardTube(u32),
}

/// The label for tube `tube` (1-based) of a collection.
pub fn label_for(
    collection: &Collection,
    tube: u32,
    second: SecondIdentifier,
) -> Result<LabelContent, LabelError> {
    let t = collection
        .tubes()
        .iter()
        .find(|t| t.index == tube)
        .ok_or(LabelError::NoSuchTube(tube))?;
    if t.tube.discard {
        return Err(LabelError::DiscardTube(tube));
    }
    let drawn = t.drawn.as_ref().ok_or(LabelError::NotDrawn(tube))?;
    let accession = t.accession.as_ref().ok_or(LabelError::NoAccession(tube))?;
    let identity = &collection.patient().identity;
    let mrn = PrintedIdentifier {
        kind: IdentifierKind::Mrn,
        value: identity.mrn.to_string(),
    };
    let dob = PrintedIdentifier {
        kind: IdentifierKind::DateOfBirth,
        value: crate::clock_text::ymd(&identity.birth_date),
    };
    let blood_bank = t.tube.labelling == Labelling::BloodBank;
    let identifiers = if blood_bank {
        vec![mrn, dob]
    } else {
        match second {
            SecondIdentifier::Mrn => vec![mrn],
            SecondIdentifier::DateOfBirth => vec![dob],
        }
    };
    Ok(LabelContent {
        patient_name: identity.name.display_full(),
        identifiers,
        accession: accession.to_string(),
        barcode_symbology: "code128".into(),
        tube: format!("{} ({})", t.tube.container_name, t.tube.cap),
        tests: t.tube.tests.iter().map(ToString::to_string).collect(),
        collected_local: crate::clock_text::ymd_hm(&drawn.at.local()),
        collected_at: drawn.at,
        collector: drawn.by.to_string(),
        timing_label: t.tube.timing.as_ref().map(|x| x.label.clone()),
        handling: (t.tube.handling != Handling::RoomTemperature)
            .then(|| t.tube.handling.label().to_owned()),
        blood_bank,
    })
}

impl LabelContent {
    /// The second identifiers as printed, e.g. `MRN MRN100233  DOB 1937-06-30`.
    pub fn identifier_line(&self) -> String {
        self.identifiers
            .iter()
            .map(|i| match i.kind {
                IdentifierKind::Mrn => format!("MRN {}", i.value),
                IdentifierKind::DateOfBirth => format!("DOB {}", i.value),
                _ => i.value.clone(),
            })
            .collect::<Vec<_>>()
            .join("  ")
    }

    /// Plain text lines in print order, for simple printers and previews.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.blood_bank {
            out.push("BLOOD BANK".to_owned());
        }
        out.push(self.patient_name.clone());
        out.push(self.identifier_line());
        out.push(format!("*{}*", self.accession));
        out.push(format!("{}  {}", self.tube, self.tests.join(" ")));
        let mut when = format!("{}  by {}", self.collected_local, self.collector);
        if let Some(t) = &self.timing_label {
            when.push_str("  ");
            when.push_str(t);
        }
        out.push(when);
        if let Some(h) = &self.handling {
            out.push(h.clone());
        }
        if self.blood_bank {
            out.push("Collector initials: ____".to_owned());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
        complete, draw_time, first_tube_labelled, identified, nurse, order, started, t,
    };

    #[test]
    fn a_label_carries_two_identifiers_barcode_tube_time_and_collector() {
        let c = complete();
        let l = label_for(&c, 2, SecondIdentifier::Mrn).unwrap();
        assert_eq!(l.patient_name, "CHALMERS, Peter James");
        assert_eq!(
            l.identifiers,
            [PrintedIdentifier {
                kind: IdentifierKind::Mrn,
                value: "12345".into()
            }]
        );
        assert_eq!(l.accession, "A0002");
        assert_eq!(l.tube, "Gold serum separator tube (SST) (gold)");
        assert_eq!(l.tests, ["CMP"]);
        assert_eq!(l.collected_local, "2024-05-01 08:10");
        assert_eq!(l.collector, "phleb-042");
        assert!(!l.blood_bank);
        let lines = l.lines();
        assert_eq!(lines[0], "CHALMERS, Peter James");
        assert_eq!(lines[1], "MRN 12345");
        assert_eq!(lines[2], "*A0002*");
    }

    #[test]
    fn a_site_may_print_the_date_of_birth_as_the_second_identifier() {
        let l = label_for(&complete(), 1, SecondIdentifier::DateOfBirth).unwrap();
        assert_eq!(l.identifiers[0].value, "1974-12-25");
    }

    #[test]
    fn a_trough_label_shows_the_timing_label() {
        let mut c = identified(vec![order("sr-vanc", "VANCT")]);
        let now = draw_time();
        c.record_last_dose(1, t("2024-04-30T20:00:00+02:00"), &nurse(), now)
            .unwrap();
        c.record_draw(1, now, Some("no due time on the order"), &nurse(), now)
            .unwrap();
        crate::test_support::label(&mut c, 1, "V1", now);
        let l = label_for(&c, 1, SecondIdentifier::Mrn).unwrap();
        assert_eq!(l.timing_label.as_deref(), Some("TROUGH"));
        assert!(l.lines().iter().any(|x| x.ends_with("TROUGH")));
    }

    #[test]
    fn a_type_and_screen_label_follows_blood_bank_rules() {
        let c = first_tube_labelled(vec![order("sr-ts", "TS")], "BB77");
        let l = label_for(&c, 1, SecondIdentifier::Mrn).unwrap();
        assert!(l.blood_bank);
        let kinds: Vec<_> = l.identifiers.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, [IdentifierKind::Mrn, IdentifierKind::DateOfBirth]);
        let lines = l.lines();
        assert_eq!(lines[0], "BLOOD BANK");
        assert!(lines.last().unwrap().contains("initials"));
    }

    #[test]
    fn an_undrawn_tube_cannot_be_labelled_in_advance() {
        let c = started(vec![order("sr-cbc", "CBC")]);
        assert_eq!(
            label_for(&c, 1, SecondIdentifier::Mrn).unwrap_err(),
            LabelError::NotDrawn(1)
        );
        assert_eq!(
            label_for(&c, 9, SecondIdentifier::Mrn).unwrap_err(),
            LabelError::NoSuchTube(9)
        );
    }

    #[test]
    fn an_on_ice_label_says_so() {
        let c = first_tube_labelled(vec![order("sr-nh3", "NH3")], "N1");
        assert_eq!(
            label_for(&c, 1, SecondIdentifier::Mrn)
                .unwrap()
                .handling
                .as_deref(),
            Some("ON ICE")
        );
    }
}
