//! "Update ready: reload": offers a waiting new version off the collection screens.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::context::UpdateReady;

/// "Update ready: reload", shown only when no collection is open on screen. Every change to a
/// collection is saved before the screen confirms it, so off the collection screens there is
/// nothing unsaved; the waiting worker takes over and the page reloads into the new version.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let UpdateReady(ready) = UpdateReady::expect();
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
