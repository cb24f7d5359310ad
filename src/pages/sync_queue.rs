//! The sync screen: every finalized collection on the tablet with its sync state, and "Sync now".

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use drawline_domain::api::{push_codes, Receipt};
use drawline_domain::FinalizedCollection;
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::screen::{Screen, TitleActions};
use crate::context::{Auth, DeviceDb, Revision};
use crate::error::AppError;
use crate::hooks::use_interval::use_interval;
use crate::human::{when, when_text};
use crate::storage::{OutboxItem, ReceiptRecord, StorageError};
use crate::sync::runner::{Phase, SyncRunner};
use crate::workflow::{self, Step};
use leptos_router::hooks::use_navigate;

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
    /// The collection's version on this row (a correction or a void is version 2 or later).
    version: u32,
    /// What the version says about itself: "Voided: reason" or "Correction: reason", and
    /// whether it is a void.
    change: Option<(String, bool)>,
    /// The newest version of a collection that is neither voided nor refused, with its record:
    /// it can be corrected or voided from here.
    amend: Option<FinalizedCollection>,
    /// A correction of this collection is open among the drafts.
    draft_open: bool,
}

/// "Voided: reason" or "Correction: reason", for a version that says so, and whether it is a void.
fn change_of(f: &FinalizedCollection) -> Option<(String, bool)> {
    let r = f.record();
    match (r.voided(), r.change_reason()) {
        (Some(v), _) => Some((format!("Voided as entered in error: {}", v.reason), true)),
        (None, Some(reason)) => Some((format!("Correction: {reason}"), false)),
        (None, None) => None,
    }
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

fn patient_of(record: Option<&FinalizedCollection>) -> String {
    record
        .map(|f| {
            let p = &f.record().patient().identity;
            format!("{} · {}", p.name.display_full(), p.mrn)
        })
        .unwrap_or_else(|| "Unreadable record".into())
}

fn lines(
    outbox: Vec<OutboxItem>,
    mut receipts: Vec<ReceiptRecord>,
    drafts: &[String],
) -> Vec<Line> {
    // Only the newest version of a collection is corrected or voided, and never a void or a
    // record the lab refused. Each record is read once: thousands may wait.
    let mut newest: HashMap<&str, u32> = HashMap::new();
    let versions = outbox
        .iter()
        .map(|i| (i.collection_id.as_str(), i.version))
        .chain(
            receipts
                .iter()
                .map(|r| (r.collection_id.as_str(), r.version)),
        );
    for (id, version) in versions {
        let v = newest.entry(id).or_insert(version);
        *v = (*v).max(version);
    }
    let newest: HashMap<String, u32> = newest.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let drafts: HashSet<&str> = drafts.iter().map(String::as_str).collect();
    let line = |key: String,
                collection_id: &str,
                version: u32,
                record: Option<FinalizedCollection>,
                finalized_at: &str,
                state: LineState| {
        let amendable = newest.get(collection_id) == Some(&version)
            && !matches!(state, LineState::Attention { .. });
        Line {
            patient: patient_of(record.as_ref()),
            change: record.as_ref().and_then(change_of),
            amend: record.filter(|f| amendable && f.record().voided().is_none()),
            draft_open: drafts.contains(collection_id),
            key,
            finalized_at: when_text(finalized_at),
            state,
            version,
        }
    };
    let mut out: Vec<Line> = outbox
        .into_iter()
        .map(|i| {
            let record = crate::json_value::from_value::<FinalizedCollection>(&i.data).ok();
            line(
                i.id.clone(),
                &i.collection_id,
                i.version,
                record,
                &i.finalized_at,
                match &i.attention {
                    Some(a) => LineState::Attention {
                        outcome: a.outcome.clone(),
                        reason: a.reason.clone(),
                        wbit: a.code.as_deref() == Some(push_codes::WRONG_BLOOD_IN_TUBE),
                    },
                    None => LineState::Waiting,
                },
            )
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
            version: 0,
            change: None,
            amend: None,
            draft_open: false,
        });
    }
    receipts.sort_by(|a, b| b.finalized_at.cmp(&a.finalized_at));
    out.extend(receipts.into_iter().take(RECENT_RECEIPTS).map(|r| {
        let receipt = crate::json_value::from_value::<Receipt>(&r.receipt).ok();
        let record = r
            .data
            .as_ref()
            .and_then(|d| crate::json_value::from_value::<FinalizedCollection>(d).ok());
        let mut l = line(
            r.id.clone(),
            &r.collection_id,
            r.version,
            record,
            &r.finalized_at,
            LineState::Synced {
                at: receipt
                    .as_ref()
                    .map(|x| when(&x.received_at))
                    .unwrap_or_default(),
                skew: receipt.is_some_and(|x| x.clock_skew_flagged),
            },
        );
        // Receipts from before corrections keep no record, but always the patient.
        l.patient = r.patient_label.clone();
        l
    }));
    out
}

/// What the collector is about to do to a finalized collection, asked in a dialog with a reason.
#[derive(Clone)]
enum Amend {
    /// Open a correction: a new draft version, through review and finalize.
    Correct(FinalizedCollection),
    /// Void it as entered in error: a new finalized version, straight into the outbox.
    Void(FinalizedCollection),
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
            let drafts: Vec<String> = store
                .list_drafts()
                .await?
                .into_iter()
                .map(|d| d.id)
                .collect();
            Ok::<_, StorageError>(lines(outbox, receipts, &drafts))
        }
    });
    let auth = Auth::expect();
    let navigate = use_navigate();
    let asking = RwSignal::new(None::<Amend>);
    let reason = RwSignal::new(String::new());
    let amend_error = RwSignal::new(None::<AppError>);
    let ask = move |a: Amend| {
        reason.set(String::new());
        amend_error.set(None);
        asking.set(Some(a));
    };
    // Both write in one IndexedDB operation: a correction is one new draft, a void one new
    // outbox record (refused if that version is already there), so a reload or a killed tab
    // leaves either all of it or nothing.
    let amend = Action::new_local(move |(a, reason): &(Amend, String)| {
        let (a, reason) = (a.clone(), reason.clone());
        async move {
            let store = db.await?;
            let collector = auth.collector().ok_or_else(|| {
                AppError::refused("sign in as a collector to correct or void a collection")
            })?;
            let now = workflow::now();
            match a {
                Amend::Correct(f) => {
                    let id = f.record().id().to_string();
                    if store.get_draft(&id).await?.is_some() {
                        return Err(AppError::refused(
                            "a correction of this collection is already open among the drafts",
                        ));
                    }
                    let draft = workflow::correction_draft(&f, &reason, collector, now)?;
                    store
                        .put_draft(&draft.to_draft(Step::Review, now.local()))
                        .await?;
                    Ok(Some(Step::Review.path(&id)))
                }
                Amend::Void(f) => {
                    let id = f.record().id().to_string();
                    if store.get_draft(&id).await?.is_some() {
                        return Err(AppError::refused("a correction of this collection is open among the drafts: finish it first"));
                    }
                    let item = workflow::void_item(&f, &reason, &collector.collector_id(), now)?;
                    store.finalize(&id, &item).await?;
                    Ok(None)
                }
            }
        }
    });
    Effect::new(move |_| match amend.value().get() {
        Some(Ok(go)) => {
            asking.set(None);
            revision.bump();
            match go {
                Some(path) => navigate(&path, Default::default()),
                // The void waits in the outbox: send it now if there is a connection.
                None => runner.kick(),
            }
        }
        Some(Err(e)) => amend_error.set(Some(e)),
        None => {}
    });
    let dialog = move || {
        asking.get().map(|a| {
            let (title, explain, label, confirm, test_id) = match &a {
                Amend::Correct(_) => (
                    "Correct a finalized collection",
                    "Opens a new version of this collection to change and finalize again. The finalized version stays as it was; the lab keeps both.",
                    "Why is it corrected? (recorded)",
                    "Open the correction",
                    "correct-form",
                ),
                Amend::Void(_) => (
                    "Void as entered in error",
                    "Sends a new version that declares this collection entered in error. The lab keeps every version; its orders can be collected again.",
                    "Why was it entered in error? (recorded)",
                    "Void this collection",
                    "void-form",
                ),
            };
            let who = match &a {
                Amend::Correct(f) | Amend::Void(f) => {
                    let r = f.record();
                    let p = &r.patient().identity;
                    format!("{} · {} · version {}", p.name.display_full(), p.mrn, r.version())
                }
            };
            let danger = matches!(a, Amend::Void(_));
            view! {
                <div class="dialog-backdrop">
                    <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="amend-title" data-testid=test_id>
                        <h2 id="amend-title">{title}</h2>
                        <p><strong>{who}</strong></p>
                        <p class="muted">{explain}</p>
                        <ErrorNote error=amend_error test_id="amend-error" />
                        <div class="field">
                            <label for="amend-reason">{label}</label>
                            <input id="amend-reason" type="text" data-testid="amend-reason"
                                prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev)) />
                        </div>
                        <div class="actions">
                            <button class="button" data-testid="amend-cancel" on:click=move |_| asking.set(None)>"Cancel"</button>
                            <button
                                class=if danger { "button danger" } else { "button primary" }
                                data-testid="amend-confirm"
                                disabled=move || reason.get().trim().is_empty() || amend.pending().get()
                                on:click=move |_| { amend.dispatch((a.clone(), reason.get_untracked())); }
                            >
                                {confirm}
                            </button>
                        </div>
                    </section>
                </div>
            }
        })
    };
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
                                        {list.into_iter().map(|l| line_view(l, runner, ask)).collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            <p class="secondary-links">
                <a href="/handover" data-testid="handover-link">
                    "Emergency hand-over: this tablet's waiting collections as a file for the lab"
                </a>
            </p>
        </Screen>
        {dialog}
    }
}

fn line_view(l: Line, runner: SyncRunner, ask: impl Fn(Amend) + Copy + 'static) -> impl IntoView {
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
    let actions = match (l.amend, l.draft_open) {
        (_, true) => Some(
            view! {
                <a class="button" href="/drafts" data-testid="correction-open">"Correction open in drafts"</a>
            }
                .into_any(),
        ),
        (Some(f), false) => {
            let again = f.clone();
            Some(
                view! {
                    <button class="button" data-testid="correct-collection" on:click=move |_| ask(Amend::Correct(f.clone()))>
                        "Correct"
                    </button>
                    <button class="button danger-outline" data-testid="void-collection" on:click=move |_| ask(Amend::Void(again.clone()))>
                        "Void"
                    </button>
                }
                    .into_any(),
            )
        }
        (None, false) => None,
    };
    view! {
        <li class="sync-line" data-testid="sync-line" data-key=l.key.clone()>
            <div>
                <strong>{l.patient}</strong>
                {(l.version > 1).then(|| view! { " " <span class="badge version">{format!("v{}", l.version)}</span> })}
                <span class="muted">" · finalized " {l.finalized_at}</span>
                {l.change.map(|(text, void)| {
                    let class = if void { "reason change void" } else { "reason change" };
                    view! { <p class=class data-testid="record-change">{text}</p> }
                })}
            </div>
            <div class="sync-status">{status}</div>
            {actions.map(|a| view! { <div class="sync-actions">{a}</div> })}
        </li>
    }
}
