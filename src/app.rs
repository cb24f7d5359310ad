//! The app shell: shared services in context, the service worker, and the routes.

use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
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
use crate::pages::sign_in::SignIn;
use crate::pages::tubes::Tubes;
use crate::state::{Auth, Revision};
use crate::storage::{schema, DraftStore, IdbStore, StorageError};

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
    provide_context(Revision(RwSignal::new(0)));
    provide_context(Auth::load(db));

    let (sw_state, set_sw_state) = signal(ServiceWorkerState::Pending);
    provide_context(OfflineReady(sw_state));
    leptos::task::spawn_local(async move {
        set_sw_state.set(register_service_worker().await);
        // Ask the browser not to evict collections under storage pressure; best effort.
        if let Some(w) = web_sys::window() {
            if let Ok(p) = w.navigator().storage().persist() {
                let _ = JsFuture::from(p).await;
            }
        }
    });

    view! {
        <Router>
            <main class="app">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/enroll") view=Enroll />
                    <Route path=path!("/sign-in") view=SignIn />
                    <Route path=path!("/draws") view=DrawList />
                    <Route path=path!("/drafts") view=Drafts />
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

async fn register_service_worker() -> ServiceWorkerState {
    let Some(window) = web_sys::window() else {
        return ServiceWorkerState::Unavailable("no window".into());
    };
    let container = window.navigator().service_worker();
    if container.is_undefined() {
        return ServiceWorkerState::Unavailable("this browser has no service workers".into());
    }
    match JsFuture::from(container.register("/sw.js")).await {
        Ok(_) => ServiceWorkerState::Registered,
        Err(e) => ServiceWorkerState::Unavailable(format!("{e:?}")),
    }
}
