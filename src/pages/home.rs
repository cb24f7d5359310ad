//! The start screen: which lab this device talks to, and what the device holds.

use leptos::prelude::*;

use crate::app::{DeviceDb, OfflineReady, ServiceWorkerState};
use crate::components::status_bar::StatusBar;
use crate::sync;

/// The first screen a collector sees.
#[component]
pub fn Home() -> impl IntoView {
    let DeviceDb(db) = expect_context();
    let OfflineReady(sw_state) = expect_context();
    let health = LocalResource::new(sync::fetch_health);
    let drafts = LocalResource::new(move || async move {
        let store = db.await?;
        store.count_drafts().await
    });

    view! {
        <StatusBar />
        <section class="card">
            <h1>"Drawline"</h1>
            <p class="lede">"Bedside specimen collection"</p>
            <Transition fallback=|| view! { <p>"Contacting the lab server…"</p> }>
                {move || {
                    health
                        .get()
                        .map(|res| match res {
                            Ok(h) => {
                                view! {
                                    <p>
                                        "Lab: "
                                        <strong data-testid="site-name">{h.site}</strong>
                                    </p>
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <p class="notice" data-testid="server-unreachable">
                                        {e.to_string()}
                                        ". You can keep working: everything is saved on this tablet."
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
        <section class="card">
            <h2>"This tablet"</h2>
            <dl class="facts">
                <dt>"Unfinished collections"</dt>
                <dd>
                    <Transition fallback=|| "…">
                        {move || {
                            drafts
                                .get()
                                .map(|res| match res {
                                    Ok(n) => view! { <span data-testid="draft-count">{n}</span> }.into_any(),
                                    Err(e) => {
                                        view! {
                                            <span class="error" data-testid="storage-error">
                                                {e.to_string()}
                                            </span>
                                        }
                                            .into_any()
                                    }
                                })
                        }}
                    </Transition>
                </dd>
                <dt>"Works offline"</dt>
                <dd data-testid="sw-status">
                    {move || match sw_state.get() {
                        ServiceWorkerState::Pending => "Preparing…".to_string(),
                        ServiceWorkerState::Registered => "Ready".to_string(),
                        ServiceWorkerState::Unavailable(why) => format!("Not available: {why}"),
                    }}
                </dd>
            </dl>
        </section>
    }
}
