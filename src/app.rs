//! The app shell: provides the shared services in context and routes to the screens.

use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::components::lock_gate::LockGate;
use crate::components::storage_lost::StorageLost;
use crate::components::storage_not_persistent::StorageNotPersistent;
use crate::components::update_banner::UpdateBanner;
use crate::context::{Auth, DeviceDb, Lock, QueueFilters, Revision, Revoked};
use crate::hooks::use_service_worker::{use_service_worker, UseServiceWorkerReturn};
use crate::pages::drafts::Drafts;
use crate::pages::draw_list::DrawList;
use crate::pages::enroll::Enroll;
use crate::pages::exceptions::Exceptions;
use crate::pages::handover::Handover;
use crate::pages::home::Home;
use crate::pages::identify::Identify;
use crate::pages::label::Label;
use crate::pages::not_found::NotFound;
use crate::pages::review::Review;
use crate::pages::settings::Settings;
use crate::pages::sign_in::SignIn;
use crate::pages::supervisor_collection::SupervisorCollection;
use crate::pages::supervisor_devices::SupervisorDevices;
use crate::pages::supervisor_queue::SupervisorQueue;
use crate::pages::sync_queue::SyncQueue;
use crate::pages::tubes::Tubes;
use crate::storage::{schema, DraftStore, EncryptedStore, IdbStore, Vault};
use crate::sync::runner::SyncRunner;

/// Root component: provides context and routes.
#[component]
pub fn App() -> impl IntoView {
    let vault = Vault::new();
    let lock = Lock {
        locked: RwSignal::new(false),
        vault: StoredValue::new_local(vault.clone()),
    };
    provide_context(lock);
    let revoked = Revoked(RwSignal::new(false));
    provide_context(revoked);
    // Patient data reaches IndexedDB only through the encrypting store.
    let db = DeviceDb(LocalResource::new(move || {
        let vault = vault.clone();
        async move {
            IdbStore::open(schema::DB_NAME)
                .await
                .map(|s| Rc::new(EncryptedStore::new(Rc::new(s), vault)) as Rc<dyn DraftStore>)
        }
    }));
    provide_context(db);
    let revision = Revision(RwSignal::new(0));
    provide_context(revision);
    let auth = Auth::load(db);
    provide_context(auth);
    let runner = SyncRunner::new(db, auth, revision, lock, revoked);
    provide_context(runner);
    runner.install();
    provide_context(QueueFilters::new());
    let UseServiceWorkerReturn {
        offline_ready,
        update_ready,
    } = use_service_worker();
    provide_context(offline_ready);
    provide_context(update_ready);

    view! {
        <Router>
            <LockGate>
            <UpdateBanner />
            <StorageLost />
            <StorageNotPersistent />
            <main class="app">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/enroll") view=Enroll />
                    <Route path=path!("/sign-in") view=SignIn />
                    <Route path=path!("/draws") view=DrawList />
                    <Route path=path!("/drafts") view=Drafts />
                    <Route path=path!("/sync") view=SyncQueue />
                    <Route path=path!("/settings") view=Settings />
                    <Route path=path!("/handover") view=Handover />
                    <ParentRoute path=path!("/supervisor") view=Outlet>
                        <Route path=path!("") view=|| view! { <Redirect path="/supervisor/devices" /> } />
                        <Route path=path!("devices") view=SupervisorDevices />
                        <Route path=path!("queue") view=SupervisorQueue />
                        <Route path=path!("collections/:id") view=SupervisorCollection />
                    </ParentRoute>
                    // One collection's steps: each screen reads the collection id from the address.
                    <ParentRoute path=path!("/collect/:id") view=Outlet>
                        <Route path=path!("identify") view=Identify />
                        <Route path=path!("tubes") view=Tubes />
                        <Route path=path!("label") view=Label />
                        <Route path=path!("exceptions") view=Exceptions />
                        <Route path=path!("review") view=Review />
                    </ParentRoute>
                </Routes>
            </main>
            </LockGate>
        </Router>
    }
}
