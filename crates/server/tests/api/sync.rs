//! The sync protocol over a real socket: push is idempotent and transactional, answered per
//! record; pull follows a server cursor; heartbeats and clock skew are recorded.

use chrono::{Duration, FixedOffset, Utc};
use drawline_domain::FinalizedCollection;
use drawline_server::api::{
    DeviceHeartbeat, OrderStatus, PullResponse, PushResponse, RecordOutcome, MAX_PUSH_RECORDS,
};
use drawline_server::store::{OrderStore, PeopleStore, SyncStore};
use drawline_server::SyncSettings;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{
    assert_problem, assert_status, problem_code, push_body, spawn_app, spawn_app_with,
    spawn_enrolled, spawn_tablet, TestApp,
};

async fn stored_versions(app: &TestApp, device: Uuid) -> usize {
    let mut n = 0;
    for c in app.store.list_collections(Some(device)).await.unwrap() {
        n += app.store.collection_versions(c.id).await.unwrap().len();
    }
    n
}

#[tokio::test]
async fn a_collection_pushed_twice_is_accepted_then_a_duplicate_with_the_original_receipt() {
    let (app, device, token) = spawn_tablet().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());

    let first = app.push(&token, vec![fixtures::record(&f)]).await;
    assert_eq!(first.results.len(), 1);
    assert_eq!(first.results[0].outcome, RecordOutcome::Accepted);
    assert_eq!(first.results[0].id, f.record().id().0);
    let receipt = first.results[0].receipt.clone().unwrap();
    assert_eq!(receipt.content_hash, f.hash().as_str());

    let again = app.push(&token, vec![fixtures::record(&f)]).await;
    assert_eq!(again.results[0].outcome, RecordOutcome::Duplicate);
    assert_eq!(again.results[0].receipt.as_ref(), Some(&receipt));
    assert_eq!(stored_versions(&app, device).await, 1);

    assert_eq!(app.audited("collection.received").await, 1);
}

#[tokio::test]
async fn another_hash_under_the_same_id_without_a_correct_supersedes_is_a_conflict() {
    let (app, device, token) = spawn_tablet().await;
    let id = Uuid::new_v4();
    let v1 = fixtures::finalized_collection(id);
    let other_v1 = fixtures::finalized_collection_with(id, ["B0001", "B0002"]);
    let v2 = fixtures::correction_of(&v1);

    // The correction before the version it corrects: the server cannot place it.
    let out = app.push(&token, vec![fixtures::record(&v2)]).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Conflict);
    assert_eq!(out.results[0].code.as_deref(), Some("version_conflict"));

    let out = app.push_collections(&token, &[&v1, &other_v1]).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Accepted);
    assert_eq!(out.results[1].outcome, RecordOutcome::Conflict);
    assert!(out.results[1].receipt.is_none());
    assert!(out.results[1]
        .reason
        .as_deref()
        .unwrap()
        .contains("supersede"));

    // A correction of a version the server does not hold (other_v1's hash) is a conflict too.
    let wrong_base = fixtures::correction_of(&other_v1);
    let out = app.push_collections(&token, &[&wrong_base, &v2]).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Conflict);
    assert_eq!(out.results[1].outcome, RecordOutcome::Accepted);
    let versions = app.store.collection_versions(id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(versions[1].content_hash, v2.hash().as_str());
    assert_eq!(stored_versions(&app, device).await, 2);
}

#[tokio::test]
async fn a_rejected_record_does_not_block_the_other_records_of_its_batch() {
    let (app, device, token) = spawn_tablet().await;
    let a = fixtures::finalized_collection(Uuid::new_v4());
    let b = fixtures::finalized_collection(Uuid::new_v4());
    let mut draft = fixtures::record(&fixtures::finalized_collection(Uuid::new_v4()));
    draft["collection"]["record"]["status"] = json!("labelled");
    let records = vec![
        fixtures::record(&a),
        json!({"id": "not a uuid", "version": "one"}),
        json!(42),
        draft,
        json!({"id": Uuid::new_v4(), "version": 1, "supersedes": null,
               "content_hash": "0".repeat(64), "collection": {"record": {}, "hash": "0".repeat(64)}}),
        fixtures::record(&b),
    ];
    let out = app.push(&token, records).await;
    let outcomes: Vec<_> = out.results.iter().map(|r| r.outcome).collect();
    use RecordOutcome::*;
    assert_eq!(
        outcomes,
        vec![Accepted, Rejected, Rejected, Rejected, Rejected, Accepted]
    );
    let codes: Vec<_> = out.results.iter().map(|r| r.code.as_deref()).collect();
    assert_eq!(
        codes,
        vec![
            None,
            Some("malformed_record"),
            Some("malformed_record"),
            Some("not_finalized"),
            Some("invalid_record"),
            None
        ]
    );
    assert!(out.results[1..5].iter().all(|r| r.reason.is_some()));
    assert_eq!(out.results[1].id, Uuid::nil());
    assert_eq!(stored_versions(&app, device).await, 2);
    // One audit entry for what the push refused, not one per record.
    assert_eq!(app.audited("collection.rejected").await, 0);
    assert_eq!(app.audited("sync.push_refusals").await, 1);
}

#[tokio::test]
async fn a_record_whose_content_or_declared_hash_does_not_match_is_rejected_as_a_hash_mismatch() {
    let (app, device, token) = spawn_tablet().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let tampered: Value =
        serde_json::from_str(&fixtures::record(&f).to_string().replace("A0002", "A0009")).unwrap();
    let mut wrong_declared = fixtures::record(&fixtures::finalized_collection(Uuid::new_v4()));
    wrong_declared["content_hash"] = json!("ab".repeat(32));
    let mut wrong_id = fixtures::record(&fixtures::finalized_collection(Uuid::new_v4()));
    wrong_id["id"] = json!(Uuid::new_v4());
    let out = app
        .push(&token, vec![tampered, wrong_declared, wrong_id])
        .await;
    let codes: Vec<_> = out.results.iter().map(|r| r.code.as_deref()).collect();
    assert_eq!(
        codes,
        vec![
            Some("hash_mismatch"),
            Some("hash_mismatch"),
            Some("id_mismatch")
        ]
    );
    assert!(out
        .results
        .iter()
        .all(|r| r.outcome == RecordOutcome::Rejected && r.receipt.is_none()));
    assert_eq!(stored_versions(&app, device).await, 0);
}

#[tokio::test]
async fn a_collection_another_device_sent_is_rejected_for_a_second_device() {
    let app = spawn_app().await;
    let (owner, owner_token) = app.device_with_orders("Tablet A").await;
    let other = app.enroll("Tablet B").await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    app.push(&owner_token, vec![fixtures::record(&f)]).await;
    let out = app.push(&other.token, vec![fixtures::record(&f)]).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Rejected);
    assert_eq!(out.results[0].code.as_deref(), Some("another_device"));
    assert!(out.results[0].receipt.is_none());
    assert_eq!(stored_versions(&app, owner).await, 1);
    assert_eq!(stored_versions(&app, other.device_id).await, 0);
}

#[tokio::test]
async fn a_collection_for_orders_the_lab_does_not_know_is_stored_and_held_not_rejected() {
    let (app, d) = spawn_enrolled().await;
    app.add_fixture_collectors();
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let out = app.push(&d.token, vec![fixtures::record(&f)]).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Accepted);
    assert_eq!(out.results[0].code.as_deref(), Some("held_off_round"));
    // Whether the lab knows the order is not the device's to learn.
    assert!(!out.results[0].reason.as_deref().unwrap().contains("sr-pt"));
}

#[tokio::test]
async fn a_collection_for_an_order_of_another_patient_on_the_server_is_rejected() {
    let (app, d) = spawn_enrolled().await;
    app.add_fixture_collectors();
    let csv = "order_id,mrn,family,given,birth_date,test,round\n\
               sr-pt,MRN999,Other,Person,1960-01-01,PT,Ward 1\n\
               sr-cbc,MRN999,Other,Person,1960-01-01,CBC,Ward 1\n";
    let (_, sup) = app.supervisor().await;
    assert_status(app.post_csv(&sup, csv), 200).await;
    app.assign_round("Ward 1", d.device_id).await;
    let out = app
        .push(
            &d.token,
            vec![fixtures::record(&fixtures::finalized_collection(
                Uuid::new_v4(),
            ))],
        )
        .await;
    assert_eq!(out.results[0].code.as_deref(), Some("patient_mismatch"));
    // It names neither patient: not the lab's patient id, nor the record's.
    let reason = out.results[0].reason.as_deref().unwrap();
    for secret in ["MRN999", "Other", "example", "12345", "Chalmers"] {
        assert!(!reason.contains(secret), "{reason}");
    }
}

#[tokio::test]
async fn concurrent_pushes_of_the_same_record_store_it_exactly_once() {
    let (app, device, token) = spawn_tablet().await;
    for _ in 0..5 {
        let f = fixtures::finalized_collection(Uuid::new_v4());
        let body = push_body(vec![fixtures::record(&f)], Utc::now().fixed_offset());
        // Four requests on their own tasks, so they are in flight at the same time.
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let req = app.post("/sync/push", &token).json(&body);
                tokio::spawn(async move { req.send().await.unwrap() })
            })
            .collect();
        let mut answers = Vec::new();
        for h in handles {
            answers.push(h.await.unwrap());
        }
        let mut outcomes = Vec::new();
        let mut receipts = Vec::new();
        for res in answers {
            assert_eq!(res.status(), 200);
            let out: PushResponse = res.json().await.unwrap();
            outcomes.push(out.results[0].outcome);
            receipts.push(out.results[0].receipt.clone().unwrap());
        }
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == RecordOutcome::Accepted)
                .count(),
            1,
            "{outcomes:?}"
        );
        assert!(receipts.iter().all(|r| *r == receipts[0]));
    }
    assert_eq!(stored_versions(&app, device).await, 5);
}

#[tokio::test]
async fn a_storage_failure_mid_batch_stores_nothing_and_a_resend_stores_each_record_once() {
    let (app, device, token) = spawn_tablet().await;
    let batch: Vec<FinalizedCollection> = (0..5)
        .map(|_| fixtures::finalized_collection(Uuid::new_v4()))
        .collect();
    let records: Vec<Value> = batch.iter().map(fixtures::record).collect();
    // Simulates the server dying inside the 4th record: its receipt write fails after its
    // version row went in.
    let conn = app.sqlite();
    conn.execute_batch(&format!(
        "CREATE TRIGGER fail_receipt BEFORE INSERT ON receipts WHEN NEW.collection_id = '{}'
         BEGIN SELECT RAISE(ABORT, 'simulated crash'); END;",
        batch[3].record().id().0
    ))
    .unwrap();
    let res = app
        .push_raw(
            &token,
            &push_body(records.clone(), Utc::now().fixed_offset()),
        )
        .await;
    assert_eq!(res.status(), 503);
    assert_eq!(problem_code(res).await, "storage_unavailable");
    assert_eq!(stored_versions(&app, device).await, 0);
    assert!(app.store.receipts(device, None).await.unwrap().is_empty());
    let status = app.store.order_status("sr-pt").await.unwrap().unwrap();
    assert_eq!(
        status.status,
        OrderStatus::Open,
        "order statuses rolled back too"
    );

    conn.execute_batch("DROP TRIGGER fail_receipt").unwrap();
    let out = app.push(&token, records.clone()).await;
    assert!(out
        .results
        .iter()
        .all(|r| r.outcome == RecordOutcome::Accepted));
    let out = app.push(&token, records).await;
    assert!(out
        .results
        .iter()
        .all(|r| r.outcome == RecordOutcome::Duplicate));
    assert_eq!(stored_versions(&app, device).await, 5);
    assert_eq!(app.store.receipts(device, None).await.unwrap().len(), 5);
}

#[tokio::test]
async fn a_device_clock_hours_off_is_flagged_and_one_within_the_threshold_is_not() {
    let (app, _, token) = spawn_tablet().await;
    let off = fixtures::finalized_collection(Uuid::new_v4());
    let out = app
        .push_at(
            &token,
            vec![fixtures::record(&off)],
            (Utc::now() - Duration::hours(3)).fixed_offset(),
        )
        .await;
    assert!(out.clock_skew_flagged);
    assert!((out.clock_skew_seconds + 3 * 3600).abs() <= 5);
    assert_eq!(out.results[0].outcome, RecordOutcome::Accepted);
    assert!(out.results[0].receipt.as_ref().unwrap().clock_skew_flagged);
    let versions = app
        .store
        .collection_versions(off.record().id().0)
        .await
        .unwrap();
    assert!((versions[0].clock_skew_seconds + 3 * 3600).abs() <= 5);
    assert!(versions[0].received_at > versions[0].device_clock);

    let near = fixtures::finalized_collection(Uuid::new_v4());
    let east = FixedOffset::east_opt(10 * 3600).unwrap();
    let out = app
        .push_at(
            &token,
            vec![fixtures::record(&near)],
            (Utc::now() + Duration::minutes(2)).with_timezone(&east),
        )
        .await;
    assert!(!out.clock_skew_flagged);
    assert!(!out.results[0].receipt.as_ref().unwrap().clock_skew_flagged);
    let versions = app
        .store
        .collection_versions(near.record().id().0)
        .await
        .unwrap();
    assert_eq!(
        versions[0].device_clock.offset(),
        &east,
        "the device offset is kept"
    );
}

#[tokio::test]
async fn the_skew_threshold_is_configurable() {
    let app = spawn_app_with(|s| {
        s.with_sync(SyncSettings {
            skew_threshold: Duration::minutes(1),
        })
    })
    .await;
    let (_, token) = app.device_with_orders("Tablet").await;
    let out = app
        .push_at(
            &token,
            vec![fixtures::record(&fixtures::finalized_collection(
                Uuid::new_v4(),
            ))],
            (Utc::now() - Duration::minutes(2)).fixed_offset(),
        )
        .await;
    assert!(out.clock_skew_flagged);
    assert!(out.results[0].receipt.as_ref().unwrap().clock_skew_flagged);
}

#[tokio::test]
async fn every_push_and_pull_records_a_heartbeat_a_supervisor_can_read() {
    let (app, device, token) = spawn_tablet().await;
    let body = json!({
        "device_clock": Utc::now().fixed_offset(),
        "app_version": "1.2.3",
        "queue_length": 7,
        "oldest_unsynced_seconds": 5400,
        "last_error": "network unreachable",
        "records": [],
    });
    let res = app.push_raw(&token, &body).await;
    assert_eq!(res.status(), 200);
    let reader = app.collector_on(&token).await;
    assert_status(
        app.get("/sync/pull", &reader).query(&[
            ("queue_length", "3"),
            ("oldest_unsynced_seconds", "60"),
            ("last_error", "timeout"),
            ("app_version", "1.2.4"),
            ("device_clock", "2030-01-01T10:00:00+02:00"),
        ]),
        200,
    )
    .await;

    let (_, sup) = app.supervisor().await;
    let beats: Vec<DeviceHeartbeat> = app
        .get_ok(&format!("/devices/{device}/heartbeats"), &sup)
        .await;
    assert_eq!(beats.len(), 2);
    let (pull, push) = (&beats[0], &beats[1]);
    assert_eq!(push.source, "push");
    assert_eq!(push.queue_length, 7);
    assert_eq!(push.oldest_unsynced_seconds, Some(5400));
    assert_eq!(push.last_error.as_deref(), Some("network unreachable"));
    assert_eq!(push.app_version.as_deref(), Some("1.2.3"));
    assert!(push.clock_skew_seconds.unwrap().abs() <= 5);
    assert_eq!(pull.source, "pull");
    assert_eq!(pull.queue_length, 3);
    assert_eq!(pull.last_error.as_deref(), Some("timeout"));
    assert_eq!(pull.app_version.as_deref(), Some("1.2.4"));
    assert!(pull.clock_skew_seconds.unwrap() > 3600);

    let devices = app.store.list_devices().await.unwrap();
    let d = devices.iter().find(|d| d.id == device).unwrap();
    assert_eq!(d.last_heartbeat.as_ref().unwrap().heartbeat.queue_length, 3);
}

#[tokio::test]
async fn a_pull_with_a_cursor_returns_only_changes_since_and_cancelled_orders_with_their_status() {
    let app = spawn_app().await;
    let d = app.enroll("Ward tablet").await;
    let (_, sup) = app.supervisor().await;
    assert_status(app.post_csv(&sup, fixtures::orders_csv()), 200).await;
    app.assign_round("Ward 2", d.device_id).await;

    let reader = app.collector_on(&d.token).await;
    let first = app.pull(&reader, None).await;
    assert!(first.full);
    assert!(!first.has_more);
    assert_eq!(first.orders.len(), 3);
    assert_eq!(first.patients.len(), 2);
    assert_eq!(first.rounds.len(), 1);
    assert!(first
        .orders
        .iter()
        .all(|o| o.status == OrderStatus::Open && o.on_worklist));
    assert_eq!(first.site.hash.len(), 64);

    let nothing = app.pull(&reader, Some(&first.next_cursor)).await;
    assert!(!nothing.full);
    assert!(nothing.orders.is_empty() && nothing.patients.is_empty());

    assert_status(
        app.post("/orders/o-1/cancel", &sup)
            .json(&json!({ "reason": "duplicate order" })),
        200,
    )
    .await;
    let changed = app.pull(&reader, Some(&nothing.next_cursor)).await;
    assert!(!changed.full);
    assert_eq!(changed.orders.len(), 1);
    let o = &changed.orders[0];
    assert_eq!(o.order.order.id.as_str(), "o-1");
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(o.cancel_reason.as_deref(), Some("duplicate order"));
    assert!(o.cancelled_at.is_some());
    assert_eq!(changed.patients.len(), 1);

    // The same cursor again (an answer lost on the way) gives the same changes.
    let again = app.pull(&reader, Some(&nothing.next_cursor)).await;
    assert_eq!(again.orders, changed.orders);
    let after = app.pull(&reader, Some(&changed.next_cursor)).await;
    assert!(after.orders.is_empty());

    // A full pull leaves the cancelled order out.
    let full = app.pull(&reader, None).await;
    assert_eq!(full.orders.len(), 2);
}

#[tokio::test]
async fn an_accepted_collection_marks_its_orders_collected_and_the_next_pull_says_so() {
    let (app, _, token) = spawn_tablet().await;
    let reader = app.collector_on(&token).await;
    let first = app.pull(&reader, None).await;
    assert_eq!(first.orders.len(), 2);
    app.push(
        &token,
        vec![fixtures::record(&fixtures::finalized_collection(
            Uuid::new_v4(),
        ))],
    )
    .await;
    let changed = app.pull(&reader, Some(&first.next_cursor)).await;
    assert_eq!(changed.orders.len(), 2);
    assert!(changed
        .orders
        .iter()
        .all(|o| o.status == OrderStatus::Collected));
    let worklist: Value = app.get_ok("/worklist", &reader).await;
    assert_eq!(worklist["orders"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_collection_for_an_order_cancelled_meanwhile_is_accepted_and_the_order_stays_cancelled() {
    let (app, _, token) = spawn_tablet().await;
    let (_, sup) = app.supervisor().await;
    assert_status(app.post("/orders/sr-pt/cancel", &sup).json(&json!({})), 200).await;
    let out = app
        .push(
            &token,
            vec![fixtures::record(&fixtures::finalized_collection(
                Uuid::new_v4(),
            ))],
        )
        .await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Accepted);
    assert_eq!(out.results[0].code.as_deref(), Some("order_cancelled"));
    let pt = app.store.order_status("sr-pt").await.unwrap().unwrap();
    assert_eq!(pt.status, OrderStatus::Cancelled);
    let cbc = app.store.order_status("sr-cbc").await.unwrap().unwrap();
    assert_eq!(cbc.status, OrderStatus::Collected);

    // A collected order is not cancelled afterwards; an unknown one is a 404.
    assert_problem(
        app.post("/orders/sr-cbc/cancel", &sup).json(&json!({})),
        409,
        "already_collected",
    )
    .await;
    assert_status(app.post("/orders/nope/cancel", &sup).json(&json!({})), 404).await;
    // Cancelling needs a supervisor.
    assert_status(
        app.post("/orders/sr-pt/cancel", &token).json(&json!({})),
        401,
    )
    .await;
}

#[tokio::test]
async fn an_order_whose_round_moves_to_another_device_is_reported_off_the_worklist() {
    let app = spawn_app().await;
    let (_, token) = app.device_with_orders("Tablet A").await;
    let other = app.enroll("Tablet B").await;
    let reader = app.collector_on(&token).await;
    let first = app.pull(&reader, None).await;
    assert_eq!(first.orders.len(), 2);
    app.assign_round("Ward 1", other.device_id).await;

    let changed = app.pull(&reader, Some(&first.next_cursor)).await;
    assert_eq!(changed.orders.len(), 2);
    assert!(changed.orders.iter().all(|o| !o.on_worklist));
    assert!(changed.rounds.is_empty());
    let theirs = app.pull(&app.collector_on(&other.token).await, None).await;
    assert_eq!(theirs.orders.len(), 2);
    assert!(theirs.orders.iter().all(|o| o.on_worklist));
}

#[tokio::test]
async fn a_pull_with_a_small_limit_pages_through_every_change_once() {
    let app = spawn_app().await;
    let d = app.enroll("Ward tablet").await;
    let reader = app.collector_on(&d.token).await;
    let first = app.pull(&reader, None).await;
    assert!(first.orders.is_empty());
    app.seed_collection_orders(d.device_id).await;
    let (_, sup) = app.supervisor().await;
    app.post("/orders", &sup)
        .header("content-type", "text/csv")
        .body(fixtures::orders_csv())
        .send()
        .await
        .unwrap();
    app.assign_round("Ward 2", d.device_id).await;

    let mut cursor = first.next_cursor;
    let mut seen = Vec::new();
    loop {
        let res = app
            .get("/sync/pull", &reader)
            .query(&[("cursor", cursor.as_str()), ("limit", "2")])
            .send()
            .await
            .unwrap();
        let page: PullResponse = res.json().await.unwrap();
        assert!(page.orders.len() <= 2);
        seen.extend(page.orders.iter().map(|o| o.order.order.id.to_string()));
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, vec!["o-1", "o-2", "o-3", "sr-cbc", "sr-pt"]);
}

#[tokio::test]
async fn a_cursor_the_server_did_not_issue_is_a_400_and_one_from_another_database_gives_a_full_pull(
) {
    let (app, _, token) = spawn_tablet().await;
    let token = app.collector_on(&token).await;
    assert_problem(
        app.get("/sync/pull?cursor=garbage", &token),
        400,
        "invalid_cursor",
    )
    .await;

    let elsewhere = spawn_app().await;
    let (_, other_token) = elsewhere.device_with_orders("Tablet").await;
    let other_token = elsewhere.collector_on(&other_token).await;
    let foreign = elsewhere.pull(&other_token, None).await.next_cursor;
    let page = app.pull(&token, Some(&foreign)).await;
    assert!(page.full);
    assert_eq!(page.orders.len(), 2);
}

#[tokio::test]
async fn a_batch_over_the_record_limit_is_a_413_problem_and_stores_nothing() {
    let (app, device, token) = spawn_tablet().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let records = vec![fixtures::record(&f); MAX_PUSH_RECORDS + 1];
    let res = app
        .push_raw(&token, &push_body(records, Utc::now().fixed_offset()))
        .await;
    assert_eq!(res.status(), 413);
    assert_eq!(problem_code(res).await, "batch_too_large");
    assert_eq!(stored_versions(&app, device).await, 0);
}

#[tokio::test]
async fn push_and_pull_need_a_token_of_an_unrevoked_device() {
    let (app, device, token) = spawn_tablet().await;
    let body = push_body(
        vec![fixtures::record(&fixtures::finalized_collection(
            Uuid::new_v4(),
        ))],
        Utc::now().fixed_offset(),
    );
    assert_problem(
        app.client.post(app.url("/sync/push")).json(&body),
        401,
        "missing_token",
    )
    .await;
    assert_status(app.client.get(app.url("/sync/pull")), 401).await;

    let session = app.collector_on(&token).await;
    assert_eq!(app.pull(&session, None).await.orders.len(), 2);

    assert!(app.store.revoke_device(device, Utc::now()).await.unwrap());
    for t in [&token, &session] {
        let res = app.push_raw(t, &body).await;
        assert_eq!(res.status(), 403);
        assert_eq!(problem_code(res).await, "device_revoked");
        assert_problem(app.get("/sync/pull", t), 403, "device_revoked").await;
    }
    assert_eq!(stored_versions(&app, device).await, 0);
}

/// A soak, not a benchmark: 200 collections go up in random batches, with random records of
/// earlier batches sent again (as a device does after losing an answer). Exactly 200 are stored.
#[tokio::test]
async fn sync_soak_200_collections_in_batches_with_random_duplicate_resends_store_exactly_200() {
    use rand::seq::SliceRandom;
    use rand::Rng;
    let (app, device, token) = spawn_tablet().await;
    let all: Vec<Value> = (0..200)
        .map(|_| fixtures::record(&fixtures::finalized_collection(Uuid::new_v4())))
        .collect();
    let mut rng = rand::thread_rng();
    let mut sent = 0;
    let mut synced = std::collections::HashSet::new();
    let mut receipts = std::collections::HashMap::new();
    while sent < all.len() {
        let n = rng.gen_range(1..=40).min(all.len() - sent);
        let mut batch: Vec<Value> = all[sent..sent + n].to_vec();
        for _ in 0..rng.gen_range(0..10) {
            if sent > 0 {
                batch.push(all[rng.gen_range(0..sent + n)].clone());
            }
        }
        batch.shuffle(&mut rng);
        let out = app.push(&token, batch.clone()).await;
        assert_eq!(out.results.len(), batch.len());
        for (r, sent_record) in out.results.iter().zip(&batch) {
            assert_eq!(r.id.to_string(), sent_record["id"].as_str().unwrap());
            assert!(r.outcome.is_synced(), "{r:?}");
            let receipt = r.receipt.clone().unwrap();
            // Every answer for a record carries the same (original) receipt.
            assert_eq!(receipts.entry(r.id).or_insert(receipt.clone()), &receipt);
            synced.insert(r.id);
        }
        sent += n;
    }
    assert_eq!(synced.len(), 200);
    assert_eq!(stored_versions(&app, device).await, 200);
    assert_eq!(app.store.receipts(device, None).await.unwrap().len(), 200);
    assert_eq!(
        app.store
            .list_collections(Some(device))
            .await
            .unwrap()
            .len(),
        200
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_sync_routes_and_their_wire_types() {
    let app = spawn_app().await;
    let doc: Value = app.get_public("/openapi.json").await;
    for path in [
        "/sync/push",
        "/sync/pull",
        "/orders/{id}/cancel",
        "/devices/{id}/heartbeats",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let pull_params: Vec<&str> = doc["paths"]["/sync/pull"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(pull_params.contains(&"cursor"), "{pull_params:?}");
    for schema in [
        "PushRequest",
        "PushRecord",
        "PushResponse",
        "PushResult",
        "RecordOutcome",
        "PullResponse",
        "SyncOrder",
        "OrderStatus",
        "SiteVersion",
        "CancelOrderRequest",
        "OrderStatusView",
        "DeviceHeartbeat",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} is in the document"
        );
    }
}
