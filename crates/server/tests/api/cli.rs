//! The built `drawline` binary: plan, devices, orders and export, as lab staff and scripts run them.

use std::process::{Command, Output};

fn drawline(args: &[&str], db: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drawline"))
        .args(args)
        .env("DRAWLINE_DB", db)
        .env_remove("DRAWLINE_CONFIG")
        .env_remove("DRAWLINE_SITE_DIR")
        .output()
        .unwrap()
}

/// The command failed and its error names `what`.
fn assert_fails_naming(out: Output, what: &str) {
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(what));
}

/// The command succeeded; its error output is the failure message.
fn assert_succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes an orders CSV into `dir`; answers its path.
fn orders_csv(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let csv = dir.join("orders.csv");
    std::fs::write(&csv, text).unwrap();
    csv
}

/// A temporary folder and the path of a lab database in it (created by the first command).
fn lab() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lab.sqlite");
    (dir, db)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn plan_prints_the_tubes_in_order_of_draw_with_a_discard_tube_for_a_winged_set() {
    let (_dir, db) = lab();
    let out = drawline(
        &["plan", "--tests", "PT,CMP,CBC", "--device", "winged"],
        &db,
    );
    assert_succeeded(&out);
    let text = stdout(&out);
    assert!(text.contains("DISCARD"), "{text}");
    let (blue, gold, lavender) = (
        text.find("light blue").unwrap(),
        text.find("gold").unwrap(),
        text.find("lavender").unwrap(),
    );
    assert!(blue < gold && gold < lavender, "{text}");
    assert!(!db.exists(), "plan needs no database");
}

#[test]
fn plan_json_is_an_array_of_tubes_with_the_documented_fields() {
    let (_dir, db) = lab();
    let out = drawline(
        &[
            "plan",
            "--tests",
            "PT,CMP,CBC",
            "--device",
            "winged",
            "--json",
        ],
        &db,
    );
    assert_succeeded(&out);
    let tubes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tubes = tubes.as_array().unwrap();
    assert_eq!(tubes.len(), 4);
    for key in [
        "container",
        "cap",
        "tests",
        "volume_ml",
        "inversions",
        "discard",
    ] {
        assert!(tubes.iter().all(|t| t.get(key).is_some()), "{key}");
    }
    assert_eq!(tubes[0]["discard"], true);
    assert_eq!(tubes[1]["tests"], serde_json::json!(["PT"]));
}

#[test]
fn plan_refuses_an_unknown_test_code() {
    let (_dir, db) = lab();
    assert_fails_naming(drawline(&["plan", "--tests", "CBC,NOPE"], &db), "NOPE");
}

#[test]
fn devices_enroll_prints_a_code_and_orders_import_reports_bad_rows_with_exit_status_2() {
    let (dir, db) = lab();
    let out = drawline(&["devices", "enroll", "Ward 5 tablet"], &db);
    assert_succeeded(&out);
    assert!(stdout(&out).contains("Enrollment code for \"Ward 5 tablet\": "));

    let csv = orders_csv(
        dir.path(),
        "order_id,mrn,family,given,birth_date,test\nc-1,MRN801,Ali,Sara,1970-05-05,CBC\nc-2,MRN802,Bad,Date,05/05/1970,CBC\n",
    );
    let out = drawline(
        &[
            "orders",
            "import",
            csv.to_str().unwrap(),
            "--round",
            "Ward 5",
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("1 created") && text.contains("line 3"),
        "{text}"
    );

    let out = drawline(
        &["orders", "assign", "Ward 5", "--device", "Ward 5 tablet"],
        &db,
    );
    assert_succeeded(&out);

    let out = drawline(&["export", "fhir"], &db);
    assert_succeeded(&out);
    let bundle: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");

    let out = drawline(&["devices", "revoke", "Ward 5 tablet"], &db);
    assert_succeeded(&out);
    let out = drawline(&["devices", "list"], &db);
    assert!(stdout(&out).contains("revoked"));
}

#[test]
fn serve_with_a_config_file_that_has_an_unknown_key_refuses_to_start() {
    let (dir, db) = lab();
    let config = dir.path().join("drawline.toml");
    std::fs::write(&config, "port = 8080\n").unwrap();
    assert_fails_naming(
        drawline(&["serve", "--config", config.to_str().unwrap()], &db),
        "port",
    );
}

#[test]
fn orders_cancel_cancels_an_open_order_once_and_refuses_an_unknown_one() {
    let (dir, db) = lab();
    let csv = orders_csv(
        dir.path(),
        "order_id,mrn,family,given,birth_date,test\nc-1,MRN801,Ali,Sara,1970-05-05,CBC\n",
    );
    let out = drawline(&["orders", "import", csv.to_str().unwrap()], &db);
    assert_succeeded(&out);

    let out = drawline(
        &["orders", "cancel", "c-1", "--reason", "entered twice"],
        &db,
    );
    assert_succeeded(&out);
    assert!(stdout(&out).contains("Order c-1 is cancelled"));
    let out = drawline(&["orders", "cancel", "c-1"], &db);
    assert_succeeded(&out);
    assert!(stdout(&out).contains("already cancelled"));

    assert_fails_naming(
        drawline(&["orders", "cancel", "nope"], &db),
        "no order nope",
    );
}

/// `drawline users ...` with the PIN in `DRAWLINE_PIN`.
fn users_with_pin(args: &[&str], db: &std::path::Path, pin: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drawline"))
        .arg("users")
        .args(args)
        .env("DRAWLINE_DB", db)
        .env("DRAWLINE_PIN", pin)
        .env_remove("DRAWLINE_CONFIG")
        .env_remove("DRAWLINE_SITE_DIR")
        .output()
        .unwrap()
}

#[test]
fn users_deactivate_activate_reset_pin_and_end_sessions_from_the_command_line() {
    let (_dir, db) = lab();
    let add = ["add", "amara", "--name", "Amara Okafor"];
    assert_succeeded(&users_with_pin(&add, &db, "1234"));
    let list = |db| stdout(&drawline(&["users", "list"], db));
    assert!(list(&db).contains("active"), "{}", list(&db));

    assert_succeeded(&drawline(&["users", "deactivate", "amara"], &db));
    assert!(list(&db).contains("inactive"), "{}", list(&db));
    assert_succeeded(&drawline(&["users", "activate", "amara"], &db));
    assert!(!list(&db).contains("inactive"));

    assert_fails_naming(
        users_with_pin(&["reset-pin", "amara"], &db, "12"),
        "at least 4",
    );
    let out = users_with_pin(&["reset-pin", "amara"], &db, "8642");
    assert_succeeded(&out);
    assert!(stdout(&out).contains("0 session(s) ended"));
    let store = drawline_server::SqliteStore::open(&db).unwrap();
    let creds = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(drawline_server::store::PeopleStore::user_credentials(
            &store, "amara",
        ))
        .unwrap()
        .unwrap();
    assert!(drawline_server::auth::verify_pin("8642", &creds.pin_hash));
    assert!(!drawline_server::auth::verify_pin("1234", &creds.pin_hash));
    let out = drawline(&["users", "end-sessions", "amara"], &db);
    assert_succeeded(&out);
    assert_fails_naming(
        drawline(&["users", "deactivate", "nobody"], &db),
        "no user nobody",
    );
}
