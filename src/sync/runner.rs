//! Runs sync in the browser: pushes the outbox and pulls the worklist at start, when the
//! connection returns, after a finalize, on a timer while records wait, and on "Sync now".

use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use drawline_domain::api::{PullQuery, SiteVersion, MAX_PUSH_RECORDS};
use drawline_domain::SiteConfig;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::pull::{self, OrderNotice};
use super::push::{self, Failure, Settlement};
use crate::context::{Auth, DeviceDb, Revision};
use crate::storage::keys::{PULL_CURSOR_KEY, SITE_HASH_KEY};
use crate::storage::{Attention, DraftStore, OutboxItem, StorageError};
use crate::workflow;

/// The app version sent with every push and pull.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What sync is doing, for the status bar and the sync screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing to do, or not started yet.
    Idle,
    /// Sending this many records.
    Sending(usize),
    /// Downloading worklist changes.
    Pulling,
    /// The last attempt failed; the next one is at this time (ms since the epoch).
    Retrying {
        /// When the next attempt starts.
        at_ms: f64,
    },
    /// The lab refused this tablet's token: sync stops until it is enrolled again.
    Reenroll(String),
}

/// What "Prepare for round" found.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// Patients on the stored worklist.
    pub patients: usize,
    /// Orders on it.
    pub orders: usize,
    /// Round names.
    pub rounds: Vec<String>,
    /// Tests in the stored catalog.
    pub tests: usize,
    /// The service worker holds the app, so it starts with no connection.
    pub offline_start: bool,
    /// Records still waiting in the outbox.
    pub waiting: u32,
}

#[derive(Default)]
struct RunState {
    running: bool,
    again: bool,
    attempt: u32,
    timer: Option<TimeoutHandle>,
}

/// The sync engine's state, shared in context.
#[derive(Clone, Copy)]
pub struct SyncRunner {
    /// What it is doing.
    pub phase: RwSignal<Phase>,
    /// Outbox ids in the request being sent.
    pub sending: RwSignal<HashSet<String>>,
    /// The last failure, for the collector and the heartbeat.
    pub last_error: RwSignal<Option<String>>,
    /// When the lab last answered a full sync (local time, RFC 3339).
    pub last_synced: RwSignal<Option<String>>,
    /// The lab flagged this tablet's clock: device minus server, in seconds.
    pub skew: RwSignal<Option<i64>>,
    /// Outbox records quarantined with the lab's reason, as of the last look at the outbox.
    pub attention: RwSignal<usize>,
    db: DeviceDb,
    auth: Auth,
    revision: Revision,
    state: StoredValue<RunState, LocalStorage>,
}

fn sync_failure(e: StorageError) -> Failure {
    Failure::Transient(format!("the tablet's storage failed: {e}"))
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

/// Waits `ms` milliseconds.
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

impl SyncRunner {
    /// A runner on the app's database and enrollment; call [`SyncRunner::install`] once.
    pub fn new(db: DeviceDb, auth: Auth, revision: Revision) -> Self {
        Self {
            phase: RwSignal::new(Phase::Idle),
            sending: RwSignal::new(HashSet::new()),
            last_error: RwSignal::new(None),
            last_synced: RwSignal::new(None),
            skew: RwSignal::new(None),
            attention: RwSignal::new(0),
            db,
            auth,
            revision,
            state: StoredValue::new_local(RunState::default()),
        }
    }

    /// Starts sync when the enrollment is read, and again whenever the connection returns.
    pub fn install(self) {
        let auth = self.auth;
        Effect::new(move |started: Option<bool>| {
            let ready = auth.loaded.get() && auth.device.get().is_some();
            if ready && started != Some(true) {
                self.kick();
            }
            ready || started == Some(true)
        });
        let handle = window_event_listener(leptos::ev::online, move |_| self.kick());
        // The listener lives as long as the app.
        std::mem::forget(handle);
    }

    /// Runs a sync now (or right after the one in progress).
    pub fn kick(self) {
        leptos::task::spawn_local(self.run());
    }

    fn running(&self) -> bool {
        self.state.with_value(|s| s.running)
    }

    async fn run(self) {
        let busy = self.state.try_update_value(|s| {
            if s.running {
                s.again = true;
                true
            } else {
                s.running = true;
                s.again = false;
                if let Some(t) = s.timer.take() {
                    t.clear();
                }
                false
            }
        });
        if busy != Some(false) {
            return;
        }
        loop {
            let result = self.cycle().await;
            let again = self
                .state
                .try_update_value(|s| std::mem::take(&mut s.again))
                .unwrap_or(false);
            if again && !matches!(result, Err(Failure::Reenroll(_))) {
                continue;
            }
            self.finish(result);
            break;
        }
        self.state.update_value(|s| s.running = false);
    }

    fn finish(self, result: Result<(), Failure>) {
        self.sending.set(HashSet::new());
        let delay = match result {
            Ok(()) => {
                self.state.update_value(|s| s.attempt = 0);
                self.last_error.set(None);
                self.last_synced
                    .set(Some(chrono::Local::now().fixed_offset().to_rfc3339()));
                self.phase.set(Phase::Idle);
                push::RECHECK_MS
            }
            Err(Failure::Reenroll(why)) => {
                self.last_error.set(Some(why.clone()));
                self.phase.set(Phase::Reenroll(why));
                return;
            }
            Err(Failure::Transient(why)) | Err(Failure::Refused(why)) => {
                let attempt = self
                    .state
                    .try_update_value(|s| {
                        s.attempt += 1;
                        s.attempt
                    })
                    .unwrap_or(1);
                let delay = push::retry_delay_ms(attempt, js_sys::Math::random());
                self.last_error.set(Some(why));
                self.phase.set(Phase::Retrying {
                    at_ms: now_ms() + f64::from(delay),
                });
                delay
            }
        };
        let timer =
            set_timeout_with_handle(move || self.kick(), Duration::from_millis(u64::from(delay)))
                .ok();
        self.state.update_value(|s| {
            if let Some(old) = std::mem::replace(&mut s.timer, timer) {
                old.clear();
            }
        });
    }

    async fn cycle(self) -> Result<(), Failure> {
        let Some(device) = self.auth.device.get_untracked() else {
            return Ok(());
        };
        if !online() {
            return Err(Failure::Transient(
                "no connection; waiting collections go when the tablet is back online".into(),
            ));
        }
        let store = self.db.0.await.map_err(sync_failure)?;
        self.push_all(&store, &device.token).await?;
        self.pull_all(&store, &device.token, device.device_id)
            .await?;
        Ok(())
    }

    async fn push_all(&self, store: &Rc<dyn DraftStore>, token: &str) -> Result<(), Failure> {
        let mut limit = MAX_PUSH_RECORDS;
        // Each pass reads the outbox once and sends it batch by batch; the next pass picks up
        // whatever was finalized meanwhile (or the records of a batch the lab left unanswered).
        'pass: loop {
            let all = store.list_outbox().await.map_err(sync_failure)?;
            self.attention
                .set(all.iter().filter(|i| i.attention.is_some()).count());
            let ready: Vec<OutboxItem> = push::sendable(&all).into_iter().cloned().collect();
            if ready.is_empty() {
                return Ok(());
            }
            for chunk in ready.chunks(limit) {
                let now = chrono::Local::now().fixed_offset();
                let (request, broken) = push::push_request(
                    chunk,
                    &all,
                    now,
                    APP_VERSION,
                    self.last_error.get_untracked(),
                );
                for b in &broken {
                    store.put_outbox(b).await.map_err(sync_failure)?;
                }
                let batch: Vec<OutboxItem> = chunk
                    .iter()
                    .filter(|i| !broken.iter().any(|b| b.id == i.id))
                    .cloned()
                    .collect();
                if batch.is_empty() {
                    self.revision.bump();
                    continue;
                }
                self.sending
                    .set(batch.iter().map(|i| i.id.clone()).collect());
                self.phase.set(Phase::Sending(batch.len()));
                let answer = super::push(token, &request).await;
                self.sending.set(HashSet::new());
                match answer {
                    Ok(response) => {
                        self.skew.set(
                            response
                                .clock_skew_flagged
                                .then_some(response.clock_skew_seconds),
                        );
                        let mut synced = Vec::new();
                        let mut progress = false;
                        for s in push::settle(&batch, &response, now) {
                            match s {
                                Settlement::Synced(r) => synced.push(r),
                                Settlement::Quarantined(q) => {
                                    store.put_outbox(&q).await.map_err(sync_failure)?;
                                    self.attention.update(|n| *n += 1);
                                    progress = true;
                                }
                                Settlement::Unanswered(_) => {}
                            }
                        }
                        if !synced.is_empty() {
                            store.settle(&synced).await.map_err(sync_failure)?;
                            progress = true;
                        }
                        self.revision.bump();
                        if !progress {
                            return Err(Failure::Transient(
                                "the lab answered without a result for the records sent".into(),
                            ));
                        }
                    }
                    Err(e) => match Failure::of(&e) {
                        // One record the lab cannot take must not hold back the rest: send one
                        // at a time until the record that causes it is found and set aside.
                        Failure::Refused(_) if batch.len() > 1 => {
                            limit = 1;
                            continue 'pass;
                        }
                        Failure::Refused(why) => {
                            let mut q = batch[0].clone();
                            q.attention = Some(Attention {
                                outcome: "rejected".into(),
                                code: None,
                                reason: why,
                                at: now.to_rfc3339(),
                            });
                            store.put_outbox(&q).await.map_err(sync_failure)?;
                            self.attention.update(|n| *n += 1);
                            self.revision.bump();
                        }
                        other => return Err(other),
                    },
                }
            }
            limit = MAX_PUSH_RECORDS;
        }
    }

    async fn pull_all(
        &self,
        store: &Rc<dyn DraftStore>,
        token: &str,
        device_id: uuid::Uuid,
    ) -> Result<(), Failure> {
        self.phase.set(Phase::Pulling);
        // A bounded number of pages: a server that always says "more" cannot spin the tablet.
        for _ in 0..100 {
            let cursor = store
                .get_setting(PULL_CURSOR_KEY)
                .await
                .map_err(sync_failure)?
                .and_then(|v| v.as_str().map(String::from));
            let outbox = store.list_outbox().await.map_err(sync_failure)?;
            let now = chrono::Local::now().fixed_offset();
            let (queue_length, oldest) = push::queue_stats(&outbox, now);
            let query = PullQuery {
                cursor,
                device_clock: Some(now),
                app_version: Some(APP_VERSION.into()),
                queue_length: Some(queue_length),
                oldest_unsynced_seconds: oldest,
                last_error: self.last_error.get_untracked(),
                limit: None,
            };
            let response = super::pull(token, &query)
                .await
                .map_err(|e| Failure::of(&e))?;
            let held = held_orders(store).await.map_err(sync_failure)?;
            let stored: Option<drawline_domain::api::Worklist> = store
                .get_worklist(workflow::WORKLIST_KEY)
                .await
                .map_err(sync_failure)?
                .and_then(|v| serde_json::from_value(v).ok());
            let (worklist, notices) = pull::apply(stored.as_ref(), &response, &held, device_id);
            store
                .put_worklist(
                    workflow::WORKLIST_KEY,
                    &serde_json::to_value(&worklist).expect("a worklist serialises"),
                )
                .await
                .map_err(sync_failure)?;
            if !notices.is_empty() {
                let old = load_notices(store).await.map_err(sync_failure)?;
                let all = pull::merge_notices(old, notices);
                store
                    .put_worklist(
                        workflow::NOTICES_KEY,
                        &serde_json::to_value(&all).expect("notices serialise"),
                    )
                    .await
                    .map_err(sync_failure)?;
            }
            self.refresh_site(store, token, &response.site).await?;
            // Only now: a crash before this line pulls the same changes again, harmlessly.
            store
                .put_setting(
                    PULL_CURSOR_KEY,
                    &serde_json::Value::String(response.next_cursor.clone()),
                )
                .await
                .map_err(sync_failure)?;
            self.revision.bump();
            if !response.has_more {
                break;
            }
        }
        Ok(())
    }

    async fn refresh_site(
        &self,
        store: &Rc<dyn DraftStore>,
        token: &str,
        version: &SiteVersion,
    ) -> Result<(), Failure> {
        let known = store
            .get_setting(SITE_HASH_KEY)
            .await
            .map_err(sync_failure)?
            .and_then(|v| v.as_str().map(String::from));
        let stored = store
            .get_worklist(workflow::SITE_KEY)
            .await
            .map_err(sync_failure)?;
        if known.as_deref() == Some(version.hash.as_str()) && stored.is_some() {
            return Ok(());
        }
        let site: SiteConfig = super::fetch_site(token)
            .await
            .map_err(|e| Failure::of(&e))?;
        store
            .put_worklist(
                workflow::SITE_KEY,
                &serde_json::to_value(&site).expect("a site serialises"),
            )
            .await
            .map_err(sync_failure)?;
        store
            .put_setting(
                SITE_HASH_KEY,
                &serde_json::Value::String(version.hash.clone()),
            )
            .await
            .map_err(sync_failure)?;
        Ok(())
    }

    /// "Prepare for round": sends what waits, downloads everything the round needs, and checks
    /// that the app itself is stored for an offline start.
    pub async fn prepare(self) -> Result<Readiness, String> {
        // Let a sync in progress finish first, so the two never write the worklist at once.
        for _ in 0..600 {
            if !self.running() {
                break;
            }
            sleep_ms(100).await;
        }
        self.state.update_value(|s| s.running = true);
        let result = self.cycle().await;
        let again = self
            .state
            .try_update_value(|s| {
                s.running = false;
                std::mem::take(&mut s.again)
            })
            .unwrap_or(false);
        self.finish(result.clone());
        if again {
            // Something was finalized while preparing: send it too.
            self.kick();
        }
        result.map_err(|f| match f {
            Failure::Transient(w) | Failure::Refused(w) | Failure::Reenroll(w) => w,
        })?;
        let store = self.db.0.await.map_err(|e| e.to_string())?;
        let (worklist, site) = crate::round::load_round(&store)
            .await
            .map_err(|e| e.to_string())?;
        let worklist = worklist.ok_or("the lab sent no worklist for this tablet")?;
        let waiting = store.count_outbox().await.map_err(|e| e.to_string())?;
        Ok(Readiness {
            patients: worklist.patients.len(),
            orders: worklist.orders.len(),
            rounds: worklist.rounds.iter().map(|r| r.name.clone()).collect(),
            tests: site.catalog().tests().len(),
            offline_start: offline_start_ready().await,
            waiting,
        })
    }
}

/// Order ids the tablet holds a draft, an outbox record or a receipt for.
pub async fn held_orders(store: &Rc<dyn DraftStore>) -> Result<HashSet<String>, StorageError> {
    let drafts = crate::round::load_drafts(store).await?;
    let outbox = store.list_outbox().await?;
    let receipts = store.list_receipts().await?;
    let mut held: HashSet<String> = drafts
        .iter()
        .flat_map(|(d, _, _)| d.collection.orders().iter().map(|o| o.id.to_string()))
        .collect();
    held.extend(workflow::finalized_order_ids(
        &workflow::outbox_collections(&outbox),
    ));
    held.extend(receipts.into_iter().flat_map(|r| r.order_ids));
    Ok(held)
}

/// The order notices stored by earlier pulls.
pub async fn load_notices(store: &Rc<dyn DraftStore>) -> Result<Vec<OrderNotice>, StorageError> {
    Ok(store
        .get_worklist(workflow::NOTICES_KEY)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// True when an active service worker controls (or will control) this app.
async fn offline_start_ready() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let container = window.navigator().service_worker();
    if container.is_undefined() {
        return false;
    }
    let Ok(reg) = JsFuture::from(container.get_registration()).await else {
        return false;
    };
    reg.dyn_into::<web_sys::ServiceWorkerRegistration>()
        .ok()
        .and_then(|r| r.active())
        .is_some()
}
