//! The app shell: shared services in context, the service worker, and the routes.

use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::pages::drafts::Drafts;
use crate::pages::draw_list::DrawList;
use crate::pages::enroll::Enroll;
use crate::pages::exceptions::Exceptions;
use crate::pages::home::Home;
use crate::pages::identify::Identify;
use crate::pages::label::Label;
use crate::pages::not_found::NotFound;
use crate::pages::review::Review;
use crate::pages::settings::Settings;
use crate::pages::sign_in::SignIn;
use crate::pages::supervisor_collection::SupervisorCollection;
use crate::pages::supervisor_devices::SupervisorDevices;
use crate::pages::supervisor_queue::{QueueFilters, SupervisorQueue};
use crate::pages::sync_queue::SyncQueue;
use crate::pages::tubes::Tubes;
use crate::state::{Auth, Revision};
use crate::storage::{schema, DraftStore, IdbStore, StorageError};
use crate::sync::runner::SyncRunner;

/// The device database, opened once for the whole app.
#[derive(Clone, Copy)]
pub struct DeviceDb(pub LocalResource<Result<Rc<dyn DraftStore>, StorageError>>);

/// Whether the service worker is installed, so the app can start with no network.
#[derive(Clone, Copy)]
pub struct OfflineReady(pub ReadSignal<ServiceWorkerState>);

/// What became of the service worker registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceWorkerState {
    /// Registration has not finished yet.
    Pending,
    /// Registered: the shell is (or is being) cached for offline use.
    Registered,
    /// The browser has no service workers, or registration failed.
    Unavailable(String),
}

/// Root component: provides context and routes.
#[component]
pub fn App() -> impl IntoView {
    let db = DeviceDb(LocalResource::new(|| async {
        IdbStore::open(schema::DB_NAME)
            .await
            .map(|s| Rc::new(s) as Rc<dyn DraftStore>)
    }));
    provide_context(db);
    let revision = Revision(RwSignal::new(0));
    provide_context(revision);
    let auth = Auth::load(db);
    provide_context(auth);
    let runner = SyncRunner::new(db, auth, revision);
    provide_context(runner);
    runner.install();
    provide_context(QueueFilters::new());

    let (sw_state, set_sw_state) = signal(ServiceWorkerState::Pending);
    provide_context(OfflineReady(sw_state));
    let update = UpdateReady(RwSignal::new(false));
    provide_context(update);
    leptos::task::spawn_local(async move {
        set_sw_state.set(register_service_worker(update).await);
    });

    view! {
        <Router>
            <UpdateBanner />
            <main class="app">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/enroll") view=Enroll />
                    <Route path=path!("/sign-in") view=SignIn />
                    <Route path=path!("/draws") view=DrawList />
                    <Route path=path!("/drafts") view=Drafts />
                    <Route path=path!("/sync") view=SyncQueue />
                    <Route path=path!("/settings") view=Settings />
                    <Route path=path!("/supervisor") view=|| view! { <Redirect path="/supervisor/devices" /> } />
                    <Route path=path!("/supervisor/devices") view=SupervisorDevices />
                    <Route path=path!("/supervisor/queue") view=SupervisorQueue />
                    <Route path=path!("/supervisor/collections/:id") view=SupervisorCollection />
                    <Route path=path!("/collect/:id/identify") view=Identify />
                    <Route path=path!("/collect/:id/tubes") view=Tubes />
                    <Route path=path!("/collect/:id/label") view=Label />
                    <Route path=path!("/collect/:id/exceptions") view=Exceptions />
                    <Route path=path!("/collect/:id/review") view=Review />
                </Routes>
            </main>
        </Router>
    }
}

/// A new version of the app is installed and waiting: offered as "Update ready: reload".
#[derive(Clone, Copy)]
pub struct UpdateReady(pub RwSignal<bool>);

async fn register_service_worker(update: UpdateReady) -> ServiceWorkerState {
    let Some(window) = web_sys::window() else {
        return ServiceWorkerState::Unavailable("no window".into());
    };
    let container = window.navigator().service_worker();
    if container.is_undefined() {
        return ServiceWorkerState::Unavailable("this browser has no service workers".into());
    }
    match JsFuture::from(container.register("/sw.js")).await {
        Ok(reg) => {
            if let Ok(reg) = reg.dyn_into::<web_sys::ServiceWorkerRegistration>() {
                watch_for_update(&container, &reg, update);
            }
            ServiceWorkerState::Registered
        }
        Err(e) => ServiceWorkerState::Unavailable(format!("{e:?}")),
    }
}

/// Marks an update ready when a new service worker finishes installing while an older one
/// controls the page (the very first install is not an update).
fn watch_for_update(
    container: &web_sys::ServiceWorkerContainer,
    reg: &web_sys::ServiceWorkerRegistration,
    update: UpdateReady,
) {
    if reg.waiting().is_some() && container.controller().is_some() {
        update.0.set(true);
    }
    let reg2 = reg.clone();
    let on_found = Closure::<dyn FnMut()>::new(move || {
        let Some(installing) = reg2.installing() else {
            return;
        };
        let worker = installing.clone();
        let on_state = Closure::<dyn FnMut()>::new(move || {
            let controlled = web_sys::window()
                .map(|w| w.navigator().service_worker().controller().is_some())
                .unwrap_or(false);
            if worker.state() == web_sys::ServiceWorkerState::Installed && controlled {
                update.0.set(true);
            }
        });
        installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
        on_state.forget();
    });
    reg.set_onupdatefound(Some(on_found.as_ref().unchecked_ref()));
    on_found.forget();
}

/// "Update ready: reload", shown only when no collection is open on screen. Every change to a
/// collection is saved before the screen confirms it, so off the collection screens there is
/// nothing unsaved; the waiting worker takes over and the page reloads into the new version.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let UpdateReady(ready) = expect_context();
    let location = leptos_router::hooks::use_location();
    let mid_collection = move || location.pathname.get().starts_with("/collect/");
    let apply = move |_| {
        let Some(window) = web_sys::window() else {
            return;
        };
        let container = window.navigator().service_worker();
        let reload = Closure::<dyn FnMut()>::new(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        container.set_oncontrollerchange(Some(reload.as_ref().unchecked_ref()));
        reload.forget();
        leptos::task::spawn_local(async move {
            let Ok(reg) = JsFuture::from(container.get_registration()).await else {
                return;
            };
            let waiting = reg
                .dyn_into::<web_sys::ServiceWorkerRegistration>()
                .ok()
                .and_then(|r| r.waiting());
            match waiting {
                Some(w) => {
                    let _ = w.post_message(&wasm_bindgen::JsValue::from_str("skip-waiting"));
                }
                None => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().reload();
                    }
                }
            }
        });
    };
    view! {
        <Show when=move || ready.get() && !mid_collection()>
            <div class="update-banner" role="status" data-testid="update-ready">
                <span>"A new version of Drawline is ready."</span>
                <button class="button small" data-testid="update-reload" on:click=apply>
                    "Update ready: reload"
                </button>
            </div>
        </Show>
    }
}
