//! Per-device quotas (pushes per minute, kept refusals per day, stored bytes) and a bounded audit log.

use std::time::Duration;

use drawline_server::api::RecordOutcome;
use drawline_server::store::AuditStore;
use drawline_server::Limits;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{problem_code, push_body, spawn_app_with, spawn_tablet, TestApp};

/// A server with these limits and a tablet holding the fixtures' orders: (app, device token).
async fn tablet_with(limits: Limits) -> (TestApp, String) {
    let app = spawn_app_with(|s| s.with_limits(limits)).await;
    let (_, token) = app.device_with_orders("Tablet").await;
    (app, token)
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.sqlite().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn a_device_over_its_pushes_per_minute_gets_429_with_retry_after_and_then_gets_through() {
    let (app, token) = tablet_with(Limits {
        max_pushes_per_minute: 2,
        push_rate_window: Duration::from_secs(2),
        ..Limits::default()
    })
    .await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    app.push(&token, vec![]).await;
    app.push(&token, vec![]).await;
    let body = push_body(
        vec![fixtures::record(&f)],
        chrono::Utc::now().fixed_offset(),
    );
    let res = app.push_raw(&token, &body).await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(problem_code(res).await, "quota_exceeded");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM collections"), 0);
    // Another device is not held back by this one.
    let (_, other) = app.device_with_orders("Other tablet").await;
    app.push(&other, vec![]).await;

    tokio::time::sleep(Duration::from_secs(wait)).await;
    let out = app.push(&token, vec![fixtures::record(&f)]).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Accepted);
}

/// Bytes of refused bodies the lab holds, in every table that keeps them.
fn refused_bytes(app: &TestApp) -> (i64, i64) {
    (
        count(
            app,
            "SELECT COALESCE(SUM(LENGTH(body)), 0) FROM push_attempts WHERE body IS NOT NULL",
        ),
        count(app, "SELECT COUNT(*) FROM record_facts"),
    )
}

#[tokio::test]
async fn a_device_over_its_kept_refusals_gets_body_not_kept_and_the_database_stops_growing() {
    let (app, token) = tablet_with(Limits {
        max_kept_refusals_per_day: 2,
        ..Limits::default()
    })
    .await;
    let id = Uuid::new_v4();
    app.push_collections(&token, &[&fixtures::finalized_collection(id)])
        .await;
    // Versions 1 of the same id with other contents: conflicts.
    let conflicting = |n: usize| {
        let (a, b) = (format!("A1{n:03}"), format!("A2{n:03}"));
        fixtures::record(&fixtures::finalized_collection_with(
            id,
            [a.as_str(), b.as_str()],
        ))
    };
    let out = app.push(&token, vec![conflicting(0), conflicting(1)]).await;
    assert!(out
        .results
        .iter()
        .all(|r| r.outcome == RecordOutcome::Conflict
            && r.code.as_deref() == Some("version_conflict")));
    let before = refused_bytes(&app);
    let pages_before = count(&app, "PRAGMA page_count");
    assert!(before.0 > 0);

    let out = app.push(&token, (2..40).map(conflicting).collect()).await;
    for r in &out.results {
        assert_eq!(r.outcome, RecordOutcome::Conflict);
        assert_eq!(r.code.as_deref(), Some("body_not_kept"));
        assert!(r.reason.as_deref().unwrap().contains("version_conflict"));
    }
    assert_eq!(refused_bytes(&app), before);
    // The refusals are recorded, each with its hash and size only.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM push_attempts
             WHERE body IS NULL AND body_bytes > 0 AND content_hash IS NOT NULL"
        ),
        38
    );
    // 38 whole bodies would be far more than a few pages.
    let one_body = before.0 / 2;
    let page_size = count(&app, "PRAGMA page_size");
    let grown = (count(&app, "PRAGMA page_count") - pages_before) * page_size;
    assert!(
        grown < 10 * one_body,
        "{grown} bytes for 38 refusals of {one_body}"
    );
}

#[tokio::test]
async fn a_push_that_would_take_a_device_over_its_stored_bytes_is_refused_507_and_stores_nothing() {
    let first = fixtures::finalized_collection(Uuid::new_v4());
    let one = serde_json::to_string(&first).unwrap().len() as u64;
    let (app, token) = tablet_with(Limits {
        max_stored_bytes_per_device: one + one / 2,
        ..Limits::default()
    })
    .await;
    app.push_collections(&token, &[&first]).await;
    let second = fixtures::finalized_collection_with(Uuid::new_v4(), ["A0003", "A0004"]);
    let body = push_body(
        vec![fixtures::record(&second)],
        chrono::Utc::now().fixed_offset(),
    );
    let res = app.push_raw(&token, &body).await;
    assert_eq!(res.status(), 507);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(problem_code(res).await, "storage_quota_exceeded");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM collections"), 1);
    // A resend of what the lab holds still gets its receipt.
    let out = app.push_collections(&token, &[&first]).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Duplicate);
}

#[tokio::test]
async fn fifty_bad_pushes_write_one_audit_row_each_with_codes_and_no_record_text() {
    let (app, _, token) = spawn_tablet().await;
    let before = count(&app, "SELECT COUNT(*) FROM audit_log");
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let mut wrong_hash = fixtures::record(&f);
    wrong_hash["content_hash"] = json!("0".repeat(64));
    for _ in 0..50 {
        let records = vec![
            // Record text the reason would quote (a patient's name where a number belongs).
            json!({"id": Uuid::new_v4(), "version": "CHALMERS PETER 12345"}),
            json!({"id": "CHALMERS", "version": 1}),
            wrong_hash.clone(),
            json!(42),
        ];
        let out = app.push(&token, records).await;
        assert!(out
            .results
            .iter()
            .all(|r| r.outcome == RecordOutcome::Rejected));
    }
    let rows = count(&app, "SELECT COUNT(*) FROM audit_log") - before;
    assert_eq!(rows, 50, "one summary per push, not one per record");
    let details: Vec<String> = {
        let db = app.sqlite();
        let mut stmt = db
            .prepare("SELECT COALESCE(detail, '') || ' ' || action FROM audit_log")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    for d in &details {
        assert!(!d.contains("CHALMERS") && !d.contains("12345"), "{d}");
    }
    let summary: Value = serde_json::from_str(
        details
            .iter()
            .rev()
            .find(|d| d.ends_with("sync.push_refusals"))
            .unwrap()
            .trim_end_matches("sync.push_refusals")
            .trim(),
    )
    .unwrap();
    assert_eq!(summary["rejected"], 4);
    assert_eq!(summary["codes"]["malformed_record"], 3);
    assert_eq!(summary["codes"]["hash_mismatch"], 1);
}

#[tokio::test]
async fn a_review_note_and_a_cancel_reason_stay_out_of_the_audit_log() {
    let (app, _, token) = spawn_tablet().await;
    let (_, supervisor) = app.supervisor().await;
    let res = app
        .post("/orders/sr-pt/cancel", &supervisor)
        .json(&json!({"reason": "CHALMERS went home"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let f = fixtures::finalized_collection(Uuid::new_v4());
    app.push_collections(&token, &[&f]).await;
    let id = f.record().id().0;
    let res = app
        .post(&format!("/supervisor/collections/{id}/notes"), &supervisor)
        .json(&json!({"text": "CHALMERS bruised easily"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let log = app.store.audit_log(100).await.unwrap();
    assert!(log.iter().any(|a| a.action == "collection.noted"));
    assert!(log.iter().any(|a| a.action == "order.cancelled"));
    for a in &log {
        let detail = a.detail.as_deref().unwrap_or_default();
        assert!(!detail.contains("CHALMERS"), "{}: {detail}", a.action);
    }
}

#[tokio::test]
async fn a_device_over_its_recorded_refusals_of_the_day_is_counted_not_recorded_one_by_one() {
    let (app, token) = tablet_with(Limits {
        max_recorded_attempts_per_day: 5,
        ..Limits::default()
    })
    .await;
    let records: Vec<Value> = (0..8).map(|i| json!({"id": i})).collect();
    let out = app.push(&token, records).await;
    assert!(out
        .results
        .iter()
        .all(|r| r.outcome == RecordOutcome::Rejected
            && r.code.as_deref() == Some("malformed_record")));
    let out = app.push(&token, vec![json!(1), json!(2)]).await;
    assert_eq!(out.results.len(), 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM push_attempts"), 5);
    let unrecorded = count(
        &app,
        "SELECT SUM(json_extract(detail, '$.unrecorded')) FROM audit_log
         WHERE action = 'sync.push_refusals'",
    );
    assert_eq!(unrecorded, 5);
}
