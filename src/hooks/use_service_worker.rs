//! `use_service_worker`: registers the service worker and watches for a new version.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::context::{OfflineReady, ServiceWorkerState, UpdateReady};

/// What `use_service_worker` gives the app shell.
pub struct UseServiceWorkerReturn {
    /// Whether the shell is cached for offline use.
    pub offline_ready: OfflineReady,
    /// A new version waits to take over.
    pub update_ready: UpdateReady,
}

/// Starts the service worker registration; the signals follow it.
pub fn use_service_worker() -> UseServiceWorkerReturn {
    let (sw_state, set_sw_state) = signal(ServiceWorkerState::Pending);
    let update_ready = UpdateReady(RwSignal::new(false));
    leptos::task::spawn_local(async move {
        set_sw_state.set(register_service_worker(update_ready).await);
    });
    UseServiceWorkerReturn {
        offline_ready: OfflineReady(sw_state),
        update_ready,
    }
}

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
