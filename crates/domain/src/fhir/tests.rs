use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

use super::*;
use crate::catalog::TestCode;
use crate::collection::{
    FastingStatus, FinalizedCollection, NotCollectedReason, PatientId, Priority, Scope,
};
use crate::site::SiteConfig;
use crate::test_support::{complete, identified, nurse, started, t};

fn fixture(name: &str) -> Value {
    let text = match name {
        "patient-example" => include_str!("../../tests/fixtures/fhir/patient-example.json"),
        "patient-pat1" => include_str!("../../tests/fixtures/fhir/patient-pat1.json"),
        "servicerequest-lipid" => {
            include_str!("../../tests/fixtures/fhir/servicerequest-lipid.json")
        }
        "specimen-101" => include_str!("../../tests/fixtures/fhir/specimen-101.json"),
        "order-bundle" => include_str!("../../tests/fixtures/fhir/order-bundle.json"),
        _ => unreachable!(),
    };
    serde_json::from_str(text).unwrap()
}

fn received() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T05:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn the_official_patient_example_reads_as_peter_chalmers() {
    let p = patient_from_fhir(&fixture("patient-example"), None).unwrap();
    assert_eq!(p.id.as_str(), "example");
    assert_eq!(p.identity.mrn.as_str(), "12345");
    assert_eq!(p.identity.name.display_full(), "CHALMERS, Peter James");
    assert_eq!(
        p.identity.birth_date,
        NaiveDate::from_ymd_opt(1974, 12, 25).unwrap()
    );
}

#[test]
fn a_patient_without_a_birth_date_like_pat1_cannot_be_identified_and_is_rejected() {
    let e = patient_from_fhir(&fixture("patient-pat1"), None).unwrap_err();
    assert_eq!(e.to_string(), "Patient/pat1: birthDate is missing");
}

#[test]
fn the_official_lipid_service_request_maps_to_a_lipid_order() {
    let site = SiteConfig::default_site();
    let pid = PatientId::parse("example").unwrap();
    let o = order_from_fhir(
        &fixture("servicerequest-lipid"),
        &pid,
        site.catalog(),
        received(),
    )
    .unwrap();
    assert_eq!(o.id.as_str(), "lipid");
    assert_eq!(o.test.as_str(), "LIPID");
    assert_eq!(o.priority, Priority::Routine);
    assert_eq!(
        o.placed_at,
        received(),
        "no authoredOn: the receive time stands in"
    );
    assert_eq!(o.due_at.unwrap().to_rfc3339(), "2013-05-02T23:16:00+00:00");
}

#[test]
fn a_bundle_of_patients_and_requests_becomes_orders_resolving_relative_and_uuid_references() {
    let site = SiteConfig::default_site();
    let imported =
        orders_from_bundle(&fixture("order-bundle"), site.catalog(), received()).unwrap();
    assert_eq!(imported.patients.len(), 2);
    assert_eq!(
        imported.patients[1].id.as_str(),
        "8c6a1d0e-3c1b-4b8e-9f7a-2d5e6f7a8b9c"
    );
    let vanc = &imported.orders[0];
    assert_eq!(vanc.test.as_str(), "VANCT");
    assert_eq!(vanc.patient.as_str(), "example");
    assert_eq!(vanc.requisition.as_deref(), Some("REQ-0501-17"));
    assert_eq!(
        vanc.due_at.unwrap().to_rfc3339(),
        "2024-05-01T07:00:00+00:00"
    );
    assert_eq!(vanc.placed_at.to_rfc3339(), "2024-05-01T04:00:00+00:00");
    let trop = &imported.orders[1];
    assert_eq!(trop.test.as_str(), "TROP");
    assert_eq!(trop.priority, Priority::Stat);
    assert_eq!(
        trop.patient.as_str(),
        "8c6a1d0e-3c1b-4b8e-9f7a-2d5e6f7a8b9c"
    );
}

#[test]
fn a_request_for_a_test_the_catalog_lacks_is_an_error_naming_the_request() {
    let site = SiteConfig::default_site();
    let mut b = fixture("order-bundle");
    b["entry"][3]["resource"]["code"]["coding"][0]["code"] = json!("99999-9");
    let e = orders_from_bundle(&b, site.catalog(), received()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ServiceRequest/trop-stat-7: no catalog test for code http://loinc.org|99999-9"
    );
}

#[test]
fn a_request_for_a_patient_outside_the_bundle_is_an_error() {
    let site = SiteConfig::default_site();
    let mut b = fixture("order-bundle");
    b["entry"][2]["resource"]["subject"]["reference"] = json!("Patient/nobody");
    let e = orders_from_bundle(&b, site.catalog(), received()).unwrap_err();
    assert!(matches!(e, FhirError::UnknownSubject { .. }), "{e}");
}

#[test]
fn requests_that_are_not_active_are_skipped_and_reported() {
    let site = SiteConfig::default_site();
    let mut b = fixture("order-bundle");
    b["entry"][3]["resource"]["status"] = json!("revoked");
    let imported = orders_from_bundle(&b, site.catalog(), received()).unwrap();
    assert_eq!(imported.orders.len(), 1);
    assert_eq!(imported.skipped, ["ServiceRequest/trop-stat-7 (revoked)"]);
}

#[test]
fn the_official_examples_pass_the_structural_checks() {
    for name in [
        "patient-example",
        "patient-pat1",
        "servicerequest-lipid",
        "specimen-101",
        "order-bundle",
    ] {
        assert_eq!(
            check_resource(&fixture(name)),
            Vec::<String>::new(),
            "{name}"
        );
    }
}

#[test]
fn the_structural_checks_catch_bad_codes_dates_and_empty_elements() {
    let bad = json!({
        "resourceType": "Specimen", "id": "no spaces allowed", "status": "drawn",
        "collection": {"collectedDateTime": "2024-05-01 08:10"}, "note": []
    });
    let problems = check_resource(&bad);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(
        check_resource(&json!({"resourceType": "Task", "status": "failed"}))[0].contains("intent")
    );
}

fn finalized_with_exception() -> FinalizedCollection {
    use crate::test_support::order;
    let mut c = identified(vec![
        order("sr-cbc", "CBC"),
        order("sr-lipid", "LIPID"),
        order("sr-ts", "TS"),
    ]);
    let now = t("2024-05-01T08:10:00+02:00");
    let tube_in = |container: &str| {
        c.tubes()
            .iter()
            .find(|x| x.tube.container.as_str() == container)
            .unwrap()
            .index
    };
    let (lipid_tube, cbc_tube) = (tube_in("gold-sst"), tube_in("lavender-edta"));
    c.record_fasting(FastingStatus::NotFasting, &nurse(), now)
        .unwrap();
    for (i, acc) in [(lipid_tube, "A10"), (cbc_tube, "A11")] {
        c.record_draw(i, now, None, &nurse(), now).unwrap();
        crate::test_support::label(&mut c, i, acc, now);
    }
    c.record_not_collected(
        Scope::Test(TestCode::parse("TS").unwrap()),
        NotCollectedReason::Refused,
        Some("patient declined the second tube"),
        &nurse(),
        now,
    )
    .unwrap();
    c.finalize(&nurse(), t("2024-05-01T08:12:00+02:00"))
        .unwrap()
}

#[test]
fn a_finalized_collection_becomes_one_specimen_per_tube_with_the_required_elements() {
    let site = SiteConfig::default_site();
    let f = finalized_with_exception();
    let specs = specimens(&f, &site, &FhirExport::default());
    assert_eq!(specs.len(), 2);
    let gold = &specs[0];
    assert_eq!(gold["resourceType"], "Specimen");
    assert_eq!(gold["status"], "available");
    assert_eq!(gold["accessionIdentifier"]["value"], "A10");
    assert_eq!(
        gold["accessionIdentifier"]["system"],
        "https://lab.example.org/fhir/sid/accession"
    );
    assert_eq!(gold["type"]["coding"][0]["code"], "SER");
    assert_eq!(gold["subject"]["reference"], "Patient/example");
    assert_eq!(gold["request"][0]["reference"], "ServiceRequest/sr-lipid");
    assert_eq!(
        gold["collection"]["collectedDateTime"],
        "2024-05-01T08:10:00+02:00"
    );
    assert_eq!(
        gold["collection"]["collector"]["identifier"]["value"],
        "phleb-042"
    );
    assert_eq!(
        gold["collection"]["fastingStatusCodeableConcept"]["coding"][0]["code"],
        "NF"
    );
    assert_eq!(gold["container"][0]["identifier"][0]["value"], "A10");
    assert_eq!(
        gold["container"][0]["additiveCodeableConcept"]["text"],
        "clot activator and gel"
    );
    assert_eq!(gold["condition"][0]["coding"][0]["code"], "ROOM");
    assert!(gold["note"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["text"].as_str().unwrap().contains("NOT fasting")));
    let lav = &specs[1];
    assert!(lav["collection"]
        .get("fastingStatusCodeableConcept")
        .is_none());
    for s in &specs {
        assert_eq!(check_resource(s), Vec::<String>::new());
    }
}

#[test]
fn our_specimens_use_the_same_element_shapes_as_the_official_specimen_example() {
    // Every element we write that the official example also has must have the same JSON
    // shape (array, object, string, number): a field written as an object where FHIR wants
    // an array would fail any real server.
    fn compare(ours: &Value, theirs: &Value, path: &str, checked: &mut usize) {
        let shape = |v: &Value| match v {
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "bool",
            Value::Null => "null",
        };
        assert_eq!(shape(ours), shape(theirs), "{path}");
        *checked += 1;
        match (ours, theirs) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in a {
                    if let Some(w) = b.get(k) {
                        compare(v, w, &format!("{path}.{k}"), checked);
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                compare(&a[0], &b[0], &format!("{path}[0]"), checked)
            }
            _ => {}
        }
    }
    let site = SiteConfig::default_site();
    let ours = &specimens(&finalized_with_exception(), &site, &FhirExport::default())[0];
    let mut checked = 0;
    compare(ours, &fixture("specimen-101"), "Specimen", &mut checked);
    assert!(checked > 30, "only {checked} elements compared");
}

#[test]
fn a_test_not_collected_becomes_a_task_with_the_coded_reason() {
    let f = finalized_with_exception();
    let tasks = not_collected_tasks(&f, &FhirExport::default());
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(task["status"], "failed");
    assert_eq!(task["intent"], "order");
    assert_eq!(task["statusReason"]["coding"][0]["code"], "refused");
    assert_eq!(
        task["statusReason"]["text"],
        "patient declined the second tube"
    );
    assert_eq!(task["focus"]["reference"], "ServiceRequest/sr-ts");
    assert_eq!(task["for"]["reference"], "Patient/example");
    assert_eq!(check_resource(task), Vec::<String>::new());
}

#[test]
fn the_export_bundle_is_valid_and_names_the_version_hash() {
    let site = SiteConfig::default_site();
    let f = finalized_with_exception();
    let b = collection_bundle(&f, &site, &FhirExport::default());
    assert_eq!(check_resource(&b), Vec::<String>::new());
    assert_eq!(b["type"], "transaction");
    assert_eq!(b["entry"].as_array().unwrap().len(), 3);
    assert!(b["identifier"]["value"]
        .as_str()
        .unwrap()
        .ends_with(f.hash().as_str()));
    assert_eq!(b["timestamp"], "2024-05-01T06:12:00Z");
}

#[test]
fn a_cancelled_order_becomes_a_cancelled_task() {
    use crate::test_support::order;
    let mut c = started(vec![order("sr-cbc", "CBC")]);
    let now = t("2024-05-01T08:10:00+02:00");
    c.record_not_collected(
        Scope::Visit,
        NotCollectedReason::Cancelled,
        None,
        &nurse(),
        now,
    )
    .unwrap();
    let f = c.finalize(&nurse(), now).unwrap();
    let tasks = not_collected_tasks(&f, &FhirExport::default());
    assert_eq!(tasks[0]["status"], "cancelled");
    assert!(specimens(&f, &SiteConfig::default_site(), &FhirExport::default()).is_empty());
}

#[test]
fn a_time_corrected_specimen_says_so_in_a_note() {
    let mut c = complete();
    let now = t("2024-05-01T08:11:00+02:00");
    c.correct_draw_time(
        1,
        t("2024-05-01T08:09:00+02:00"),
        "clock read late",
        &nurse(),
        now,
    )
    .unwrap();
    let f = c.finalize(&nurse(), now).unwrap();
    let s = &specimens(&f, &SiteConfig::default_site(), &FhirExport::default())[0];
    assert_eq!(
        s["collection"]["collectedDateTime"],
        "2024-05-01T08:09:00+02:00"
    );
    assert!(s["note"][0]["text"]
        .as_str()
        .unwrap()
        .contains("clock read late"));
}

#[test]
fn fhir_datetimes_are_recognised() {
    assert!(is_fhir_datetime("2024"));
    assert!(is_fhir_datetime("2024-05"));
    assert!(is_fhir_datetime("2024-05-01"));
    assert!(is_fhir_datetime("2024-05-01T08:10:00+02:00"));
    assert!(is_fhir_datetime("2011-05-30T06:15:00Z"));
    assert!(!is_fhir_datetime("2024-05-01T08:10"));
    assert!(!is_fhir_datetime("2024-13"));
    assert!(!is_fhir_datetime("01/05/2024"));
}

/// `finalized_with_exception` corrected (a draw time, with a reason) as version 2, then voided
/// as version 3.
fn corrected_then_voided() -> [FinalizedCollection; 3] {
    let v1 = finalized_with_exception();
    let now = t("2024-05-01T08:30:00+02:00");
    let mut draft = v1
        .start_correction("draw time read from the wrong clock", &nurse(), now)
        .unwrap();
    let tube = draft
        .tubes()
        .iter()
        .find(|x| x.drawn.is_some())
        .unwrap()
        .index;
    draft
        .correct_draw_time(
            tube,
            t("2024-05-01T08:05:00+02:00"),
            "drawn before the tablet was unlocked",
            &nurse(),
            now,
        )
        .unwrap();
    let v2 = draft.finalize(&nurse(), now).unwrap();
    let v3 = v2
        .void("collected on the wrong visit", &nurse(), now)
        .unwrap();
    [v1, v2, v3]
}

fn ids(resources: &[Value]) -> Vec<String> {
    resources
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_version_of_a_collection_writes_the_same_resource_ids() {
    let site = SiteConfig::default_site();
    let ctx = FhirExport::default();
    let [v1, v2, v3] = corrected_then_voided();
    let specimen_ids = ids(&specimens(&v1, &site, &ctx));
    let task_ids = ids(&not_collected_tasks(&v1, &ctx));
    assert_eq!(specimen_ids.len(), 2);
    assert_eq!(task_ids.len(), 1);
    for (n, v) in [(2, &v2), (3, &v3)] {
        assert_eq!(ids(&specimens(v, &site, &ctx)), specimen_ids, "version {n}");
        assert_eq!(ids(&not_collected_tasks(v, &ctx)), task_ids, "version {n}");
    }
    for id in specimen_ids.iter().chain(&task_ids) {
        assert!(id.starts_with(&v1.record().id().to_string()), "{id}");
        assert!(!id.contains("-v1"), "{id} names a version");
    }
    let s2 = &specimens(&v2, &site, &ctx);
    assert!(s2.iter().all(|s| s["meta"]["versionId"] == "2"));
    assert!(s2.iter().all(|s| s["status"] == "available"));
}

#[test]
fn a_void_marks_the_specimens_and_tasks_entered_in_error() {
    let site = SiteConfig::default_site();
    let ctx = FhirExport::default();
    let [_, _, v3] = corrected_then_voided();
    let s = specimens(&v3, &site, &ctx);
    assert!(s.iter().all(|x| x["status"] == "entered-in-error"));
    assert!(s.iter().all(|x| x["meta"]["versionId"] == "3"));
    assert!(s[0]["note"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["text"] == "Entered in error: collected on the wrong visit"));
    let tasks = not_collected_tasks(&v3, &ctx);
    assert_eq!(tasks[0]["status"], "entered-in-error");
    assert_eq!(tasks[0]["basedOn"][0]["reference"], "ServiceRequest/sr-ts");
    for r in s.iter().chain(&tasks) {
        assert_eq!(check_resource(r), Vec::<String>::new());
    }
}

#[test]
fn a_not_collected_task_is_based_on_its_order() {
    let tasks = not_collected_tasks(&finalized_with_exception(), &FhirExport::default());
    assert_eq!(tasks[0]["basedOn"][0]["reference"], "ServiceRequest/sr-ts");
    assert_eq!(tasks[0]["meta"]["versionId"], "1");
}

#[test]
fn the_bundle_of_a_correction_updates_the_same_resources() {
    let site = SiteConfig::default_site();
    let ctx = FhirExport::default();
    let [v1, v2, _] = corrected_then_voided();
    let (b1, b2) = (
        collection_bundle(&v1, &site, &ctx),
        collection_bundle(&v2, &site, &ctx),
    );
    let urls = |b: &Value| -> Vec<(String, String)> {
        b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["request"]["method"], "PUT");
                (
                    e["fullUrl"].as_str().unwrap().to_owned(),
                    e["request"]["url"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(urls(&b1), urls(&b2));
    assert_eq!(b2["type"], "transaction");
    assert_ne!(
        b1["id"], b2["id"],
        "each version's bundle is its own message"
    );
    assert_eq!(check_resource(&b2), Vec::<String>::new());
}

#[test]
fn an_independent_r4_validator_accepts_the_export_after_a_correction_and_after_a_void() {
    let site = SiteConfig::default_site();
    let ctx = FhirExport::default();
    let [_, v2, v3] = corrected_then_voided();
    let (b2, b3) = (
        collection_bundle(&v2, &site, &ctx),
        collection_bundle(&v3, &site, &ctx),
    );
    let (s3, t3) = (specimens(&v3, &site, &ctx), not_collected_tasks(&v3, &ctx));
    let order = fixture("servicerequest-lipid");
    let Some((code, out)) = crate::fhir_validator::run(
        "export",
        &[
            ("bundle-corrected", &b2),
            ("bundle-voided", &b3),
            ("specimen-voided", &s3[0]),
            ("task-voided", &t3[0]),
            ("servicerequest", &order),
        ],
    ) else {
        return;
    };
    assert_eq!(code, 0, "the validator refused the export:\n{out}");
    assert!(out.contains("5 file(s), 0 problem(s)"), "{out}");
}

#[test]
fn the_independent_validator_rejects_a_broken_resource() {
    let [_, _, v3] = corrected_then_voided();
    let mut specimen =
        specimens(&v3, &SiteConfig::default_site(), &FhirExport::default())[0].clone();
    specimen["status"] = json!("voided");
    specimen["voidedBy"] = json!("nurse");
    let mut task = not_collected_tasks(&v3, &FhirExport::default())[0].clone();
    task.as_object_mut().unwrap().remove("status");
    let mut order = fixture("servicerequest-lipid");
    order["intent"] = json!("wish");
    let Some((code, out)) = crate::fhir_validator::run(
        "broken",
        &[
            ("specimen", &specimen),
            ("task", &task),
            ("servicerequest", &order),
        ],
    ) else {
        return;
    };
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Specimen.status") && out.contains("\"voided\""),
        "{out}"
    );
    assert!(out.contains("Specimen.voidedBy"), "{out}");
    assert!(out.contains("Task.status"), "{out}");
    assert!(out.contains("ServiceRequest.intent"), "{out}");
}

/// Two troponin orders (0 h and 3 h, the 3 h one not collected), a trough drawn late with a
/// reason, all drawn in the right antecubital fossa after a failed attempt.
fn serial_orders_finalized() -> FinalizedCollection {
    use crate::collection::{BodySite, OrderId};
    use crate::test_support::{draw_time, label, order, trough};
    let mut c = identified(vec![
        order("sr-trop-0h", "TROP"),
        order("sr-trop-3h", "TROP"),
        trough("2024-05-01T07:00:00+02:00"),
    ]);
    let now = draw_time();
    c.record_failed_attempt(Some("vein collapsed"), &nurse(), now)
        .unwrap();
    c.begin_venipuncture(
        BodySite::RightAntecubital,
        crate::planner::Device::EvacuatedHolder,
        &SiteConfig::default_site(),
        &nurse(),
        now,
    )
    .unwrap();
    c.except(
        Scope::Order(OrderId::parse("sr-trop-3h").unwrap()),
        NotCollectedReason::Unavailable,
        Some("in CT"),
        &SiteConfig::default_site(),
        &nurse(),
        now,
    )
    .unwrap();
    let numbers: Vec<u32> = c.tubes().iter().map(|t| t.index).collect();
    for i in &numbers {
        if c.last_dose_missing(c.tubes().iter().find(|t| t.index == *i).unwrap()) {
            c.record_last_dose(*i, t("2024-05-01T01:00:00+02:00"), &nurse(), now)
                .unwrap();
        }
    }
    for (k, i) in numbers.into_iter().enumerate() {
        let reason = Some("dose was given late");
        c.record_draw(i, now, reason, &nurse(), now).unwrap();
        label(&mut c, i, &format!("S{k}"), now);
    }
    c.finalize(&nurse(), now).unwrap()
}

#[test]
fn serial_orders_export_one_specimen_per_order_with_the_body_site_and_the_window_reason() {
    let site = SiteConfig::default_site();
    let f = serial_orders_finalized();
    let specs = specimens(&f, &site, &FhirExport::default());
    let requests: Vec<Vec<&str>> = specs
        .iter()
        .map(|s| {
            s["request"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["reference"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert!(
        requests.contains(&vec!["ServiceRequest/sr-trop-0h"]),
        "{requests:?}"
    );
    assert!(!requests.iter().flatten().any(|r| r.ends_with("sr-trop-3h")));
    for s in &specs {
        let site = &s["collection"]["bodySite"];
        assert_eq!(site["coding"][0]["system"], BODY_SITE_SYSTEM_FOR_TESTS);
        assert_eq!(site["coding"][0]["code"], "RACF");
        let notes: Vec<&str> = s["note"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["text"].as_str().unwrap())
            .collect();
        assert!(
            notes
                .iter()
                .any(|n| n.contains("2 venipuncture attempts, 1 failed")),
            "{notes:?}"
        );
        assert_eq!(check_resource(s), Vec::<String>::new());
    }
    let trough = specs
        .iter()
        .find(|s| s["request"][0]["reference"] == "ServiceRequest/sr-vanc")
        .unwrap();
    assert!(trough["note"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["text"].as_str().unwrap().contains("dose was given late")));
    let tasks = not_collected_tasks(&f, &FhirExport::default());
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0]["basedOn"][0]["reference"],
        "ServiceRequest/sr-trop-3h"
    );
    assert_eq!(tasks[0]["statusReason"]["text"], "in CT");
}

#[test]
fn an_independent_r4_validator_accepts_serial_orders_body_sites_and_window_reasons() {
    let site = SiteConfig::default_site();
    let bundle = collection_bundle(&serial_orders_finalized(), &site, &FhirExport::default());
    let Some((code, out)) = crate::fhir_validator::run("serial", &[("bundle-serial", &bundle)])
    else {
        return;
    };
    assert_eq!(code, 0, "the validator refused the export:\n{out}");
    assert!(out.contains("1 file(s), 0 problem(s)"), "{out}");
}

const BODY_SITE_SYSTEM_FOR_TESTS: &str = "http://terminology.hl7.org/CodeSystem/v2-0163";
