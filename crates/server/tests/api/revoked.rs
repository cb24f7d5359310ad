//! A revoked device: its token, its sessions and a rotated token waiting for first use all get
//! 403 `device_revoked` (the tablet wipes what it delivered on that answer), while an unknown or
//! ended token stays 401 `invalid_token`.

use drawline_server::api::{EnrollResponse, Role};
use drawline_server::auth::{new_token, DEVICE_TOKEN_PREFIX, SESSION_TOKEN_PREFIX};

use crate::helpers::{assert_problem, assert_status, push_body, spawn_supervised};

#[tokio::test]
async fn a_revoked_devices_token_its_sessions_and_its_pending_token_get_403_device_revoked_on_every_route(
) {
    let (app, supervisor) = spawn_supervised().await;
    let tablet = app.enroll("Lost tablet").await;
    app.add_user("amara", Role::Collector, "1357").await;
    let session = app.sign_in(&tablet.token, "amara", "1357").await;
    let pending: EnrollResponse = app
        .post("/devices/current/token", &tablet.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_status(
        app.post(
            &format!("/devices/{}/revoke", tablet.device_id),
            &supervisor,
        ),
        204,
    )
    .await;

    let push = push_body(vec![], chrono::Utc::now().fixed_offset());
    for token in [&tablet.token, &session, &pending.token] {
        for path in ["/site", "/me", "/worklist", "/receipts", "/sync/pull"] {
            assert_problem(app.get(path, token), 403, "device_revoked").await;
        }
        assert_problem(
            app.post("/sync/push", token).json(&push),
            403,
            "device_revoked",
        )
        .await;
        assert_problem(
            app.sign_in_with(token, "amara", "1357"),
            403,
            "device_revoked",
        )
        .await;
        assert_problem(
            app.post("/devices/current/token", token),
            403,
            "device_revoked",
        )
        .await;
    }
}

#[tokio::test]
async fn an_unknown_token_or_an_ended_session_of_a_working_device_stays_401_invalid_token() {
    let (app, _supervisor) = spawn_supervised().await;
    let tablet = app.enroll("Ward tablet").await;
    app.add_user("amara", Role::Collector, "1357").await;
    let session = app.sign_in(&tablet.token, "amara", "1357").await;
    assert_status(
        app.client
            .delete(app.url("/sessions/current"))
            .bearer_auth(&session),
        204,
    )
    .await;
    for token in [
        session,
        new_token(DEVICE_TOKEN_PREFIX),
        new_token(SESSION_TOKEN_PREFIX),
        "garbage".to_owned(),
    ] {
        assert_problem(app.get("/site", &token), 401, "invalid_token").await;
    }
    assert_status(app.get("/site", &tablet.token), 200).await;
}
