use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::collection::{
    CollectionError, Event, FinalizedCollection, HardStopKind, TubeLabelRefusalCode,
};
use crate::safety::CheckDigit;
use crate::test_support::*;

fn acc(s: &str) -> AccessionNumber {
    AccessionNumber::parse(s).unwrap()
}

/// Peter's CBC (with accession `L100`) and CMP (with `L200`), both tubes drawn.
fn drawn_with_accessions() -> Collection {
    let mut cbc = order("sr-cbc", "CBC");
    cbc.accessions = vec![acc("L100")];
    let mut cmp = order("sr-cmp", "CMP");
    cmp.accessions = vec![acc("L200")];
    let mut c = identified(vec![cbc, cmp]);
    let now = draw_time();
    for i in 1..=c.tubes().len() as u32 {
        c.record_draw(i, now, None, &nurse(), now).unwrap();
    }
    c
}

fn tube_of(c: &Collection, test: &str) -> u32 {
    c.tubes()
        .iter()
        .find(|t| t.tube.tests.iter().any(|x| x.as_str() == test))
        .unwrap()
        .index
}

/// Another patient (MRN 99999) whose order `sr-b` carries `L900`.
fn other_patient() -> KnownLabels {
    let mut theirs = order("sr-b", "CBC");
    theirs.accessions = vec![acc("L900")];
    let mut k = KnownLabels::new();
    k.add_orders(&Mrn::parse("99999").unwrap(), [&theirs]);
    k
}

fn no_rules() -> AccessionFormat {
    AccessionFormat::default()
}

fn refusal(e: CollectionError) -> TubeLabelRefusal {
    match e {
        CollectionError::TubeLabelRefused(r) => r,
        other => panic!("expected a refused label, got {other:?}"),
    }
}

/// Labels `read` on `tube` and checks a refusal changed nothing but one history entry.
fn refused(
    c: &mut Collection,
    tube: u32,
    read: &str,
    rules: &AccessionFormat,
    known: &KnownLabels,
) -> TubeLabelRefusal {
    let before = c.clone();
    let r = refusal(
        c.label_tube(tube, read, rules, known, &nurse(), draw_time())
            .unwrap_err(),
    );
    assert_eq!(c.tubes(), before.tubes(), "a refusal binds nothing");
    assert_eq!(c.history().len(), before.history().len() + 1);
    match &c.history().last().unwrap().event {
        Event::TubeLabelRefused {
            tube: t,
            read: logged,
            reason,
            ..
        } => {
            assert_eq!(*t, tube);
            assert_eq!(logged, &r.read);
            assert_eq!(*reason, r.code());
        }
        other => panic!("expected the refusal logged, got {other:?}"),
    }
    r
}

#[test]
fn this_patients_accession_on_the_tube_of_its_test_is_bound() {
    let mut c = drawn_with_accessions();
    let tube = tube_of(&c, "CBC");
    let bound = c
        .label_tube(
            tube,
            " L100\r\n",
            &no_rules(),
            &other_patient(),
            &nurse(),
            draw_time(),
        )
        .unwrap();
    assert_eq!(bound, acc("L100"));
    assert_eq!(c.tubes()[tube as usize - 1].accession, Some(acc("L100")));
}

#[test]
fn this_patients_accession_on_another_tube_is_refused_as_the_wrong_tube() {
    let mut c = drawn_with_accessions();
    let (cbc, cmp) = (tube_of(&c, "CBC"), tube_of(&c, "CMP"));
    let r = refused(&mut c, cbc, "L200", &no_rules(), &KnownLabels::new());
    assert_eq!(r.code(), TubeLabelRefusalCode::WrongTube);
    assert!(r.message().contains("L200"), "{}", r.message());
    assert!(
        r.message().contains(&format!("tube {cmp}")),
        "{}",
        r.message()
    );
    assert_eq!(
        c.pending_hard_stop(),
        None,
        "the wrong tube of the right patient is no hard stop"
    );
}

#[test]
fn another_patients_order_accession_is_wrong_blood_in_tube_naming_their_mrn() {
    let mut c = drawn_with_accessions();
    // Even at a stock-label site: the label belongs to a known order of someone else.
    let stock = stock_labels();
    let r = refused(&mut c, 1, "L900", &stock, &other_patient());
    assert!(r.is_wrong_blood_in_tube());
    assert!(r.message().contains("WRONG BLOOD IN TUBE"));
    assert!(
        r.message().contains("L900") && r.message().contains("99999"),
        "{}",
        r.message()
    );
    assert_eq!(c.pending_hard_stop(), Some(HardStopKind::WrongBloodInTube));
    match &c.history().last().unwrap().event {
        Event::TubeLabelRefused { other_mrn, .. } => {
            assert_eq!(other_mrn.as_ref().map(Mrn::as_str), Some("99999"))
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_label_another_collection_bound_for_another_patient_is_wrong_blood_in_tube() {
    let mut theirs = started_for_other_patient();
    let now = draw_time();
    theirs.record_draw(1, now, None, &nurse(), now).unwrap();
    label(&mut theirs, 1, "STOCK1", now);
    let mut known = KnownLabels::new();
    known.add_collection(&theirs);
    let mut c = drawn_with_accessions();
    let r = refused(&mut c, 1, "STOCK1", &stock_labels(), &known);
    assert!(matches!(
        r.problem,
        TubeLabelProblem::AnotherPatient { held_by: LabelHolder::Collection(id), .. } if id == theirs.id()
    ));
}

/// A collection of another patient (MRN 99999) on the same device.
fn started_for_other_patient() -> Collection {
    let mut p = peter();
    p.id = crate::collection::PatientId::parse("other").unwrap();
    p.identity.mrn = Mrn::parse("99999").unwrap();
    let mut o = order("sr-b", "CBC");
    o.patient = p.id.clone();
    let mut c = Collection::start(
        CollectionId(Uuid::from_u128(7)),
        p,
        vec![o],
        &crate::site::SiteConfig::default_site(),
        crate::planner::Device::EvacuatedHolder,
        &nurse(),
        t("2024-05-01T08:00:00+02:00"),
    )
    .unwrap();
    c.identify(
        &crate::identification::Evidence::from_wristband("DL1|99999|CHALMERS^PETER^JAMES|19741225")
            .unwrap(),
        &crate::identification::IdentifyContext::default(),
        &nurse(),
        t("2024-05-01T08:05:00+02:00"),
    )
    .unwrap();
    venipuncture(&mut c, crate::collection::BodySite::RightAntecubital);
    c
}

#[test]
fn the_devices_own_label_binds_only_on_the_tube_it_was_printed_for() {
    let mut c = drawn_with_accessions();
    let printed = device_accession(c.id(), 2);
    assert_eq!(device_label_tube(c.id(), printed.as_str()), Some(2));
    let r = refused(
        &mut c,
        1,
        printed.as_str(),
        &no_rules(),
        &KnownLabels::new(),
    );
    assert_eq!(r.problem, TubeLabelProblem::PrintedForTube { tube: 2 });
    c.label_tube(
        2,
        printed.as_str(),
        &no_rules(),
        &KnownLabels::new(),
        &nurse(),
        draw_time(),
    )
    .unwrap();
}

#[test]
fn another_collections_device_label_is_refused_even_with_stock_labels() {
    let mut c = drawn_with_accessions();
    let theirs = device_accession(CollectionId(Uuid::from_u128(42)), 1);
    assert_eq!(device_label_tube(c.id(), theirs.as_str()), None);
    let r = refused(
        &mut c,
        1,
        theirs.as_str(),
        &stock_labels(),
        &KnownLabels::new(),
    );
    assert_eq!(r.code(), TubeLabelRefusalCode::Unknown);
}

#[test]
fn a_stock_label_binds_only_where_the_site_uses_stock_labels_and_it_fits_the_format() {
    let mut rules = AccessionFormat {
        pattern: Some("S######".into()),
        check_digit: CheckDigit::Mod10,
        stock_labels: false,
    };
    let good = format!(
        "S12345{}",
        crate::accession::check_digit(CheckDigit::Mod10, "12345").unwrap()
    );
    let mut c = drawn_with_accessions();
    assert_eq!(
        refused(&mut c, 1, &good, &rules, &KnownLabels::new()).code(),
        TubeLabelRefusalCode::Unknown
    );
    rules.stock_labels = true;
    assert_eq!(
        refused(&mut c, 1, "X123456", &rules, &KnownLabels::new()).code(),
        TubeLabelRefusalCode::NotAccession
    );
    let wrong_check = format!(
        "S12345{}",
        (good.chars().last().unwrap().to_digit(10).unwrap() + 1) % 10
    );
    let r = refused(&mut c, 1, &wrong_check, &rules, &KnownLabels::new());
    assert_eq!(r.code(), TubeLabelRefusalCode::CheckDigit);
    assert!(r.message().contains(&wrong_check));
    assert_eq!(c.pending_hard_stop(), None);
    c.label_tube(1, &good, &rules, &KnownLabels::new(), &nurse(), draw_time())
        .unwrap();
}

#[test]
fn bad_scans_are_refused_naming_what_was_read_and_only_logged() {
    let mut c = drawn_with_accessions();
    let k = other_patient();
    let rules = stock_labels();
    assert_eq!(
        refused(&mut c, 1, "  \r\n", &rules, &k).problem,
        TubeLabelProblem::Empty
    );
    let long = "A".repeat(ACCESSION_MAX_CHARS + 1);
    let r = refused(&mut c, 1, &long, &rules, &k);
    assert_eq!(
        r.problem,
        TubeLabelProblem::TooLong {
            chars: ACCESSION_MAX_CHARS + 1
        }
    );
    assert!(r.message().contains(&long[..20]));
    let r = refused(&mut c, 1, "L1\u{1b}00", &rules, &k);
    assert_eq!(r.code(), TubeLabelRefusalCode::ControlCharacters);
    assert!(r.message().contains("L1\\u{1b}00"), "{}", r.message());
    let r = refused(&mut c, 1, "DL1|12345|CHALMERS^PETER|19741225", &rules, &k);
    assert_eq!(r.problem, TubeLabelProblem::Wristband { mrn: None });
    let r = refused(&mut c, 1, "12345", &rules, &k);
    assert_eq!(r.code(), TubeLabelRefusalCode::Wristband);
    assert!(r.message().contains("12345"));
    let r = refused(&mut c, 1, "99999", &rules, &k);
    assert_eq!(
        r.code(),
        TubeLabelRefusalCode::Wristband,
        "another known patient's MRN too"
    );
    let r = refused(&mut c, 1, "A/B", &rules, &k);
    assert_eq!(r.code(), TubeLabelRefusalCode::NotAccession);
    let printed = device_accession(c.id(), 1);
    c.label_tube(1, printed.as_str(), &rules, &k, &nurse(), draw_time())
        .unwrap();
    let r = refused(&mut c, 2, printed.as_str(), &rules, &k);
    assert_eq!(r.problem, TubeLabelProblem::ScannedTwice { tube: 1 });
    assert_eq!(
        c.pending_hard_stop(),
        None,
        "none of these is another patient's tube"
    );
}

#[test]
fn a_record_with_a_refused_label_finalizes_and_verifies_after_a_round_trip() {
    let mut c = drawn_with_accessions();
    refused(&mut c, 1, "L900", &no_rules(), &other_patient());
    c.acknowledge_hard_stop(&nurse(), draw_time()).unwrap();
    for t in c.tubes().to_vec() {
        let a = device_accession(c.id(), t.index);
        c.label_tube(
            t.index,
            a.as_str(),
            &no_rules(),
            &other_patient(),
            &nurse(),
            draw_time(),
        )
        .unwrap();
    }
    let f = c.finalize(&nurse(), draw_time()).unwrap();
    let json = serde_json::to_string(&f).unwrap();
    let back: FinalizedCollection = serde_json::from_str(&json).unwrap();
    assert_eq!(back.record().hard_stops(HardStopKind::WrongBloodInTube), 1);
}

proptest! {
    #[test]
    fn an_accession_is_bound_only_for_its_own_patient(
        mine in prop::collection::btree_set("[A-Z][0-9]{3,8}", 1..4),
        theirs in prop::collection::btree_set("[A-Z][0-9]{3,8}", 1..4),
    ) {
        let theirs: Vec<String> = theirs.difference(&mine).cloned().collect();
        let mut cbc = order("sr-cbc", "CBC");
        cbc.accessions = mine.iter().map(|a| acc(a)).collect();
        let mut other = order("sr-b", "CBC");
        other.accessions = theirs.iter().map(|a| acc(a)).collect();
        let mut known = KnownLabels::new();
        known.add_orders(&Mrn::parse("99999").unwrap(), [&other]);
        let mut c = identified(vec![cbc]);
        c.record_draw(1, draw_time(), None, &nurse(), draw_time()).unwrap();
        for a in &theirs {
            let r = judge_tube_label(&c, 1, a, &stock_labels(), &known).unwrap_err();
            prop_assert!(r.is_wrong_blood_in_tube());
        }
        for a in &mine {
            prop_assert_eq!(judge_tube_label(&c, 1, a, &no_rules(), &known).unwrap(), acc(a));
        }
    }
}
