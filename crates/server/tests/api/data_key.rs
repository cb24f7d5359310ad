//! Each device's data key: answered at sign-in to a person on that device only, the same every
//! time, another for another device; no other route answers it, and it is in no audit entry.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use drawline_server::api::{Role, SessionResponse};

use crate::helpers::{spawn_supervised, TestApp};

async fn sign_in(app: &TestApp, device_token: &str, user: &str, pin: &str) -> SessionResponse {
    let res = app
        .sign_in_with(device_token, user, pin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn sign_in_answers_the_signed_in_devices_data_key_the_same_every_time_and_another_for_another_device(
) {
    let (app, _) = spawn_supervised().await;
    let one = app.enroll("Tablet one").await;
    let two = app.enroll("Tablet two").await;
    app.add_user("amara", Role::Collector, "1357").await;
    app.add_user("ben", Role::Collector, "2468").await;

    let a = sign_in(&app, &one.token, "amara", "1357").await;
    let b = sign_in(&app, &one.token, "ben", "2468").await;
    let c = sign_in(&app, &two.token, "amara", "1357").await;
    let key = a.data_key.clone().unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(&key).unwrap().len(), 32);
    assert_eq!(
        b.data_key.as_ref(),
        Some(&key),
        "same device, another person"
    );
    let other = c.data_key.unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(&other).unwrap().len(), 32);
    assert_ne!(other, key);
}

#[tokio::test]
async fn no_route_but_sign_in_answers_the_data_key_and_no_audit_entry_holds_it() {
    let (app, supervisor) = spawn_supervised().await;
    let tablet = app.enroll("Tablet").await;
    app.add_user("amara", Role::Collector, "1357").await;
    let session = sign_in(&app, &tablet.token, "amara", "1357").await;
    let key = session.data_key.unwrap();
    let standard =
        base64::engine::general_purpose::STANDARD.encode(URL_SAFE_NO_PAD.decode(&key).unwrap());
    let hex_key = hex::encode(URL_SAFE_NO_PAD.decode(&key).unwrap());

    let mut answers = Vec::new();
    for (path, token) in [
        ("/me", &session.token),
        ("/me", &tablet.token),
        ("/site", &tablet.token),
        ("/worklist", &session.token),
        ("/receipts", &session.token),
        ("/devices", &supervisor),
        ("/supervisor/devices", &supervisor),
        ("/audit", &supervisor),
    ] {
        let res = app.get(path, token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        answers.push(res.text().await.unwrap());
    }
    let rotated = app
        .post("/devices/current/token", &tablet.token)
        .send()
        .await
        .unwrap();
    answers.push(rotated.text().await.unwrap());
    answers.push(app.audit_text());
    for text in &answers {
        for form in [&key, &standard, &hex_key] {
            assert!(!text.contains(form.as_str()), "the data key in {text}");
        }
    }
}

#[tokio::test]
async fn a_device_registered_before_data_keys_gets_one_at_its_first_sign_in_and_keeps_it() {
    let (app, _) = spawn_supervised().await;
    let tablet = app.enroll("Old tablet").await;
    app.sqlite()
        .execute(
            "UPDATE devices SET data_key = NULL WHERE id = ?1",
            [tablet.device_id.to_string()],
        )
        .unwrap();
    app.add_user("amara", Role::Collector, "1357").await;
    let first = sign_in(&app, &tablet.token, "amara", "1357").await;
    let second = sign_in(&app, &tablet.token, "amara", "1357").await;
    assert!(first.data_key.is_some());
    assert_eq!(first.data_key, second.data_key);
}

#[tokio::test]
async fn a_failed_sign_in_answers_no_data_key() {
    let (app, _) = spawn_supervised().await;
    let tablet = app.enroll("Tablet").await;
    app.add_user("amara", Role::Collector, "1357").await;
    let res = app
        .sign_in_with(&tablet.token, "amara", "0000")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body.get("data_key").is_none(), "{body}");
}
