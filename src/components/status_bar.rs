//! The bar on every screen: online or offline, and how many collections wait to sync.

use leptos::prelude::*;

use crate::app::DeviceDb;

fn navigator_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(false)
}

/// Connection state and sync backlog, always visible.
#[component]
pub fn StatusBar() -> impl IntoView {
    let DeviceDb(db) = expect_context();
    let (online, set_online) = signal(navigator_online());
    let on = window_event_listener(leptos::ev::online, move |_| set_online.set(true));
    let off = window_event_listener(leptos::ev::offline, move |_| set_online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    let waiting = LocalResource::new(move || async move {
        let store = db.await.ok()?;
        store.count_outbox().await.ok()
    });

    view! {
        <header class="status-bar" role="status">
            <span
                class=move || if online.get() { "pill online" } else { "pill offline" }
                data-testid="connection"
            >
                {move || if online.get() { "Online" } else { "Offline" }}
            </span>
            <span class="pill" data-testid="waiting-to-sync">
                <Transition fallback=|| "…">
                    {move || {
                        waiting
                            .get()
                            .map(|n| match n {
                                Some(n) => format!("{n} waiting to sync"),
                                None => "Sync queue unavailable".to_string(),
                            })
                    }}
                </Transition>
            </span>
        </header>
    }
}
