//! The tablet's store encrypted at rest, on real IndexedDB and WebCrypto in headless Chromium.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use drawline::crypto::DataKey;
use drawline::storage::keys::{TypedRecords, LAB_KEY, SESSION};
use drawline::storage::records::ReceiptDetails;
use drawline::storage::{
    conformance, Draft, DraftStore, EncryptedStore, IdbStore, MemoryStore, OutboxItem,
    ReceiptRecord, StorageError, Vault,
};
use drawline::workflow;
use drawline_domain::test_support;
use serde_json::{json, Value};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A data key as the lab hands it out (32 bytes, base64url).
const RAW_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
/// Another device's key.
const OTHER_KEY: &str = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM";
/// What must never be readable in the database: the fixture patient's name, MRN, birth date.
const SECRETS: &[&str] = &[
    "Chalmers",
    "Peter",
    "1974-12-25",
    "\"12345\"",
    "Ada Lovelace",
    "MRN-1001",
];

fn fresh_name(test: &str) -> String {
    format!("drawline-enc-{test}-{}", js_sys::Math::random().to_bits())
}

async fn vault_with(raw: &str) -> Vault {
    let vault = Vault::new();
    vault.open(
        DataKey::from_raw_b64u(raw)
            .await
            .expect("import the data key"),
    );
    vault
}

async fn encrypted(name: &str, vault: Vault) -> (Rc<dyn DraftStore>, EncryptedStore) {
    let raw: Rc<dyn DraftStore> = Rc::new(IdbStore::open(name).await.expect("open IndexedDB"));
    (raw.clone(), EncryptedStore::new(raw, vault))
}

/// Everything the database holds, as the JSON a copied browser profile would reveal.
async fn everything(raw: &dyn DraftStore) -> String {
    let mut all = Vec::<Value>::new();
    for d in raw.list_drafts().await.unwrap() {
        all.push(serde_json::to_value(d).unwrap());
    }
    for i in raw.list_outbox().await.unwrap() {
        all.push(serde_json::to_value(i).unwrap());
    }
    for r in raw.list_receipts().await.unwrap() {
        all.push(serde_json::to_value(r).unwrap());
    }
    for id in ["worklist", "site", "notices"] {
        all.extend(raw.get_worklist(id).await.unwrap());
    }
    all.extend(raw.get_setting("session").await.unwrap());
    Value::Array(all).to_string()
}

fn assert_nothing_in_the_clear(dump: &str) {
    for secret in SECRETS {
        assert!(
            !dump.contains(secret),
            "{secret} is stored in the clear: {dump}"
        );
    }
}

fn collection() -> OutboxItem {
    workflow::outbox_item(&test_support::finalized())
}

fn finalized(data: &Value) -> drawline_domain::FinalizedCollection {
    drawline::json_value::from_value(data).expect("a finalized record")
}

fn patient_draft() -> Draft {
    Draft {
        id: "c-1".into(),
        step: "tubes".into(),
        saved_at: "2026-11-30T09:00:00+01:00".into(),
        data: json!({ "patient": { "mrn": "MRN-1001", "name": "Ada Lovelace", "birth_date": "1974-12-25" } }),
    }
}

fn session() -> Value {
    json!({ "token": "dls_secret", "user": { "display_name": "Peter" } })
}

#[wasm_bindgen_test]
async fn the_encrypted_store_passes_the_storage_conformance_suite_on_indexeddb() {
    let vault = vault_with(RAW_KEY).await;
    let base = fresh_name("conformance");
    let n = Cell::new(0usize);
    conformance::run_all(|| {
        let name = format!("{base}-{}", n.get());
        n.set(n.get() + 1);
        let vault = vault.clone();
        async move { encrypted(&name, vault).await.1 }
    })
    .await;
    for i in 0..n.get() {
        IdbStore::delete(&format!("{base}-{i}")).await.ok();
    }
}

#[wasm_bindgen_test]
async fn no_name_mrn_or_birth_date_reaches_indexeddb_in_the_clear() {
    let name = fresh_name("clear");
    let (raw, store) = encrypted(&name, vault_with(RAW_KEY).await).await;
    store.put_draft(&patient_draft()).await.unwrap();
    let item = collection();
    store.finalize("none", &item).await.unwrap();
    store
        .put_worklist(
            "worklist",
            &json!({ "patients": [{ "name": "Ada Lovelace" }] }),
        )
        .await
        .unwrap();
    store.put_setting(SESSION.name, &session()).await.unwrap();
    let mut receipt_source = collection();
    receipt_source.id = OutboxItem::key("c-2", 1);
    store
        .settle(&[ReceiptRecord {
            id: receipt_source.id.clone(),
            collection_id: "c-2".into(),
            version: 1,
            hash: item.hash.clone(),
            patient_id: "example".into(),
            patient_label: "Peter James Chalmers · 12345".into(),
            order_ids: vec!["o-1".into()],
            finalized_at: item.finalized_at.clone(),
            receipt: json!({}),
            voided: false,
            data: Some(item.data.clone()),
        }])
        .await
        .unwrap();
    assert_nothing_in_the_clear(&everything(raw.as_ref()).await);
    // And it all reads back through the store.
    assert_eq!(store.get_draft("c-1").await.unwrap(), Some(patient_draft()));
    assert_eq!(store.list_outbox().await.unwrap()[0].data, item.data);
    let receipt = &store.list_receipts().await.unwrap()[0];
    assert_eq!(receipt.patient_label, "Peter James Chalmers · 12345");
    assert_eq!(
        store.get_setting(SESSION.name).await.unwrap(),
        Some(session())
    );
    drop((raw, store));
    IdbStore::delete(&name).await.ok();
}

#[wasm_bindgen_test]
async fn a_ciphertext_copied_onto_another_record_or_read_with_another_key_does_not_open() {
    let name = fresh_name("bound");
    let (raw, store) = encrypted(&name, vault_with(RAW_KEY).await).await;
    store.put_draft(&patient_draft()).await.unwrap();
    let mut moved = raw.get_draft("c-1").await.unwrap().unwrap();
    moved.id = "c-9".into();
    raw.put_draft(&moved).await.unwrap();
    assert!(matches!(
        store.get_draft("c-9").await,
        Err(StorageError::Undecryptable(_))
    ));
    let other = EncryptedStore::new(raw.clone(), vault_with(OTHER_KEY).await);
    assert!(matches!(
        other.get_draft("c-1").await,
        Err(StorageError::Undecryptable(_))
    ));
    drop((raw, store, other));
    IdbStore::delete(&name).await.ok();
}

#[wasm_bindgen_test]
async fn a_locked_tablet_can_still_settle_and_quarantine_but_reveals_and_writes_no_patient_data() {
    let name = fresh_name("locked");
    let vault = vault_with(RAW_KEY).await;
    let (raw, store) = encrypted(&name, vault.clone()).await;
    store.finalize("none", &collection()).await.unwrap();
    store.put_draft(&patient_draft()).await.unwrap();
    store.put_setting(SESSION.name, &session()).await.unwrap();
    vault.close();
    assert!(matches!(
        store.read(SESSION).await,
        Err(StorageError::Locked)
    ));
    assert!(matches!(
        store.get_draft("c-1").await,
        Err(StorageError::Locked)
    ));
    assert!(matches!(
        store.put_draft(&patient_draft()).await,
        Err(StorageError::Locked)
    ));
    // The engine's view while locked: the data is an envelope; quarantine and settle carry it on.
    let listed = store.list_outbox().await.unwrap();
    assert!(drawline::crypto::Envelope::is_envelope(&listed[0].data));
    let mut quarantined = listed[0].clone();
    quarantined.attention = Some(drawline::storage::Attention {
        outcome: "rejected".into(),
        code: Some("x".into()),
        reason: "the lab refused it".into(),
        at: "2026-11-30T10:00:00+01:00".into(),
    });
    store.put_outbox(&quarantined).await.unwrap();
    let receipt = ReceiptRecord {
        id: listed[0].id.clone(),
        collection_id: listed[0].collection_id.clone(),
        version: 1,
        hash: listed[0].hash.clone(),
        patient_id: String::new(),
        patient_label: String::new(),
        order_ids: Vec::new(),
        finalized_at: listed[0].finalized_at.clone(),
        receipt: json!({ "id": "r-1" }),
        voided: false,
        data: Some(listed[0].data.clone()),
    };
    store.settle(&[receipt]).await.unwrap();
    assert!(store.list_outbox().await.unwrap().is_empty());
    assert_nothing_in_the_clear(&everything(raw.as_ref()).await);
    // Unlocked again: the receipt says whose collection it was, read out of the record.
    vault.open(DataKey::from_raw_b64u(RAW_KEY).await.unwrap());
    let receipts = store.list_receipts().await.unwrap();
    let expected = ReceiptDetails::of(&collection().data);
    assert_eq!(receipts[0].patient_label, expected.patient_label);
    assert!(receipts[0].patient_label.contains("CHALMERS"));
    assert_eq!(receipts[0].order_ids, expected.order_ids);
    assert_eq!(receipts[0].data, Some(collection().data));
    drop((raw, store));
    IdbStore::delete(&name).await.ok();
}

#[wasm_bindgen_test]
async fn a_locked_tablet_settles_and_quarantines_a_record_an_earlier_version_left_in_the_clear() {
    let name = fresh_name("legacy-locked");
    let vault = Vault::new();
    let (raw, store) = encrypted(&name, vault.clone()).await;
    let item = collection();
    raw.finalize("none", &item).await.unwrap();
    // Locked: the engine quarantines, then settles, the clear record; neither waits for a PIN.
    let mut listed = store.list_outbox().await.unwrap().remove(0);
    listed.attention = Some(drawline::storage::Attention {
        outcome: "conflict".into(),
        code: None,
        reason: "another version is held".into(),
        at: "2026-11-30T10:00:00+01:00".into(),
    });
    store.put_outbox(&listed).await.unwrap();
    let details = ReceiptDetails::of(&listed.data);
    store
        .settle(&[ReceiptRecord {
            id: listed.id.clone(),
            collection_id: listed.collection_id.clone(),
            version: 1,
            hash: listed.hash.clone(),
            patient_id: details.patient_id.clone(),
            patient_label: details.patient_label.clone(),
            order_ids: details.order_ids.clone(),
            finalized_at: listed.finalized_at.clone(),
            receipt: json!({}),
            voided: false,
            data: Some(listed.data.clone()),
        }])
        .await
        .unwrap();
    assert!(store.list_outbox().await.unwrap().is_empty());
    // The unlock encrypts it; the receipt still says whose it was.
    vault.open(DataKey::from_raw_b64u(RAW_KEY).await.unwrap());
    store.encrypt_in_place().await.unwrap();
    assert_nothing_in_the_clear(&everything(raw.as_ref()).await);
    let receipts = store.list_receipts().await.unwrap();
    assert_eq!(receipts[0].patient_label, details.patient_label);
    drop((raw, store));
    IdbStore::delete(&name).await.ok();
}

#[wasm_bindgen_test]
async fn upgrading_a_plain_database_encrypts_every_draft_and_outbox_record_in_place_without_losing_one(
) {
    let name = fresh_name("upgrade");
    // What the previous version wrote: everything in the clear.
    let raw: Rc<dyn DraftStore> = Rc::new(IdbStore::open(&name).await.unwrap());
    let item = collection();
    raw.put_draft(&patient_draft()).await.unwrap();
    raw.finalize("none", &item).await.unwrap();
    raw.put_worklist(
        "worklist",
        &json!({ "patients": [{ "name": "Ada Lovelace" }] }),
    )
    .await
    .unwrap();
    raw.put_setting(SESSION.name, &session()).await.unwrap();
    let lab = drawline_domain::api::PublicJwk {
        kty: "EC".into(),
        crv: "P-256".into(),
        // The cross-implementation vector's lab key (crates/domain/tests/fixtures).
        x: "tOQzs_U-hxoSyG55IIc-T1XRdVXHuqS6pFYgNkWvaYo".into(),
        y: "Z8Q9RqAT4kkFDlHAOIoUWDif7R67d7uejohKrKuq02w".into(),
    };
    raw.write(LAB_KEY, &lab).await.unwrap();
    let store = EncryptedStore::new(raw.clone(), vault_with(RAW_KEY).await);
    // Before the upgrade runs, the clear records read as they are.
    assert_eq!(store.get_draft("c-1").await.unwrap(), Some(patient_draft()));
    assert_eq!(store.encrypt_in_place().await.unwrap(), 4);
    assert_nothing_in_the_clear(&everything(raw.as_ref()).await);
    assert_eq!(store.list_drafts().await.unwrap(), vec![patient_draft()]);
    let outbox = store.list_outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    // The same record (IndexedDB gives `5.0` back as `5`; deserialising re-checks the hash).
    assert_eq!(finalized(&outbox[0].data), finalized(&item.data));
    assert!(outbox[0].sealed.is_some(), "sealed to the lab on the way");
    assert_eq!(
        store.get_setting(SESSION.name).await.unwrap(),
        Some(session())
    );
    // Running again finds nothing left to do.
    assert_eq!(store.encrypt_in_place().await.unwrap(), 0);
    drop((raw, store));
    IdbStore::delete(&name).await.ok();
}

/// A store that fails every write after the first `allowed`, as a tab killed mid-upgrade would.
struct DyingStore {
    inner: MemoryStore,
    allowed: Cell<u32>,
}

impl DyingStore {
    fn write(&self) -> Result<(), StorageError> {
        if self.allowed.get() == 0 {
            return Err(StorageError::Database("the tab was killed".into()));
        }
        self.allowed.set(self.allowed.get() - 1);
        Ok(())
    }
}

#[async_trait::async_trait(?Send)]
impl DraftStore for DyingStore {
    async fn put_draft(&self, d: &Draft) -> Result<(), StorageError> {
        self.write()?;
        self.inner.put_draft(d).await
    }
    async fn get_draft(&self, id: &str) -> Result<Option<Draft>, StorageError> {
        self.inner.get_draft(id).await
    }
    async fn list_drafts(&self) -> Result<Vec<Draft>, StorageError> {
        self.inner.list_drafts().await
    }
    async fn delete_draft(&self, id: &str) -> Result<(), StorageError> {
        self.write()?;
        self.inner.delete_draft(id).await
    }
    async fn count_drafts(&self) -> Result<u32, StorageError> {
        self.inner.count_drafts().await
    }
    async fn count_outbox(&self) -> Result<u32, StorageError> {
        self.inner.count_outbox().await
    }
    async fn finalize(&self, id: &str, item: &OutboxItem) -> Result<(), StorageError> {
        self.write()?;
        self.inner.finalize(id, item).await
    }
    async fn list_outbox(&self) -> Result<Vec<OutboxItem>, StorageError> {
        self.inner.list_outbox().await
    }
    async fn put_outbox(&self, item: &OutboxItem) -> Result<(), StorageError> {
        self.write()?;
        self.inner.put_outbox(item).await
    }
    async fn settle(&self, r: &[ReceiptRecord]) -> Result<(), StorageError> {
        self.write()?;
        self.inner.settle(r).await
    }
    async fn list_receipts(&self) -> Result<Vec<ReceiptRecord>, StorageError> {
        self.inner.list_receipts().await
    }
    async fn get_setting(&self, key: &str) -> Result<Option<Value>, StorageError> {
        self.inner.get_setting(key).await
    }
    async fn put_setting(&self, key: &str, value: &Value) -> Result<(), StorageError> {
        self.write()?;
        self.inner.put_setting(key, value).await
    }
    async fn delete_setting(&self, key: &str) -> Result<(), StorageError> {
        self.write()?;
        self.inner.delete_setting(key).await
    }
    async fn get_worklist(&self, id: &str) -> Result<Option<Value>, StorageError> {
        self.inner.get_worklist(id).await
    }
    async fn put_worklist(&self, id: &str, data: &Value) -> Result<(), StorageError> {
        self.write()?;
        self.inner.put_worklist(id, data).await
    }
    async fn delete_worklist(&self, id: &str) -> Result<(), StorageError> {
        self.write()?;
        self.inner.delete_worklist(id).await
    }
    async fn delete_receipt(&self, id: &str) -> Result<(), StorageError> {
        self.write()?;
        self.inner.delete_receipt(id).await
    }
}

#[wasm_bindgen_test]
async fn an_upgrade_killed_at_any_record_loses_nothing_and_the_next_unlock_finishes_it() {
    for dies_after in 0..4 {
        let dying = Rc::new(DyingStore {
            inner: MemoryStore::new(),
            allowed: Cell::new(u32::MAX),
        });
        let mut second = patient_draft();
        second.id = "c-2".into();
        dying.put_draft(&patient_draft()).await.unwrap();
        dying.put_draft(&second).await.unwrap();
        dying.finalize("none", &collection()).await.unwrap();
        dying.put_setting(SESSION.name, &session()).await.unwrap();
        dying.allowed.set(dies_after);
        let raw: Rc<dyn DraftStore> = dying.clone();
        let store = EncryptedStore::new(raw.clone(), vault_with(RAW_KEY).await);
        assert!(
            store.encrypt_in_place().await.is_err(),
            "killed after {dies_after}"
        );
        // Whatever was rewritten and whatever was not, every record reads back whole.
        assert_eq!(
            store.list_drafts().await.unwrap(),
            vec![patient_draft(), second.clone()]
        );
        assert_eq!(
            store.list_outbox().await.unwrap()[0].data,
            collection().data
        );
        assert_eq!(
            store.get_setting(SESSION.name).await.unwrap(),
            Some(session())
        );
        dying.allowed.set(u32::MAX);
        store.encrypt_in_place().await.unwrap();
        assert_nothing_in_the_clear(&everything(raw.as_ref()).await);
        assert_eq!(store.list_drafts().await.unwrap().len(), 2);
    }
}
