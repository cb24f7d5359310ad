//! Instants checked at the edge, and lists that outlive a stored row they cannot read back.

use drawline_server::api::{DevicesOverview, QueuePage, RecordOutcome, UnreadableRow, Worklist};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{problem_code, push_body, spawn_tablet, TestApp};

/// A record's JSON with one text replaced everywhere (its hash no longer matters: the time check
/// comes first).
fn with_text_replaced(record: &Value, from: &str, to: &str) -> Value {
    let text = record.to_string();
    assert!(text.contains(from), "the fixture holds {from}");
    serde_json::from_str(&text.replace(from, to)).unwrap()
}

/// The first device time's UTC instant in a pushed record, as serialised.
const A_DRAW_TIME: &str = "2024-05-01T06:10:00Z";

fn count(app: &TestApp, sql: &str) -> i64 {
    app.sqlite().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn a_push_with_a_year_ten_thousand_or_an_offset_no_zone_has_is_rejected_alone_and_nothing_of_it_stored(
) {
    let (app, _, token) = spawn_tablet().await;
    let good = fixtures::finalized_collection(Uuid::new_v4());
    let year = with_text_replaced(
        &fixtures::record(&fixtures::finalized_collection(Uuid::new_v4())),
        A_DRAW_TIME,
        "+10000-05-01T06:10:00Z",
    );
    let text_offset = with_text_replaced(
        &fixtures::record(&fixtures::finalized_collection(Uuid::new_v4())),
        A_DRAW_TIME,
        "2024-05-01T06:10:00+25:00",
    );
    let minutes_offset = with_text_replaced(
        &fixtures::record(&fixtures::finalized_collection(Uuid::new_v4())),
        "\"offset_minutes\":120",
        "\"offset_minutes\":1500",
    );
    let out = app
        .push(
            &token,
            vec![year, fixtures::record(&good), text_offset, minutes_offset],
        )
        .await;
    let outcomes: Vec<_> = out.results.iter().map(|r| r.outcome).collect();
    use RecordOutcome::*;
    assert_eq!(outcomes, vec![Rejected, Accepted, Rejected, Rejected]);
    for i in [0, 2, 3] {
        let r = &out.results[i];
        assert_eq!(r.code.as_deref(), Some("invalid_time"), "{r:?}");
        let reason = r.reason.as_deref().unwrap();
        assert!(reason.starts_with("collection."), "{reason}");
        assert!(!reason.contains("10000") && !reason.contains("25:00") && !reason.contains("1500"));
    }
    assert!(out.results[3]
        .reason
        .as_deref()
        .unwrap()
        .contains("offset_minutes"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM collections"), 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM collection_versions"), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM push_attempts WHERE body IS NOT NULL"
        ),
        0
    );
}

#[tokio::test]
async fn a_device_clock_in_year_ten_thousand_or_off_every_time_zone_is_refused_422() {
    let (app, _, token) = spawn_tablet().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let mut body = push_body(
        vec![fixtures::record(&f)],
        chrono::Utc::now().fixed_offset(),
    );
    body["device_clock"] = json!("+10000-01-01T00:00:00Z");
    let res = app.push_raw(&token, &body).await;
    assert_eq!(res.status(), 422);
    assert_eq!(problem_code(res).await, "invalid_time");
    body["device_clock"] = json!("2026-01-01T00:00:00+14:30");
    let res = app.push_raw(&token, &body).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_time");
    assert!(problem["message"]
        .as_str()
        .unwrap()
        .starts_with("device_clock:"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM collections"), 0);

    for clock in ["+10000-01-01T00:00:00Z", "2026-01-01T00:00:00+14:30"] {
        let res = app
            .get("/sync/pull", &app.collector_on(&token).await)
            .query(&[("device_clock", clock)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{clock}");
        assert_eq!(problem_code(res).await, "invalid_time");
        let beat = json!({"device_clock": clock, "queue_length": 0});
        let res = app
            .post("/heartbeat", &token)
            .json(&beat)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{clock}");
    }
}

#[tokio::test]
async fn a_recollection_due_in_year_ten_thousand_is_refused_422_and_makes_no_order() {
    let (app, _, token) = spawn_tablet().await;
    let (_, supervisor) = app.supervisor().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    app.push_collections(&token, &[&f]).await;
    let orders_before = count(&app, "SELECT COUNT(*) FROM orders");
    let id = f.record().id().0;
    for due in ["+10000-01-01T00:00:00Z", "1970-01-01T00:00:00Z"] {
        let res = app
            .post(
                &format!("/supervisor/collections/{id}/recollect"),
                &supervisor,
            )
            .json(&json!({"reason": "haemolysed", "due_at": due}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{due}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_time", "{due}");
        assert!(problem["message"].as_str().unwrap().starts_with("due_at:"));
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders"), orders_before);
}

#[tokio::test]
async fn an_order_import_with_a_time_past_2099_names_the_row_and_imports_the_rest() {
    let (app, _, _) = spawn_tablet().await;
    let (_, supervisor) = app.supervisor().await;
    let csv = "order_id,mrn,family,given,birth_date,test,due_at\n\
               t-1,777,DOE,JANE,1980-01-01,CBC,2026-03-01T08:00:00Z\n\
               t-2,778,ROE,RICHARD,1981-02-02,CBC,9999-12-31T23:00:00-05:00\n";
    let res = app.post_csv(&supervisor, csv).send().await.unwrap();
    let report: Value = res.json().await.unwrap();
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{report}");
    let reason = rejected[0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("due_at:"), "{reason}");
    assert!(!reason.contains("9999"), "{reason}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders WHERE id = 't-1'"),
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders WHERE id = 't-2'"),
        0
    );
}

/// The supervisor's queue page.
async fn queue(app: &TestApp, supervisor: &str) -> QueuePage {
    app.get_ok("/supervisor/queue", supervisor).await
}

fn has(rows: &[UnreadableRow], list: &str, kind: &str, id: &str) -> bool {
    rows.iter()
        .any(|r| r.list == list && r.kind == kind && r.id == id)
}

#[tokio::test]
async fn a_poison_collection_row_leaves_the_queue_export_and_lists_answering_with_every_good_row() {
    let (app, device, token) = spawn_tablet().await;
    let (_, supervisor) = app.supervisor().await;
    let (bad, good) = (
        fixtures::finalized_collection(Uuid::new_v4()),
        fixtures::finalized_collection_with(Uuid::new_v4(), ["A0003", "A0004"]),
    );
    app.push_collections(&token, &[&bad, &good]).await;
    let (bad_id, good_id) = (bad.record().id().0, good.record().id().0);
    // As an older server could have stored it: a year past 9999, which does not read back.
    let db = app.sqlite();
    db.execute(
        "UPDATE collection_versions SET received_at = '+10000-01-01T00:00:00.000000Z'
         WHERE collection_id = ?1",
        [bad_id.to_string()],
    )
    .unwrap();
    db.execute(
        "UPDATE collections SET last_received_at = '+10000-01-01T00:00:00.000000Z' WHERE id = ?1",
        [bad_id.to_string()],
    )
    .unwrap();

    let page = queue(&app, &supervisor).await;
    let ids: Vec<_> = page.items.iter().map(|i| i.collection_id).collect();
    assert_eq!(ids, vec![good_id]);
    assert!(has(
        &page.unreadable,
        "queue",
        "collection",
        &bad_id.to_string()
    ));

    let res = app.get("/fhir/Specimen", &supervisor).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let bundle: Value = res.json().await.unwrap();
    let text = bundle.to_string();
    assert!(text.contains(&good_id.to_string()) && !text.contains(&bad_id.to_string()));

    let res = app.get("/collections", &supervisor).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let list: Vec<Value> = res.json().await.unwrap();
    assert_eq!(list.len(), 1);
    let res = app
        .get("/collections", &app.collector_on(&token).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let res = app
        .get(&format!("/supervisor/collections/{bad_id}"), &supervisor)
        .send()
        .await
        .unwrap();
    assert!(res.status() != 503, "{}", res.status());

    let overview: DevicesOverview = app.get_ok("/supervisor/devices", &supervisor).await;
    let bad_version = format!("{bad_id}/1");
    assert!(has(
        &overview.unreadable,
        "fhir_export",
        "collection_version",
        &bad_version
    ));
    assert!(has(
        &overview.unreadable,
        "collections",
        "collection",
        &bad_id.to_string()
    ));
    // Logged and listed by id only: nothing of the record travels with it.
    let listed = serde_json::to_string(&overview.unreadable).unwrap();
    assert!(!listed.contains("CHALMERS") && !listed.contains("10000"));
    assert!(overview.devices.iter().any(|d| d.id == device));

    // Fixed by hand, the row reads again and the queue forgets it.
    app.sqlite()
        .execute(
            "UPDATE collection_versions SET received_at = '2024-05-01T07:00:00.000000Z'
             WHERE collection_id = ?1",
            [bad_id.to_string()],
        )
        .unwrap();
    let page = queue(&app, &supervisor).await;
    assert_eq!(page.items.len(), 2);
    assert!(!has(
        &page.unreadable,
        "queue",
        "collection",
        &bad_id.to_string()
    ));
}

#[tokio::test]
async fn garbage_json_in_a_stored_row_or_the_audit_log_does_not_take_the_lists_down() {
    let (app, _, token) = spawn_tablet().await;
    let (_, supervisor) = app.supervisor().await;
    let (bad, good) = (
        fixtures::finalized_collection(Uuid::new_v4()),
        fixtures::finalized_collection_with(Uuid::new_v4(), ["A0003", "A0004"]),
    );
    app.push_collections(&token, &[&bad, &good]).await;
    let bad_id = bad.record().id().0.to_string();
    let db = app.sqlite();
    db.execute(
        "UPDATE record_facts SET tests = '{not json' WHERE collection_id = ?1",
        [&bad_id],
    )
    .unwrap();
    db.execute(
        "UPDATE collection_versions SET body = 'not json either' WHERE collection_id = ?1",
        [&bad_id],
    )
    .unwrap();
    db.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail)
         VALUES ('+10000-01-01T00:00:00.000000Z', 'poison', 'poison.row', NULL, NULL)",
        [],
    )
    .unwrap();
    let poison_seq: i64 = count(&app, "SELECT MAX(seq) FROM audit_log");

    let page = queue(&app, &supervisor).await;
    assert_eq!(page.items.len(), 1);
    assert!(has(&page.unreadable, "queue", "collection", &bad_id));

    let res = app.get("/audit", &supervisor).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let audit: Vec<Value> = res.json().await.unwrap();
    assert!(!audit.is_empty());
    assert!(audit.iter().all(|a| a["action"] != "poison.row"));

    let res = app.get("/fhir/Specimen", &supervisor).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .get(&format!("/supervisor/collections/{bad_id}"), &supervisor)
        .send()
        .await
        .unwrap();
    assert!(res.status() != 503, "{}", res.status());

    let page = queue(&app, &supervisor).await;
    assert!(has(
        &page.unreadable,
        "audit_log",
        "audit_entry",
        &poison_seq.to_string()
    ));
    assert!(has(
        &page.unreadable,
        "fhir_export",
        "collection_version",
        &format!("{bad_id}/1")
    ));
}

#[tokio::test]
async fn an_order_due_in_year_ten_thousand_leaves_the_pull_and_worklist_answering_with_the_other_orders(
) {
    let (app, _, token) = spawn_tablet().await;
    let session = app.collector_on(&token).await;
    let (_, supervisor) = app.supervisor().await;
    let before = app.pull(&session, None).await;
    let mut ids: Vec<_> = before
        .orders
        .iter()
        .map(|o| o.order.order.id.to_string())
        .collect();
    ids.sort();
    assert!(ids.len() >= 2, "{ids:?}");
    let poisoned = ids[0].clone();
    // A recollection stored by an older server with a due time past 9999.
    app.sqlite()
        .execute(
            "UPDATE orders SET due_at = '+10000-01-01T00:00:00.000000Z' WHERE id = ?1",
            [&poisoned],
        )
        .unwrap();

    let full = app.pull(&session, None).await;
    let pulled: Vec<_> = full
        .orders
        .iter()
        .map(|o| o.order.order.id.to_string())
        .collect();
    assert_eq!(pulled.len(), ids.len() - 1);
    assert!(!pulled.contains(&poisoned));
    // A change pull (by cursor) outlives it too.
    let since = app.pull(&session, Some(&before.next_cursor)).await;
    assert!(since
        .orders
        .iter()
        .all(|o| o.order.order.id.to_string() != poisoned));

    let worklist: Worklist = app.get_ok("/worklist", &session).await;
    let listed: Vec<_> = worklist
        .orders
        .iter()
        .map(|o| o.order.id.to_string())
        .collect();
    assert_eq!(listed.len(), ids.len() - 1);

    let overview: DevicesOverview = app.get_ok("/supervisor/devices", &supervisor).await;
    assert!(has(&overview.unreadable, "pull", "order", &poisoned));
    assert!(has(&overview.unreadable, "worklist", "order", &poisoned));
}

#[tokio::test]
async fn a_poison_heartbeat_or_session_leaves_its_device_on_the_devices_overview() {
    let (app, device, token) = spawn_tablet().await;
    let (_, supervisor) = app.supervisor().await;
    app.add_user("nurse", drawline_server::api::Role::Collector, "2468")
        .await;
    app.sign_in(&token, "nurse", "2468").await;
    app.push(&token, vec![]).await;
    let db = app.sqlite();
    db.execute(
        "INSERT INTO heartbeats (device_id, received_at, device_clock, queue_length, source)
         VALUES (?1, '+10000-01-01T00:00:00.000000Z', NULL, 0, 'pull')",
        [device.to_string()],
    )
    .unwrap();
    db.execute(
        "UPDATE sessions SET created_at = '+10000-01-01T00:00:00.000000Z' WHERE device_id = ?1",
        [device.to_string()],
    )
    .unwrap();
    let overview: DevicesOverview = app.get_ok("/supervisor/devices", &supervisor).await;
    let listed = overview.devices.iter().find(|d| d.id == device).unwrap();
    assert_eq!(listed.collector, None);
    assert!(has(
        &overview.unreadable,
        "devices",
        "device",
        &device.to_string()
    ));
    let res = app.get("/devices", &supervisor).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let path = format!("/devices/{device}/heartbeats");
    let beats: Vec<Value> = app.get_ok(&path, &supervisor).await;
    assert!(!beats.is_empty());
    let page = queue(&app, &supervisor).await;
    assert!(page
        .unreadable
        .iter()
        .any(|r| r.list == "heartbeats" && r.kind == "heartbeat"));
}
