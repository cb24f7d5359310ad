//! The device storage module on real IndexedDB in headless Chromium.
#![cfg(target_arch = "wasm32")]

use drawline::storage::keys::{self, TypedRecords};
use drawline::storage::schema::{
    DRAFTS, DRAFTS_BY_SAVED_AT, OUTBOX, OUTBOX_BY_FINALIZED_AT, SCHEMA_VERSION,
};
use drawline::storage::{
    boot_hints, conformance, Draft, DraftStore, IdbStore, OutboxItem, StorageError,
};
use gloo_storage::Storage;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A database name no other test uses, so tests never see each other's data.
fn fresh_name(test: &str) -> String {
    format!("drawline-test-{test}-{}", js_sys::Math::random().to_bits())
}

/// A fresh, empty database for one test: its name and the open store.
async fn fresh_store(test: &str) -> (String, IdbStore) {
    let name = fresh_name(test);
    let store = IdbStore::open(&name).await.expect("open IndexedDB");
    (name, store)
}

/// Closes the store and deletes its database.
async fn discard(name: &str, store: IdbStore) {
    store.close();
    IdbStore::delete(name).await.unwrap();
}

fn draft(id: &str, step: &str) -> Draft {
    Draft {
        id: id.into(),
        step: step.into(),
        saved_at: "2026-11-23T09:00:00Z".into(),
        data: serde_json::json!({ "tubes": [{ "cap": "lavender", "drawn_at": "2026-11-23T08:59:30Z" }] }),
    }
}

fn item(collection: &str, version: u32) -> OutboxItem {
    OutboxItem {
        id: OutboxItem::key(collection, version),
        collection_id: collection.into(),
        version,
        hash: "abc".into(),
        finalized_at: "2026-11-23T09:05:00Z".into(),
        data: serde_json::json!({ "record": {} }),
        attention: None,
        sealed: None,
    }
}

#[wasm_bindgen_test]
async fn indexeddb_passes_the_storage_conformance_suite() {
    let base = fresh_name("conformance");
    let names: Vec<String> = (0..conformance::CHECKS)
        .map(|i| format!("{base}-{i}"))
        .collect();
    let counter = std::cell::Cell::new(0usize);
    conformance::run_all(|| {
        let name = names[counter.get()].clone();
        counter.set(counter.get() + 1);
        async move { IdbStore::open(&name).await.expect("open IndexedDB") }
    })
    .await;
    assert_eq!(counter.get(), conformance::CHECKS);
    for name in &names {
        IdbStore::delete(name).await.ok();
    }
}

#[wasm_bindgen_test]
async fn a_draft_survives_closing_and_reopening_the_database() {
    let draft = draft("c-42", "label");
    let (name, store) = fresh_store("reopen").await;
    store.put_draft(&draft).await.unwrap();
    // Closing drops the connection as a reload or a killed tab does; the data must be on disk.
    store.close();
    let reopened = IdbStore::open(&name).await.unwrap();
    assert_eq!(reopened.get_draft("c-42").await.unwrap(), Some(draft));
    assert_eq!(reopened.count_drafts().await.unwrap(), 1);
    discard(&name, reopened).await;
}

#[wasm_bindgen_test]
async fn a_void_and_a_correction_draft_survive_closing_and_reopening_the_database() {
    let (name, store) = fresh_store("amend").await;
    // c-1 was synced; its void waits in the outbox. c-2's correction is an open draft.
    store.put_draft(&draft("c-1", "review")).await.unwrap();
    store.finalize("c-1", &item("c-1", 1)).await.unwrap();
    store.finalize("c-1", &item("c-1", 2)).await.unwrap();
    store.put_draft(&draft("c-2", "review")).await.unwrap();
    // A reload or a killed tab right after the collector confirmed: both are on disk.
    store.close();
    let reopened = IdbStore::open(&name).await.unwrap();
    let keys: Vec<String> = reopened
        .list_outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(keys, ["c-1/v1", "c-1/v2"]);
    assert_eq!(
        reopened.get_draft("c-2").await.unwrap(),
        Some(draft("c-2", "review"))
    );
    // Confirming the void again after the reload adds nothing.
    assert!(reopened.finalize("c-1", &item("c-1", 2)).await.is_err());
    assert_eq!(reopened.count_outbox().await.unwrap(), 2);
    discard(&name, reopened).await;
}

#[wasm_bindgen_test]
async fn draft_and_finalize_writes_ask_for_strict_durability() {
    let (name, store) = fresh_store("durability").await;
    // Chromium 121+ knows the option and reports what it granted.
    assert_eq!(store.write_durability().unwrap().as_deref(), Some("strict"));
    discard(&name, store).await;
}

#[wasm_bindgen_test]
async fn a_finalize_that_fails_leaves_the_draft_in_place_and_the_outbox_unchanged() {
    let (name, store) = fresh_store("atomic").await;
    store.put_draft(&draft("c-1", "review")).await.unwrap();
    store.finalize("c-1", &item("c-1", 1)).await.unwrap();
    // The same version again: the outbox half of the transaction fails, so the draft half
    // (deleting c-1's new draft) must be rolled back with it.
    store.put_draft(&draft("c-1", "review")).await.unwrap();
    let err = store.finalize("c-1", &item("c-1", 1)).await.unwrap_err();
    assert_eq!(
        err,
        StorageError::AlreadyFinalized(OutboxItem::key("c-1", 1))
    );
    assert_eq!(
        store.get_draft("c-1").await.unwrap(),
        Some(draft("c-1", "review"))
    );
    assert_eq!(store.count_outbox().await.unwrap(), 1);
    store.close();
    // And after a reopen the committed state is what was on disk.
    let reopened = IdbStore::open(&name).await.unwrap();
    assert_eq!(reopened.count_drafts().await.unwrap(), 1);
    assert_eq!(reopened.list_outbox().await.unwrap(), vec![item("c-1", 1)]);
    discard(&name, reopened).await;
}

#[wasm_bindgen_test]
async fn a_version_one_database_upgrades_keeping_its_drafts_outbox_and_settings() {
    let name = fresh_name("upgrade");
    let v1 = IdbStore::open_at(&name, 1).await.unwrap();
    assert_eq!(v1.version(), 1);
    v1.put_draft(&draft("c-7", "tubes")).await.unwrap();
    v1.put_draft(&draft("c-8", "identify")).await.unwrap();
    v1.finalize("c-8", &item("c-8", 1)).await.unwrap();
    v1.put_setting("device", &serde_json::json!({ "name": "Ward 5" }))
        .await
        .unwrap();
    v1.close();

    let v2 = IdbStore::open(&name).await.unwrap();
    assert_eq!(v2.version(), SCHEMA_VERSION);
    assert_eq!(
        v2.get_draft("c-7").await.unwrap(),
        Some(draft("c-7", "tubes"))
    );
    assert_eq!(v2.list_outbox().await.unwrap(), vec![item("c-8", 1)]);
    assert_eq!(
        v2.get_setting("device").await.unwrap(),
        Some(serde_json::json!({ "name": "Ward 5" }))
    );
    let layout = v2.layout();
    let indexes = |store: &str| {
        layout
            .iter()
            .find(|(s, _)| s == store)
            .map(|(_, i)| i.clone())
            .unwrap_or_default()
    };
    assert_eq!(indexes(OUTBOX), vec![OUTBOX_BY_FINALIZED_AT.to_string()]);
    assert_eq!(indexes(DRAFTS), vec![DRAFTS_BY_SAVED_AT.to_string()]);
    assert_eq!(layout.len(), 5, "{layout:?}");
    v2.close();
    IdbStore::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_older_app_opening_a_newer_database_is_told_to_reload() {
    let name = fresh_name("newer");
    IdbStore::open(&name).await.unwrap().close();
    let err = IdbStore::open_at(&name, 1).await.err();
    assert_eq!(err, Some(StorageError::NewerVersion));
    IdbStore::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_upgrade_blocked_by_an_open_older_connection_says_so() {
    let name = fresh_name("blocked");
    let old = IdbStore::open_at(&name, 1).await.unwrap();
    // The old connection closes itself on `versionchange` (as an old tab of this app does),
    // so the upgrade goes through instead of hanging.
    let new = IdbStore::open(&name).await.unwrap();
    assert_eq!(new.version(), SCHEMA_VERSION);
    drop(old);
    new.close();
    IdbStore::delete(&name).await.unwrap();
}

#[wasm_bindgen_test]
async fn typed_settings_are_stored_as_the_json_earlier_versions_wrote() {
    let (name, store) = fresh_store("typed").await;
    store
        .write(keys::NEEDLE, &drawline_domain::Device::Winged)
        .await
        .unwrap();
    assert_eq!(
        store.get_setting("needle").await.unwrap(),
        Some(serde_json::json!("winged"))
    );
    // A value written by an earlier version as plain JSON reads back typed.
    store
        .put_setting("pull_cursor", &serde_json::json!("c-9"))
        .await
        .unwrap();
    assert_eq!(
        store.read(keys::PULL_CURSOR).await.unwrap().as_deref(),
        Some("c-9")
    );
    store.remove(keys::PULL_CURSOR).await.unwrap();
    assert_eq!(store.get_setting("pull_cursor").await.unwrap(), None);
    discard(&name, store).await;
}

#[wasm_bindgen_test]
fn boot_hints_round_trip_through_local_storage() {
    gloo_storage::LocalStorage::delete(boot_hints::KEY);
    assert_eq!(boot_hints::read(), boot_hints::BootHints::default());
    boot_hints::update(|h| {
        h.enrolled = true;
        h.site_name = Some("St. Olaf".into());
    });
    let read = boot_hints::read();
    assert!(read.enrolled);
    assert_eq!(read.site_name.as_deref(), Some("St. Olaf"));
    assert_eq!(read.lock_timeout_minutes, None);
    gloo_storage::LocalStorage::delete(boot_hints::KEY);
}
