//! Users and devices over their life: deactivation, PIN changes and resets, ended sessions,
//! rotated device tokens, and patient data only for a person signed in on the device.

use chrono::Utc;
use drawline_server::api::{
    EnrollResponse, Me, PullResponse, Role, SessionsEnded, UserAccount, Worklist,
};
use drawline_server::store::AuditStore;
use drawline_server::Limits;
use serde_json::json;
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{
    assert_problem, assert_status, push_body, spawn_app, spawn_app_with, spawn_supervised, TestApp,
};

/// A POST of no body to a supervisor's user route, e.g. `deactivate` of `amara`.
fn user_action(
    app: &TestApp,
    token: &str,
    username: &str,
    action: &str,
) -> reqwest::RequestBuilder {
    app.post(&format!("/supervisor/users/{username}/{action}"), token)
}

/// A user route that must answer 200 with the sessions it ended.
async fn ended(req: reqwest::RequestBuilder) -> u32 {
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json::<SessionsEnded>().await.unwrap().ended
}

/// `POST /me/pin` as the session given.
fn change_pin(app: &TestApp, session: &str, old: &str, new: &str) -> reqwest::RequestBuilder {
    app.post("/me/pin", session)
        .json(&json!({ "old_pin": old, "new_pin": new }))
}

/// No audit entry's detail carries any of these PINs.
async fn audit_quotes_no_pin(app: &TestApp, pins: &[&str]) {
    for entry in app.store.audit_log(200).await.unwrap() {
        let detail = entry.detail.unwrap_or_default();
        for pin in pins {
            assert!(!detail.contains(pin), "{}: {detail}", entry.action);
        }
    }
}

/// A lab with a signed-in supervisor, a tablet holding orders and the collector `amara` (PIN
/// 1234): answers (app, supervisor session, tablet token).
async fn ward() -> (TestApp, String, String) {
    let (app, supervisor) = spawn_supervised().await;
    let (_, tablet) = app.device_with_orders("Ward tablet").await;
    app.add_user("amara", Role::Collector, "1234").await;
    (app, supervisor, tablet)
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in_and_their_live_session_stops_at_once() {
    let (app, supervisor, tablet) = ward().await;
    let session = app.sign_in(&tablet, "amara", "1234").await;
    assert_status(app.get("/worklist", &session), 200).await;

    assert_eq!(
        ended(user_action(&app, &supervisor, "amara", "deactivate")).await,
        1
    );
    assert_problem(app.get("/worklist", &session), 401, "invalid_token").await;
    assert_problem(app.get("/me", &session), 401, "invalid_token").await;
    assert_problem(
        app.sign_in_with(&tablet, "amara", "1234"),
        401,
        "bad_credentials",
    )
    .await;
    let users: Vec<UserAccount> = app.get_ok("/supervisor/users", &supervisor).await;
    let amara = users.iter().find(|u| u.user.username == "amara").unwrap();
    assert!(!amara.active);
    assert_eq!(amara.live_sessions, 0);

    // Reactivated: a new sign-in works, the session that was ended stays ended.
    assert_status(user_action(&app, &supervisor, "amara", "activate"), 204).await;
    assert_problem(app.get("/worklist", &session), 401, "invalid_token").await;
    let again = app.sign_in(&tablet, "amara", "1234").await;
    assert_status(app.get("/worklist", &again), 200).await;
    assert_eq!(app.audited("user.deactivated").await, 1);
    assert_eq!(app.audited("user.activated").await, 1);
    audit_quotes_no_pin(&app, &["1234"]).await;
}

#[tokio::test]
async fn only_a_supervisor_manages_people_never_their_own_account_and_only_an_admin_a_supervisors()
{
    let (app, supervisor, tablet) = ward().await;
    let collector = app.sign_in(&tablet, "amara", "1234").await;
    app.add_user("ben", Role::Collector, "2345").await;
    for (action, body) in [
        ("deactivate", None),
        ("activate", None),
        ("end-sessions", None),
        ("reset-pin", Some(json!({ "pin": "5555" }))),
    ] {
        let with_body = |req: reqwest::RequestBuilder| match &body {
            Some(b) => req.json(b),
            None => req,
        };
        assert_problem(
            with_body(user_action(&app, &collector, "ben", action)),
            403,
            "role_required",
        )
        .await;
        assert_problem(
            with_body(user_action(&app, &tablet, "ben", action)),
            401,
            "sign_in_required",
        )
        .await;
    }
    assert_problem(
        app.get("/supervisor/users", &collector),
        403,
        "role_required",
    )
    .await;

    assert_problem(
        user_action(&app, &supervisor, "sup", "deactivate"),
        422,
        "own_account",
    )
    .await;
    assert_problem(
        user_action(&app, &supervisor, "sup", "reset-pin").json(&json!({ "pin": "5555" })),
        422,
        "own_account",
    )
    .await;
    assert_problem(
        user_action(&app, &supervisor, "nobody", "deactivate"),
        404,
        "not_found",
    )
    .await;

    // Another supervisor's account is an admin's business.
    app.add_user("sue", Role::Supervisor, "8765").await;
    app.add_user("ada", Role::Admin, "7654").await;
    for action in ["deactivate", "end-sessions"] {
        assert_problem(
            user_action(&app, &supervisor, "sue", action),
            403,
            "admin_required",
        )
        .await;
    }
    assert_problem(
        user_action(&app, &supervisor, "sue", "reset-pin").json(&json!({ "pin": "5555" })),
        403,
        "admin_required",
    )
    .await;
    let admin = app.sign_in(&tablet, "ada", "7654").await;
    assert_eq!(
        ended(user_action(&app, &admin, "sue", "reset-pin").json(&json!({ "pin": "5555" }))).await,
        0
    );
    app.sign_in(&tablet, "sue", "5555").await;
    assert_eq!(
        ended(user_action(&app, &admin, "sue", "deactivate")).await,
        1
    );
    assert_eq!(
        app.audited("user.deactivated").await,
        1,
        "refusals change nothing"
    );
}

#[tokio::test]
async fn changing_ones_own_pin_needs_the_old_pin_and_ends_every_other_session() {
    let (app, _, tablet) = ward().await;
    let other_tablet = app.enroll("Other tablet").await.token;
    let here = app.sign_in(&tablet, "amara", "1234").await;
    let there = app.sign_in(&other_tablet, "amara", "1234").await;

    assert_problem(change_pin(&app, &here, "9999", "4321"), 403, "wrong_pin").await;
    assert_problem(change_pin(&app, &here, "1234", "12"), 422, "invalid_pin").await;
    assert_problem(change_pin(&app, &here, "1234", "1234"), 422, "same_pin").await;
    assert_problem(
        change_pin(&app, &tablet, "1234", "4321"),
        401,
        "sign_in_required",
    )
    .await;
    assert_status(app.get("/me", &there), 200).await;

    assert_eq!(ended(change_pin(&app, &here, "1234", "4321")).await, 1);
    let me: Me = app.get_ok("/me", &here).await;
    assert_eq!(
        me.user.unwrap().username,
        "amara",
        "the session that changed it goes on"
    );
    assert_problem(app.get("/me", &there), 401, "invalid_token").await;
    assert_problem(
        app.sign_in_with(&other_tablet, "amara", "1234"),
        401,
        "bad_credentials",
    )
    .await;
    app.sign_in(&other_tablet, "amara", "4321").await;
    assert_eq!(app.audited("user.pin_changed").await, 1);
    assert_eq!(app.audited("user.pin_change_failed").await, 1);
    audit_quotes_no_pin(&app, &["1234", "4321", "9999"]).await;
}

#[tokio::test]
async fn wrong_old_pins_count_against_the_sign_in_limit() {
    let (app, _, tablet) = ward().await;
    let session = app.sign_in(&tablet, "amara", "1234").await;
    for _ in 0..drawline_server::Limits::default().sign_in_failures_per_device {
        assert_problem(change_pin(&app, &session, "0000", "4321"), 403, "wrong_pin").await;
    }
    assert_problem(
        change_pin(&app, &session, "1234", "4321"),
        429,
        "too_many_attempts",
    )
    .await;
    assert_problem(
        app.sign_in_with(&tablet, "amara", "1234"),
        429,
        "too_many_attempts",
    )
    .await;
}

#[tokio::test]
async fn a_supervisor_resets_a_pin_and_every_session_of_that_person_ends() {
    let (app, supervisor, tablet) = ward().await;
    let other_tablet = app.enroll("Other tablet").await.token;
    let here = app.sign_in(&tablet, "amara", "1234").await;
    let there = app.sign_in(&other_tablet, "amara", "1234").await;
    let reset = |pin: &str| {
        user_action(&app, &supervisor, "amara", "reset-pin").json(&json!({ "pin": pin }))
    };
    assert_problem(reset("12"), 422, "invalid_pin").await;
    assert_status(app.get("/me", &here), 200).await;

    assert_eq!(ended(reset("8642")).await, 2);
    for session in [&here, &there] {
        assert_problem(app.get("/me", session), 401, "invalid_token").await;
    }
    assert_problem(
        app.sign_in_with(&tablet, "amara", "1234"),
        401,
        "bad_credentials",
    )
    .await;
    app.sign_in(&tablet, "amara", "8642").await;
    assert_eq!(app.audited("user.pin_reset").await, 1);
    audit_quotes_no_pin(&app, &["1234", "8642"]).await;
}

#[tokio::test]
async fn ending_a_persons_sessions_signs_them_out_everywhere_and_they_may_sign_in_again() {
    let (app, supervisor, tablet) = ward().await;
    let other_tablet = app.enroll("Other tablet").await.token;
    let here = app.sign_in(&tablet, "amara", "1234").await;
    let there = app.sign_in(&other_tablet, "amara", "1234").await;
    let users: Vec<UserAccount> = app.get_ok("/supervisor/users", &supervisor).await;
    let amara = users.iter().find(|u| u.user.username == "amara").unwrap();
    assert_eq!((amara.active, amara.live_sessions), (true, 2));

    assert_eq!(
        ended(user_action(&app, &supervisor, "amara", "end-sessions")).await,
        2
    );
    for session in [&here, &there] {
        assert_problem(app.get("/worklist", session), 401, "invalid_token").await;
    }
    assert_eq!(
        ended(user_action(&app, &supervisor, "amara", "end-sessions")).await,
        0
    );
    let again = app.sign_in(&tablet, "amara", "1234").await;
    assert_status(app.get("/worklist", &again), 200).await;
    // The supervisor's own session is untouched.
    assert_status(app.get("/supervisor/users", &supervisor), 200).await;
    assert_eq!(app.audited("user.sessions_ended").await, 2);
}

/// `POST /devices/current/token` as `token`, which must answer 200; answers the new enrollment.
async fn rotate(app: &TestApp, token: &str) -> EnrollResponse {
    let res = app
        .post("/devices/current/token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_rotated_token_takes_over_at_its_first_use_and_a_lost_answer_never_locks_the_tablet_out()
{
    let app = spawn_app().await;
    let (device, old) = app.device_with_orders("Ward tablet").await;

    let lost = rotate(&app, &old).await;
    assert_eq!(lost.device_id, device);
    assert_ne!(lost.token, old);
    // The answer never reached the tablet: its old token still works, and it asks again.
    assert_status(app.get("/site", &old), 200).await;
    let new = rotate(&app, &old).await;
    assert_problem(app.get("/site", &lost.token), 401, "invalid_token").await;
    assert_status(app.get("/site", &old), 200).await;

    // The first use of the new token is the end of the old one.
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let pushed = app.push_collections(&new.token, &[&f]).await;
    assert!(pushed.results[0].outcome.is_synced());
    assert_problem(app.get("/site", &old), 401, "invalid_token").await;
    assert_status(app.get("/site", &new.token), 200).await;
    // Sessions opened with the old token go on.
    let session = app.collector_on(&new.token).await;
    assert_status(app.get("/worklist", &session), 200).await;
    assert_eq!(app.audited("device.token_rotated").await, 2);

    // A session on the device may ask for the rotation too.
    let newer = rotate(&app, &session).await;
    assert_status(app.get("/site", &newer.token), 200).await;
    assert_problem(app.get("/site", &new.token), 401, "invalid_token").await;
}

#[tokio::test]
async fn a_pull_asks_the_tablet_to_rotate_a_token_older_than_the_lab_allows() {
    let app = spawn_app_with(|s| {
        s.with_limits(Limits {
            device_token_max_age_days: 30,
            ..Limits::default()
        })
    })
    .await;
    let (device, token) = app.device_with_orders("Ward tablet").await;
    let session = app.collector_on(&token).await;
    let pull: PullResponse = app.pull(&session, None).await;
    assert!(!pull.rotate_token);

    let long_ago = Utc::now() - chrono::Duration::days(31);
    app.sqlite()
        .execute(
            "UPDATE devices SET token_issued_at = ?2 WHERE id = ?1",
            rusqlite::params![device.to_string(), long_ago.to_rfc3339()],
        )
        .unwrap();
    assert!(app.pull(&session, None).await.rotate_token);
    // Old, but never refused for its age: the outbox must always get out.
    assert_status(app.get("/site", &token), 200).await;

    let new = rotate(&app, &token).await;
    assert!(app.pull(&session, None).await.rotate_token, "not yet used");
    assert_status(app.get("/site", &new.token), 200).await;
    assert!(!app.pull(&session, None).await.rotate_token);
}

#[tokio::test]
async fn a_revoked_device_cannot_rotate_its_token() {
    let (app, supervisor) = spawn_supervised().await;
    let tablet = app.enroll("Lost tablet").await;
    assert_status(
        app.post(
            &format!("/devices/{}/revoke", tablet.device_id),
            &supervisor,
        ),
        204,
    )
    .await;
    assert_problem(
        app.post("/devices/current/token", &tablet.token),
        403,
        "device_revoked",
    )
    .await;
}

#[tokio::test]
async fn a_bare_device_token_gets_no_patient_data_but_still_pushes_and_beats() {
    let app = spawn_app().await;
    let (_, token) = app.device_with_orders("Ward tablet").await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    // Nobody signed in: the outbox still goes out.
    let pushed = app.push_collections(&token, &[&f]).await;
    assert!(pushed.results[0].outcome.is_synced());
    let id = f.record().id().0;
    for path in [
        "/worklist".to_owned(),
        "/sync/pull".to_owned(),
        "/collections".to_owned(),
        format!("/collections/{id}"),
        "/receipts".to_owned(),
    ] {
        assert_problem(app.get(&path, &token), 401, "sign_in_required").await;
    }
    assert_status(
        app.post("/heartbeat", &token).json(&json!({
            "device_clock": null, "queue_length": 0,
            "oldest_unsynced_seconds": null, "last_error": null
        })),
        204,
    )
    .await;
    assert_status(app.get("/site", &token), 200).await;

    // Signed in on the tablet, the same routes answer.
    let session = app.collector_on(&token).await;
    let held: Vec<serde_json::Value> = app.get_ok("/collections", &session).await;
    assert_eq!(held.len(), 1);
    assert_status(app.get(&format!("/collections/{id}"), &session), 200).await;
    let receipts: Vec<serde_json::Value> = app.get_ok("/receipts", &session).await;
    assert_eq!(receipts.len(), 1);
}

#[tokio::test]
async fn a_session_on_another_device_reads_only_that_devices_data() {
    let app = spawn_app().await;
    let (_, token) = app.device_with_orders("Ward tablet").await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let res = app
        .push_raw(
            &token,
            &push_body(vec![fixtures::record(&f)], Utc::now().fixed_offset()),
        )
        .await;
    assert_eq!(res.status(), 200);
    let elsewhere = app.enroll("Other tablet").await;
    let session = app.collector_on(&elsewhere.token).await;

    let id = f.record().id().0;
    assert_problem(
        app.get(&format!("/collections/{id}"), &session),
        404,
        "not_found",
    )
    .await;
    let held: Vec<serde_json::Value> = app.get_ok("/collections", &session).await;
    assert!(held.is_empty());
    let receipts: Vec<serde_json::Value> = app.get_ok("/receipts", &session).await;
    assert!(receipts.is_empty());
    let worklist: Worklist = app.get_ok("/worklist", &session).await;
    assert!(worklist.orders.is_empty() && worklist.patients.is_empty());
    let pull = app.pull(&session, None).await;
    assert!(pull.orders.is_empty() && pull.patients.is_empty());
}
