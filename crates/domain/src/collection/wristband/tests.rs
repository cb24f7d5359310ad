use super::super::*;
use crate::identification::{Evidence, IdentifyContext, WristbandError};
use crate::planner::Device;
use crate::safety::SafetyRules;
use crate::site::SiteConfig;
use crate::test_support::*;

fn other_wristband() -> Evidence {
    Evidence::from_wristband("DL1|99999|DUCK^DONALD|19340609").unwrap()
}

fn ctx() -> IdentifyContext {
    IdentifyContext::default()
}

#[test]
fn every_wrong_patient_attempt_is_counted_as_a_mismatch_before_the_draw() {
    let mut c = started(vec![order("sr-cbc", "CBC")]);
    for minute in [1, 3] {
        let now = t(&format!("2024-05-01T08:0{minute}:00+02:00"));
        c.identify(&other_wristband(), &ctx(), &nurse(), now)
            .unwrap_err();
        assert_eq!(c.pending_hard_stop(), Some(HardStopKind::WrongPatient));
        // What a screen shows again after a reload: the refused attempt itself.
        let entry = c.pending_hard_stop_entry().unwrap();
        assert!(matches!(entry.event, Event::IdentificationFailed { .. }));
        assert_eq!(entry.at, now);
        c.acknowledge_hard_stop(&nurse(), now).unwrap();
        assert!(c.pending_hard_stop_entry().is_none());
    }
    c.identify(
        &wristband(),
        &ctx(),
        &nurse(),
        t("2024-05-01T08:05:00+02:00"),
    )
    .unwrap();
    venipuncture(&mut c, crate::collection::BodySite::LeftAntecubital);
    let now = t("2024-05-01T08:10:00+02:00");
    c.record_draw(1, now, None, &nurse(), now).unwrap();
    assert_eq!(c.hard_stops(HardStopKind::WrongPatient), 2);
    assert_eq!(c.wrong_patient_before_draw(), 2);
}

#[test]
fn bad_input_in_the_wristband_field_is_logged_and_changes_nothing_else() {
    let mut c = started(vec![order("sr-cbc", "CBC")]);
    let before = c.clone();
    let now = t("2024-05-01T08:02:00+02:00");
    let err = c
        .read_wristband("D1A2B3C4D5E-1", &SafetyRules::default(), &nurse(), now)
        .unwrap_err();
    assert_eq!(
        err,
        CollectionError::Wristband {
            read: "D1A2B3C4D5E-1".into(),
            error: WristbandError::TubeLabel
        }
    );
    assert!(err.to_string().contains("D1A2B3C4D5E-1"), "{err}");
    assert!(err.to_string().contains("tube label"), "{err}");
    let err = c
        .read_wristband("MRN\u{7}123", &SafetyRules::default(), &nurse(), now)
        .unwrap_err();
    assert!(err.to_string().contains("MRN\\u{7}123"), "{err}");
    assert_eq!(c.history().len(), before.history().len() + 2);
    assert!(matches!(
        c.history().last().unwrap().event,
        Event::WristbandScanRefused { .. }
    ));
    assert_eq!(c.status(), before.status());
    assert_eq!(c.identification(), None);
    assert_eq!(c.tubes(), before.tubes());
    assert_eq!(c.pending_hard_stop(), None);
    // A good scan reads as evidence and logs nothing by itself.
    let ev = c
        .read_wristband(
            "DL1|12345|CHALMERS^PETER^JAMES|19741225",
            &SafetyRules::default(),
            &nurse(),
            now,
        )
        .unwrap();
    assert_eq!(ev, wristband());
    assert_eq!(c.history().len(), before.history().len() + 2);
}

fn site_with_second_scan() -> SiteConfig {
    SiteConfig::default_site().with_safety(SafetyRules {
        second_wristband_scan: true,
        ..SafetyRules::default()
    })
}

#[test]
fn a_site_asking_for_a_second_scan_needs_it_after_the_draw_and_a_wrong_band_is_a_hard_stop() {
    let mut c = Collection::start(
        CollectionId(uuid::Uuid::nil()),
        peter(),
        vec![order("sr-cbc", "CBC")],
        &site_with_second_scan(),
        Device::EvacuatedHolder,
        &nurse(),
        t("2024-05-01T08:00:00+02:00"),
    )
    .unwrap();
    assert!(c.second_scan_required());
    c.identify(
        &wristband(),
        &ctx(),
        &nurse(),
        t("2024-05-01T08:05:00+02:00"),
    )
    .unwrap();
    let early = c
        .rescan_wristband(
            &wristband(),
            &ctx(),
            &nurse(),
            t("2024-05-01T08:06:00+02:00"),
        )
        .unwrap_err();
    assert_eq!(early, CollectionError::SecondScanBeforeDraw);
    venipuncture(&mut c, crate::collection::BodySite::LeftAntecubital);
    let now = t("2024-05-01T08:10:00+02:00");
    c.record_draw(1, now, None, &nurse(), now).unwrap();
    label(&mut c, 1, "A0001", now);
    assert!(c.second_scan_pending());
    assert_eq!(
        c.finalize(&nurse(), now).unwrap_err(),
        CollectionError::SecondScanNeeded
    );
    let err = c
        .rescan_wristband(&other_wristband(), &ctx(), &nurse(), now)
        .unwrap_err();
    assert!(matches!(err, CollectionError::Identification(ref e) if e.is_hard_stop()));
    assert_eq!(c.pending_hard_stop(), Some(HardStopKind::WrongPatient));
    assert_eq!(c.hard_stops(HardStopKind::WrongPatient), 1);
    assert_eq!(c.wrong_patient_before_draw(), 0);
    c.acknowledge_hard_stop(&nurse(), now).unwrap();
    // A plain MRN scan of the right band is enough for the second scan.
    let mrn_only = Evidence::from_wristband("12345").unwrap();
    c.rescan_wristband(&mrn_only, &ctx(), &nurse(), now)
        .unwrap();
    assert!(!c.second_scan_pending());
    let f = c.finalize(&nurse(), now).unwrap();
    assert!(f
        .record()
        .history()
        .iter()
        .any(|e| e.event == Event::WristbandRescanned));
    let json = serde_json::to_string(&f).unwrap();
    assert!(json.contains("\"second_scan_required\":true"), "{json}");
    let back: FinalizedCollection = serde_json::from_str(&json).unwrap();
    assert!(back.verify() && back.record().second_scan_required());
}

#[test]
fn records_made_before_the_second_scan_rule_still_read_and_verify() {
    let f = finalized();
    let json = serde_json::to_value(&f).unwrap();
    assert!(json["record"].get("second_scan_required").is_none());
    // What an older app wrote: the same JSON, no field for the rule.
    let back: FinalizedCollection = serde_json::from_value(json).unwrap();
    assert!(back.verify());
    assert!(!back.record().second_scan_required());
    assert!(!back.record().second_scan_pending());
}
