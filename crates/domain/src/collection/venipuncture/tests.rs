use super::*;
use crate::collection::FinalizedCollection;
use crate::collection::{AlertKind, PatientAlert, Side};
use crate::identification::IdentifyContext;
use crate::test_support::*;

fn with_left_arm_restricted() -> Collection {
    let mut c = started(vec![order("sr-cbc", "CBC")]);
    c.patient.alerts.push(PatientAlert {
        kind: AlertKind::ArmRestriction,
        text: "No draw from left arm: fistula".into(),
        side: Some(Side::Left),
    });
    c.identify(
        &wristband(),
        &IdentifyContext::default(),
        &nurse(),
        draw_time(),
    )
    .unwrap();
    c
}

fn begin(c: &mut Collection, site: BodySite, device: Device) -> Result<(), CollectionError> {
    c.begin_venipuncture(
        site,
        device,
        &SiteConfig::default_site(),
        &nurse(),
        draw_time(),
    )
}

#[test]
fn a_site_on_an_arm_the_alerts_restrict_is_refused_naming_the_alert() {
    let mut c = with_left_arm_restricted();
    for site in [
        BodySite::LeftAntecubital,
        BodySite::LeftForearm,
        BodySite::LeftHand,
    ] {
        let e = begin(&mut c, site, Device::EvacuatedHolder).unwrap_err();
        assert!(matches!(e, CollectionError::RestrictedSite { .. }), "{e}");
        assert!(e.to_string().contains("fistula"), "{e}");
    }
    assert!(c.venipunctures().is_empty());
    begin(&mut c, BodySite::LeftFoot, Device::Winged).unwrap();
    begin(&mut c, BodySite::RightAntecubital, Device::EvacuatedHolder).unwrap();
    assert_eq!(c.venipunctures().len(), 2);
}

#[test]
fn a_venipuncture_needs_an_identified_patient() {
    let mut c = started(vec![order("sr-cbc", "CBC")]);
    assert_eq!(
        begin(&mut c, BodySite::RightAntecubital, Device::EvacuatedHolder).unwrap_err(),
        CollectionError::NotIdentified
    );
}

#[test]
fn a_failed_attempt_is_counted_and_the_next_tube_needs_a_new_venipuncture() {
    let mut c = identified(vec![order("sr-cbc", "CBC"), order("sr-cmp", "CMP")]);
    let now = draw_time();
    c.record_failed_attempt(Some(" vein rolled "), &nurse(), now)
        .unwrap();
    assert_eq!(
        c.record_draw(1, now, None, &nurse(), now).unwrap_err(),
        CollectionError::NoVenipuncture
    );
    assert_eq!(
        c.record_failed_attempt(None, &nurse(), now).unwrap_err(),
        CollectionError::NoVenipuncture
    );
    begin(&mut c, BodySite::RightForearm, Device::EvacuatedHolder).unwrap();
    c.record_draw(1, now, None, &nurse(), now).unwrap();
    assert_eq!((c.attempts(), c.failed_attempts()), (2, 1));
    let failed = c.venipunctures()[0].failed.clone().unwrap();
    assert_eq!(failed.note.as_deref(), Some("vein rolled"));
    let draw = c.tubes()[0].drawn.clone().unwrap();
    assert_eq!(
        (draw.body_site, draw.venipuncture),
        (Some(BodySite::RightForearm), Some(2))
    );
    // A site picked and never used is no attempt.
    begin(&mut c, BodySite::RightHand, Device::EvacuatedHolder).unwrap();
    assert_eq!(c.attempts(), 2);
}

#[test]
fn two_blood_culture_sets_come_from_two_venipunctures_at_two_sites() {
    let mut c = identified(vec![order("sr-bc1", "BCX"), order("sr-bc2", "BCX")]);
    let now = draw_time();
    let set = |c: &Collection, n: u32| -> Vec<u32> {
        c.tubes()
            .iter()
            .filter(|t| t.tube.set == Some(n))
            .map(|t| t.index)
            .collect()
    };
    let (one, two) = (set(&c, 1), set(&c, 2));
    assert_eq!((one.len(), two.len()), (2, 2));
    for i in &one {
        c.record_draw(*i, now, None, &nurse(), now).unwrap();
    }
    let e = c.record_draw(two[0], now, None, &nurse(), now).unwrap_err();
    assert_eq!(
        e,
        CollectionError::SeparateVenipuncture { set: 2, other: 1 }
    );
    // identified() began venipuncture 1 in the left antecubital fossa.
    begin(&mut c, BodySite::LeftAntecubital, Device::EvacuatedHolder).unwrap();
    let e = c.record_draw(two[0], now, None, &nurse(), now).unwrap_err();
    assert!(
        matches!(
            e,
            CollectionError::SameSiteAsOtherSet {
                set: 2,
                other: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("Left antecubital fossa"), "{e}");
    begin(&mut c, BodySite::RightAntecubital, Device::EvacuatedHolder).unwrap();
    for i in &two {
        c.record_draw(*i, now, None, &nurse(), now).unwrap();
    }
    let sites: Vec<_> = c
        .tubes()
        .iter()
        .map(|t| (t.tube.set, t.drawn.as_ref().unwrap().body_site))
        .collect();
    assert_eq!(
        sites,
        [
            (Some(1), Some(BodySite::LeftAntecubital)),
            (Some(1), Some(BodySite::LeftAntecubital)),
            (Some(2), Some(BodySite::RightAntecubital)),
            (Some(2), Some(BodySite::RightAntecubital)),
        ]
    );
}

#[test]
fn a_record_with_venipunctures_finalizes_and_verifies_after_a_round_trip() {
    let mut c = identified(vec![order("sr-cbc", "CBC")]);
    let now = draw_time();
    c.record_failed_attempt(None, &nurse(), now).unwrap();
    begin(&mut c, BodySite::RightHand, Device::Winged).unwrap();
    c.record_draw(1, now, None, &nurse(), now).unwrap();
    label(&mut c, 1, "A1", now);
    let f = c.finalize(&nurse(), now).unwrap();
    let json = serde_json::to_value(&f).unwrap();
    let back = FinalizedCollection::from_json_value(json).unwrap();
    assert!(back.verify());
    assert_eq!(back.record().venipunctures(), f.record().venipunctures());
    assert_eq!(back.record().attempts(), 2);
}
