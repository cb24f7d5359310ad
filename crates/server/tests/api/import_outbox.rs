//! `drawline import-outbox FILE`, the real binary over the database a running server uses: a
//! tablet's emergency export is taken exactly once, as if the tablet had pushed it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Utc;
use drawline_domain::FinalizedCollection;
use drawline_server::api::{export_checksum, OutboxExport, PushRecord, RecordOutcome};
use drawline_server::lab_key::{seal_record, LabKey};
use drawline_server::store::{AuditStore, PeopleStore, SyncStore};
use uuid::Uuid;

use crate::fixtures;
use crate::helpers::{sealed, spawn_app_with, TestApp};

/// A lab whose server runs on a key file the CLI can read too, with an enrolled tablet.
struct Lab {
    app: TestApp,
    key_dir: tempfile::TempDir,
    device: Uuid,
    token: String,
    key: LabKey,
}

impl Lab {
    async fn new() -> Self {
        let key_dir = tempfile::tempdir().unwrap();
        let key = LabKey::load_or_create(&key_dir.path().join("lab-key.json")).unwrap();
        let server_key = key.clone();
        let app = spawn_app_with(move |s| s.with_lab_key(server_key)).await;
        let tablet = app.tablet_enrollment("Tablet").await;
        assert_eq!(tablet.lab_key.as_ref(), Some(key.public_jwk()));
        Lab {
            app,
            key_dir,
            device: tablet.device_id,
            token: tablet.token,
            key,
        }
    }

    fn db(&self) -> PathBuf {
        self.app.dir.path().join("test.sqlite")
    }

    fn key_file(&self) -> PathBuf {
        self.key_dir.path().join("lab-key.json")
    }

    /// The export a tablet makes of these collections.
    fn export(&self, collections: &[&FinalizedCollection]) -> OutboxExport {
        let records = collections
            .iter()
            .map(|f| seal_record(self.key.public_jwk(), &PushRecord::from_finalized(f)).unwrap())
            .collect();
        OutboxExport::new(
            self.device,
            "Tablet".into(),
            Utc::now().fixed_offset(),
            records,
        )
    }

    /// Writes the file; answers its path.
    fn write(&self, export: &OutboxExport) -> PathBuf {
        let path = self
            .app
            .dir
            .path()
            .join(format!("outbox-{}.json", Uuid::new_v4()));
        std::fs::write(&path, serde_json::to_vec_pretty(export).unwrap()).unwrap();
        path
    }

    /// `drawline import-outbox FILE` on this lab's database and key file.
    fn import(&self, file: &Path) -> Output {
        import_with(file, &self.db(), &self.key_file())
    }
}

fn import_with(file: &Path, db: &Path, key: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drawline"))
        .arg("import-outbox")
        .arg(file)
        .env("DRAWLINE_DB", db)
        .env("DRAWLINE_LAB_KEY_FILE", key)
        .env_remove("DRAWLINE_CONFIG")
        .env_remove("DRAWLINE_SITE_DIR")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The line the import prints for a record.
fn line(f: &FinalizedCollection, outcome: &str) -> String {
    format!("{} v1: {outcome}", f.record().id().0)
}

async fn stored_versions(app: &TestApp, device: Uuid) -> usize {
    let mut n = 0;
    for c in app.store.list_collections(Some(device)).await.unwrap() {
        n += app.store.collection_versions(c.id).await.unwrap().len();
    }
    n
}

#[tokio::test]
async fn a_file_with_an_altered_count_or_checksum_or_format_is_refused_whole_and_nothing_is_stored()
{
    let lab = Lab::new().await;
    let a = fixtures::finalized_collection(Uuid::new_v4());
    let b = fixtures::finalized_collection(Uuid::new_v4());
    let good = lab.export(&[&a, &b]);

    let mut dropped = good.clone();
    dropped.records.pop();
    let mut recounted = dropped.clone();
    recounted.count = 1;
    let mut rechecked = good.clone();
    rechecked.checksum = export_checksum(&rechecked.records[..1]);
    let mut foreign = good.clone();
    foreign.format = "something/2".into();
    for (export, says) in [
        (&dropped, "says 2 records but holds 1"),
        (&recounted, "checksum does not match"),
        (&rechecked, "checksum does not match"),
        (&foreign, "not a Drawline outbox export"),
    ] {
        let out = lab.import(&lab.write(export));
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("nothing was imported"),
            "{}",
            stderr(&out)
        );
    }
    let path = lab.app.dir.path().join("not-json.json");
    std::fs::write(
        &path,
        "{\"format\": \"drawline-outbox/1\", \"count\": \"CHALMERS\"}",
    )
    .unwrap();
    let out = lab.import(&path);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("CHALMERS"), "{}", stderr(&out));

    assert_eq!(stored_versions(&lab.app, lab.device).await, 0);
    assert_eq!(lab.app.audited("outbox.imported").await, 0);
}

#[tokio::test]
async fn a_file_of_a_device_the_lab_does_not_know_is_refused_whole() {
    let lab = Lab::new().await;
    let mut export = lab.export(&[&fixtures::finalized_collection(Uuid::new_v4())]);
    export.device_id = Uuid::new_v4();
    let out = lab.import(&lab.write(&export));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("no device {}", export.device_id)),
        "{}",
        stderr(&out)
    );
    assert_eq!(stored_versions(&lab.app, lab.device).await, 0);
}

#[tokio::test]
async fn without_the_lab_key_file_or_the_database_nothing_is_imported_and_neither_is_made() {
    let lab = Lab::new().await;
    let file = lab.write(&lab.export(&[&fixtures::finalized_collection(Uuid::new_v4())]));
    let missing = lab.key_dir.path().join("elsewhere.json");
    let out = import_with(&file, &lab.db(), &missing);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no lab key file"), "{}", stderr(&out));
    assert!(!missing.exists());
    assert_eq!(stored_versions(&lab.app, lab.device).await, 0);

    let no_db = lab.key_dir.path().join("no.sqlite");
    let out = import_with(&file, &no_db, &lab.key_file());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no lab database"), "{}", stderr(&out));
    assert!(!no_db.exists());
}

#[tokio::test]
async fn a_good_file_imports_once_a_second_import_is_all_duplicates_and_the_tablets_later_push_gets_the_same_receipts(
) {
    let lab = Lab::new().await;
    let a = fixtures::finalized_collection(Uuid::new_v4());
    let b = fixtures::finalized_collection(Uuid::new_v4());
    let file = lab.write(&lab.export(&[&a, &b]));

    let out = lab.import(&file);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains(&line(&a, "accepted")), "{text}");
    assert!(text.contains(&line(&b, "accepted")), "{text}");
    assert!(
        text.contains("2 records: 2 accepted, 0 duplicate, 0 conflict, 0 rejected"),
        "{text}"
    );
    assert!(
        !text.contains("CHALMERS") && !text.contains("Chalmers"),
        "{text}"
    );
    let receipts = lab.app.store.receipts(lab.device, None).await.unwrap();
    assert_eq!(receipts.len(), 2);

    let again = lab.import(&file);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let text = stdout(&again);
    assert!(
        text.contains(&line(&a, "duplicate")) && text.contains(&line(&b, "duplicate")),
        "{text}"
    );
    assert!(
        text.contains("2 records: 0 accepted, 2 duplicate"),
        "{text}"
    );
    assert_eq!(lab.app.audited("outbox.imported").await, 2);

    // The tablet comes back online and sends what it still holds: a plain and a sealed copy.
    let out = lab
        .app
        .push_sealed(
            &lab.token,
            vec![fixtures::record(&a)],
            vec![sealed(lab.key.public_jwk(), &b)],
        )
        .await;
    for r in &out.results {
        assert_eq!(r.outcome, RecordOutcome::Duplicate);
        let receipt = r.receipt.as_ref().unwrap();
        assert!(
            receipts.contains(receipt),
            "{receipt:?} is not the import's"
        );
    }
    assert_eq!(stored_versions(&lab.app, lab.device).await, 2);
    assert_eq!(lab.app.audited("collection.received").await, 2);
    // An import is not the tablet talking: no heartbeat was recorded for it.
    let beats = lab
        .app
        .store
        .device_heartbeats(lab.device, 10)
        .await
        .unwrap();
    assert_eq!(beats.len(), 1, "only the tablet's own push");
}

#[tokio::test]
async fn a_file_from_a_tablet_whose_clock_was_reset_still_imports_its_records() {
    let lab = Lab::new().await;
    let a = fixtures::finalized_collection(Uuid::new_v4());
    let mut export = lab.export(&[&a]);
    export.exported_at = chrono::DateTime::parse_from_rfc3339("1970-01-01T00:00:00Z").unwrap();
    let out = lab.import(&lab.write(&export));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("the lab's clock stands in"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(&line(&a, "accepted")),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn a_revoked_tablets_export_is_imported_under_that_tablet() {
    let lab = Lab::new().await;
    let a = fixtures::finalized_collection(Uuid::new_v4());
    assert!(lab
        .app
        .store
        .revoke_device(lab.device, Utc::now())
        .await
        .unwrap());
    let out = lab.import(&lab.write(&lab.export(&[&a])));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        lab.app
            .store
            .collection_owner(a.record().id().0)
            .await
            .unwrap(),
        Some(lab.device)
    );
    let audit = lab.app.store.audit_log(20).await.unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "outbox.imported")
        .unwrap();
    assert_eq!(
        entry.subject.as_deref(),
        Some(format!("device:{}", lab.device).as_str())
    );
    let detail: serde_json::Value = serde_json::from_str(entry.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["accepted"], 1);
    assert_eq!(detail["records"], 1);
}

#[tokio::test]
async fn a_record_that_fails_re_validation_or_a_reforged_seal_is_reported_and_the_rest_are_imported_with_exit_status_2(
) {
    let lab = Lab::new().await;
    let good = fixtures::finalized_collection(Uuid::new_v4());
    let stranger = fixtures::made_by_stranger(&fixtures::finalized_collection(Uuid::new_v4()));
    let forged = fixtures::finalized_collection(Uuid::new_v4());
    let mut export = lab.export(&[&good, &stranger, &forged]);
    // Someone alters a record and recomputes the checksum: the file passes, the seal does not.
    let other_iv = export.records[0].sealed.iv.clone();
    export.records[2].sealed.iv = other_iv;
    export = OutboxExport::new(
        export.device_id,
        export.device_name,
        export.exported_at,
        export.records,
    );

    let out = lab.import(&lab.write(&export));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains(&line(&good, "accepted")), "{text}");
    assert!(
        text.contains(&line(&stranger, "rejected unknown_collector")),
        "{text}"
    );
    assert!(
        text.contains(&line(&forged, "rejected unreadable_seal")),
        "{text}"
    );
    assert!(
        text.contains("3 records: 1 accepted, 0 duplicate, 0 conflict, 2 rejected"),
        "{text}"
    );
    assert_eq!(stored_versions(&lab.app, lab.device).await, 1);

    // The refusals wait in the lab's queue as refused pushes do.
    let refused: i64 = lab
        .app
        .sqlite()
        .query_row(
            "SELECT COUNT(*) FROM push_attempts WHERE device_id = ?1 AND outcome = 'rejected'",
            [lab.device.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(refused, 2);
    assert!(lab.app.store.device(lab.device).await.unwrap().is_some());
}
