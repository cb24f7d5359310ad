//! Settings: this tablet, and the storage Drawline uses of what the browser allows.

use leptos::prelude::*;

use crate::components::screen::Screen;
use crate::context::{Auth, DeviceDb, Revision};
use crate::storage::quota::{self, human_bytes};
use crate::sync::runner::APP_VERSION;

/// What the browser reports about Drawline's storage.
#[derive(Clone)]
struct StorageFacts {
    estimate: Option<(f64, f64)>,
    persistent: Option<bool>,
    drafts: Option<u32>,
    waiting: Option<u32>,
    synced: Option<usize>,
}

/// The settings screen: which device this tablet is, how much storage Drawline uses of what the
/// browser allows, and whether that storage is protected from eviction.
#[component]
pub fn Settings() -> impl IntoView {
    let DeviceDb(db) = DeviceDb::expect();
    let auth = Auth::expect();
    let revision = Revision::expect();
    let facts = LocalResource::new(move || {
        revision.track();
        async move {
            let store = db.await.ok();
            let (drafts, waiting, synced) = match &store {
                Some(s) => (
                    s.count_drafts().await.ok(),
                    s.count_outbox().await.ok(),
                    s.list_receipts().await.ok().map(|r| r.len()),
                ),
                None => (None, None, None),
            };
            StorageFacts {
                estimate: quota::estimate().await,
                persistent: quota::is_persistent().await,
                drafts,
                waiting,
                synced,
            }
        }
    });
    let protect = Action::new_local(move |_: &()| async move {
        let granted = quota::request_persistent_storage().await;
        revision.bump();
        granted
    });

    view! {
        <Screen title="Settings" test_id="settings">
            <section class="card">
                <h2>"This tablet"</h2>
                <dl class="facts">
                    <dt>"Device"</dt>
                    <dd data-testid="device-name">
                        {move || auth.device.get().map(|d| d.device_name).unwrap_or_else(|| "Not enrolled".into())}
                    </dd>
                    <dt>"Drawline version"</dt>
                    <dd>{APP_VERSION}</dd>
                </dl>
            </section>
            <section class="card">
                <h2>"Storage"</h2>
                <Transition fallback=|| view! { <p class="muted">"Asking the browser…"</p> }>
                    {move || {
                        facts
                            .get()
                            .map(|f| {
                                let used = match f.estimate {
                                    Some((usage, q)) => {
                                        format!(
                                            "{} used of {} available ({:.1}%)",
                                            human_bytes(usage),
                                            human_bytes(q),
                                            if q > 0.0 { usage / q * 100.0 } else { 0.0 },
                                        )
                                    }
                                    None => "This browser does not report storage use".into(),
                                };
                                let persistent = match f.persistent {
                                    Some(true) => "Protected: the browser will not clear Drawline's data to free space",
                                    Some(false) => "Not protected: the browser may clear data when the tablet runs out of space. Sync often.",
                                    None => "Unknown on this browser",
                                };
                                let count = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
                                view! {
                                    <dl class="facts">
                                        <dt>"Used"</dt>
                                        <dd data-testid="storage-estimate">{used}</dd>
                                        <dt>"Persistence"</dt>
                                        <dd data-testid="storage-persistent">{persistent}</dd>
                                        <dt>"Unfinished collections"</dt>
                                        <dd>{count(f.drafts)}</dd>
                                        <dt>"Waiting to sync"</dt>
                                        <dd>{count(f.waiting)}</dd>
                                        <dt>"Synced and kept"</dt>
                                        <dd>{f.synced.map(|n| n.to_string()).unwrap_or_else(|| "?".into())}</dd>
                                    </dl>
                                    {(f.persistent == Some(false))
                                        .then(|| {
                                            view! {
                                                <button class="button" on:click=move |_| { protect.dispatch(()); }>
                                                    "Ask the browser to protect Drawline's data"
                                                </button>
                                            }
                                        })}
                                }
                            })
                    }}
                </Transition>
            </section>
            <p><a class="button" href="/draws">"Back to the draw list"</a></p>
        </Screen>
    }
}
