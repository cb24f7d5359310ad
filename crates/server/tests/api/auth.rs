//! Enrollment, sign-in and every way a request can be refused, on a real socket.

use drawline_server::api::{Me, Role, Worklist};
use drawline_server::store::{AuditStore, PeopleStore};
use serde_json::json;

use crate::fixtures;
use crate::helpers::{
    assert_problem, assert_status, problem_code, spawn_app, spawn_enrolled, spawn_supervised,
};

#[tokio::test]
async fn an_enrollment_code_gives_a_working_device_token_once() {
    let app = spawn_app().await;
    let code = drawline_server::accounts::register_device(
        app.store.as_ref(),
        "Ward 5 tablet",
        "test",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let res = app
        .enroll_with(&code.code.to_lowercase())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let enrolled: drawline_server::api::EnrollResponse = res.json().await.unwrap();
    assert_eq!(enrolled.device_name, "Ward 5 tablet");

    let me: Me = app.get_ok("/me", &enrolled.token).await;
    assert_eq!(me.device.id, enrolled.device_id);
    assert!(me.user.is_none());

    assert_problem(app.enroll_with(&code.code), 401, "invalid_enrollment_code").await;
}

#[tokio::test]
async fn the_server_keeps_only_a_hash_of_the_device_token() {
    let (app, device) = spawn_enrolled().await;
    let conn = app.sqlite();
    let stored: String = conn
        .query_row("SELECT token_hash FROM devices", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, device.token);
    assert_eq!(stored, drawline_server::auth::token_hash(&device.token));
}

#[tokio::test]
async fn a_request_without_a_token_is_refused_with_missing_token() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/worklist")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(problem_code(res).await, "missing_token");
}

#[tokio::test]
async fn a_wrong_token_is_refused_with_invalid_token() {
    let app = spawn_app().await;
    for token in ["dld_not-a-real-token", "dls_nope", "garbage"] {
        let res = app.get("/worklist", token).send().await.unwrap();
        assert_eq!(res.status(), 401, "{token}");
        assert_eq!(problem_code(res).await, "invalid_token");
    }
}

#[tokio::test]
async fn a_revoked_device_and_its_sessions_fail_at_once() {
    let (app, supervisor) = spawn_supervised().await;
    let device = app.enroll("Lost tablet").await;
    app.add_user("amara", Role::Collector, "1234").await;
    let session = app.sign_in(&device.token, "amara", "1234").await;
    assert_eq!(
        app.get("/worklist", &session)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_status(app.get("/site", &device.token), 200).await;

    assert_status(
        app.post(
            &format!("/devices/{}/revoke", device.device_id),
            &supervisor,
        ),
        204,
    )
    .await;

    // 403 `device_revoked`, not 401: the tablet wipes what it delivered on this answer only.
    for token in [&device.token, &session] {
        assert_problem(app.get("/site", token), 403, "device_revoked").await;
    }
    assert_problem(app.get("/worklist", &session), 403, "device_revoked").await;
    let audit = app.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "device.revoked"));
}

#[tokio::test]
async fn a_collector_is_refused_supervisor_routes_with_role_required() {
    let (app, device) = spawn_enrolled().await;
    app.add_user("amara", Role::Collector, "1234").await;
    let session = app.sign_in(&device.token, "amara", "1234").await;
    for path in ["/devices", "/rounds", "/audit", "/fhir/Specimen"] {
        let res = app.get(path, &session).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        assert_eq!(problem_code(res).await, "role_required");
    }
    assert_status(app.post("/orders", &session).body("x"), 403).await;
    // A device token alone is no person at all.
    assert_problem(app.get("/devices", &device.token), 401, "sign_in_required").await;
}

#[tokio::test]
async fn a_device_sees_only_the_worklist_assigned_to_it() {
    let (app, supervisor) = spawn_supervised().await;
    let mine = app.enroll("Mine").await;
    let theirs = app.enroll("Theirs").await;
    assert_status(app.post_csv(&supervisor, fixtures::orders_csv()), 200).await;
    app.assign_round("Ward 2", theirs.device_id).await;

    let w: Worklist = app
        .get_ok("/worklist", &app.collector_on(&mine.token).await)
        .await;
    assert!(w.orders.is_empty() && w.patients.is_empty());
    let w: Worklist = app
        .get_ok("/worklist", &app.collector_on(&theirs.token).await)
        .await;
    assert_eq!(w.orders.len(), 3);
    assert_eq!(w.patients.len(), 2);
    assert_eq!(w.orders[0].order.priority, drawline_domain::Priority::Stat);
}

#[tokio::test]
async fn a_device_cannot_read_another_devices_collection() {
    let app = spawn_app().await;
    let owner = app.enroll("Owner").await;
    let other = app.enroll("Other").await;
    let id = uuid::Uuid::new_v4();
    let f = fixtures::finalized_collection(id);
    fixtures::push_stored(app.store.as_ref(), owner.device_id, &f).await;
    let (owner, other) = (
        app.collector_on(&owner.token).await,
        app.collector_on(&other.token).await,
    );

    assert_status(app.get(&format!("/collections/{id}"), &owner), 200).await;
    assert_problem(
        app.get(&format!("/collections/{id}"), &other),
        404,
        "not_found",
    )
    .await;

    let list: Vec<serde_json::Value> = app.get_ok("/collections", &other).await;
    assert!(list.is_empty());
    let owner_id = app.store.device_by_name("Owner").await.unwrap().unwrap().id;
    assert_status(
        app.get(&format!("/collections?device={owner_id}"), &other),
        403,
    )
    .await;
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_per_user_and_device() {
    let (app, device) = spawn_enrolled().await;
    app.add_user("amara", Role::Collector, "1234").await;
    for _ in 0..drawline_server::Limits::default().sign_in_failures_per_device {
        assert_problem(
            app.sign_in_with(&device.token, "amara", "0000"),
            401,
            "bad_credentials",
        )
        .await;
    }
    let res = app
        .sign_in_with(&device.token, "amara", "1234")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "even the right PIN waits");
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(problem_code(res).await, "too_many_attempts");

    // Another device is not locked out by this one's failures.
    let other = app.enroll("Other tablet").await;
    app.sign_in(&other.token, "amara", "1234").await;
}

#[tokio::test]
async fn an_unknown_user_gets_the_same_answer_as_a_wrong_pin() {
    let (app, device) = spawn_enrolled().await;
    assert_problem(
        app.sign_in_with(&device.token, "nobody", "1234"),
        401,
        "bad_credentials",
    )
    .await;
}

#[tokio::test]
async fn a_signed_in_session_carries_the_role_and_signing_out_ends_it() {
    let (app, device) = spawn_enrolled().await;
    app.add_user("sam", Role::Supervisor, "9876").await;
    let session = app.sign_in(&device.token, "sam", "9876").await;
    let me: Me = app.get_ok("/me", &session).await;
    assert_eq!(me.user.unwrap().role, Role::Supervisor);
    assert_status(
        app.client
            .delete(app.url("/sessions/current"))
            .bearer_auth(&session),
        204,
    )
    .await;
    assert_eq!(app.get("/me", &session).send().await.unwrap().status(), 401);
    // The device token itself still works.
    assert_eq!(
        app.get("/me", &device.token).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn a_supervisor_registers_a_device_whose_code_then_enrolls_it() {
    let (app, supervisor) = spawn_supervised().await;
    let res = app
        .post("/devices", &supervisor)
        .json(&json!({ "name": "Home visit tablet" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let code: drawline_server::api::EnrollmentCode = res.json().await.unwrap();
    assert_status(app.enroll_with(&code.code), 200).await;
    let devices: Vec<drawline_server::api::DeviceView> = app.get_ok("/devices", &supervisor).await;
    let d = devices
        .iter()
        .find(|d| d.name == "Home visit tablet")
        .unwrap();
    assert_eq!(d.status, drawline_server::api::DeviceStatus::Enrolled);
}
