//! Runs sync in the browser: the [`Engine`] on IndexedDB and `fetch`, its state in signals.
//!
//! Sync starts when the enrollment is read, when the connection returns, after a finalize, on a
//! timer while records wait, and on "Sync now"; "Prepare for round" runs one and reports. The
//! worklist comes down only while someone is signed in; the outbox goes up regardless.

use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use drawline_domain::api::EnrollResponse;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub use super::engine::{held_orders, load_notices, Phase, APP_VERSION};
use super::engine::{Engine, Host};
use super::http::Http;
use super::push::Failure;
use crate::context::{Auth, DeviceDb, Lock, Revision, Revoked};
use crate::storage::{DraftStore, StorageError};

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
    auth: Auth,
    db: DeviceDb,
    revision: Revision,
    lock: Lock,
    revoked: Revoked,
    /// Set once in [`SyncRunner::new`]: the engine reports to this runner's signals.
    engine: StoredValue<Option<Rc<Engine<Http>>>, LocalStorage>,
    timer: StoredValue<Option<TimeoutHandle>, LocalStorage>,
}

/// The engine's surroundings in the browser: the app's database and enrollment, the signals.
struct BrowserHost(SyncRunner);

#[async_trait::async_trait(?Send)]
impl Host for BrowserHost {
    fn device(&self) -> Option<EnrollResponse> {
        self.0.auth.device.get_untracked()
    }

    fn online(&self) -> bool {
        web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(true)
    }

    async fn store(&self) -> Result<Rc<dyn DraftStore>, StorageError> {
        self.0.db.0.await
    }

    fn now(&self) -> DateTime<FixedOffset> {
        chrono::Local::now().fixed_offset()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn phase(&self, phase: Phase) {
        self.0.phase.set(phase);
    }

    fn sending(&self, ids: HashSet<String>) {
        self.0.sending.set(ids);
    }

    fn attention(&self, count: usize) {
        self.0.attention.set(count);
    }

    fn skew(&self, seconds: Option<i64>) {
        self.0.skew.set(seconds);
    }

    fn error(&self, why: Option<String>) {
        self.0.last_error.set(why);
    }

    fn synced(&self) {
        self.0.last_synced.set(Some(self.now().to_rfc3339()));
    }

    fn stored(&self) {
        self.0.revision.bump();
    }

    fn set_device(&self, device: EnrollResponse) {
        self.0.auth.device.set(Some(device));
    }

    fn signed_out(&self, token: &str) {
        let auth = self.0.auth;
        if auth
            .session
            .get_untracked()
            .is_some_and(|s| s.token == token)
        {
            // The screens that need a person send to the sign-in screen; drafts stay, and
            // the key is forgotten with the session.
            let (db, lock) = (self.0.db, self.0.lock);
            leptos::task::spawn_local(crate::sign_out::sign_out(db, auth, lock));
        }
    }

    fn revoked(&self, _kept: crate::storage::wipe::Kept) {
        self.0.lock.vault.with_value(|v| v.close());
        self.0.auth.session.set(None);
        self.0.revoked.0.set(true);
    }
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
    pub fn new(db: DeviceDb, auth: Auth, revision: Revision, lock: Lock, revoked: Revoked) -> Self {
        let runner = Self {
            phase: RwSignal::new(Phase::Idle),
            sending: RwSignal::new(HashSet::new()),
            last_error: RwSignal::new(None),
            last_synced: RwSignal::new(None),
            skew: RwSignal::new(None),
            attention: RwSignal::new(0),
            auth,
            db,
            revision,
            lock,
            revoked,
            engine: StoredValue::new_local(None),
            timer: StoredValue::new_local(None),
        };
        let engine = Engine::new(Rc::new(BrowserHost(runner)), Http);
        runner.engine.set_value(Some(Rc::new(engine)));
        runner
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

    fn engine(&self) -> Rc<Engine<Http>> {
        self.engine
            .with_value(|e| e.clone())
            .expect("the engine is set when the runner is made")
    }

    fn running(&self) -> bool {
        self.engine().running()
    }

    async fn run(self) {
        // A run in progress cleared the timer when it started and sets its own when it ends;
        // a new run replaces the pending one.
        self.timer.update_value(|t| {
            if let Some(t) = t.take() {
                t.clear();
            }
        });
        if let Some(delay) = self.engine().run().await {
            self.schedule(delay);
        }
    }

    /// Starts the next attempt after `delay` ms, replacing any pending one; `None` (sync must
    /// stop) leaves things as they are.
    fn schedule(self, delay: Option<u32>) {
        let Some(delay) = delay else { return };
        let timer =
            set_timeout_with_handle(move || self.kick(), Duration::from_millis(u64::from(delay)))
                .ok();
        self.timer.update_value(|t| {
            if let Some(old) = std::mem::replace(t, timer) {
                old.clear();
            }
        });
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
        let (result, delay, again) = self.engine().run_once().await;
        self.schedule(delay);
        if again {
            // Something was finalized while preparing: send it too.
            self.kick();
        }
        result.map_err(|f| match f {
            Failure::Transient(w)
            | Failure::Refused(w)
            | Failure::Reenroll(w)
            | Failure::Revoked(w) => w,
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
