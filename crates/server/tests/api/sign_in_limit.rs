//! The sign-in limit under attack: concurrent guesses, several devices, a busy PIN pool, missing users, a supervisor's unlock.

use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use drawline_server::api::Role;
use drawline_server::pin_pool::PinPool;
use drawline_server::Limits;
use serde_json::Value;

use crate::helpers::{assert_problem, assert_status, spawn_app_with, TestApp};

/// A server with these limits; answers it and its PIN pool, to count checks and to hold permits.
async fn spawn_limited(limits: Limits) -> (TestApp, Arc<PinPool>) {
    let mut pins = None;
    let app = spawn_app_with(|s| {
        let s = s.with_limits(limits);
        pins = Some(s.pins.clone());
        s
    })
    .await;
    (app, pins.expect("the state was built"))
}

/// Default limits with a pool that never makes a sign-in of these tests wait too long.
fn roomy() -> Limits {
    Limits {
        pin_hash_workers: 8,
        pin_hash_wait: Duration::from_secs(120),
        ..Limits::default()
    }
}

/// What a sign-in was answered.
#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    code: String,
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: Value = res.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        code: body["code"].as_str().unwrap_or_default().to_owned(),
    }
}

async fn sign_in(app: &TestApp, device: &str, user: &str, pin: &str) -> Answer {
    let res = app.sign_in_with(device, user, pin).send().await.unwrap();
    answer(res).await
}

/// `n` sign-ins sent at once; every one must be answered (never a reset connection).
async fn burst(app: &TestApp, n: usize, device: &str, user: &str, pin: &str) -> Vec<Answer> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let req = app.sign_in_with(device, user, pin);
        set.spawn(async move {
            let res = req.send().await.expect("every sign-in is answered");
            answer(res).await
        });
    }
    set.join_all().await
}

fn count(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

/// Moves every recorded attempt `minutes` into the past, as if that time had gone by.
fn age_attempts(app: &TestApp, minutes: i64) {
    let at = (Utc::now() - chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    app.sqlite()
        .execute("UPDATE sign_in_failures SET at = ?1", [at])
        .unwrap();
}

fn window_secs() -> u64 {
    Limits::default().sign_in_window.num_seconds() as u64
}

#[tokio::test]
async fn a_burst_of_thirty_wrong_pins_checks_five_and_then_even_the_right_pin_waits() {
    let (app, pins) = spawn_limited(roomy()).await;
    let tablet = app.enroll("Tablet").await;
    app.add_user("amara", Role::Collector, "1234").await;
    let per_device = Limits::default().sign_in_failures_per_device as usize;

    let answers = burst(&app, 30, &tablet.token, "amara", "0000").await;
    assert_eq!(count(&answers, 401), per_device, "{answers:?}");
    assert_eq!(count(&answers, 429), 30 - per_device, "{answers:?}");
    assert_eq!(
        pins.checks(),
        per_device as u64,
        "no more PINs checked than the limit"
    );
    assert_eq!(app.audited("session.sign_in_failed").await, per_device);
    for a in answers.iter().filter(|a| a.status == 429) {
        assert_eq!(a.code, "too_many_attempts");
        let wait = a.retry_after.expect("a 429 says when to retry");
        assert!((1..=window_secs()).contains(&wait), "{wait}");
    }

    let right = sign_in(&app, &tablet.token, "amara", "1234").await;
    assert_eq!(right.status, 429, "the right PIN waits too");
    assert_eq!(pins.checks(), per_device as u64, "and is not even checked");

    // Fourteen minutes later the wait is what is left of the oldest failure's fifteen.
    age_attempts(&app, 14);
    let right = sign_in(&app, &tablet.token, "amara", "1234").await;
    assert_eq!(right.status, 429);
    let wait = right.retry_after.unwrap();
    assert!((1..=60).contains(&wait), "{wait}");

    // Once the window has passed, the right PIN works.
    age_attempts(&app, 16);
    app.sign_in(&tablet.token, "amara", "1234").await;
    let left: i64 = app
        .sqlite()
        .query_row("SELECT COUNT(*) FROM sign_in_failures", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        left, 0,
        "a success forgets the failures and its own attempt"
    );
}

#[tokio::test]
async fn failures_on_several_tablets_stop_the_user_on_every_tablet_at_the_user_limit() {
    let (app, _) = spawn_limited(roomy()).await;
    app.add_user("amara", Role::Collector, "1234").await;
    app.add_user("ben", Role::Collector, "2345").await;
    let limits = Limits::default();
    let tablets = [
        app.enroll("Tablet A").await,
        app.enroll("Tablet B").await,
        app.enroll("Tablet C").await,
    ];
    let mut checked = 0;
    'guessing: for tablet in &tablets[..2] {
        for _ in 0..limits.sign_in_failures_per_device {
            if checked == limits.sign_in_failures_per_user {
                break 'guessing;
            }
            assert_problem(
                app.sign_in_with(&tablet.token, "amara", "0000"),
                401,
                "bad_credentials",
            )
            .await;
            checked += 1;
        }
    }
    assert_eq!(checked, limits.sign_in_failures_per_user);

    // A third tablet has seen no failure, yet the user is stopped there too.
    let fresh = sign_in(&app, &tablets[2].token, "amara", "1234").await;
    assert_eq!(
        (fresh.status, fresh.code.as_str()),
        (429, "too_many_attempts")
    );
    let wait = fresh.retry_after.unwrap();
    assert!((1..=window_secs()).contains(&wait), "{wait}");
    // Another person on that tablet is not.
    app.sign_in(&tablets[2].token, "ben", "2345").await;
}

#[tokio::test]
async fn a_supervisor_unlocks_a_user_on_every_tablet_and_a_collector_cannot() {
    let (app, _) = spawn_limited(roomy()).await;
    let (_, supervisor) = app.supervisor().await;
    app.add_user("amara", Role::Collector, "1234").await;
    app.add_user("ben", Role::Collector, "2345").await;
    let (a, b) = (app.enroll("Tablet A").await, app.enroll("Tablet B").await);
    for tablet in [&a, &b] {
        for _ in 0..Limits::default().sign_in_failures_per_device {
            sign_in(&app, &tablet.token, "amara", "0000").await;
        }
        let locked = sign_in(&app, &tablet.token, "amara", "1234").await;
        assert_eq!(locked.status, 429);
    }

    let ben = app.sign_in(&b.token, "ben", "2345").await;
    let unlock = "/supervisor/users/amara/unlock";
    assert_problem(app.post(unlock, &ben), 403, "role_required").await;
    assert_problem(app.post(unlock, &a.token), 401, "sign_in_required").await;
    assert_problem(
        app.post("/supervisor/users/nobody/unlock", &supervisor),
        404,
        "not_found",
    )
    .await;
    assert_eq!(sign_in(&app, &a.token, "amara", "1234").await.status, 429);

    assert_status(app.post(unlock, &supervisor), 204).await;
    assert_eq!(app.audited("user.unlocked").await, 1);
    app.sign_in(&a.token, "amara", "1234").await;
    app.sign_in(&b.token, "amara", "1234").await;
}

#[tokio::test]
async fn with_every_pin_worker_busy_a_sign_in_is_answered_busy_and_counts_nothing() {
    let (app, pins) = spawn_limited(Limits {
        pin_hash_workers: 1,
        pin_hash_wait: Duration::from_millis(50),
        ..Limits::default()
    })
    .await;
    let tablet = app.enroll("Tablet").await;
    app.add_user("amara", Role::Collector, "1234").await;

    let held = pins.reserve().await.unwrap();
    for (user, pin) in [("amara", "0000"), ("amara", "1234"), ("nobody", "1234")] {
        for _ in 0..Limits::default().sign_in_failures_per_device {
            let busy = sign_in(&app, &tablet.token, user, pin).await;
            assert_eq!((busy.status, busy.code.as_str()), (503, "busy"), "{user}");
            assert_eq!(busy.retry_after, Some(1));
        }
    }
    assert_eq!(pins.checks(), 0);
    assert_eq!(app.audited("session.sign_in_failed").await, 0);
    drop(held);

    // None of those counted: the right PIN works at once.
    app.sign_in(&tablet.token, "amara", "1234").await;
}

#[tokio::test]
async fn a_burst_bigger_than_the_pool_is_answered_busy_or_signed_in_and_never_reset() {
    let (app, _) = spawn_limited(Limits {
        pin_hash_workers: 1,
        pin_hash_wait: Duration::ZERO,
        ..Limits::default()
    })
    .await;
    let users = ["amara", "ben", "chen", "dana"];
    for user in users {
        app.add_user(user, Role::Collector, "1234").await;
    }
    let tablets = [
        app.enroll("Tablet A").await,
        app.enroll("Tablet B").await,
        app.enroll("Tablet C").await,
    ];
    let mut set = tokio::task::JoinSet::new();
    for tablet in &tablets {
        for user in users {
            let req = app.sign_in_with(&tablet.token, user, "1234");
            let token = tablet.token.clone();
            set.spawn(async move {
                let res = req.send().await.expect("every sign-in is answered");
                (token, user, answer(res).await)
            });
        }
    }
    for (token, user, first) in set.join_all().await {
        match first.status {
            200 => {}
            503 => {
                assert_eq!(first.code, "busy");
                assert!(first.retry_after.is_some_and(|s| s >= 1), "{first:?}");
                // The pool is free again once the burst is over.
                app.sign_in(&token, user, "1234").await;
            }
            other => panic!("a burst is answered 200 or 503, not {other}: {first:?}"),
        }
    }
}

#[tokio::test]
async fn a_missing_or_inactive_user_takes_the_path_of_a_wrong_pin() {
    let (app, pins) = spawn_limited(roomy()).await;
    let tablet = app.enroll("Tablet").await;
    app.add_user("amara", Role::Collector, "1234").await;
    app.add_user("gone", Role::Collector, "1234").await;
    app.sqlite()
        .execute("UPDATE users SET active = 0 WHERE username = 'gone'", [])
        .unwrap();

    let wrong = sign_in(&app, &tablet.token, "amara", "0000").await;
    assert_eq!((pins.checks(), pins.dummy_checks()), (1, 0));
    for (n, user) in ["nobody", "gone"].into_iter().enumerate() {
        let missing = sign_in(&app, &tablet.token, user, "1234").await;
        assert_eq!((missing.status, &missing.code), (wrong.status, &wrong.code));
        let n = n as u64 + 1;
        assert_eq!(
            (pins.checks(), pins.dummy_checks()),
            (1 + n, n),
            "{user}'s PIN is checked against the dummy hash"
        );
    }
    assert_eq!(app.audited("session.sign_in_failed").await, 3);

    // Failures of a missing user count the same way.
    for _ in 1..Limits::default().sign_in_failures_per_device {
        sign_in(&app, &tablet.token, "nobody", "1234").await;
    }
    let limited = sign_in(&app, &tablet.token, "nobody", "1234").await;
    assert_eq!(
        (limited.status, limited.code.as_str()),
        (429, "too_many_attempts")
    );
}

#[tokio::test]
async fn a_pin_shorter_than_the_site_minimum_is_checked_and_refused_like_any_wrong_pin() {
    let (app, pins) = spawn_limited(Limits {
        min_pin_length: 6,
        ..roomy()
    })
    .await;
    let tablet = app.enroll("Tablet").await;
    app.add_user("amara", Role::Collector, "246810").await;
    let short = app
        .sign_in_with(&tablet.token, "amara", "12")
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 401);
    let body: Value = short.json().await.unwrap();
    assert_eq!(body["code"], "bad_credentials");
    let message = body["message"].as_str().unwrap();
    assert!(
        !message.contains('6') && !message.contains("short"),
        "{message}"
    );
    assert_eq!(pins.checks(), 1);
}

/// Runs the built `drawline` binary on a lab database, with the PIN in the environment.
fn drawline(args: &[&str], db: &std::path::Path, pin: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drawline"))
        .args(args)
        .env("DRAWLINE_DB", db)
        .env("DRAWLINE_PIN", pin)
        .env_remove("DRAWLINE_CONFIG")
        .env_remove("DRAWLINE_MIN_PIN_LENGTH")
        .env_remove("DRAWLINE_SITE_DIR")
        .output()
        .unwrap()
}

#[test]
fn the_command_line_refuses_a_short_pin_by_the_site_setting_and_unlocks_a_user() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lab.sqlite");
    let add = ["users", "add", "amara", "--name", "Amara Osei"];
    let short = drawline(
        &[&add[..], &["--min-pin-length", "6"]].concat(),
        &db,
        "1234",
    );
    assert!(!short.status.success());
    let err = String::from_utf8_lossy(&short.stderr);
    assert!(
        err.contains("at least 6 characters") && err.contains("min_pin_length"),
        "{err}"
    );
    let added = drawline(&add, &db, "1234");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    let conn = rusqlite::Connection::open(&db).unwrap();
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    for device in ["tablet-a", "tablet-b"] {
        conn.execute(
            "INSERT INTO sign_in_failures (username, device_id, at) VALUES ('amara', ?1, ?2)",
            [device, &now],
        )
        .unwrap();
    }
    let unlocked = drawline(&["users", "unlock", "amara"], &db, "");
    assert!(
        unlocked.status.success(),
        "{}",
        String::from_utf8_lossy(&unlocked.stderr)
    );
    assert!(String::from_utf8_lossy(&unlocked.stdout).contains("forgot 2"));
    let left: i64 = conn
        .query_row("SELECT COUNT(*) FROM sign_in_failures", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
    let audited: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.unlocked' AND actor = 'cli'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);

    let nobody = drawline(&["users", "unlock", "nobody"], &db, "");
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no user named nobody"));
}
