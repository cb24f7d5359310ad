//! Supervisor: one collection in full, and the review actions on it.

use std::time::Duration;

use drawline_domain::api::{
    AccessionClash, CollectionDetail, ConflictChoice, PushAttemptView, RecordOutcome, RecordView,
    VersionDetail,
};
use drawline_domain::collection::Event;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::components::error_note::{failure_of, ErrorNote};
use crate::components::supervisor_frame::SupervisorFrame;
use crate::context::Auth;
use crate::error::AppError;
use crate::hooks::use_interval::use_interval;
use crate::human::when;
use crate::sync::supervisor;

/// A review action the screen can send.
#[derive(Clone)]
enum Act {
    Review(Option<String>),
    Note(String),
    Resolve(i64, ConflictChoice),
    Recollect(String),
}

/// The collection detail view: every version tube by tube, exceptions, what the lab refused,
/// review actions, audit history and its FHIR export.
#[component]
pub fn SupervisorCollection() -> impl IntoView {
    let auth = Auth::expect();
    let params = use_params_map();
    let id = move || {
        params
            .get()
            .get("id")
            .and_then(|s| Uuid::parse_str(&s).ok())
    };
    let tick = RwSignal::new(0u32);
    use_interval(Duration::from_secs(15), move || tick.update(|n| *n += 1));
    let data = LocalResource::new(move || {
        tick.get();
        let id = id();
        let token = auth.session.get().map(|s| s.token);
        async move {
            let token = token.ok_or_else(|| AppError::refused("sign in again"))?;
            let id = id.ok_or_else(|| AppError::refused("this address names no collection"))?;
            Ok::<_, AppError>(supervisor::collection(&token, id).await?)
        }
    });
    let note = RwSignal::new(String::new());
    let act = Action::new_local(move |a: &Act| {
        let a = a.clone();
        let token = auth.session.get_untracked().map(|s| s.token);
        let id = id();
        async move {
            let token = token.ok_or_else(|| AppError::refused("sign in again"))?;
            let id = id.ok_or_else(|| AppError::refused("no collection"))?;
            let done = match a {
                Act::Review(n) => supervisor::mark_reviewed(&token, id, n).await.map(|_| ()),
                Act::Note(t) => supervisor::add_note(&token, id, t).await.map(|_| ()),
                Act::Resolve(attempt, keep) => supervisor::resolve(&token, id, attempt, keep, None)
                    .await
                    .map(|_| ()),
                Act::Recollect(reason) => {
                    supervisor::recollect(&token, id, reason).await.map(|_| ())
                }
            };
            done?;
            note.set(String::new());
            tick.update(|n| *n += 1);
            Ok::<_, AppError>(())
        }
    });
    let with_note = move || {
        let n = note.get_untracked();
        (!n.trim().is_empty()).then(|| n.trim().to_owned())
    };

    view! {
        <SupervisorFrame>
            <div class="screen" data-testid="supervisor-collection">
                <p><a href="/supervisor/queue" data-testid="back-to-queue">"← Received collections"</a></p>
                <Transition fallback=|| view! { <p class="muted">"Asking the lab…"</p> }>
                    {move || {
                        data.get()
                            .map(|r| match r {
                                Err(e) => view! { <ErrorNote error=e test_id="supervisor-error" /> }.into_any(),
                                Ok(d) => detail_view(d, act).into_any(),
                            })
                    }}
                </Transition>
                <section class="card">
                    <h2>"Review"</h2>
                    <div class="field">
                        <label for="review-note">"Note or reason (kept in the audit log)"</label>
                        <textarea
                            id="review-note"
                            data-testid="review-note"
                            rows="3"
                            prop:value=move || note.get()
                            on:input=move |ev| note.set(event_target_value(&ev))
                        ></textarea>
                    </div>
                    <div class="actions">
                        <button class="button primary" data-testid="mark-reviewed" disabled=move || act.pending().get()
                            on:click=move |_| { act.dispatch(Act::Review(with_note())); }>
                            "Mark reviewed"
                        </button>
                        <button class="button" data-testid="add-note" disabled=move || act.pending().get() || note.get().trim().is_empty()
                            on:click=move |_| { if let Some(n) = with_note() { act.dispatch(Act::Note(n)); } }>
                            "Add note"
                        </button>
                        <button class="button" data-testid="request-recollection" disabled=move || act.pending().get() || note.get().trim().is_empty()
                            on:click=move |_| { if let Some(n) = with_note() { act.dispatch(Act::Recollect(n)); } }>
                            "Request recollection (the note is the reason)"
                        </button>
                    </div>
                    <ErrorNote error=failure_of(act) test_id="review-error" />
                </section>
            </div>
        </SupervisorFrame>
    }
}

fn detail_view(d: CollectionDetail, act: Action<Act, Result<(), AppError>>) -> impl IntoView {
    let title = d
        .versions
        .iter()
        .rev()
        .find_map(|v| v.record.as_ref())
        .or_else(|| d.attempts.iter().rev().find_map(|a| a.record.as_ref()))
        .map(|r| format!("{} · {}", r.patient.name, r.patient.mrn))
        .unwrap_or_else(|| d.collection_id.to_string());
    let status = match d.status {
        RecordOutcome::Accepted | RecordOutcome::Duplicate => "Held by the lab",
        RecordOutcome::Conflict => "In conflict",
        RecordOutcome::Rejected => "Rejected",
    };
    let fhir = serde_json::to_string_pretty(&d.fhir).unwrap_or_default();
    let clashes = d
        .accession_clashes
        .iter()
        .map(|c| {
            let refused = d
                .attempts
                .iter()
                .find(|a| a.id == c.attempt_id)
                .and_then(|a| a.record.clone());
            clash_view(c, refused)
        })
        .collect_view();
    view! {
        <h1 data-testid="collection-title">{title}</h1>
        <p class="lead">
            <span data-testid="collection-status">{status}</span>
            " · from " {d.device.name.clone()}
            {d.latest_version.map(|v| format!(" · version {v}"))}
            {d.reviewed_at.map(|t| view! { <span class="badge ok" data-testid="collection-reviewed">{format!("Reviewed {}", when(&t))}</span> })}
        </p>
        {clashes}
        {d.versions.into_iter().rev().map(version_view).collect_view()}
        {(!d.attempts.is_empty())
            .then(|| {
                view! {
                    <section class="card">
                        <h2>"Pushes the lab did not store as a version"</h2>
                        <ul class="attempts">{d.attempts.into_iter().map(|a| attempt_view(a, act)).collect_view()}</ul>
                    </section>
                }
            })}
        <section class="card">
            <h2>"Review history"</h2>
            <ul class="history" data-testid="review-history">
                {d.reviews
                    .iter()
                    .map(|e| {
                        view! {
                            <li data-testid="review-event">
                                {history_line(
                                    &[&when(&e.at), &e.by.display_name, &e.action.as_str().replace('_', " ")],
                                    e.note.as_ref(),
                                )}
                            </li>
                        }
                    })
                    .collect_view()}
                {d.history
                    .iter()
                    .map(|h| view! { <li class="muted">{format!("{} · {} · {}", when(&h.at), h.actor, h.action)}</li> })
                    .collect_view()}
            </ul>
        </section>
        <details class="card">
            <summary>"FHIR resources it exported as"</summary>
            <pre class="fhir" data-testid="fhir">{fhir}</pre>
        </details>
    }
}

/// Possible wrong blood in tube: the refused collection and the one (or the order) holding its
/// tube label, side by side, the shared label marked in both.
fn clash_view(c: &AccessionClash, refused: Option<RecordView>) -> impl IntoView {
    let holder_title = match (&c.holder_collection, &c.holder_order) {
        (Some(id), _) => format!("Holds the label: collection {id}"),
        (None, Some(order)) => format!("Holds the label: lab order {order}"),
        (None, None) => "Holds the label".to_owned(),
    };
    let theirs = format!("{} · {}", c.holder_patient.name, c.holder_patient.mrn);
    let mine = refused
        .as_ref()
        .map(|r| format!("{} · {}", r.patient.name, r.patient.mrn))
        .unwrap_or_else(|| "an unreadable record".into());
    let accession = c.accession.clone();
    view! {
        <section class="card wbit-card" data-testid="wbit-compare">
            <h2>"POSSIBLE WRONG BLOOD IN TUBE"</h2>
            <p class="wbit-lead">
                "Tube label " <strong data-testid="wbit-accession">{c.accession.clone()}</strong>
                {format!(" was bound for {mine} and is already held for {theirs}. One of these tubes may hold the other patient's blood: check both before releasing any result.")}
            </p>
            <div class="side-by-side">
                <div class="side" data-testid="wbit-refused">
                    <h3>"Refused: this collection"</h3>
                    {refused.as_ref().map(|r| side_view(r, &accession))}
                </div>
                <div class="side" data-testid="wbit-holder">
                    <h3>{holder_title}</h3>
                    <p><strong>{theirs.clone()}</strong></p>
                    {c.holder_record.as_ref().map(|r| side_view(r, &accession))}
                    {c.holder_order.as_ref().map(|o| view! { <p class="muted">{format!("The lab gave accession {accession} to order {o} of this patient.")}</p> })}
                </div>
            </div>
        </section>
    }
}

/// One side of the comparison: who, when, by whom, and every tube with its label.
fn side_view(r: &RecordView, accession: &str) -> impl IntoView {
    let tubes = r
        .tubes
        .iter()
        .filter(|t| !t.discard)
        .map(|t| {
            let label = t.accession.clone().unwrap_or_else(|| "no label".into());
            let shared = t.accession.as_deref() == Some(accession);
            view! {
                <li class=if shared { "shared" } else { "" }>
                    {format!("{}. {} · {} · ", t.index, t.cap, t.tests.join(", "))}
                    <strong>{label}</strong>
                    {t.drawn_at.map(|x| format!(" · drawn {}", drawline_domain::clock_text::hms(&x)))}
                </li>
            }
        })
        .collect_view();
    view! {
        <dl class="facts compact">
            <dt>"Patient"</dt>
            <dd>{format!("{} · {}", r.patient.name, r.patient.mrn)}</dd>
            <dt>"Collector"</dt>
            <dd>{r.collector.name.clone().unwrap_or_else(|| r.collector.id.clone())}</dd>
            <dt>"Identified"</dt>
            <dd>{r.identification_method.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Finalized"</dt>
            <dd>{r.finalized_at.map(|t| drawline_domain::clock_text::day_month_hm(&t)).unwrap_or_default()}</dd>
        </dl>
        <ul class="side-tubes">{tubes}</ul>
    }
}

/// "23 Nov 14:05 · Sam Supervisor · reviewed: looks fine": the parts, then the note if any.
fn history_line(parts: &[&str], note: Option<&String>) -> String {
    let note = note.map(|n| format!(": {n}")).unwrap_or_default();
    format!("{}{note}", parts.join(" · "))
}

fn record_view(r: &RecordView) -> impl IntoView {
    let tubes = r
        .tubes
        .iter()
        .map(|t| {
            view! {
                <tr>
                    <td>{t.index}</td>
                    <td>{format!("{} ({})", t.cap, t.container)}{t.discard.then_some(" · discard")}</td>
                    <td>
                        {t.tests.join(", ")}
                        {t.culture_set.map(|n| format!(" · set {n}"))}
                    </td>
                    <td>
                        {t.drawn_at.map(|x| drawline_domain::clock_text::hms(&x)).unwrap_or_else(|| "not drawn".into())}
                        {t.body_site.clone().map(|s| view! { <span class="muted label-line" data-testid="tube-site">{format!(" {s}")}</span> })}
                        {time_corrections(r, t.index).map(|c| view! {
                            <span class="muted label-line" data-testid="time-corrected">{format!(" corrected: {c}")}</span>
                        })}
                    </td>
                    <td>{t.drawn_by.as_ref().map(|p| p.name.clone().unwrap_or_else(|| p.id.clone())).unwrap_or_default()}</td>
                    <td>
                        {t.accession.clone().unwrap_or_default()}
                        {t.label.as_ref().map(|l| {
                            let extra = [l.timing_label.clone(), l.handling.clone()]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(" · ");
                            view! {
                                <span class="muted label-line" data-testid="label-data">
                                    {format!(" printed: {} · {} · {}", l.patient_name, l.collected_local, l.collector)}
                                    {(!extra.is_empty()).then(|| format!(" · {extra}"))}
                                </span>
                            }
                        })}
                    </td>
                    <td>{t.window_override.as_ref().map(|w| if w.summary.is_empty() { format!("{} min from target: {}", w.minutes_from_target, w.reason) } else { w.summary.clone() })}</td>
                </tr>
            }
        })
        .collect_view();
    let exceptions = r
        .exceptions
        .iter()
        .map(|e| view! { <li>{format!("{}: {}{}", e.scope, e.reason_text, e.note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default())}</li> })
        .collect_view();
    view! {
        <dl class="facts">
            <dt>"Collector"</dt>
            <dd>{r.collector.name.clone().unwrap_or_else(|| r.collector.id.clone())}</dd>
            <dt>"Identified"</dt>
            <dd>{format!("{} ({})", r.identification_method.clone().unwrap_or_else(|| "—".into()), r.identifiers.join(", "))}</dd>
            <dt>"Fasting"</dt>
            <dd>{r.fasting.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Started"</dt>
            <dd>{drawline_domain::clock_text::day_month_hm(&r.started_at)}</dd>
            <dt>"Finalized"</dt>
            <dd>{r.finalized_at.map(|t| drawline_domain::clock_text::day_month_hm(&t)).unwrap_or_default()}</dd>
            <dt>"Attempts"</dt>
            <dd data-testid="attempts">{format!("{} venipuncture(s), {} failed", r.attempts, r.failed_attempts)}</dd>
            <dt>"Orders"</dt>
            <dd>{r.orders.iter().map(|o| format!("{} {}", o.id, o.test)).collect::<Vec<_>>().join(", ")}</dd>
        </dl>
        <div class="table-wrap">
            <table class="tubes-table" data-testid="tube-table">
                <thead><tr><th>"#"</th><th>"Tube"</th><th>"Tests"</th><th>"Drawn"</th><th>"By"</th><th>"Label"</th><th>"Window"</th></tr></thead>
                <tbody>{tubes}</tbody>
            </table>
        </div>
        {(!r.exceptions.is_empty()).then(|| view! { <h3>"Not collected"</h3><ul>{exceptions}</ul> })}
        {identification_view(r)}
    }
}

/// Every identification step of the record: attempts, wrong-patient stops (with the count) and
/// their acknowledgements, refused wristband reads, the second wristband scan.
fn identification_view(r: &RecordView) -> impl IntoView {
    let steps = r
        .identification_attempts
        .iter()
        .map(|a| {
            let who = a.by.name.clone().unwrap_or_else(|| a.by.id.clone());
            let line = format!(
                "{} · {who} · {}",
                drawline_domain::clock_text::day_month_hm(&a.at),
                a.what
            );
            view! {
                <li class=if a.hard_stop { "notice" } else { "" } data-testid="identification-attempt">{line}</li>
            }
        })
        .collect_view();
    let summary = (r.wrong_patient_stops > 0).then(|| {
        view! {
            <p class="notice" data-testid="wrong-patient-stops">
                {format!(
                    "{} wrong-patient stop{} ({} before the first draw), each acknowledged by the collector.",
                    r.wrong_patient_stops,
                    if r.wrong_patient_stops == 1 { "" } else { "s" },
                    r.wrong_patient_before_draw
                )}
            </p>
        }
    });
    view! {
        <h3>"Identification"</h3>
        {summary}
        <ul class="history" data-testid="identification-attempts">{steps}</ul>
    }
}

/// The reasons given for correcting a tube's draw time, from the record's history.
fn time_corrections(r: &RecordView, tube: u32) -> Option<String> {
    let reasons: Vec<&str> = r
        .history
        .iter()
        .filter_map(|h| match &h.event {
            Event::DrawTimeCorrected {
                tube: t, reason, ..
            } if *t == tube => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

fn version_view(v: VersionDetail) -> impl IntoView {
    let change = match (&v.voided, &v.reason) {
        (Some(void), _) => Some(
            view! {
                <p class="notice void" data-testid="version-void">
                    {format!(
                        "Voided as entered in error by {} at {}: {}",
                        void.by.name.clone().unwrap_or_else(|| void.by.id.clone()),
                        drawline_domain::clock_text::day_month_hm(&void.at),
                        void.reason
                    )}
                </p>
            }
                .into_any(),
        ),
        (None, Some(reason)) => Some(
            view! { <p class="notice" data-testid="version-reason">{format!("Why corrected: {reason}")}</p> }
                .into_any(),
        ),
        (None, None) => None,
    };
    let what = match (v.supersedes, v.voided.is_some()) {
        (Some(s), true) => Some(format!(" (voids version {s})")),
        (Some(s), false) => Some(format!(" (corrects version {s})")),
        (None, _) => None,
    };
    view! {
        <section class="card" data-testid="version">
            <h2>
                {format!("Version {}", v.version)}
                {what}
                {v.standing.then(|| view! { <span class="badge ok">"stands"</span> })}
            </h2>
            {change}
            <p class="muted">
                {format!(
                    "Received {} · device clock {} · skew {} s",
                    when(&v.received_at),
                    drawline_domain::clock_text::day_month_hm(&v.device_clock),
                    v.clock_skew_seconds
                )}
            </p>
            {v.record.as_ref().map(record_view)}
        </section>
    }
}

fn attempt_view(a: PushAttemptView, act: Action<Act, Result<(), AppError>>) -> impl IntoView {
    let open_conflict = a.outcome == RecordOutcome::Conflict && a.resolution.is_none();
    let id = a.id;
    let outcome = match a.outcome {
        RecordOutcome::Duplicate => "sent again",
        RecordOutcome::Conflict => "conflict",
        RecordOutcome::Rejected => "rejected",
        RecordOutcome::Accepted => "accepted",
    };
    view! {
        <li data-testid="attempt">
            {history_line(
                &[&when(&a.received_at), &a.device.name, &format!("version {}", a.version), outcome],
                a.reason.as_ref(),
            )}
            {a.resolution.map(|c| format!(" · resolved: {} version stands", match c { ConflictChoice::Lab => "the lab's", ConflictChoice::Device => "the device's" }))}
            {open_conflict
                .then(|| {
                    view! {
                        <div class="actions">
                            <button class="button" data-testid="keep-lab" on:click=move |_| { act.dispatch(Act::Resolve(id, ConflictChoice::Lab)); }>
                                "Keep the lab's version"
                            </button>
                            <button class="button" data-testid="keep-device" on:click=move |_| { act.dispatch(Act::Resolve(id, ConflictChoice::Device)); }>
                                "Keep the device's version"
                            </button>
                        </div>
                    }
                })}
        </li>
    }
}
