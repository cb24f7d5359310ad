//! Eviction marker: a browser that enrolls again naming the database marker it lost marks the
//! device that had it as storage-lost (supervisor's devices list, audit), and only that device.

use chrono::Utc;
use drawline_server::accounts;
use drawline_server::api::{DeviceView, EnrollResponse};
use drawline_server::store::AuditStore;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_supervised, TestApp};

async fn enroll_marked(
    app: &TestApp,
    name: &str,
    marker: &str,
    previous: Option<&str>,
) -> EnrollResponse {
    let code = accounts::register_device(app.store.as_ref(), name, "test", Utc::now())
        .await
        .unwrap();
    let res = app
        .client
        .post(app.url("/enroll"))
        .json(&json!({ "code": code.code, "db_marker": marker, "previous_marker": previous }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn device(app: &TestApp, supervisor: &str, id: Uuid) -> DeviceView {
    let list: Vec<DeviceView> = app.get_ok("/devices", supervisor).await;
    list.into_iter().find(|d| d.id == id).unwrap()
}

#[tokio::test]
async fn enrolling_with_a_previous_marker_marks_the_device_that_had_it_storage_lost() {
    let (app, supervisor) = spawn_supervised().await;
    let before = Utc::now();
    let old = enroll_marked(&app, "Tablet", "marker-one", None).await;
    let bystander = enroll_marked(&app, "Other tablet", "marker-two", None).await;
    assert_eq!(
        device(&app, &supervisor, old.device_id)
            .await
            .storage_lost_at,
        None
    );

    let new = enroll_marked(&app, "Tablet again", "marker-three", Some("marker-one")).await;
    let lost = device(&app, &supervisor, old.device_id)
        .await
        .storage_lost_at
        .unwrap();
    assert!(lost >= before && lost <= Utc::now());
    assert_eq!(
        device(&app, &supervisor, bystander.device_id)
            .await
            .storage_lost_at,
        None
    );
    assert_eq!(
        device(&app, &supervisor, new.device_id)
            .await
            .storage_lost_at,
        None
    );

    let audit = app.store.audit_log(50).await.unwrap();
    let entry = audit
        .iter()
        .find(|a| a.action == "device.storage_lost")
        .unwrap();
    assert_eq!(
        entry.subject.as_deref(),
        Some(format!("device:{}", old.device_id).as_str())
    );
    assert_eq!(entry.actor, format!("device:{}", new.device_id));
    assert!(!app.audit_text().contains("marker-one"), "ids only");

    // Named again later: it was lost when it was first seen lost.
    enroll_marked(&app, "Tablet third", "marker-four", Some("marker-one")).await;
    assert_eq!(
        device(&app, &supervisor, old.device_id)
            .await
            .storage_lost_at,
        Some(lost)
    );
}

#[tokio::test]
async fn a_previous_marker_nobody_had_marks_nothing_and_a_bad_marker_keeps_the_code_usable() {
    let (app, supervisor) = spawn_supervised().await;
    let old = enroll_marked(&app, "Tablet", "marker-one", None).await;
    enroll_marked(&app, "New tablet", "marker-two", Some("never-seen")).await;
    assert_eq!(
        device(&app, &supervisor, old.device_id)
            .await
            .storage_lost_at,
        None
    );
    assert_eq!(app.audited("device.storage_lost").await, 0);

    let code = accounts::register_device(app.store.as_ref(), "Third", "test", Utc::now())
        .await
        .unwrap();
    for bad in ["has spaces", "é", &"x".repeat(129)] {
        assert_problem(
            app.client
                .post(app.url("/enroll"))
                .json(&json!({ "code": code.code, "db_marker": bad })),
            422,
            "invalid_marker",
        )
        .await;
    }
    assert_eq!(
        app.enroll_with(&code.code).send().await.unwrap().status(),
        200
    );
}
