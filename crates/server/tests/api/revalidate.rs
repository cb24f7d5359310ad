//! The lab re-validates every pushed version: one fabricated record per rule, each refused with
//! its stable code and a reason that quotes nothing of the patient; an order off the device's
//! rounds is held for a supervisor, not refused; the good record is still stored exactly once.

use chrono::{Duration, Utc};
use drawline_domain::{Collection, ContentHash, FinalizedCollection};
use drawline_server::api::{push_codes, PushResult, QueuePage, RecordOutcome};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{push_body, spawn_tablet, TestApp};

/// What no answer to a device may quote: the fixture patient's name, MRN, date of birth and
/// patient id, and those of the other patient some tests import.
const SECRETS: [&str; 10] = [
    "Chalmers", "Peter", "12345", "1974", "example", "Okafor", "Ada", "67890", "1980", "pat-b",
];

fn assert_quotes_no_patient(text: &str) {
    for secret in SECRETS {
        assert!(
            !text.to_lowercase().contains(&secret.to_lowercase()),
            "{secret:?} quoted in {text:?}"
        );
    }
}

/// The fixture collection with its record changed as JSON, re-hashed as a fabricating device
/// would (the hash proves nothing about who made the content).
fn fabricated(edit: impl FnOnce(&mut Value)) -> Value {
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let mut record = serde_json::to_value(f.record()).unwrap();
    edit(&mut record);
    let c: Collection = serde_json::from_value(record).unwrap();
    let hash = ContentHash::of(&c).unwrap().to_string();
    json!({
        "id": c.id().0,
        "version": c.version(),
        "supersedes": null,
        "content_hash": hash,
        "collection": { "record": c, "hash": hash },
    })
}

/// The fixture collection's JSON text with `from` replaced by `to` everywhere.
fn replaced(from: &str, to: &str) -> Value {
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let text = serde_json::to_string(f.record()).unwrap().replace(from, to);
    let c: Collection = serde_json::from_str(&text).unwrap();
    let hash = ContentHash::of(&c).unwrap().to_string();
    json!({
        "id": c.id().0,
        "version": 1,
        "supersedes": null,
        "content_hash": hash,
        "collection": { "record": c, "hash": hash },
    })
}

async fn push_one(app: &TestApp, token: &str, record: Value) -> PushResult {
    app.push(token, vec![record]).await.results.remove(0)
}

/// Pushes `record` from the tablet whose rounds hold its orders; it must be refused with `code`
/// and a reason (also in the audit log) that quotes no patient data.
async fn refused_with(app: &TestApp, token: &str, record: Value, code: &str) {
    let r = push_one(app, token, record).await;
    assert_eq!(r.outcome, RecordOutcome::Rejected, "{r:?}");
    assert_eq!(r.code.as_deref(), Some(code), "{r:?}");
    assert!(r.receipt.is_none());
    assert_quotes_no_patient(r.reason.as_deref().unwrap());
    assert_audit_quotes_no_patient(app);
}

fn assert_audit_quotes_no_patient(app: &TestApp) {
    let db = app.sqlite();
    let mut q = db
        .prepare("SELECT action || ' ' || COALESCE(detail, '') FROM audit_log WHERE action LIKE 'collection.%'")
        .unwrap();
    let rows: Vec<String> = q
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for row in rows {
        assert_quotes_no_patient(&row);
    }
}

fn stored_versions(app: &TestApp) -> i64 {
    app.sqlite()
        .query_row("SELECT COUNT(*) FROM collection_versions", [], |r| r.get(0))
        .unwrap()
}

fn order_status(app: &TestApp, id: &str) -> String {
    app.sqlite()
        .query_row("SELECT status FROM orders WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
}

#[tokio::test]
async fn an_order_of_another_devices_round_is_held_for_the_supervisor_and_not_refused() {
    let (app, _, _) = spawn_tablet().await;
    let stranger = app.enroll("Tablet with no rounds").await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let r = push_one(&app, &stranger.token, fixtures::record(&f)).await;
    assert_eq!(r.outcome, RecordOutcome::Accepted, "{r:?}");
    assert!(
        r.receipt.is_some(),
        "stored, so the tablet's record is not lost"
    );
    assert_eq!(r.code.as_deref(), Some(push_codes::HELD_OFF_ROUND));
    assert_quotes_no_patient(r.reason.as_deref().unwrap());
    // The other tablet's order is not marked collected.
    assert_eq!(order_status(&app, "sr-pt"), "open");
    assert_eq!(order_status(&app, "sr-cbc"), "open");

    // An order the lab does not know answers the same: the tablet learns nothing either way.
    let unknown = push_one(&app, &stranger.token, replaced("sr-pt", "zz-pt")).await;
    assert_eq!(unknown.outcome, r.outcome);
    assert_eq!(unknown.code, r.code);
    assert_eq!(unknown.reason, r.reason);

    // The supervisor sees both first, flagged, and releases the one of a real order.
    let (_, sup) = app.supervisor().await;
    let page: QueuePage = app.get_ok("/supervisor/queue", &sup).await;
    let held: Vec<_> = page.items.iter().take(2).collect();
    assert!(held.iter().all(|i| i.flags.off_round), "{page:?}");
    assert!(held
        .iter()
        .all(|i| i.code.as_deref() == Some(push_codes::HELD_OFF_ROUND)));
    let item = page
        .items
        .iter()
        .find(|i| i.collection_id == f.record().id().0)
        .unwrap();
    assert!(item.reason.as_deref().unwrap().contains("off round"));
    let only: QueuePage = app.get_ok("/supervisor/queue?flag=off_round", &sup).await;
    assert_eq!(only.items.len(), 2);
    let res = app
        .post(
            &format!("/supervisor/collections/{}/hold", f.record().id().0),
            &sup,
        )
        .json(&json!({ "decision": "release", "note": "ward swapped tablets" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(order_status(&app, "sr-pt"), "collected");
    assert_eq!(order_status(&app, "sr-cbc"), "collected");
    let after: QueuePage = app.get_ok("/supervisor/queue?flag=off_round", &sup).await;
    assert_eq!(
        after.items.len(),
        1,
        "only the unknown order's collection is still held"
    );
    // Resolved once: a second decision has nothing to resolve.
    let again = app
        .post(
            &format!("/supervisor/collections/{}/hold", f.record().id().0),
            &sup,
        )
        .json(&json!({ "decision": "dismiss" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_audit_quotes_no_patient(&app);
}

#[tokio::test]
async fn a_draw_without_identification_is_refused() {
    let (app, _, token) = spawn_tablet().await;
    let record = fabricated(|r| r["identification"] = Value::Null);
    refused_with(&app, &token, record, push_codes::IDENTIFICATION_MISSING).await;
}

#[tokio::test]
async fn a_patient_with_the_wrong_mrn_is_refused_naming_the_mrn_only() {
    let (app, _, token) = spawn_tablet().await;
    let record = fabricated(|r| r["patient"]["identity"]["mrn"] = "99999".into());
    let r = push_one(&app, &token, record.clone()).await;
    assert!(
        r.reason.as_deref().unwrap().ends_with("on the MRN"),
        "{r:?}"
    );
    assert!(!r.reason.as_deref().unwrap().contains("99999"));
    refused_with(&app, &token, record, push_codes::IDENTIFICATION_MISMATCH).await;
}

#[tokio::test]
async fn a_patient_with_the_wrong_name_is_refused() {
    let (app, _, token) = spawn_tablet().await;
    let record = fabricated(|r| r["patient"]["identity"]["name"]["family"] = "Chalmerz".into());
    let r = push_one(&app, &token, record.clone()).await;
    assert!(
        r.reason.as_deref().unwrap().ends_with("on the name"),
        "{r:?}"
    );
    refused_with(&app, &token, record, push_codes::IDENTIFICATION_MISMATCH).await;
}

#[tokio::test]
async fn a_patient_with_the_wrong_date_of_birth_is_refused() {
    let (app, _, token) = spawn_tablet().await;
    let record = fabricated(|r| r["patient"]["identity"]["birth_date"] = "1974-12-24".into());
    let r = push_one(&app, &token, record.clone()).await;
    assert!(
        r.reason
            .as_deref()
            .unwrap()
            .ends_with("on the date of birth"),
        "{r:?}"
    );
    refused_with(&app, &token, record, push_codes::IDENTIFICATION_MISMATCH).await;
}

#[tokio::test]
async fn an_order_with_neither_a_tube_nor_an_exception_is_refused() {
    let (app, _, token) = spawn_tablet().await;
    let record = fabricated(|r| {
        r["tubes"] = json!([]);
        r["identification"] = Value::Null;
    });
    refused_with(&app, &token, record, push_codes::NO_TUBE_OR_EXCEPTION).await;
}

#[tokio::test]
async fn a_draw_time_in_the_future_is_refused() {
    let (app, _, token) = spawn_tablet().await;
    let tomorrow = Utc::now() + Duration::days(1);
    let record = fabricated(|r| r["tubes"][0]["drawn"]["at"]["utc"] = json!(tomorrow));
    refused_with(&app, &token, record, push_codes::TIME_IN_FUTURE).await;
}

#[tokio::test]
async fn a_draw_time_before_the_order_was_placed_is_refused() {
    let (app, _, token) = spawn_tablet().await;
    let record =
        fabricated(|r| r["tubes"][0]["drawn"]["at"]["utc"] = "2024-04-30T06:00:00Z".into());
    refused_with(&app, &token, record, push_codes::TIME_BEFORE_ORDER).await;
}

#[tokio::test]
async fn a_collector_who_is_not_a_user_of_the_lab_is_refused() {
    let (app, _, token) = spawn_tablet().await;
    refused_with(
        &app,
        &token,
        replaced(fixtures::NURSE_1, "00000000-0000-4000-8000-00000000dead"),
        push_codes::UNKNOWN_COLLECTOR,
    )
    .await;
}

#[tokio::test]
async fn a_collector_who_is_no_longer_active_is_refused() {
    let (app, _, token) = spawn_tablet().await;
    app.sqlite()
        .execute(
            "UPDATE users SET active = 0 WHERE id = ?1",
            [fixtures::NURSE_1],
        )
        .unwrap();
    let f = fixtures::finalized_collection(Uuid::new_v4());
    refused_with(
        &app,
        &token,
        fixtures::record(&f),
        push_codes::INACTIVE_COLLECTOR,
    )
    .await;
}

#[tokio::test]
async fn a_tube_label_of_another_patients_order_is_refused_as_wrong_blood_in_tube() {
    let (app, device, token) = spawn_tablet().await;
    let (_, sup) = app.supervisor().await;
    let csv = "order_id,patient_id,mrn,family,given,birth_date,test,round,accession\n\
               b-cbc,pat-b,67890,Okafor,Ada,1980-01-02,CBC,Ward 9,LAB900\n";
    let res = app.post_csv(&sup, csv).send().await.unwrap();
    assert_eq!(res.status(), 200);
    app.assign_round("Ward 9", device).await;
    refused_with(
        &app,
        &token,
        replaced("A0001", "LAB900"),
        push_codes::WRONG_BLOOD_IN_TUBE,
    )
    .await;
}

#[tokio::test]
async fn a_malformed_record_is_refused_without_quoting_what_it_carried() {
    let (app, _, token) = spawn_tablet().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let mut record = fixtures::record(&f);
    record["version"] = "Chalmers 12345".into();
    refused_with(&app, &token, record, push_codes::MALFORMED_RECORD).await;
    let mut record = fixtures::record(&f);
    record["collection"]["record"]["patient"]["identity"]["mrn"] = "Peter 1974".into();
    refused_with(&app, &token, record, push_codes::INVALID_RECORD).await;
}

#[tokio::test]
async fn the_valid_record_is_still_stored_exactly_once() {
    let (app, _, token) = spawn_tablet().await;
    let f: FinalizedCollection = fixtures::finalized_collection(Uuid::new_v4());
    let first = push_one(&app, &token, fixtures::record(&f)).await;
    assert_eq!(first.outcome, RecordOutcome::Accepted, "{first:?}");
    assert_eq!(first.code, None);
    let body = push_body(
        vec![fixtures::record(&f), fixtures::record(&f)],
        Utc::now().fixed_offset(),
    );
    let res = app.push_raw(&token, &body).await;
    assert_eq!(res.status(), 200);
    let again: drawline_server::api::PushResponse = res.json().await.unwrap();
    for r in &again.results {
        assert_eq!(r.outcome, RecordOutcome::Duplicate);
        assert_eq!(r.receipt, first.receipt);
    }
    assert_eq!(stored_versions(&app), 1);
    assert_eq!(order_status(&app, "sr-pt"), "collected");
}

#[tokio::test]
async fn a_resend_of_a_stored_version_is_a_duplicate_even_after_its_collector_left() {
    let (app, _, token) = spawn_tablet().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let first = push_one(&app, &token, fixtures::record(&f)).await;
    assert_eq!(first.outcome, RecordOutcome::Accepted, "{first:?}");
    app.sqlite()
        .execute(
            "UPDATE users SET active = 0 WHERE id = ?1",
            [fixtures::NURSE_1],
        )
        .unwrap();
    let again = push_one(&app, &token, fixtures::record(&f)).await;
    assert_eq!(again.outcome, RecordOutcome::Duplicate);
    assert_eq!(again.receipt, first.receipt);
}
