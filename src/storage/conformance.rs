//! One behaviour suite every `DraftStore` must pass: natively on memory, in Chromium on IndexedDB.

use std::future::Future;

use serde_json::json;

use super::error::StorageError;
use super::records::{Attention, Draft, OutboxItem, ReceiptRecord};
use super::store::DraftStore;

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
    finalize_moves_the_draft_into_the_outbox(&fresh().await).await;
    finalizing_the_same_version_twice_changes_nothing(&fresh().await).await;
    a_correction_is_a_second_outbox_record_next_to_the_first(&fresh().await).await;
    settings_are_set_replaced_and_removed(&fresh().await).await;
    the_worklist_record_is_replaced_as_a_whole(&fresh().await).await;
    settling_moves_an_outbox_record_to_receipts(&fresh().await).await;
    settling_twice_keeps_one_receipt_and_touches_no_other_record(&fresh().await).await;
    a_quarantined_record_stays_in_the_outbox_with_its_reason(&fresh().await).await;
    a_batch_of_receipts_settles_together_and_leaves_the_rest_waiting(&fresh().await).await;
    a_void_of_a_synced_collection_enters_the_outbox_once_and_touches_no_draft(&fresh().await).await;
}

/// How many checks [`run_all`] runs, i.e. how many fresh stores it asks for.
pub const CHECKS: usize = 15;

fn outbox_item(collection: &str, version: u32) -> OutboxItem {
    OutboxItem {
        id: OutboxItem::key(collection, version),
        collection_id: collection.into(),
        version,
        hash: format!("hash-{collection}-{version}"),
        finalized_at: "2026-11-23T08:30:00+01:00".into(),
        data: json!({ "record": { "status": "finalized" }, "hash": "x" }),
        attention: None,
        sealed: None,
    }
}

/// Saves a draft of `id` at review and finalizes it as `version`.
async fn finalized(store: &impl DraftStore, id: &str, version: u32) {
    store.put_draft(&draft(id, "review")).await.unwrap();
    store.finalize(id, &outbox_item(id, version)).await.unwrap();
}

/// One field of each record, in order.
fn pluck<R, T>(records: Vec<R>, field: impl Fn(R) -> T) -> Vec<T> {
    records.into_iter().map(field).collect()
}

/// One field of every outbox item, in outbox order.
async fn outbox<T>(store: &impl DraftStore, field: impl Fn(OutboxItem) -> T) -> Vec<T> {
    pluck(store.list_outbox().await.unwrap(), field)
}

/// Finalize: the outbox gains the record and the draft is gone, in one step.
pub async fn finalize_moves_the_draft_into_the_outbox(store: &impl DraftStore) {
    store.put_draft(&draft("c-1", "review")).await.unwrap();
    store.put_draft(&draft("c-2", "tubes")).await.unwrap();
    let item = outbox_item("c-1", 1);
    store.finalize("c-1", &item).await.expect("finalize");
    assert_eq!(store.get_draft("c-1").await.unwrap(), None);
    assert_eq!(store.count_drafts().await.unwrap(), 1);
    assert_eq!(store.count_outbox().await.unwrap(), 1);
    assert_eq!(store.list_outbox().await.unwrap(), vec![item]);
}

/// A second finalize of the same version (a double tap, a retried call) is refused and leaves
/// both stores as they were: the draft that came back is not swallowed, the outbox not doubled.
pub async fn finalizing_the_same_version_twice_changes_nothing(store: &impl DraftStore) {
    finalized(store, "c-1", 1).await;
    store.put_draft(&draft("c-1", "review")).await.unwrap();
    let mut changed = outbox_item("c-1", 1);
    changed.hash = "another".into();
    let err = store.finalize("c-1", &changed).await.unwrap_err();
    assert_eq!(
        err,
        StorageError::AlreadyFinalized(OutboxItem::key("c-1", 1))
    );
    assert_eq!(store.count_outbox().await.unwrap(), 1);
    assert_eq!(store.list_outbox().await.unwrap()[0].hash, "hash-c-1-1");
    assert!(
        store.get_draft("c-1").await.unwrap().is_some(),
        "the draft must survive"
    );
}

/// Versions of one collection are separate immutable records.
pub async fn a_correction_is_a_second_outbox_record_next_to_the_first(store: &impl DraftStore) {
    finalized(store, "c-1", 1).await;
    finalized(store, "c-1", 2).await;
    let versions: Vec<u32> = outbox(store, |i| i.version).await;
    assert_eq!(versions, vec![1, 2]);
    assert_eq!(store.count_drafts().await.unwrap(), 0);
}

/// Settings hold the enrollment and the session: set, replace, read back, remove.
pub async fn settings_are_set_replaced_and_removed(store: &impl DraftStore) {
    assert_eq!(store.get_setting("device").await.unwrap(), None);
    store
        .put_setting("device", &json!({ "name": "Tablet 1" }))
        .await
        .unwrap();
    store
        .put_setting("device", &json!({ "name": "Tablet 2" }))
        .await
        .unwrap();
    store.put_setting("session", &json!("token")).await.unwrap();
    assert_eq!(
        store.get_setting("device").await.unwrap(),
        Some(json!({ "name": "Tablet 2" }))
    );
    store.delete_setting("session").await.unwrap();
    store.delete_setting("never-set").await.unwrap();
    assert_eq!(store.get_setting("session").await.unwrap(), None);
}

/// A new download replaces the stored worklist entirely.
pub async fn the_worklist_record_is_replaced_as_a_whole(store: &impl DraftStore) {
    assert_eq!(store.get_worklist("worklist").await.unwrap(), None);
    store
        .put_worklist("worklist", &json!({ "orders": [1, 2, 3] }))
        .await
        .unwrap();
    store
        .put_worklist("worklist", &json!({ "orders": [4] }))
        .await
        .unwrap();
    assert_eq!(
        store.get_worklist("worklist").await.unwrap(),
        Some(json!({ "orders": [4] }))
    );
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
    let ids: Vec<String> = pluck(store.list_drafts().await.unwrap(), |d| d.id);
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

fn receipt_for(item: &OutboxItem) -> ReceiptRecord {
    ReceiptRecord {
        id: item.id.clone(),
        collection_id: item.collection_id.clone(),
        version: item.version,
        hash: item.hash.clone(),
        patient_id: "p-1".into(),
        patient_label: "Lovelace, Ada · MRN-1001".into(),
        order_ids: vec!["o-1".into(), "o-2".into()],
        finalized_at: item.finalized_at.clone(),
        receipt: json!({ "received_at": "2026-11-23T08:31:00Z" }),
        voided: false,
        data: Some(item.data.clone()),
    }
}

/// The lab acknowledged a record: it leaves the outbox and its receipt is kept, in one step.
pub async fn settling_moves_an_outbox_record_to_receipts(store: &impl DraftStore) {
    for id in ["c-1", "c-2"] {
        finalized(store, id, 1).await;
    }
    let receipt = receipt_for(&outbox_item("c-1", 1));
    store.settle(std::slice::from_ref(&receipt)).await.unwrap();
    let left: Vec<String> = outbox(store, |i| i.id).await;
    assert_eq!(left, vec![OutboxItem::key("c-2", 1)]);
    assert_eq!(store.list_receipts().await.unwrap(), vec![receipt]);
}

/// A duplicate answer after a lost response settles again: still one receipt, nothing else moved.
pub async fn settling_twice_keeps_one_receipt_and_touches_no_other_record(store: &impl DraftStore) {
    finalized(store, "c-1", 1).await;
    store.put_draft(&draft("c-9", "tubes")).await.unwrap();
    let receipt = receipt_for(&outbox_item("c-1", 1));
    store.settle(std::slice::from_ref(&receipt)).await.unwrap();
    store.settle(std::slice::from_ref(&receipt)).await.unwrap();
    assert_eq!(store.list_receipts().await.unwrap().len(), 1);
    assert_eq!(store.count_outbox().await.unwrap(), 0);
    assert_eq!(store.count_drafts().await.unwrap(), 1);
}

/// A refused record is kept, with the lab's reason, until a person deals with it.
pub async fn a_quarantined_record_stays_in_the_outbox_with_its_reason(store: &impl DraftStore) {
    finalized(store, "c-1", 1).await;
    let mut item = outbox_item("c-1", 1);
    item.attention = Some(Attention {
        outcome: "rejected".into(),
        code: Some("unknown_order".into()),
        reason: "order o-1 is not known to the lab".into(),
        at: "2026-11-23T08:32:00+01:00".into(),
    });
    store.put_outbox(&item).await.unwrap();
    assert_eq!(store.list_outbox().await.unwrap(), vec![item]);
    assert!(store.list_receipts().await.unwrap().is_empty());
}

/// A pushed batch settles in one step: every acknowledged record moves, the others wait.
pub async fn a_batch_of_receipts_settles_together_and_leaves_the_rest_waiting(
    store: &impl DraftStore,
) {
    for n in 0..5 {
        let id = format!("c-{n}");
        finalized(store, &id, 1).await;
    }
    let batch: Vec<ReceiptRecord> = ["c-0", "c-2", "c-4"]
        .iter()
        .map(|id| receipt_for(&outbox_item(id, 1)))
        .collect();
    store.settle(&batch).await.unwrap();
    let waiting: Vec<String> = outbox(store, |i| i.collection_id).await;
    assert_eq!(waiting, ["c-1", "c-3"]);
    let mut kept: Vec<String> = pluck(store.list_receipts().await.unwrap(), |r| r.collection_id);
    kept.sort();
    assert_eq!(kept, ["c-0", "c-2", "c-4"]);
    store.settle(&[]).await.unwrap();
}

/// A void has no draft: it goes straight into the outbox as the next version of a collection
/// already synced (whose receipt keeps the record), once; another collection's draft stays.
pub async fn a_void_of_a_synced_collection_enters_the_outbox_once_and_touches_no_draft(
    store: &impl DraftStore,
) {
    finalized(store, "c-1", 1).await;
    store
        .settle(&[receipt_for(&outbox_item("c-1", 1))])
        .await
        .unwrap();
    store.put_draft(&draft("c-2", "tubes")).await.unwrap();
    let mut void = outbox_item("c-1", 2);
    void.data = json!({ "record": { "status": "finalized", "voided": { "reason": "wrong patient" } }, "hash": "y" });
    store.finalize("c-1", &void).await.unwrap();
    assert!(matches!(
        store.finalize("c-1", &void).await.unwrap_err(),
        StorageError::AlreadyFinalized(_)
    ));
    assert_eq!(store.list_outbox().await.unwrap(), vec![void.clone()]);
    assert_eq!(
        store.list_drafts().await.unwrap(),
        vec![draft("c-2", "tubes")]
    );
    let receipts = store.list_receipts().await.unwrap();
    assert_eq!(receipts, vec![receipt_for(&outbox_item("c-1", 1))]);
    assert_eq!(receipts[0].data, Some(outbox_item("c-1", 1).data));
    // The void syncs in its turn; the receipt says it voided the collection.
    let mut settled = receipt_for(&void);
    settled.voided = true;
    store.settle(&[settled.clone()]).await.unwrap();
    assert!(store.list_outbox().await.unwrap().is_empty());
    assert!(store.list_receipts().await.unwrap().contains(&settled));
}
