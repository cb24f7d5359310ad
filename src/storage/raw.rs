//! The small IndexedDB binding for what rexie cannot do: migrations and strict-durability writes.
//!
//! Here: opening with our migrations, and transactions that ask for `{durability: "strict"}`.
//! rexie 0.6's builder has no migration hook and deletes every store it is not told about during
//! an upgrade, and it passes no options to `IDBDatabase.transaction`. web-sys only has
//! `IdbTransactionOptions` behind `--cfg=web_sys_unstable_apis`, so the one method we need is
//! bound here by hand with a plain options object. Everything else goes through rexie
//! ([`super::idb`]).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbVersionChangeEvent};

use super::error::StorageError;
use super::schema::{changes_between, Change};

#[wasm_bindgen]
extern "C" {
    /// `IDBDatabase` seen through the one method web-sys keeps behind an unstable flag.
    #[wasm_bindgen(js_name = IDBDatabase)]
    type DatabaseWithOptions;

    /// `IDBDatabase.transaction(storeNames, mode, options)`: stable in every current browser;
    /// browsers that do not know `durability` ignore the unknown dictionary member.
    #[wasm_bindgen(catch, method, js_class = "IDBDatabase", js_name = transaction)]
    fn transaction(
        this: &DatabaseWithOptions,
        store_names: &Array,
        mode: &str,
        options: &Object,
    ) -> Result<IdbTransaction, JsValue>;
}

/// Sorts a DOM error (a `DOMException` or an event) into what the collector can act on.
pub fn classify(name: &str, message: &str) -> StorageError {
    match name {
        "QuotaExceededError" => StorageError::QuotaExceeded,
        "VersionError" => StorageError::NewerVersion,
        "InvalidStateError" | "UnknownError" | "SecurityError" | "NotFoundError"
            if message.contains("IndexedDB") || name == "SecurityError" =>
        {
            StorageError::Unavailable(format!("{name}: {message}"))
        }
        _ => StorageError::Database(format!("{name}: {message}")),
    }
}

fn from_exception(e: Option<web_sys::DomException>, fallback: &str) -> StorageError {
    match e {
        Some(e) => classify(&e.name(), &e.message()),
        None => StorageError::Database(fallback.to_owned()),
    }
}

fn from_js(e: JsValue) -> StorageError {
    match e.dyn_into::<web_sys::DomException>() {
        Ok(d) => classify(&d.name(), &d.message()),
        Err(other) => StorageError::Database(format!("{other:?}")),
    }
}

/// A promise and its two settle functions, to hand to IndexedDB event handlers.
fn deferred() -> (Promise, Function, Function) {
    let mut settle = None;
    let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let (resolve, reject) = settle.expect("the Promise executor runs synchronously");
    (promise, resolve, reject)
}

/// Opens `name` at `version`, applying the schema steps between the stored version and it.
pub async fn open(name: &str, version: u32) -> Result<IdbDatabase, StorageError> {
    let factory = web_sys::window()
        .ok_or_else(|| StorageError::Unavailable("no window".into()))?
        .indexed_db()
        .map_err(|e| StorageError::Unavailable(format!("{e:?}")))?
        .ok_or_else(|| StorageError::Unavailable("IndexedDB is missing".into()))?;
    let request: IdbOpenDbRequest = factory
        .open_with_u32(name, version)
        .map_err(|e| StorageError::Unavailable(format!("{e:?}")))?;

    let failure: Rc<RefCell<Option<String>>> = Rc::default();
    let seen = failure.clone();
    let upgrade =
        Closure::<dyn FnMut(IdbVersionChangeEvent)>::new(move |ev: IdbVersionChangeEvent| {
            let old = ev.old_version() as u32;
            let Some(request) = ev
                .target()
                .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            else {
                return;
            };
            let result = apply(&request, old, version);
            if let Err(e) = result {
                // Aborting the version change leaves the database exactly as it was.
                *seen.borrow_mut() = Some(e);
                if let Some(tx) = request.transaction() {
                    let _ = tx.abort();
                }
            }
        });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));

    let (promise, resolve, reject) = deferred();
    request.set_onsuccess(Some(&resolve));
    request.set_onerror(Some(&reject));
    request.set_onblocked(Some(&reject));
    let settled = JsFuture::from(promise).await;
    request.set_onupgradeneeded(None);
    drop(upgrade);
    match settled {
        Ok(_) => {
            let db: IdbDatabase = request
                .result()
                .map_err(from_js)?
                .dyn_into()
                .map_err(|_| StorageError::Database("open gave no database".into()))?;
            // A newer Drawline in another tab wants to upgrade: step aside instead of blocking it.
            let close = Closure::<dyn FnMut(web_sys::Event)>::new({
                let db = db.clone();
                move |_| db.close()
            });
            db.set_onversionchange(Some(close.as_ref().unchecked_ref()));
            close.forget();
            Ok(db)
        }
        Err(event) => {
            let kind = event
                .dyn_ref::<web_sys::Event>()
                .map(|e| e.type_())
                .unwrap_or_default();
            if kind == "blocked" {
                return Err(StorageError::Blocked);
            }
            if let Some(why) = failure.borrow_mut().take() {
                return Err(StorageError::Database(format!("upgrade failed: {why}")));
            }
            Err(from_exception(
                request.error().ok().flatten(),
                "open failed",
            ))
        }
    }
}

fn apply(request: &IdbOpenDbRequest, old: u32, new: u32) -> Result<(), String> {
    let db: IdbDatabase = request
        .result()
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "no database".to_owned())?;
    let tx = request.transaction().ok_or("no upgrade transaction")?;
    for change in changes_between(old, new) {
        match change {
            Change::CreateStore { name, key_path } => {
                if !db.object_store_names().contains(name) {
                    let params = web_sys::IdbObjectStoreParameters::new();
                    params.set_key_path(&JsValue::from_str(key_path));
                    db.create_object_store_with_optional_parameters(name, &params)
                        .map_err(|e| format!("creating {name}: {e:?}"))?;
                }
            }
            Change::CreateIndex {
                store,
                name,
                key_path,
            } => {
                let s = tx
                    .object_store(store)
                    .map_err(|e| format!("opening {store}: {e:?}"))?;
                if !s.index_names().contains(name) {
                    s.create_index_with_str(name, key_path)
                        .map_err(|e| format!("indexing {store}: {e:?}"))?;
                }
            }
        }
    }
    Ok(())
}

/// A read-write transaction over `stores` that asks for strict durability: `complete` fires
/// only once the data is flushed to disk, not merely handed to the OS (Chrome relaxed its
/// default in version 121).
pub fn strict_transaction(
    db: &IdbDatabase,
    stores: &[&str],
) -> Result<IdbTransaction, StorageError> {
    let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
    let options = Object::new();
    Reflect::set(&options, &"durability".into(), &"strict".into())
        .map_err(|e| StorageError::Database(format!("{e:?}")))?;
    db.unchecked_ref::<DatabaseWithOptions>()
        .transaction(&names, "readwrite", &options)
        .map_err(from_js)
}

/// The durability the browser granted a transaction, e.g. `strict`; `None` where unsupported.
pub fn granted_durability(tx: &IdbTransaction) -> Option<String> {
    Reflect::get(tx, &"durability".into())
        .ok()
        .and_then(|d| d.as_string())
}

/// Waits until `tx` commits; an abort (quota, constraint) becomes the matching error.
pub async fn done(tx: &IdbTransaction) -> Result<(), StorageError> {
    let (promise, resolve, reject) = deferred();
    tx.set_oncomplete(Some(&resolve));
    tx.set_onabort(Some(&reject));
    let result = JsFuture::from(promise).await;
    tx.set_oncomplete(None);
    tx.set_onabort(None);
    result
        .map(|_| ())
        .map_err(|_| from_exception(tx.error(), "the transaction was aborted"))
}

/// Turns a request's failure into an error without waiting for it (the transaction reports it).
pub fn issued(request: Result<IdbRequest, JsValue>) -> Result<IdbRequest, StorageError> {
    request.map_err(from_js)
}
