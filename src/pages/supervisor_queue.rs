//! Supervisor: the collections the lab received (and the pushes it refused), filtered.

use std::time::Duration;

use drawline_domain::api::{QueueItem, RecordOutcome};
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::field::{SelectField, TextField};
use crate::components::supervisor_frame::SupervisorFrame;
use crate::components::unreadable_banner::UnreadableBanner;
use crate::context::{Auth, QueueFilters};
use crate::error::AppError;
use crate::hooks::use_interval::use_interval;
use crate::human::{age_text, when};
use crate::sync::supervisor;

const STATUSES: [(&str, &str); 6] = [
    ("", "Any status"),
    ("accepted", "Accepted"),
    ("duplicate", "Sent again (duplicates)"),
    ("conflict", "Conflicts"),
    ("rejected", "Rejected"),
    ("quarantined", "Quarantined on a device"),
];

const REVIEWED: [(&str, &str); 3] = [
    ("", "Either"),
    ("false", "Not reviewed"),
    ("true", "Reviewed"),
];

const FLAGS: [(&str, &str); 11] = [
    ("", "Any flag"),
    ("wrong_blood_in_tube", "Possible wrong blood in tube"),
    ("off_round", "Collected off round (held)"),
    ("clock_skew", "Clock skew"),
    ("synced_late", "Synced late"),
    ("outside_window", "Timed draw outside window"),
    ("exception", "Exception recorded"),
    ("manual_identification", "Manual identification"),
    ("corrected", "Correction"),
    ("identification_mismatch", "Identification mismatch"),
    ("voided", "Voided"),
];

/// The received-collections view, filtered by status, flag, device, collector, patient and date,
/// each with what deserves a second look.
#[component]
pub fn SupervisorQueue() -> impl IntoView {
    let auth = Auth::expect();
    let filters = QueueFilters::expect();
    let tick = RwSignal::new(0u32);
    use_interval(Duration::from_secs(10), move || tick.update(|n| *n += 1));
    let data = LocalResource::new(move || {
        tick.get();
        let query = filters.query();
        let token = auth.session.get().map(|s| s.token);
        async move {
            let token = token.ok_or_else(|| AppError::refused("sign in again"))?;
            Ok::<_, AppError>(supervisor::queue(&token, &query).await?)
        }
    });
    view! {
        <SupervisorFrame>
            <div class="screen" data-testid="supervisor-queue">
                <h1>"Received collections"</h1>
                // Above the filters, so it is seen before anything else on any screen size.
                {move || {
                    let n = data.get().and_then(|r| r.ok()).map_or(0, |page| {
                        page.items.iter().filter(|i| i.flags.wrong_blood_in_tube).count()
                    });
                    (n > 0).then(|| view! {
                        <p class="wbit-banner" role="alert" data-testid="queue-wbit-alert">
                            {format!("STOP · {n} possible wrong blood in tube: listed first below. Review both collections before any result is released.")}
                        </p>
                    })
                }}
                <UnreadableBanner rows=Signal::derive(move || {
                    data.get().and_then(|r| r.ok()).map(|page| page.unreadable).unwrap_or_default()
                }) />
                <form class="filters card" on:submit=|ev| ev.prevent_default()>
                    <SelectField label="Status" id="filter-status" value=filters.status options=&STATUSES />
                    <SelectField label="Flag" id="filter-flag" value=filters.flag options=&FLAGS />
                    <SelectField label="Reviewed" id="filter-reviewed" value=filters.reviewed options=&REVIEWED />
                    <TextField label="Patient (name or MRN)" id="filter-patient" kind="search" value=filters.patient on_commit=true />
                    <TextField label="Collector" id="filter-collector" kind="search" value=filters.collector on_commit=true />
                    <TextField label="Device id" id="filter-device" kind="search" value=filters.device on_commit=true />
                    <TextField label="From" id="filter-from" kind="date" value=filters.from on_commit=true />
                    <TextField label="To" id="filter-to" kind="date" value=filters.to on_commit=true />
                    <button type="button" class="button" on:click=move |_| filters.clear()>"Clear filters"</button>
                </form>
                <Transition fallback=|| view! { <p class="muted">"Asking the lab…"</p> }>
                    {move || {
                        data.get()
                            .map(|r| match r {
                                Err(e) => view! { <ErrorNote error=e test_id="supervisor-error" /> }.into_any(),
                                Ok(page) if page.items.is_empty() => {
                                    view! { <p class="card muted" data-testid="queue-empty">"Nothing matches these filters."</p> }.into_any()
                                }
                                Ok(page) => {
                                    view! {
                                        <p class="muted" data-testid="queue-total">
                                            {format!("{} matching · updated {}", page.total, when(&page.server_time))}
                                        </p>
                                        <ul class="queue-list">
                                            {page.items.into_iter().map(queue_item).collect_view()}
                                        </ul>
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

fn status_badge(item: &QueueItem) -> (&'static str, &'static str) {
    match item.status {
        RecordOutcome::Accepted | RecordOutcome::Duplicate if item.duplicate_resends > 0 => {
            ("badge ok", "Accepted · sent again")
        }
        RecordOutcome::Accepted | RecordOutcome::Duplicate => ("badge ok", "Accepted"),
        RecordOutcome::Conflict => ("badge danger", "Conflict"),
        RecordOutcome::Rejected => ("badge danger", "Rejected"),
    }
}

/// "Identification mismatch before draw (2 attempts)", and the wrong wristbands after the draw
/// (at the second scan) when there were any.
fn mismatch_flags(item: &QueueItem) -> Vec<String> {
    let attempts = |n: u32| {
        if n == 1 {
            "1 attempt".to_owned()
        } else {
            format!("{n} attempts")
        }
    };
    let before = item.wrong_patient_before_draw;
    let after = item.wrong_patient_stops.saturating_sub(before);
    let mut out = Vec::new();
    if before > 0 {
        out.push(format!(
            "Identification mismatch before draw ({})",
            attempts(before)
        ));
    }
    if after > 0 {
        out.push(format!(
            "Wrong wristband after the draw ({})",
            attempts(after)
        ));
    }
    out
}

fn queue_item(item: QueueItem) -> impl IntoView {
    let (class, status) = status_badge(&item);
    let f = &item.flags;
    let mut flags: Vec<String> = Vec::new();
    if f.clock_skew {
        flags.push(format!(
            "Clock skew {}",
            age_text(item.clock_skew_seconds.abs())
        ));
    }
    if f.synced_late {
        flags.push(format!(
            "Synced late ({})",
            age_text(item.sync_delay_seconds.unwrap_or(0))
        ));
    }
    if f.outside_window {
        flags.push("Outside timed window".into());
    }
    if f.exception {
        flags.push(format!("Not collected: {}", item.exceptions.join(", ")));
    }
    if f.off_round {
        flags.push("Collected off round: held for a supervisor".into());
    }
    if f.manual_identification {
        flags.push("Manual identification".into());
    }
    if f.identification_mismatch {
        flags.extend(mismatch_flags(&item));
    }
    if f.voided {
        flags.push(format!("Voided (entered in error) v{}", item.version));
    } else if f.corrected {
        flags.push(format!("Correction v{}", item.version));
    }
    if item.quarantined {
        flags.push("Quarantined on the device".into());
    }
    let patient = item
        .patient
        .as_ref()
        .map(|p| format!("{} · {}", p.name, p.mrn))
        .unwrap_or_else(|| "Unreadable record".into());
    let collector = item
        .collector
        .as_ref()
        .map(|c| c.name.clone().unwrap_or_else(|| c.id.clone()))
        .unwrap_or_else(|| "—".into());
    let href = format!("/supervisor/collections/{}", item.collection_id);
    // The lab sorts these first; they must also be unmistakable.
    let wbit = f.wrong_blood_in_tube;
    view! {
        <li class=if wbit { "queue-item wbit" } else { "queue-item" } data-testid="queue-item" data-status=status data-collection=item.collection_id.to_string() data-wbit=wbit.to_string()>
            <a class="queue-link" href=href data-testid="queue-open">
                {wbit.then(|| view! { <p class="wbit-banner" data-testid="queue-wbit">"STOP · POSSIBLE WRONG BLOOD IN TUBE · review both collections now"</p> })}
                <div class="queue-main">
                    <strong>{patient}</strong>
                    <span class="muted">" · " {item.tests.join(", ")}</span>
                    <p class="muted">
                        {format!(
                            "{} · {} · received {}",
                            item.device.name,
                            collector,
                            when(&item.received_at),
                        )}
                    </p>
                    {item.reason.clone().map(|r| view! { <p class="reason">{r}</p> })}
                </div>
                <div class="queue-badges">
                    <span class=class data-testid="queue-status">{status}</span>
                    {item.reviewed_at.map(|_| view! { <span class="badge ok" data-testid="queue-reviewed">"Reviewed"</span> })}
                    {(item.notes > 0).then(|| view! { <span class="badge">{format!("{} note(s)", item.notes)}</span> })}
                    {flags.into_iter().map(|f| view! { <span class="badge warn" data-testid="queue-flag">{f}</span> }).collect_view()}
                </div>
            </a>
        </li>
    }
}
