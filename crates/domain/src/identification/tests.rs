use chrono::NaiveDate;

use super::*;

fn peter() -> PatientIdentity {
    PatientIdentity {
        mrn: Mrn::parse("MRN0012345").unwrap(),
        name: PersonName::new("Chalmers", &["Peter", "James"]).unwrap(),
        birth_date: NaiveDate::from_ymd_opt(1974, 12, 25).unwrap(),
    }
}

/// Why a scan of `wristband` does not identify [`peter`].
fn refused_scan(wristband: &str) -> IdentificationError {
    identify(
        &Evidence::from_wristband(wristband).unwrap(),
        &peter(),
        &IdentifyContext::default(),
    )
    .unwrap_err()
}

#[test]
fn a_scanned_delimited_wristband_for_the_right_patient_identifies_by_scan() {
    let e = Evidence::from_wristband("DL1|MRN0012345|CHALMERS^PETER^JAMES|19741225\r\n").unwrap();
    let id = identify(&e, &peter(), &IdentifyContext::default()).unwrap();
    assert_eq!(id.method, CaptureMethod::Scan);
    let kinds: Vec<_> = id.matched.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            IdentifierKind::Name,
            IdentifierKind::DateOfBirth,
            IdentifierKind::Mrn
        ]
    );
}

#[test]
fn a_scanned_wristband_for_another_patient_is_a_hard_stop() {
    let err = refused_scan("DL1|MRN0099999|DONALD^DUCK|19340609");
    assert!(err.is_hard_stop());
    assert_eq!(
        err,
        IdentificationError::Mismatch {
            mismatched: vec![
                IdentifierKind::Name,
                IdentifierKind::DateOfBirth,
                IdentifierKind::Mrn
            ]
        }
    );
    assert!(
        err.to_string()
            .starts_with("WRONG PATIENT: name, date of birth and MRN do not match"),
        "{err}"
    );
}

#[test]
fn an_mrn_scan_that_does_not_identify_says_why() {
    for (case, scan, expected, hard_stop) in [
        (
            "a right name with a wrong MRN is still a hard stop",
            "DL1|MRN0099999|CHALMERS^PETER^JAMES|19741225",
            IdentificationError::Mismatch {
                mismatched: vec![IdentifierKind::Mrn],
            },
            true,
        ),
        (
            "a plain MRN scan alone is not enough",
            "MRN0012345",
            IdentificationError::NotEnoughIdentifiers {
                have: vec![IdentifierKind::Mrn],
            },
            false,
        ),
    ] {
        let err = refused_scan(scan);
        assert_eq!(err, expected, "{case}");
        assert_eq!(err.is_hard_stop(), hard_stop, "{case}");
    }
}

#[test]
fn a_plain_mrn_scan_plus_a_typed_name_identifies_and_is_recorded_as_manual() {
    let e = Evidence::from_wristband("mrn0012345\n")
        .unwrap()
        .with_manual(Identifier::Name(
            PersonName::parse("chalmers, peter james").unwrap(),
        ));
    let id = identify(&e, &peter(), &IdentifyContext::default()).unwrap();
    assert_eq!(id.method, CaptureMethod::Manual);
    assert_eq!(
        id.matched,
        [
            MatchedIdentifier {
                kind: IdentifierKind::Name,
                method: CaptureMethod::Manual
            },
            MatchedIdentifier {
                kind: IdentifierKind::Mrn,
                method: CaptureMethod::Scan
            },
        ]
    );
}

#[test]
fn manual_entry_of_name_and_date_of_birth_identifies() {
    let e = Evidence::manual(Some("CHALMERS, Peter James"), Some("1974-12-25"), None).unwrap();
    let id = identify(&e, &peter(), &IdentifyContext::default()).unwrap();
    assert_eq!(id.method, CaptureMethod::Manual);
}

#[test]
fn date_of_birth_and_mrn_without_the_name_are_not_enough() {
    let e = Evidence::manual(None, Some("1974-12-25"), Some("MRN0012345")).unwrap();
    assert!(matches!(
        identify(&e, &peter(), &IdentifyContext::default()).unwrap_err(),
        IdentificationError::NotEnoughIdentifiers { .. }
    ));
}

#[test]
fn a_room_or_bed_number_is_never_accepted_as_an_identifier() {
    let e = Evidence::manual(Some("Chalmers, Peter James"), None, None)
        .unwrap()
        .with_manual(Identifier::RoomBed("4B-12".into()));
    assert_eq!(
        identify(&e, &peter(), &IdentifyContext::default()).unwrap_err(),
        IdentificationError::RoomOrBedIsNotAnIdentifier
    );
}

#[test]
fn the_same_identifier_twice_does_not_count_as_two() {
    let e = Evidence::manual(Some("Chalmers, Peter James"), None, None)
        .unwrap()
        .and(Evidence::manual(Some("CHALMERS, PETER JAMES"), None, None).unwrap());
    assert!(matches!(
        identify(&e, &peter(), &IdentifyContext::default()).unwrap_err(),
        IdentificationError::NotEnoughIdentifiers { .. }
    ));
}

#[test]
fn names_match_ignoring_case_and_punctuation_but_not_a_missing_middle_name() {
    let a = PersonName::parse("O'Brien, Mary Ann").unwrap();
    assert!(a.matches(&PersonName::parse("OBRIEN^MARY-ANN").unwrap()));
    assert!(!a.matches(&PersonName::parse("OBRIEN^MARY").unwrap()));
    assert!(!a.matches(&PersonName::parse("OBRIEN^MARIE^ANN").unwrap()));
}

#[test]
fn garbage_scans_are_rejected_with_a_clear_error() {
    let bad_field = |field, value: &str| WristbandError::BadField {
        field,
        value: value.into(),
    };
    for (scan, expected) in [
        ("   \r\n", WristbandError::Empty),
        ("hello world!", WristbandError::Unrecognised),
        ("ABCDEF", WristbandError::Unrecognised),
        ("12|34", WristbandError::Unrecognised),
        (
            "DL1|MRN0012345|CHALMERS^PETER",
            WristbandError::MissingField {
                field: IdentifierKind::DateOfBirth,
            },
        ),
        (
            "DL1|MRN0012345|CHALMERS^PETER|19741325",
            bad_field(IdentifierKind::DateOfBirth, "19741325"),
        ),
        (
            "DL1|MRN0012345|CHALMERS|19741225",
            bad_field(IdentifierKind::Name, "CHALMERS"),
        ),
    ] {
        assert_eq!(
            Evidence::from_wristband(scan).unwrap_err(),
            expected,
            "scan {scan:?}"
        );
    }
    let msg = Evidence::from_wristband("%%%").unwrap_err().to_string();
    assert!(msg.contains("DL1|MRN|FAMILY^GIVEN|YYYYMMDD"), "{msg}");
}

#[test]
fn extra_wristband_fields_such_as_the_bed_are_ignored() {
    let e =
        Evidence::from_wristband("DL1|MRN0012345|CHALMERS^PETER|19741225|WARD 4B|BED 12").unwrap();
    assert_eq!(e.presented.len(), 3);
    assert!(e
        .presented
        .iter()
        .all(|p| p.identifier.kind() != IdentifierKind::RoomBed));
}

#[test]
fn ambiguous_day_month_dates_are_refused_in_manual_entry() {
    let err = Evidence::manual(Some("Chalmers, Peter"), Some("03/04/1974"), None).unwrap_err();
    assert!(matches!(
        err,
        IdentificationError::Unreadable {
            kind: IdentifierKind::DateOfBirth,
            ..
        }
    ));
}

#[test]
fn evidence_round_trips_through_json() {
    let e = Evidence::from_wristband("DL1|MRN0012345|CHALMERS^PETER|19741225").unwrap();
    let json = serde_json::to_string(&e).unwrap();
    assert!(
        json.contains(r#""kind":"mrn","value":"MRN0012345""#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Evidence>(&json).unwrap(), e);
}

#[test]
fn the_hard_stop_message_names_every_mismatch_in_plain_english() {
    let one = IdentificationError::Mismatch {
        mismatched: vec![IdentifierKind::Mrn],
    };
    assert!(
        one.to_string().contains("MRN does not match the patient"),
        "{one}"
    );
    let three = IdentificationError::Mismatch {
        mismatched: vec![
            IdentifierKind::Name,
            IdentifierKind::DateOfBirth,
            IdentifierKind::Mrn,
        ],
    };
    assert!(
        three
            .to_string()
            .contains("name, date of birth and MRN do not match the patient"),
        "{three}"
    );
}

#[test]
fn capture_methods_read_as_the_record_says_them() {
    assert_eq!(CaptureMethod::Scan.display(), "wristband scan");
    assert_eq!(CaptureMethod::Manual.display(), "manual entry");
    assert_eq!(
        serde_json::to_value(CaptureMethod::Manual).unwrap(),
        "manual"
    );
    assert_eq!(
        serde_json::to_value(IdentifierKind::DateOfBirth).unwrap(),
        "date-of-birth"
    );
    assert_eq!(IdentifierKind::DateOfBirth.to_string(), "date of birth");
}

#[test]
fn an_identification_is_positive_only_with_the_name_and_a_second_identifier() {
    let made = identify(
        &Evidence::from_wristband("DL1|MRN0012345|CHALMERS^PETER^JAMES|19741225").unwrap(),
        &peter(),
        &IdentifyContext::default(),
    )
    .unwrap();
    assert!(made.is_positive());
    let name_only = Identification {
        matched: vec![MatchedIdentifier {
            kind: IdentifierKind::Name,
            method: CaptureMethod::Scan,
        }],
        method: CaptureMethod::Scan,
    };
    assert!(!name_only.is_positive());
    let none = Identification {
        matched: Vec::new(),
        method: CaptureMethod::Manual,
    };
    assert!(!none.is_positive());
}
