//! Orders in over HTTP: CSV and FHIR, good rows stored, bad rows reported, re-imports not duplicated.

use drawline_server::api::ImportReport;
use serde_json::{json, Value};

use crate::fixtures;
use crate::helpers::{assert_status, problem_code, spawn_supervised, TestApp};

async fn import(app: &TestApp, token: &str, content_type: &str, body: String) -> reqwest::Response {
    app.post("/orders?round=Imported", token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Where each rejected row or entry of an import is.
fn rejected_at(report: &ImportReport) -> Vec<&str> {
    report
        .rejected
        .iter()
        .map(|p| p.location.as_str())
        .collect()
}

/// A CSV import that must be answered with a report.
async fn import_csv(app: &TestApp, token: &str, csv: String) -> ImportReport {
    let res = import(app, token, "text/csv", csv).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_good_csv_imports_every_order_into_its_round() {
    let (app, sup) = spawn_supervised().await;
    let res = import(&app, &sup, "text/csv", fixtures::orders_csv()).await;
    assert_eq!(res.status(), 200);
    let report: ImportReport = res.json().await.unwrap();
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (3, 0, 0)
    );
    assert!(report.rejected.is_empty());
    let rounds: Vec<Value> = app.get_ok("/rounds", &sup).await;
    assert!(rounds.iter().any(|r| r["name"] == "Ward 2"));
}

#[tokio::test]
async fn importing_the_same_orders_again_creates_no_duplicates() {
    let (app, sup) = spawn_supervised().await;
    import(&app, &sup, "text/csv", fixtures::orders_csv()).await;
    let report: ImportReport = import_csv(&app, &sup, fixtures::orders_csv()).await;
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, 3)
    );
    let changed = fixtures::orders_csv().replace("CBC,stat", "CBC,urgent");
    let report: ImportReport = import_csv(&app, &sup, changed).await;
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 1, 2)
    );
}

#[tokio::test]
async fn bad_csv_rows_are_reported_with_their_line_and_the_good_ones_still_import() {
    let (app, sup) = spawn_supervised().await;
    let csv = "order_id,mrn,family,given,birth_date,test\n\
               g-1,MRN601,Kim,Soo,1980-01-01,CBC\n\
               b-1,MRN602,Lee,,1980-01-01,CBC\n\
               b-2,MRN603,Park,Min,1980-01-01,XYZ\n\
               g-2,MRN604,Choi,Hana,1999-12-31,TSH\n";
    let report: ImportReport = import_csv(&app, &sup, csv.into()).await;
    assert_eq!(report.created, 2);
    let where_ = rejected_at(&report);
    assert_eq!(where_, vec!["line 3", "line 4"]);
    assert!(report.rejected[0].reason.contains("given"));
    assert!(report.rejected[1].reason.contains("XYZ"));
}

#[tokio::test]
async fn an_order_id_that_already_belongs_to_another_patient_is_rejected_not_moved() {
    let (app, sup) = spawn_supervised().await;
    import(&app, &sup, "text/csv", fixtures::orders_csv()).await;
    let csv = "order_id,mrn,family,given,birth_date,test\no-1,MRN999,Other,Person,1990-01-01,CBC\n";
    let report: ImportReport = import_csv(&app, &sup, csv.into()).await;
    assert_eq!(report.created + report.updated, 0);
    assert!(report.rejected[0].reason.contains("another patient"));
}

#[tokio::test]
async fn a_csv_with_an_unusable_header_is_a_422_problem() {
    let (app, sup) = spawn_supervised().await;
    let res = import(&app, &sup, "text/csv", "name,dob\nx,y\n".into()).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem_code(res).await, "invalid_csv");
}

fn bundle() -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:7f1b5b0e-2f0c-4a55-9a77-1f0cd1c1e001",
             "resource": {"resourceType": "Patient", "id": "pat-1",
                "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}, "value": "MRN701"}],
                "name": [{"use": "official", "family": "Ortega", "given": ["Lucia"]}],
                "birthDate": "1962-04-11"}},
            {"resource": {"resourceType": "ServiceRequest", "id": "sr-1", "status": "active", "intent": "order",
                "priority": "stat",
                "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]},
                "subject": {"reference": "urn:uuid:7f1b5b0e-2f0c-4a55-9a77-1f0cd1c1e001"},
                "authoredOn": "2025-01-10T07:00:00Z"}},
            {"resource": {"resourceType": "ServiceRequest", "id": "sr-2", "status": "active", "intent": "order",
                "code": {"coding": [{"system": "http://example.org/codes", "code": "NOT-A-TEST"}]},
                "subject": {"reference": "Patient/pat-1"}}},
            {"resource": {"resourceType": "ServiceRequest", "id": "sr-3", "status": "active", "intent": "order",
                "code": {"coding": [{"code": "VANCT"}]},
                "occurrenceDateTime": "2025-01-10T11:30:00Z",
                "subject": {"reference": "Patient/pat-404"}}},
            {"resource": {"resourceType": "Observation", "id": "obs-1"}}
        ]
    })
}

#[tokio::test]
async fn a_fhir_bundle_imports_its_good_requests_and_reports_the_bad_entries_by_index() {
    let (app, sup) = spawn_supervised().await;
    let res = import(&app, &sup, "application/fhir+json", bundle().to_string()).await;
    assert_eq!(res.status(), 200);
    let report: ImportReport = res.json().await.unwrap();
    assert_eq!(report.created, 1);
    let where_ = rejected_at(&report);
    assert_eq!(
        where_,
        vec!["Bundle.entry[2]", "Bundle.entry[3]", "Bundle.entry[4]"]
    );
    assert!(report.rejected[1].reason.contains("pat-404"));

    let again: ImportReport = import(&app, &sup, "application/json", bundle().to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((again.created, again.unchanged), (0, 1));
}

#[tokio::test]
async fn a_json_body_that_is_not_a_bundle_is_a_422_and_broken_json_a_400() {
    let (app, sup) = spawn_supervised().await;
    let res = import(
        &app,
        &sup,
        "application/fhir+json",
        r#"{"resourceType":"Patient"}"#.into(),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem_code(res).await, "not_a_bundle");
    let res = import(
        &app,
        &sup,
        "application/fhir+json",
        "{\"resourceType\":".into(),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(problem_code(res).await, "malformed_json");
}

#[tokio::test]
async fn a_supervisor_assigns_a_round_to_a_device_and_it_appears_on_that_worklist() {
    let (app, sup) = spawn_supervised().await;
    let tablet = app.enroll("Ward 2 tablet").await;
    import(&app, &sup, "text/csv", fixtures::orders_csv()).await;
    assert_status(
        app.post("/rounds", &sup)
            .json(&json!({ "name": "Ward 2", "device_id": tablet.device_id })),
        200,
    )
    .await;
    let reader = app.collector_on(&tablet.token).await;
    let w: drawline_server::api::Worklist = app.get_ok("/worklist", &reader).await;
    assert_eq!(w.orders.len(), 3);
    let timed = w
        .orders
        .iter()
        .find(|o| o.order.test.as_str() == "VANCT")
        .unwrap();
    assert!(timed.order.due_at.is_some());
    assert_status(
        app.post("/rounds", &sup)
            .json(&json!({ "name": "Ward 2", "device_id": uuid::Uuid::new_v4() })),
        422,
    )
    .await;
}
