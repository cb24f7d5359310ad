//! The lab key file with the real `drawline serve`: made once beside the database (private),
//! reused across restarts so a record sealed before a restart opens after it, a damaged file
//! stops the server with a clear message (never a new key over it), and no log line holds the
//! data key or the lab's private key.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use drawline_server::api::{EnrollResponse, PushResponse, RecordOutcome, SessionResponse};
use drawline_server::store::SiteStore;
use drawline_server::{accounts, SqliteStore};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{add_fixture_collectors, seal_push_of, seed_collection_orders, serving_base};

/// A lab folder with a database holding a registered tablet (with orders); answers (folder,
/// database, enrollment code).
async fn lab() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lab.sqlite");
    let store = SqliteStore::open(&db).unwrap();
    store.set_site_name("Test Lab").await.unwrap();
    let code = accounts::register_device(&store, "Tablet", "test", Utc::now())
        .await
        .unwrap();
    seed_collection_orders(&store, code.device_id).await;
    add_fixture_collectors(&db);
    (dir, db, code.code)
}

/// `drawline serve` on the lab folder, its log (at `trace`) written to `log`.
fn serve(db: &Path, dir: &Path, log: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_drawline"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--dist"])
        .arg(dir.join("no-app"))
        .env("DRAWLINE_DB", db)
        .env("DRAWLINE_LOG", "trace")
        .env_remove("DRAWLINE_CONFIG")
        .env_remove("DRAWLINE_SITE_DIR")
        .env_remove("DRAWLINE_LAB_KEY_FILE")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap());
    cmd
}

/// Starts the server; answers the process and its base URL.
fn start(db: &Path, dir: &Path, log: &Path) -> (Child, String) {
    let mut child = serve(db, dir, log).spawn().unwrap();
    let base = serving_base(&mut child);
    (child, base)
}

fn stop(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

async fn push(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &serde_json::Value,
) -> PushResponse {
    let res = client
        .post(format!("{base}/api/v1/sync/push"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_lab_key_file_is_made_once_beside_the_database_and_a_record_sealed_before_a_restart_opens_after_it(
) {
    let (dir, db, code) = lab().await;
    let key_file = dir.path().join("lab.sqlite.lab-key.json");
    assert!(!key_file.exists());
    let log = dir.path().join("serve.log");
    let client = reqwest::Client::new();

    let (server, base) = start(&db, dir.path(), &log);
    assert!(key_file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let made = std::fs::read(&key_file).unwrap();
    let enrolled: EnrollResponse = client
        .post(format!("{base}/api/v1/enroll"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lab_key = enrolled.lab_key.unwrap();
    // Sealed while the first process runs, sent only after the restart.
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let body = seal_push_of(&lab_key, &f);
    stop(server);

    let (server, base) = start(&db, dir.path(), &log);
    assert_eq!(std::fs::read(&key_file).unwrap(), made, "the same key file");
    let out = push(&client, &base, &enrolled.token, &body).await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Accepted, "{out:?}");
    stop(server);
    // Nothing else was left beside it (no temporary files).
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("lab-key"))
        .collect();
    assert_eq!(names, vec!["lab.sqlite.lab-key.json".to_owned()]);
}

#[tokio::test]
async fn a_damaged_lab_key_file_stops_the_server_with_a_clear_message_and_is_left_as_it_was() {
    let (dir, db, _) = lab().await;
    let key_file = dir.path().join("lab.sqlite.lab-key.json");
    let log = dir.path().join("serve.log");
    for damaged in [
        "",
        "{\"kty\":\"EC\",\"crv\":\"P-256\"",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\",\"d\":\"AA\"}",
    ] {
        std::fs::write(&key_file, damaged).unwrap();
        let mut child = serve(&db, dir.path(), &log).spawn().unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("the server started over a damaged key file");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(!status.success());
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
        assert!(!out.contains("serving"), "{out}");
        let err = std::fs::read_to_string(&log).unwrap();
        assert!(
            err.contains("lab key file") && err.contains("cannot be used"),
            "{err}"
        );
        assert!(err.contains("restore it from the backup"), "{err}");
        assert_eq!(std::fs::read_to_string(&key_file).unwrap(), damaged);
    }
}

#[tokio::test]
async fn no_log_line_holds_the_data_key_or_the_labs_private_key() {
    let (dir, db, code) = lab().await;
    let add = Command::new(env!("CARGO_BIN_EXE_drawline"))
        .args([
            "users",
            "add",
            "amara",
            "--name",
            "Amara Obi",
            "--role",
            "collector",
        ])
        .env("DRAWLINE_DB", &db)
        .env("DRAWLINE_PIN", "1357")
        .env_remove("DRAWLINE_CONFIG")
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let log = dir.path().join("serve.log");
    let client = reqwest::Client::new();
    let (server, base) = start(&db, dir.path(), &log);
    let enrolled: EnrollResponse = client
        .post(format!("{base}/api/v1/enroll"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut keys = Vec::new();
    for _ in 0..2 {
        let session: SessionResponse = client
            .post(format!("{base}/api/v1/sessions"))
            .bearer_auth(&enrolled.token)
            .json(&json!({ "username": "amara", "pin": "1357" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        keys.push(session.data_key.unwrap());
    }
    assert_eq!(keys[0], keys[1]);
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let out = push(
        &client,
        &base,
        &enrolled.token,
        &seal_push_of(enrolled.lab_key.as_ref().unwrap(), &f),
    )
    .await;
    assert_eq!(out.results[0].outcome, RecordOutcome::Accepted);
    stop(server);

    let jwk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("lab.sqlite.lab-key.json")).unwrap())
            .unwrap();
    let private = jwk["d"].as_str().unwrap();
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.lines().count() > 5, "the log was written: {log}");
    for line in log.lines() {
        assert!(!line.contains(&keys[0]), "the data key in the log: {line}");
        assert!(
            !line.contains(private),
            "the lab's private key in the log: {line}"
        );
    }
}
