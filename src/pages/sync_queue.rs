//! The sync screen: every finalized collection on the tablet with its sync state, and "Sync now".

use std::time::Duration;

use drawline_domain::api::{push_codes, Receipt};
use drawline_domain::FinalizedCollection;
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::screen::{Screen, TitleActions};
use crate::context::{DeviceDb, Revision};
use crate::error::AppError;
use crate::hooks::use_interval::use_interval;
use crate::human::{when, when_text};
use crate::storage::{OutboxItem, ReceiptRecord, StorageError};
use crate::sync::runner::{Phase, SyncRunner};

/// How many waiting or quarantined collections the screen lists.
const WAITING_SHOWN: usize = 100;
/// How many synced collections the screen lists (the most recent first).
const RECENT_RECEIPTS: usize = 50;

/// One row of the list.
#[derive(Clone)]
struct Line {
    key: String,
    patient: String,
    finalized_at: String,
    state: LineState,
}

#[derive(Clone, PartialEq)]
enum LineState {
    Waiting,
    Attention {
        outcome: String,
        reason: String,
        /// The lab refused it as possible wrong blood in tube.
        wbit: bool,
    },
    Synced {
        at: String,
        skew: bool,
    },
}

fn patient_of(data: &serde_json::Value) -> String {
    crate::json_value::from_value::<FinalizedCollection>(data)
        .map(|f| {
            let p = &f.record().patient().identity;
            format!("{} · {}", p.name.display_full(), p.mrn)
        })
        .unwrap_or_else(|_| "Unreadable record".into())
}

fn lines(outbox: Vec<OutboxItem>, mut receipts: Vec<ReceiptRecord>) -> Vec<Line> {
    let mut out: Vec<Line> = outbox
        .into_iter()
        .map(|i| Line {
            patient: patient_of(&i.data),
            finalized_at: when_text(&i.finalized_at),
            state: match &i.attention {
                Some(a) => LineState::Attention {
                    outcome: a.outcome.clone(),
                    reason: a.reason.clone(),
                    wbit: a.code.as_deref() == Some(push_codes::WRONG_BLOOD_IN_TUBE),
                },
                None => LineState::Waiting,
            },
            key: i.id,
        })
        .collect();
    // Needs attention first: that is what a person must act on.
    out.sort_by_key(|l| !matches!(l.state, LineState::Attention { .. }));
    // Possible wrong blood in tube before any other attention.
    out.sort_by_key(|l| !matches!(l.state, LineState::Attention { wbit: true, .. }));
    // Thousands may wait after days offline: list the first ones, count the rest.
    let hidden = out.len().saturating_sub(WAITING_SHOWN);
    out.truncate(WAITING_SHOWN);
    if hidden > 0 {
        out.push(Line {
            key: "more".into(),
            patient: format!("… and {hidden} more waiting"),
            finalized_at: String::new(),
            state: LineState::Waiting,
        });
    }
    receipts.sort_by(|a, b| b.finalized_at.cmp(&a.finalized_at));
    out.extend(receipts.into_iter().take(RECENT_RECEIPTS).map(|r| {
        let receipt = crate::json_value::from_value::<Receipt>(&r.receipt).ok();
        Line {
            key: r.id.clone(),
            patient: r.patient_label.clone(),
            finalized_at: when_text(&r.finalized_at),
            state: LineState::Synced {
                at: receipt
                    .as_ref()
                    .map(|x| when(&x.received_at))
                    .unwrap_or_default(),
                skew: receipt.is_some_and(|x| x.clock_skew_flagged),
            },
        }
    }));
    out
}

/// The sync screen: waiting, sending, synced with the lab's receipt time, needs attention with
/// the lab's reason.
#[component]
pub fn SyncQueue() -> impl IntoView {
    let DeviceDb(db) = DeviceDb::expect();
    let revision = Revision::expect();
    let runner: SyncRunner = expect_context();
    let data = LocalResource::new(move || {
        revision.track();
        async move {
            let store = db.await?;
            let outbox = store.list_outbox().await?;
            let receipts = store.list_receipts().await?;
            Ok::<_, StorageError>(lines(outbox, receipts))
        }
    });
    let now = RwSignal::new(js_sys::Date::now());
    use_interval(Duration::from_secs(1), move || now.set(js_sys::Date::now()));
    let phase_text = move || match runner.phase.get() {
        Phase::Idle => match runner.last_synced.get() {
            Some(t) => format!("Up to date with the lab at {}", when_text(&t)),
            None => "Not synced yet".to_string(),
        },
        Phase::Sending(n) => format!("Sending {n} collection{}…", if n == 1 { "" } else { "s" }),
        Phase::Pulling => "Downloading worklist changes…".to_string(),
        Phase::Retrying { at_ms } => {
            let secs = ((at_ms - now.get()) / 1000.0).ceil().max(0.0);
            format!("Trying again in {secs} s")
        }
        Phase::Reenroll(_) => "Stopped: this tablet must be enrolled again".to_string(),
    };

    view! {
        <Screen title="Sync" test_id="sync-screen">
            <TitleActions slot>
                <button
                    class="button primary"
                    data-testid="sync-now"
                    on:click=move |_| runner.kick()
                    disabled=move || matches!(runner.phase.get(), Phase::Sending(_) | Phase::Pulling)
                >
                    "Sync now"
                </button>
            </TitleActions>
            <p class="lead" data-testid="sync-phase">{phase_text}</p>
            {move || {
                runner
                    .last_error
                    .get()
                    .map(|e| view! { <p class="notice" role="alert" data-testid="sync-error">"Last problem: " {e}</p> })
            }}
            {move || {
                matches!(runner.phase.get(), Phase::Reenroll(_))
                    .then(|| {
                        view! {
                            <p class="error" role="alert">
                                "The lab no longer accepts this tablet. Nothing on it is lost. "
                                <a href="/enroll" data-testid="reenroll-link">"Enroll it again"</a>
                                " with a new code from the lab."
                            </p>
                        }
                    })
            }}
            <Transition fallback=|| view! { <p class="muted">"Reading the outbox…"</p> }>
                {move || {
                    data.get()
                        .map(|res| match res {
                            Err(e) => view! { <ErrorNote error=AppError::from(e) /> }.into_any(),
                            Ok(list) if list.is_empty() => {
                                view! { <p class="card muted">"No finalized collections on this tablet yet."</p> }
                                    .into_any()
                            }
                            Ok(list) => {
                                view! {
                                    <ul class="sync-list" data-testid="sync-list">
                                        {list.into_iter().map(|l| line_view(l, runner)).collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </Screen>
    }
}

fn line_view(l: Line, runner: SyncRunner) -> impl IntoView {
    let key = l.key.clone();
    let state = l.state.clone();
    let status = move || {
        match &state {
        LineState::Waiting if runner.sending.with(|s| s.contains(&key)) => {
            view! { <span class="badge info" data-testid="record-state">"Sending"</span> }.into_any()
        }
        LineState::Waiting => {
            view! { <span class="badge" data-testid="record-state">"Waiting"</span> }.into_any()
        }
        LineState::Synced { at, skew } => view! {
            <span class="badge ok" data-testid="record-state">"Synced"</span>
            <span class="muted">" receipt " {at.clone()}</span>
            {skew.then(|| view! { <span class="badge warn">"clock skew flagged"</span> })}
        }
        .into_any(),
        LineState::Attention { reason, wbit: true, .. } => view! {
            <span class="badge danger" data-testid="record-state">"POSSIBLE WRONG BLOOD IN TUBE"</span>
            <p class="reason wbit" data-testid="record-reason">
                {format!("The lab refused it: {reason}. The tube may hold another patient's blood. It is kept on this tablet, not sent; set the tube aside and call the lab now.")}
            </p>
        }
        .into_any(),
        LineState::Attention { outcome, reason, .. } => view! {
            <span class="badge danger" data-testid="record-state">"Needs attention"</span>
            <p class="reason" data-testid="record-reason">
                {format!("The lab answered {outcome}: {reason}. It is kept on this tablet; call the lab.")}
            </p>
        }
        .into_any(),
    }
    };
    view! {
        <li class="sync-line" data-testid="sync-line" data-key=l.key.clone()>
            <div>
                <strong>{l.patient}</strong>
                <span class="muted">" · finalized " {l.finalized_at}</span>
            </div>
            <div class="sync-status">{status}</div>
        </li>
    }
}
