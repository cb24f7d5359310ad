//! Collections out: the FHIR Specimen route returns the domain mapping of what devices sent.

use chrono::{Duration, Utc};
use serde_json::Value;

use crate::fixtures;
use crate::helpers::{assert_status, spawn_supervised, TestApp};

/// A server with a signed-in supervisor (answered: its session token) and one finalized
/// collection a tablet sent.
async fn app_with_one_collection() -> (TestApp, String) {
    let (app, sup) = spawn_supervised().await;
    let tablet = app.enroll("Tablet").await;
    let f = fixtures::finalized_collection(uuid::Uuid::new_v4());
    fixtures::push_stored(app.store.as_ref(), tablet.device_id, &f).await;
    (app, sup)
}

#[tokio::test]
async fn received_collections_come_out_as_a_bundle_of_specimens() {
    let (app, sup) = app_with_one_collection().await;

    let res = app.get("/fhir/Specimen", &sup).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/fhir+json");
    let bundle: Value = res.json().await.unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "searchset");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "one Specimen per drawn tube (PT, CBC)");
    for e in entries {
        assert_eq!(e["resource"]["resourceType"], "Specimen");
        assert!(e["fullUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://lab.example.org/fhir/Specimen/"));
    }
}

#[tokio::test]
async fn since_leaves_out_collections_received_before_it() {
    let (app, sup) = app_with_one_collection().await;
    let later =
        (Utc::now() + Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let bundle: Value = app
        .get_ok(&format!("/fhir/Specimen?since={later}"), &sup)
        .await;
    assert_eq!(bundle["total"], 0);
    assert!(bundle.get("entry").is_none(), "FHIR forbids empty arrays");
    assert_status(app.get("/fhir/Specimen?since=yesterday", &sup), 400).await;
}
