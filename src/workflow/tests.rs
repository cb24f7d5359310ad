use super::*;
use chrono::NaiveDate;
use drawline_domain::api::Worklist;
use drawline_domain::{
    collection::BodySite, Evidence, Mrn, Order, OrderId, PatientId, PatientIdentity, PersonName,
    Priority, TestCode,
};

fn t(s: &str) -> DeviceTime {
    DeviceTime::from_local(DateTime::parse_from_rfc3339(s).unwrap())
}

fn collector() -> Collector {
    Collector {
        id: "4f1c2f0e-0000-4000-8000-000000000001".into(),
        username: "amara".into(),
        display_name: "Amara Okafor".into(),
    }
}

fn patient(id: &str, mrn: &str, family: &str, given: &str) -> Patient {
    Patient {
        id: PatientId::parse(id).unwrap(),
        identity: PatientIdentity {
            mrn: Mrn::parse(mrn).unwrap(),
            name: PersonName::new(family, &[given]).unwrap(),
            birth_date: NaiveDate::from_ymd_opt(1937, 6, 30).unwrap(),
        },
        alerts: Vec::new(),
    }
}

fn order(id: &str, patient: &str, test: &str) -> WorklistOrder {
    WorklistOrder {
        order: Order {
            id: OrderId::parse(id).unwrap(),
            patient: PatientId::parse(patient).unwrap(),
            test: TestCode::parse(test).unwrap(),
            priority: Priority::Routine,
            placed_at: t("2026-11-23T06:00:00+00:00").utc,
            due_at: None,
            requisition: None,
            accessions: Vec::new(),
            note: None,
            recollection_reason: None,
        },
        round_id: None,
        fasting: false,
        location: Some("Ward 5, room 4".into()),
    }
}

/// Starts a collection of `patient` from the test worklist with the default site at 08:00,
/// `closed` being the orders already finalized.
fn begin(patient: &str, closed: &[String], device: Device) -> Result<DraftData, StartError> {
    start(
        &worklist(),
        &SiteConfig::default_site(),
        patient,
        closed,
        device,
        collector(),
        t("2026-11-23T08:00:00+00:00"),
    )
}

fn worklist() -> Worklist {
    Worklist {
        device_id: Uuid::nil(),
        generated_at: t("2026-11-23T07:00:00+00:00").utc,
        rounds: vec![],
        patients: vec![
            patient("p1", "MRN100233", "Lindqvist", "Erik"),
            patient("p2", "MRN200101", "Walker", "Edith"),
        ],
        orders: vec![
            order("o1", "p1", "PT"),
            order("o2", "p1", "APTT"),
            order("o3", "p1", "CBC"),
            order("o4", "p2", "PT"),
        ],
    }
}

#[test]
fn a_collection_starts_with_the_patients_open_orders_planned_in_order_of_draw() {
    let d = begin("p1", &["o3".to_string()], Device::EvacuatedHolder).unwrap();
    let ids: Vec<&str> = d
        .collection
        .orders()
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["o1", "o2"]);
    assert_eq!(d.location.as_deref(), Some("Ward 5, room 4"));
    assert_eq!(d.collection.started_by().as_str(), collector().id);
    assert_eq!(
        d.collection.tubes().len(),
        1,
        "PT and APTT share one citrate tube"
    );
}

#[test]
fn nothing_to_start_when_every_order_is_finalized_or_the_patient_is_unknown() {
    let e = begin("p2", &["o4".into()], Device::Winged);
    assert_eq!(e.unwrap_err(), StartError::NothingOpen);
    let e = begin("p9", &[], Device::Winged);
    assert_eq!(e.unwrap_err(), StartError::UnknownPatient);
}

#[test]
fn a_draft_record_reads_back_at_its_step() {
    let d = begin("p1", &[], Device::Winged).unwrap();
    let record = d.to_draft(Step::Label, chrono::Local::now().fixed_offset());
    assert_eq!(record.id, d.id());
    assert_eq!(DraftData::from_draft(&record).unwrap(), (d, Step::Label));
    for s in [
        Step::Identify,
        Step::Tubes,
        Step::Label,
        Step::Exceptions,
        Step::Review,
    ] {
        assert_eq!(Step::parse(s.as_str()), s);
    }
    assert_eq!(Step::parse("garbage"), Step::Identify);
}

/// `patient`'s collection identified by `wristband`, venipuncture 1 begun and tube 1 drawn at `now`.
fn first_tube_drawn(patient: &str, wristband: &str, now: DeviceTime) -> DraftData {
    let by = collector().collector_id();
    let mut d = begin(patient, &[], Device::EvacuatedHolder).unwrap();
    let ev = Evidence::from_wristband(wristband).unwrap();
    d.collection
        .identify(&ev, &drawline_domain::IdentifyContext::default(), &by, now)
        .unwrap();
    d.collection
        .begin_venipuncture(
            BodySite::RightAntecubital,
            Device::EvacuatedHolder,
            &SiteConfig::default_site(),
            &by,
            now,
        )
        .unwrap();
    d.collection.record_draw(1, now, None, &by, now).unwrap();
    d
}

#[test]
fn the_labels_another_collection_bound_are_known_with_that_patients_mrn() {
    use drawline_domain::collection::{device_accession, judge_tube_label};
    let now = t("2026-11-23T08:00:00+00:00");
    let by = collector().collector_id();
    let mut other = first_tube_drawn("p2", "DL1|MRN200101|WALKER^EDITH|19370630", now);
    let printed = device_accession(other.collection.id(), 1);
    let rules = drawline_domain::safety::AccessionFormat::default();
    other
        .collection
        .label_tube(1, printed.as_str(), &rules, &KnownLabels::new(), &by, now)
        .unwrap();
    let mine = first_tube_drawn("p1", "DL1|MRN100233|LINDQVIST^ERIK|19370630", now);
    let known = known_labels(mine.collection.id(), None, &[other.collection.clone()]);
    let refused =
        judge_tube_label(&mine.collection, 1, printed.as_str(), &rules, &known).unwrap_err();
    assert_eq!(
        refused.other_patient().map(|m| m.as_str()),
        Some("MRN200101")
    );
    // The worklist's accessions of another patient's order are known too.
    let mut w = worklist();
    w.orders[3].order.accessions = vec![drawline_domain::AccessionNumber::parse("LAB9").unwrap()];
    let known = known_labels(mine.collection.id(), Some(&w), &[]);
    let refused = judge_tube_label(&mine.collection, 1, "LAB9", &rules, &known).unwrap_err();
    assert!(refused.is_wrong_blood_in_tube());
    // A collection is never its own "other patient".
    let own = known_labels(other.collection.id(), None, &[other.collection.clone()]);
    assert_eq!(own, KnownLabels::new());
}

#[test]
fn a_finalized_collection_becomes_an_outbox_item_keyed_by_id_and_version() {
    let f = refused_visit();
    let item = outbox_item(&f);
    assert_eq!(item.id, format!("{}/v1", f.record().id()));
    assert_eq!(item.hash, f.hash().as_str());
    let back = outbox_collections(&[item]);
    assert_eq!(finalized_order_ids(&back), ["o4"]);
}

/// A refused visit of `p2` (order o4), finalized at 08:00.
fn refused_visit() -> FinalizedCollection {
    let now = t("2026-11-23T08:00:00+00:00");
    let mut d = begin("p2", &[], Device::EvacuatedHolder).unwrap();
    let by = collector().collector_id();
    d.collection
        .record_not_collected(
            drawline_domain::Scope::Visit,
            drawline_domain::NotCollectedReason::Refused,
            None,
            &by,
            now,
        )
        .unwrap();
    d.collection.finalize(&by, now).unwrap()
}

fn receipt(item: &OutboxItem) -> ReceiptRecord {
    ReceiptRecord {
        id: item.id.clone(),
        collection_id: item.collection_id.clone(),
        version: item.version,
        hash: item.hash.clone(),
        patient_id: "p2".into(),
        patient_label: "WALKER, Edith · MRN200101".into(),
        order_ids: vec!["o4".into()],
        finalized_at: item.finalized_at.clone(),
        receipt: serde_json::json!({}),
        voided: false,
        data: Some(item.data.clone()),
    }
}

#[test]
fn a_synced_collection_holds_its_orders_until_a_void_of_it_waits_in_the_outbox() {
    let f = refused_visit();
    let v1 = outbox_item(&f);
    let synced = [receipt(&v1)];
    assert_eq!(held_order_ids(&[], &synced), ["o4"]);
    let now = t("2026-11-23T09:00:00+00:00");
    let void = void_item(&f, "wrong patient", &collector().collector_id(), now).unwrap();
    assert_eq!(void.id, format!("{}/v2", f.record().id()));
    let outbox = [void];
    let newest = newest_versions(&outbox, &synced);
    assert_eq!(newest.len(), 1);
    assert_eq!(
        (newest[0].version, newest[0].voided, newest[0].in_outbox),
        (2, true, true)
    );
    assert!(held_order_ids(&outbox, &synced).is_empty());
    // Once synced, the void's receipt says so without the record being read.
    let mut settled = receipt(&outbox[0]);
    settled.voided = true;
    assert!(held_order_ids(&[], &[receipt(&v1), settled]).is_empty());
}

#[test]
fn a_correction_opens_a_new_draft_version_with_its_reason_and_a_void_needs_one() {
    let f = refused_visit();
    let now = t("2026-11-23T09:00:00+00:00");
    let by = collector().collector_id();
    assert_eq!(
        void_item(&f, "  ", &by, now).unwrap_err(),
        CollectionError::ReasonRequired
    );
    let d = correction_draft(&f, "patient came back", collector(), now).unwrap();
    assert_eq!(d.id(), f.record().id().to_string());
    assert_eq!(d.collection.version(), 2);
    assert_eq!(d.collection.change_reason(), Some("patient came back"));
    assert_eq!(d.collector, collector());
    let voided = f.void("entered in error", &by, now).unwrap();
    assert_eq!(
        correction_draft(&voided, "again", collector(), now).unwrap_err(),
        CollectionError::Voided
    );
}

#[test]
fn a_receipt_from_before_corrections_still_reads_and_holds_its_orders() {
    let f = refused_visit();
    let mut old = serde_json::to_value(receipt(&outbox_item(&f))).unwrap();
    let o = old.as_object_mut().unwrap();
    o.remove("data");
    assert!(!o.contains_key("voided"), "false is not written");
    let back: ReceiptRecord = serde_json::from_value(old).unwrap();
    assert_eq!(back.data, None);
    let newest = newest_versions(&[], std::slice::from_ref(&back));
    assert_eq!(newest[0].record(), None);
    assert_eq!(held_order_ids(&[], &[back]), ["o4"]);
}

/// A worklist of one patient: a STAT troponin now, a vancomycin trough due at `trough_due`.
fn stat_and_trough(trough_due: &str) -> Worklist {
    let mut stat = order("stat", "p1", "TROP");
    stat.order.priority = Priority::Stat;
    let mut trough = order("trough", "p1", "VANCT");
    trough.order.due_at = Some(t(trough_due).utc);
    Worklist {
        orders: vec![stat, trough],
        ..worklist()
    }
}

fn begin_at(w: &Worklist, closed: &[String], now: &str) -> Result<DraftData, StartError> {
    start(
        w,
        &SiteConfig::default_site(),
        "p1",
        closed,
        Device::EvacuatedHolder,
        collector(),
        t(now),
    )
}

#[test]
fn a_draw_takes_the_orders_due_now_and_leaves_a_trough_due_tonight_open() {
    let w = stat_and_trough("2026-11-23T12:00:00+00:00");
    let d = begin_at(&w, &[], "2026-11-23T08:00:00+00:00").unwrap();
    let ids: Vec<&str> = d
        .collection
        .orders()
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["stat"], "only the STAT is drawn now");
    assert!(d.collection.tubes().iter().all(|t| t.tube.timing.is_none()));
    // Once the STAT is collected, the trough is still open and is drawn when its window opens.
    let closed = finalized_order_ids(std::slice::from_ref(&d.collection));
    let open: Vec<&str> = open_orders(&w, "p1", &closed)
        .iter()
        .map(|o| o.order.id.as_str())
        .collect();
    assert_eq!(open, ["trough"]);
    let e = begin_at(&w, &closed, "2026-11-23T11:00:00+00:00").unwrap_err();
    assert_eq!(e, StartError::NothingDueYet("11:30".into()));
    assert!(e.to_string().contains("first window opens at 11:30"), "{e}");
    let later = begin_at(&w, &closed, "2026-11-23T11:40:00+00:00").unwrap();
    let ids: Vec<&str> = later
        .collection
        .orders()
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["trough"]);
}

#[test]
fn a_trough_inside_its_window_or_past_its_dose_is_drawn_with_the_stat() {
    for due in ["2026-11-23T08:10:00+00:00", "2026-11-23T07:40:00+00:00"] {
        let d = begin_at(&stat_and_trough(due), &[], "2026-11-23T08:00:00+00:00").unwrap();
        assert_eq!(d.collection.orders().len(), 2, "trough due {due}");
    }
}
