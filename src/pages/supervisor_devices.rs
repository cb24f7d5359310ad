//! Supervisor: every enrolled device, most at risk first; revoke from here.

use std::time::Duration;

use drawline_domain::api::{DeviceOverview, DeviceStatus, RiskLevel};
use leptos::prelude::*;
use uuid::Uuid;

use crate::components::error_note::{failure_of, ErrorNote};
use crate::components::supervisor_frame::SupervisorFrame;
use crate::components::unreadable_banner::UnreadableBanner;
use crate::context::Auth;
use crate::error::AppError;
use crate::hooks::use_interval::use_interval;
use crate::human::{age_text, when};
use crate::sync::supervisor;

fn risk_class(level: RiskLevel) -> String {
    format!("device-card risk-{}", level.as_str())
}

/// The devices view: stale devices with unsynced work on top, each with its collector, last
/// contact, app version, queue and last error.
#[component]
pub fn SupervisorDevices() -> impl IntoView {
    let auth = Auth::expect();
    let tick = RwSignal::new(0u32);
    use_interval(Duration::from_secs(10), move || tick.update(|n| *n += 1));
    let data = LocalResource::new(move || {
        tick.get();
        let token = auth.session.get().map(|s| s.token);
        async move {
            let token = token.ok_or_else(|| AppError::refused("sign in again"))?;
            Ok::<_, AppError>(supervisor::devices(&token).await?)
        }
    });
    let confirming = RwSignal::new(None::<Uuid>);
    let revoke = Action::new_local(move |id: &Uuid| {
        let id = *id;
        let token = auth.session.get_untracked().map(|s| s.token);
        async move {
            let token = token.ok_or_else(|| AppError::refused("sign in again"))?;
            supervisor::revoke(&token, id).await?;
            confirming.set(None);
            tick.update(|n| *n += 1);
            Ok::<_, AppError>(())
        }
    });

    view! {
        <SupervisorFrame>
            <div class="screen" data-testid="supervisor-devices">
                <h1>"Devices"</h1>
                <UnreadableBanner rows=Signal::derive(move || {
                    data.get().and_then(|r| r.ok()).map(|o| o.unreadable).unwrap_or_default()
                }) />
                <ErrorNote error=failure_of(revoke) />
                <Transition fallback=|| view! { <p class="muted">"Asking the lab…"</p> }>
                    {move || {
                        data.get()
                            .map(|r| match r {
                                Err(e) => view! { <ErrorNote error=e test_id="supervisor-error" /> }.into_any(),
                                Ok(overview) => {
                                    let now = overview.server_time;
                                    view! {
                                        <p class="muted">
                                            "Stale after " {overview.thresholds.stale_device_minutes} " min without contact · updated "
                                            {when(&now)}
                                        </p>
                                        <div class="device-list">
                                            {overview
                                                .devices
                                                .into_iter()
                                                .map(|d| device_card(d, now, confirming, revoke))
                                                .collect_view()}
                                        </div>
                                    }
                                        .into_any()
                                }
                            })
                    }}
                </Transition>
            </div>
        </SupervisorFrame>
    }
}

fn device_card(
    d: DeviceOverview,
    now: chrono::DateTime<chrono::Utc>,
    confirming: RwSignal<Option<Uuid>>,
    revoke: Action<Uuid, Result<(), AppError>>,
) -> impl IntoView {
    let id = d.id;
    let seen = d
        .last_seen_at
        .map(|t| format!("{} ago", age_text((now - t).num_seconds())))
        .unwrap_or_else(|| "never".into());
    let oldest = d
        .oldest_unsynced_age_seconds
        .map(|s| age_text(s as i64))
        .unwrap_or_else(|| "—".into());
    let revoked = d.status == DeviceStatus::Revoked;
    view! {
        <article class=risk_class(d.risk) data-testid="device-card" data-name=d.name.clone()>
            <div class="device-head">
                <h2>{d.name.clone()}</h2>
                <span class="badge risk" data-testid="device-risk">{d.risk.display()}</span>
            </div>
            <dl class="facts">
                <dt>"Collector"</dt>
                <dd>{d.collector.as_ref().map(|u| u.display_name.clone()).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Last seen"</dt>
                <dd data-testid="device-seen">{seen}</dd>
                <dt>"Waiting to sync"</dt>
                <dd data-testid="device-queue">{d.queue_length}</dd>
                <dt>"Oldest unsynced"</dt>
                <dd>{oldest}</dd>
                <dt>"Quarantined"</dt>
                <dd data-testid="device-quarantined">{d.quarantined}</dd>
                <dt>"App version"</dt>
                <dd>{d.app_version.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Last sync error"</dt>
                <dd>{d.last_error.clone().unwrap_or_else(|| "none".into())}</dd>
            </dl>
            {(!d.reasons.is_empty())
                .then(|| {
                    view! {
                        <ul class="reasons" data-testid="device-reasons">
                            {d.reasons.iter().map(|r| view! { <li>{r.message.clone()}</li> }).collect_view()}
                        </ul>
                    }
                })}
            {if revoked {
                view! { <p class="badge danger">"Revoked"</p> }.into_any()
            } else {
                view! {
                    <Show
                        when=move || confirming.get() == Some(id)
                        fallback=move || {
                            view! {
                                <button class="button" data-testid="revoke-device" on:click=move |_| confirming.set(Some(id))>
                                    "Revoke this device"
                                </button>
                            }
                        }
                    >
                        <p class="notice">"Its token stops working at once; anything unsynced on it stays there until it is enrolled again."</p>
                        <button class="button danger" data-testid="confirm-revoke" on:click=move |_| { revoke.dispatch(id); }>
                            "Revoke now"
                        </button>
                        <button class="button" on:click=move |_| confirming.set(None)>"Keep it"</button>
                    </Show>
                }
                    .into_any()
            }}
        </article>
    }
}
