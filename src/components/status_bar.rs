//! The bar on every screen: connection, sync backlog, drafts, offline start, who is signed in.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::context::{Auth, DeviceDb, Lock, OfflineReady, Revision, ServiceWorkerState};
use crate::human::skew_text;
use crate::sign_out::sign_out;
use crate::sync::runner::{Phase, SyncRunner};

fn navigator_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(false)
}

/// Always visible: online or offline, how many collections wait to sync, unfinished drafts,
/// whether the app starts offline, and who is signed in (with "Lock" and "Sign out").
#[component]
pub fn StatusBar() -> impl IntoView {
    let device_db = DeviceDb::expect();
    let DeviceDb(db) = device_db;
    let lock = Lock::expect();
    let revision = Revision::expect();
    let auth = Auth::expect();
    let OfflineReady(sw_state) = OfflineReady::expect();
    let (online, set_online) = signal(navigator_online());
    let on = window_event_listener(leptos::ev::online, move |_| set_online.set(true));
    let off = window_event_listener(leptos::ev::offline, move |_| set_online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    let runner: SyncRunner = expect_context();
    let counts = LocalResource::new(move || {
        revision.track();
        async move {
            let store = db.await.ok()?;
            // Counts, not lists: this runs after every write, also while thousands wait.
            let waiting = store.count_outbox().await.ok()?;
            let drafts = store.count_drafts().await.ok()?;
            Some((waiting, drafts))
        }
    });
    let sync_text = move || match runner.phase.get() {
        Phase::Idle => None,
        Phase::Sending(n) => Some(format!("Sending {n}…")),
        Phase::Pulling => Some("Updating worklist…".to_string()),
        Phase::Retrying { .. } => Some("Will retry".to_string()),
        Phase::Reenroll(_) => Some("Sync stopped: enroll again".to_string()),
    };
    let navigate = use_navigate();
    let sign_out = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Drafts stay on the device, encrypted: the next collector can resume them.
            sign_out(device_db, auth, lock).await;
            navigate("/sign-in", Default::default());
        });
    };

    view! {
        <header class="status-bar" role="status" aria-label="Device status">
            <span
                class=move || if online.get() { "pill online" } else { "pill offline" }
                data-testid="connection"
            >
                {move || if online.get() { "Online" } else { "Offline" }}
            </span>
            <a class="pill link" href="/sync" aria-label="Sync queue">
                <Transition fallback=|| "…">
                    <span data-testid="waiting-to-sync">
                        {move || {
                            counts
                                .get()
                                .map(|n| match n {
                                    Some((waiting, _)) => format!("{waiting} waiting to sync"),
                                    None => "Sync queue unavailable".to_string(),
                                })
                        }}
                    </span>
                    {move || {
                        let stuck = runner.attention.get();
                        (stuck > 0)
                            .then(|| {
                                view! { <span class="attention" data-testid="needs-attention">{format!(" · {stuck} need attention")}</span> }
                            })
                    }}
                    {move || sync_text().map(|t| view! { <span class="sync-state" data-testid="sync-state">{format!(" · {t}")}</span> })}
                </Transition>
            </a>
            <a class="pill link" href="/drafts" aria-label="Unfinished collections">
                <Transition fallback=|| "…">
                    <span data-testid="draft-count">
                        {move || {
                            counts.get().flatten().map(|(_, d)| d.to_string()).unwrap_or_default()
                        }}
                    </span>
                    " unfinished"
                </Transition>
            </a>
            <span class="pill quiet" title="Whether Drawline starts without a connection">
                "Offline start: "
                <span data-testid="sw-status">
                    {move || match sw_state.get() {
                        ServiceWorkerState::Pending => "Preparing…".to_string(),
                        ServiceWorkerState::Registered => "Ready".to_string(),
                        ServiceWorkerState::Unavailable(why) => format!("Not available: {why}"),
                    }}
                </span>
            </span>
            {move || {
                runner
                    .skew
                    .get()
                    .map(|seconds| {
                        view! {
                            <span class="pill warn" role="alert" data-testid="clock-skew">
                                {format!("Tablet clock is off by {}: fix the time", skew_text(seconds))}
                            </span>
                        }
                    })
            }}
            <span class="spacer"></span>
            <a class="pill link quiet" href="/settings" data-testid="settings-link">"Settings"</a>
            {move || {
                auth.session
                    .get()
                    .map(|s| {
                        view! {
                            <span class="who" data-testid="signed-in-as">
                                {s.user.display_name.clone()}
                            </span>
                            <button
                                class="button small"
                                title="Lock the screen now; your PIN unlocks it"
                                on:click=move |_| lock.locked.set(true)
                                data-testid="lock-now"
                            >
                                "Lock"
                            </button>
                            <button class="button small" on:click=sign_out.clone() data-testid="sign-out">
                                "Sign out"
                            </button>
                        }
                    })
            }}
        </header>
    }
}
