//! The storage the sync protocol will use: idempotent versions by id and hash, receipts, heartbeats, atomic batches.

use chrono::{Duration, Utc};
use drawline_server::api::{push_codes, Heartbeat, PushResult, RecordOutcome};
use drawline_server::store::{NewCollectionVersion, PeopleStore, SyncStore};
use drawline_server::{accounts, SqliteStore};
use uuid::Uuid;

use crate::fixtures;

/// A store in a temporary folder (answered too: it holds the file) with one registered device.
async fn store_with_device() -> (tempfile::TempDir, SqliteStore, Uuid) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
    let code = accounts::register_device(&store, "Tablet", "test", Utc::now())
        .await
        .unwrap();
    (dir, store, code.device_id)
}

/// A device's push received now, through the store; the push must not fail.
async fn push_now(
    store: &SqliteStore,
    device: Uuid,
    versions: Vec<NewCollectionVersion>,
) -> Vec<PushResult> {
    store
        .sync_push(fixtures::push_of(device, versions, Utc::now()))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_same_version_pushed_twice_is_stored_once_and_answers_the_original_receipt() {
    let (_dir, store, device) = store_with_device().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let v = fixtures::version_of(&f, Utc::now());
    let first = push_now(&store, device, vec![v.clone()]).await;
    let again = push_now(&store, device, vec![v.clone()]).await;
    let (RecordOutcome::Accepted, RecordOutcome::Duplicate, Some(a), Some(b)) = (
        first[0].outcome,
        again[0].outcome,
        &first[0].receipt,
        &again[0].receipt,
    ) else {
        panic!("{first:?} {again:?}");
    };
    assert_eq!(a, b);
    assert_eq!(
        store
            .collection_versions(v.collection_id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.receipts(device, None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_different_hash_without_naming_what_it_supersedes_is_a_conflict() {
    let (_dir, store, device) = store_with_device().await;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let v = fixtures::version_of(&f, Utc::now());
    push_now(&store, device, vec![v.clone()]).await;
    let mut changed = v.clone();
    changed.content_hash = "0".repeat(64);
    let out = push_now(&store, device, vec![changed.clone()]).await;
    assert!(
        out[0].outcome == RecordOutcome::Conflict
            && out[0]
                .reason
                .as_deref()
                .is_some_and(|m| m.contains("supersede")),
        "{out:?}"
    );

    let mut correction = changed;
    correction.version = 2;
    correction.supersedes = Some(1);
    let out = push_now(&store, device, vec![correction]).await;
    assert_eq!(out[0].outcome, RecordOutcome::Accepted, "{out:?}");
    let versions = store.collection_versions(v.collection_id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let latest = store.latest_versions_since(None).await.unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].version, 2);
}

#[tokio::test]
async fn a_device_cannot_write_a_collection_that_another_device_owns() {
    let (_dir, store, owner) = store_with_device().await;
    let other = accounts::register_device(&store, "Other", "test", Utc::now())
        .await
        .unwrap()
        .device_id;
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let v = fixtures::version_of(&f, Utc::now());
    push_now(&store, owner, vec![v.clone()]).await;
    let out = push_now(&store, other, vec![v]).await;
    assert_eq!(
        (out[0].outcome, out[0].code.as_deref()),
        (RecordOutcome::Rejected, Some(push_codes::ANOTHER_DEVICE))
    );
}

#[tokio::test]
async fn a_device_clock_minutes_away_from_the_server_is_flagged_on_the_receipt() {
    let (_dir, store, device) = store_with_device().await;
    let now = Utc::now();
    let f = fixtures::finalized_collection(Uuid::new_v4());
    let out = store
        .sync_push(fixtures::push_of(
            device,
            vec![fixtures::version_of(&f, now - Duration::minutes(20))],
            now,
        ))
        .await
        .unwrap();
    let (RecordOutcome::Accepted, Some(r)) = (out[0].outcome, &out[0].receipt) else {
        panic!("{out:?}")
    };
    assert!(r.clock_skew_flagged);
    let versions = store.collection_versions(f.record().id().0).await.unwrap();
    assert!((versions[0].clock_skew_seconds + 1200).abs() <= 1);
}

#[tokio::test]
async fn a_failure_inside_a_batch_leaves_none_of_the_batch_stored() {
    let (dir, store, device) = store_with_device().await;
    let good = fixtures::finalized_collection(Uuid::new_v4());
    let doomed = fixtures::finalized_collection(Uuid::new_v4());
    // Simulates a crash mid-record: the receipt write of the second record fails after its version row went in.
    let conn = rusqlite::Connection::open(dir.path().join("s.sqlite")).unwrap();
    conn.execute_batch(&format!(
        "CREATE TRIGGER fail_receipt BEFORE INSERT ON receipts WHEN NEW.collection_id = '{}'
         BEGIN SELECT RAISE(ABORT, 'simulated crash'); END;",
        doomed.record().id().0
    ))
    .unwrap();
    let batch = vec![
        fixtures::version_of(&good, Utc::now()),
        fixtures::version_of(&doomed, Utc::now()),
    ];
    assert!(store
        .sync_push(fixtures::push_of(device, batch, Utc::now()))
        .await
        .is_err());
    assert!(store.list_collections(None).await.unwrap().is_empty());
    assert!(store
        .collection_versions(doomed.record().id().0)
        .await
        .unwrap()
        .is_empty());
    assert!(store.receipts(device, None).await.unwrap().is_empty());

    conn.execute_batch("DROP TRIGGER fail_receipt").unwrap();
    let batch = vec![
        fixtures::version_of(&good, Utc::now()),
        fixtures::version_of(&doomed, Utc::now()),
    ];
    let out = push_now(&store, device, batch).await;
    assert!(out.iter().all(|o| o.outcome == RecordOutcome::Accepted));
    assert_eq!(store.list_collections(Some(device)).await.unwrap().len(), 2);
}

#[tokio::test]
async fn heartbeats_show_on_the_device_list() {
    let (_dir, store, device) = store_with_device().await;
    let beat = Heartbeat {
        device_clock: Some(Utc::now().fixed_offset()),
        queue_length: 3,
        oldest_unsynced_seconds: Some(5400),
        last_error: Some("network unreachable".into()),
    };
    store
        .record_heartbeat(device, beat.clone(), Utc::now())
        .await
        .unwrap();
    let devices = store.list_devices().await.unwrap();
    assert_eq!(devices[0].last_heartbeat.as_ref().unwrap().heartbeat, beat);
}

#[tokio::test]
async fn receipts_since_an_instant_leave_out_older_ones() {
    let (_dir, store, device) = store_with_device().await;
    let t0 = Utc::now() - Duration::hours(1);
    let f = fixtures::finalized_collection(Uuid::new_v4());
    store
        .sync_push(fixtures::push_of(
            device,
            vec![fixtures::version_of(&f, t0)],
            t0,
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .receipts(device, Some(t0 + Duration::minutes(1)))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(store.receipts(device, Some(t0)).await.unwrap().len(), 1);
}
