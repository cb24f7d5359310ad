//! One behaviour suite every `DraftStore` must pass: natively on memory, in Chromium on IndexedDB.

use std::future::Future;

use serde_json::json;

use super::{Draft, DraftStore};

fn draft(id: &str, step: &str) -> Draft {
    Draft {
        id: id.into(),
        step: step.into(),
        saved_at: "2026-11-23T08:15:00+01:00".into(),
        data: json!({ "patient": { "mrn": "MRN-1001", "name": "Ada Lovelace" }, "tubes": [1, 2] }),
    }
}

/// Runs every check, each against a fresh, empty store from `fresh`.
pub async fn run_all<S, F, Fut>(fresh: F)
where
    S: DraftStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    a_saved_draft_reads_back_unchanged(&fresh().await).await;
    saving_again_replaces_the_draft_instead_of_adding_one(&fresh().await).await;
    deleting_a_draft_leaves_the_others(&fresh().await).await;
    a_missing_draft_reads_as_none_and_deletes_without_error(&fresh().await).await;
    an_empty_store_has_no_drafts_and_an_empty_outbox(&fresh().await).await;
}

/// Every field, nested JSON included, survives a write and a read.
pub async fn a_saved_draft_reads_back_unchanged(store: &impl DraftStore) {
    let d = draft("c-1", "identify");
    store.put_draft(&d).await.expect("put");
    assert_eq!(store.get_draft("c-1").await.expect("get"), Some(d));
}

/// Autosave writes the same id over and over; there must still be one record.
pub async fn saving_again_replaces_the_draft_instead_of_adding_one(store: &impl DraftStore) {
    store.put_draft(&draft("c-1", "identify")).await.unwrap();
    store.put_draft(&draft("c-1", "tubes")).await.unwrap();
    assert_eq!(store.count_drafts().await.unwrap(), 1);
    assert_eq!(store.get_draft("c-1").await.unwrap().unwrap().step, "tubes");
}

/// Deleting one draft never touches another collection.
pub async fn deleting_a_draft_leaves_the_others(store: &impl DraftStore) {
    for id in ["c-3", "c-1", "c-2"] {
        store.put_draft(&draft(id, "tubes")).await.unwrap();
    }
    store.delete_draft("c-2").await.unwrap();
    let ids: Vec<String> = store
        .list_drafts()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, vec!["c-1".to_string(), "c-3".to_string()]);
}

/// Reading or deleting an id that was never saved is not an error.
pub async fn a_missing_draft_reads_as_none_and_deletes_without_error(store: &impl DraftStore) {
    assert_eq!(store.get_draft("nope").await.unwrap(), None);
    store.delete_draft("nope").await.unwrap();
}

/// A new device starts with nothing to resume and nothing to sync.
pub async fn an_empty_store_has_no_drafts_and_an_empty_outbox(store: &impl DraftStore) {
    assert_eq!(store.count_drafts().await.unwrap(), 0);
    assert!(store.list_drafts().await.unwrap().is_empty());
    assert_eq!(store.count_outbox().await.unwrap(), 0);
}
