//! Lab accessions over a real socket: imported (CSV and FHIR) and sent to devices, one patient's
//! only; a push binding another patient's tube label is refused as possible wrong blood in tube,
//! shown first in the supervisor queue and side by side in the collection's detail.

use chrono::NaiveDate;
use drawline_domain::collection::KnownLabels;
use drawline_domain::test_support::{order, stock_labels, t as at};
use drawline_domain::{
    Collection, CollectionId, CollectorId, Device, Evidence, FinalizedCollection, IdentifyContext,
    Mrn, Order, Patient, PatientId, PatientIdentity, PersonName, SiteConfig,
};
use drawline_server::api::{
    push_codes, CollectionDetail, ImportReport, QueuePage, RecordOutcome, Role, Worklist,
};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{spawn_app, TestApp};

/// Peter (MRN 12345, patient `example`) and Ada (MRN 67890, patient `pat-b`), PT and CBC each;
/// each CBC carries a lab accession.
const ORDERS_CSV: &str =
    "order_id,patient_id,mrn,family,given,birth_date,test,round,accession,placed_at\n\
    sr-pt,example,12345,Chalmers,Peter James,1974-12-25,PT,Ward 1,,2024-05-01T06:00:00Z\n\
    sr-cbc,example,12345,Chalmers,Peter James,1974-12-25,CBC,Ward 1,LAB100,2024-05-01T06:00:00Z\n\
    b-pt,pat-b,67890,Okafor,Ada,1980-01-02,PT,Ward 1,,2024-05-01T06:00:00Z\n\
    b-cbc,pat-b,67890,Okafor,Ada,1980-01-02,CBC,Ward 1,LAB900;LAB901,2024-05-01T06:00:00Z\n";

struct Lab {
    app: TestApp,
    supervisor: String,
    collector: String,
    tablet_token: String,
}

async fn import(app: &TestApp, token: &str, content_type: &str, body: String) -> ImportReport {
    let res = app
        .post("/orders", token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn lab() -> Lab {
    let app = spawn_app().await;
    let (_, supervisor) = app.supervisor().await;
    let tablet = app.enroll("Ward 1 tablet").await;
    let report = import(&app, &supervisor, "text/csv", ORDERS_CSV.into()).await;
    assert!(report.rejected.is_empty(), "{report:?}");
    app.assign_round("Ward 1", tablet.device_id).await;
    app.add_fixture_collectors();
    app.add_user("amara", Role::Collector, "1234").await;
    let collector = app.sign_in(&tablet.token, "amara", "1234").await;
    Lab {
        app,
        supervisor,
        collector,
        tablet_token: tablet.token,
    }
}

fn ada() -> Patient {
    Patient {
        id: PatientId::parse("pat-b").unwrap(),
        identity: PatientIdentity {
            mrn: Mrn::parse("67890").unwrap(),
            name: PersonName::new("Okafor", &["Ada"]).unwrap(),
            birth_date: NaiveDate::from_ymd_opt(1980, 1, 2).unwrap(),
        },
        alerts: Vec::new(),
    }
}

/// A finalized PT + CBC collection for `patient` with tube labels `labels` (bound as stock
/// labels, as a tablet that knew nothing of the other patient would have).
fn collection(id: Uuid, patient: Patient, labels: [&str; 2]) -> FinalizedCollection {
    let nurse = CollectorId::parse(fixtures::NURSE_1).unwrap();
    let prefix = if patient.id.as_str() == "example" {
        "sr"
    } else {
        "b"
    };
    let orders: Vec<Order> = [("pt", "PT"), ("cbc", "CBC")]
        .iter()
        .map(|(o, test)| Order {
            patient: patient.id.clone(),
            ..order(&format!("{prefix}-{o}"), test)
        })
        .collect();
    let i = &patient.identity;
    let wristband = format!(
        "DL1|{}|{}^{}|{}",
        i.mrn,
        i.name.family.to_uppercase(),
        i.name.given.join("^").to_uppercase(),
        i.birth_date.format("%Y%m%d")
    );
    let mut c = Collection::start(
        CollectionId(id),
        patient,
        orders,
        &SiteConfig::default_site(),
        Device::EvacuatedHolder,
        &nurse,
        at("2024-05-01T08:00:00+02:00"),
    )
    .unwrap();
    c.identify(
        &Evidence::from_wristband(&wristband).unwrap(),
        &IdentifyContext::default(),
        &nurse,
        at("2024-05-01T08:05:00+02:00"),
    )
    .unwrap();
    c.begin_venipuncture(
        drawline_domain::collection::BodySite::LeftAntecubital,
        c.device(),
        &SiteConfig::default_site(),
        &nurse,
        at("2024-05-01T08:06:00+02:00"),
    )
    .unwrap();
    let now = at("2024-05-01T08:10:00+02:00");
    for (tube, label) in [(1, labels[0]), (2, labels[1])] {
        c.record_draw(tube, now, None, &nurse, now).unwrap();
        c.label_tube(
            tube,
            label,
            &stock_labels(),
            &KnownLabels::new(),
            &nurse,
            now,
        )
        .unwrap();
    }
    c.finalize(&nurse, at("2024-05-01T08:12:00+02:00")).unwrap()
}

impl Lab {
    async fn push_one(&self, f: &FinalizedCollection) -> drawline_server::api::PushResult {
        let mut r = self
            .app
            .push(&self.collector, vec![fixtures::record(f)])
            .await;
        r.results.remove(0)
    }

    async fn queue(&self, query: &str) -> QueuePage {
        self.app
            .get_ok(&format!("/supervisor/queue{query}"), &self.supervisor)
            .await
    }
}

#[tokio::test]
async fn a_label_bound_to_another_patients_collection_is_refused_as_wrong_blood_in_tube() {
    let lab = lab().await;
    let peter = Uuid::new_v4();
    let first = lab
        .push_one(&collection(
            peter,
            fixtures::patient(),
            ["STOCK-1", "LAB100"],
        ))
        .await;
    assert_eq!(first.outcome, RecordOutcome::Accepted, "{first:?}");
    let ada_id = Uuid::new_v4();
    let refused = lab
        .push_one(&collection(ada_id, ada(), ["STOCK-1", "STOCK-2"]))
        .await;
    assert_eq!(refused.outcome, RecordOutcome::Rejected);
    assert_eq!(
        refused.code.as_deref(),
        Some(push_codes::WRONG_BLOOD_IN_TUBE)
    );
    // It names the tube label, and nothing of the other patient the tablet may not read.
    let reason = refused.reason.unwrap();
    assert!(reason.contains("STOCK-1"), "{reason}");
    for secret in [&peter.to_string(), "12345", "example", "Chalmers"] {
        assert!(!reason.contains(secret), "{reason}");
    }
    // Nothing of it is stored, and the label stays with the first collection.
    let db = lab.app.sqlite();
    let versions: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM collection_versions WHERE collection_id = ?1",
            [ada_id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(versions, 0);
    let holder: String = db
        .query_row(
            "SELECT collection_id FROM accession_bindings WHERE accession = 'STOCK-1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(holder, peter.to_string());
    // Sent again, it is refused again: the device keeps it quarantined.
    let again = lab
        .push_one(&collection(ada_id, ada(), ["STOCK-1", "STOCK-2"]))
        .await;
    assert_eq!(again.code.as_deref(), Some(push_codes::WRONG_BLOOD_IN_TUBE));
}

#[tokio::test]
async fn another_patients_order_accession_is_refused_even_before_any_collection_bound_it() {
    let lab = lab().await;
    let refused = lab
        .push_one(&collection(Uuid::new_v4(), ada(), ["STOCK-9", "LAB100"]))
        .await;
    assert_eq!(refused.outcome, RecordOutcome::Rejected);
    assert_eq!(
        refused.code.as_deref(),
        Some(push_codes::WRONG_BLOOD_IN_TUBE)
    );
    let reason = refused.reason.unwrap();
    assert!(reason.contains("LAB100"), "{reason}");
    for secret in ["sr-cbc", "12345", "example", "Chalmers"] {
        assert!(!reason.contains(secret), "{reason}");
    }
    // Ada's own accession is hers to bind.
    let own = lab
        .push_one(&collection(Uuid::new_v4(), ada(), ["STOCK-9", "LAB900"]))
        .await;
    assert_eq!(own.outcome, RecordOutcome::Accepted, "{own:?}");
}

#[tokio::test]
async fn a_correction_of_the_same_collection_keeps_its_labels() {
    let lab = lab().await;
    let f = collection(Uuid::new_v4(), fixtures::patient(), ["STOCK-1", "LAB100"]);
    assert_eq!(lab.push_one(&f).await.outcome, RecordOutcome::Accepted);
    let corrected = fixtures::correction_of(&f);
    let r = lab.push_one(&corrected).await;
    assert_eq!(r.outcome, RecordOutcome::Accepted, "{r:?}");
    // The same patient's other collection may use a label of theirs too.
    let other = collection(Uuid::new_v4(), fixtures::patient(), ["STOCK-1", "STOCK-3"]);
    assert_eq!(lab.push_one(&other).await.outcome, RecordOutcome::Accepted);
}

/// Peter's collection binds STOCK-1 (and LAB100); then Ada's binds STOCK-1 and `second`, which
/// the lab refuses as wrong blood in tube. Returns both collection ids.
async fn stock_label_on_peter_then_ada(lab: &Lab, second: &str) -> (Uuid, Uuid) {
    let peter = Uuid::new_v4();
    lab.push_one(&collection(
        peter,
        fixtures::patient(),
        ["STOCK-1", "LAB100"],
    ))
    .await;
    let ada_id = Uuid::new_v4();
    lab.push_one(&collection(ada_id, ada(), ["STOCK-1", second]))
        .await;
    (peter, ada_id)
}

#[tokio::test]
async fn wrong_blood_in_tube_comes_first_in_the_queue_whatever_arrived_after_it() {
    let lab = lab().await;
    let (_, ada_id) = stock_label_on_peter_then_ada(&lab, "STOCK-2").await;
    for labels in [["P-1", "P-2"], ["P-3", "P-4"]] {
        let r = lab
            .push_one(&collection(Uuid::new_v4(), fixtures::patient(), labels))
            .await;
        assert_eq!(r.outcome, RecordOutcome::Accepted);
    }
    let page = lab.queue("").await;
    assert_eq!(page.total, 4);
    let first = &page.items[0];
    assert_eq!(first.collection_id, ada_id);
    assert!(first.flags.wrong_blood_in_tube);
    assert!(first.quarantined);
    assert!(page.items[1..].iter().all(|i| !i.flags.wrong_blood_in_tube));
    // Paged one by one, it is still first and nothing is seen twice.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("?limit=1&cursor={c}"),
            None => "?limit=1".to_owned(),
        };
        let p = lab.queue(&q).await;
        seen.extend(p.items.iter().map(|i| i.key.clone()));
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let keys: Vec<String> = page.items.iter().map(|i| i.key.clone()).collect();
    assert_eq!(seen, keys);
    let flagged = lab.queue("?flag=wrong_blood_in_tube").await;
    assert_eq!(flagged.total, 1);
    assert_eq!(flagged.items[0].collection_id, ada_id);
}

#[tokio::test]
async fn the_refused_collections_detail_shows_both_collections_side_by_side() {
    let lab = lab().await;
    let (peter, ada_id) = stock_label_on_peter_then_ada(&lab, "LAB900").await;
    let detail: CollectionDetail = lab
        .app
        .get_ok(
            &format!("/supervisor/collections/{ada_id}"),
            &lab.supervisor,
        )
        .await;
    assert_eq!(detail.status, RecordOutcome::Rejected);
    assert_eq!(detail.accession_clashes.len(), 1);
    let clash = &detail.accession_clashes[0];
    assert_eq!(clash.accession, "STOCK-1");
    assert_eq!(clash.holder_patient.mrn, "12345");
    assert_eq!(clash.holder_collection, Some(peter));
    let theirs = clash.holder_record.as_ref().unwrap();
    assert_eq!(theirs.patient.mrn, "12345");
    assert!(theirs
        .tubes
        .iter()
        .any(|t| t.accession.as_deref() == Some("STOCK-1")));
    let refused = detail
        .attempts
        .iter()
        .find(|a| a.id == clash.attempt_id)
        .unwrap();
    assert_eq!(refused.record.as_ref().unwrap().patient.mrn, "67890");
}

#[tokio::test]
async fn csv_accessions_reach_the_devices_worklist() {
    let lab = lab().await;
    let reader = lab.app.collector_on(&lab.tablet_token).await;
    let worklist: Worklist = lab.app.get_ok("/worklist", &reader).await;
    let accessions = |id: &str| -> Vec<String> {
        worklist
            .orders
            .iter()
            .find(|o| o.order.id.as_str() == id)
            .unwrap()
            .order
            .accessions
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(accessions("b-cbc"), ["LAB900", "LAB901"]);
    assert_eq!(accessions("sr-cbc"), ["LAB100"]);
    assert!(accessions("sr-pt").is_empty());
    let pulled = lab.app.pull(&reader, None).await;
    let json = serde_json::to_value(&pulled).unwrap();
    assert!(
        json.to_string().contains("LAB901"),
        "the pull carries them too"
    );
}

#[tokio::test]
async fn importing_another_patients_accession_is_refused_with_a_clear_message() {
    let lab = lab().await;
    let csv = "order_id,patient_id,mrn,family,given,birth_date,test,round,accession\n\
        c-cbc,pat-c,55555,Nowak,Ola,1990-03-04,CBC,Ward 1,LAB900\n";
    let report = import(&lab.app, &lab.supervisor, "text/csv", csv.into()).await;
    assert_eq!(report.created, 0);
    let reason = &report.rejected[0].reason;
    assert!(
        reason.contains("LAB900") && reason.contains("b-cbc") && reason.contains("67890"),
        "{reason}"
    );
}

#[tokio::test]
async fn fhir_accessions_come_from_acsn_identifiers_and_specimens_naming_the_request() {
    let lab = lab().await;
    let bundle = json!({
        "resourceType": "Bundle", "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "pat-f",
                "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}, "value": "77777"}],
                "name": [{"family": "Lund", "given": ["Eva"]}], "birthDate": "1970-05-06"}},
            {"fullUrl": "urn:uuid:s1", "resource": {"resourceType": "ServiceRequest", "id": "f-cbc",
                "status": "active", "intent": "order", "subject": {"reference": "urn:uuid:p1"},
                "code": {"coding": [{"code": "CBC"}]},
                "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ACSN"}]}, "value": "LAB700"}]}},
            {"fullUrl": "urn:uuid:s2", "resource": {"resourceType": "ServiceRequest", "id": "f-pt",
                "status": "active", "intent": "order", "subject": {"reference": "Patient/pat-f"},
                "code": {"coding": [{"code": "PT"}]}}},
            {"resource": {"resourceType": "Specimen", "accessionIdentifier": {"value": "LAB701"},
                "request": [{"reference": "ServiceRequest/f-pt"}]}},
            {"resource": {"resourceType": "ServiceRequest", "id": "f-bad",
                "status": "active", "intent": "order", "subject": {"reference": "urn:uuid:p1"},
                "code": {"coding": [{"code": "TSH"}]},
                "identifier": [{"type": {"coding": [{"code": "ACSN"}]}, "value": "LAB100"}]}}
        ]
    });
    let report = import(
        &lab.app,
        &lab.supervisor,
        "application/fhir+json",
        bundle.to_string(),
    )
    .await;
    assert_eq!(report.created, 2, "{report:?}");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(report.rejected[0].reason.contains("LAB100"));
    let db = lab.app.sqlite();
    let held = |a: &str| -> String {
        db.query_row(
            "SELECT order_id FROM order_accessions WHERE accession = ?1",
            [a],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(held("LAB700"), "f-cbc");
    assert_eq!(held("LAB701"), "f-pt");
}
