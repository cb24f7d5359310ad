//! The device storage module on real IndexedDB in headless Chromium.
#![cfg(target_arch = "wasm32")]

use drawline::storage::{conformance, Draft, DraftStore, IdbStore};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A database name no other test uses, so tests never see each other's data.
fn fresh_name(test: &str) -> String {
    format!("drawline-test-{test}-{}", js_sys::Math::random().to_bits())
}

#[wasm_bindgen_test]
async fn indexeddb_passes_the_storage_conformance_suite() {
    let mut names = Vec::new();
    let counter = std::cell::Cell::new(0u32);
    let base = fresh_name("conformance");
    for i in 0..5 {
        names.push(format!("{base}-{i}"));
    }
    conformance::run_all(|| {
        let name = names[counter.get() as usize].clone();
        counter.set(counter.get() + 1);
        async move { IdbStore::open(&name).await.expect("open IndexedDB") }
    })
    .await;
    for name in &names {
        IdbStore::delete(name).await.ok();
    }
}

#[wasm_bindgen_test]
async fn a_draft_survives_closing_and_reopening_the_database() {
    let name = fresh_name("reopen");
    let draft = Draft {
        id: "c-42".into(),
        step: "label".into(),
        saved_at: "2026-11-23T09:00:00Z".into(),
        data: serde_json::json!({ "tubes": [{ "cap": "lavender", "drawn_at": "2026-11-23T08:59:30Z" }] }),
    };
    let store = IdbStore::open(&name).await.unwrap();
    store.put_draft(&draft).await.unwrap();
    // Closing drops the connection as a reload or a killed tab does; the data must be on disk.
    store.close();
    let reopened = IdbStore::open(&name).await.unwrap();
    assert_eq!(reopened.get_draft("c-42").await.unwrap(), Some(draft));
    assert_eq!(reopened.count_drafts().await.unwrap(), 1);
    reopened.close();
    IdbStore::delete(&name).await.unwrap();
}
