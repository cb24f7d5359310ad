//! `StorageNotPersistent`: the quiet warning that the browser may clear Drawline's data under storage pressure.

use leptos::prelude::*;

use crate::context::Auth;
use crate::storage::quota;

/// On an enrolled tablet whose browser has not granted persistent storage: says the browser may
/// clear Drawline's data when space runs low, offers to ask again, and can be put away until
/// the next start.
#[component]
pub fn StorageNotPersistent() -> impl IntoView {
    let auth = Auth::expect();
    let dismissed = RwSignal::new(false);
    let asked = RwSignal::new(0u32);
    let persistent = LocalResource::new(move || {
        asked.track();
        quota::is_persistent()
    });
    let ask = Action::new_local(move |_: &()| async move {
        quota::request_persistent_storage().await;
        asked.update(|n| *n += 1);
    });
    let show = move || {
        auth.device.get().is_some() && !dismissed.get() && persistent.get().flatten() == Some(false)
    };
    view! {
        <Show when=show>
            <div class="storage-warning" role="status" data-testid="storage-not-persistent">
                <span>
                    "The browser may clear Drawline's data when space runs low: install Drawline on the home screen or allow storage, and sync often."
                </span>
                <span class="storage-warning-actions">
                    <button class="button small" type="button" data-testid="storage-protect" on:click=move |_| { ask.dispatch(()); }>
                        "Allow storage"
                    </button>
                    <button class="button small" type="button" data-testid="storage-warning-later" on:click=move |_| dismissed.set(true)>
                        "Later"
                    </button>
                </span>
            </div>
        </Show>
    }
}
