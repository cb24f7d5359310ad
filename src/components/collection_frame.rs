//! The frame of every collection screen: status bar, steps, patient and their alerts, loading and failure states.

use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::patient_alerts::PatientAlerts;
use crate::components::patient_banner::PatientBanner;
use crate::components::status_bar::StatusBar;
use crate::components::step_bar::StepBar;
use crate::hooks::use_collection::CollectionHandle;
use crate::workflow::Step;

/// Wraps a step screen, so each step screen only draws its own part; `children` render once the
/// draft is loaded.
#[component]
pub fn CollectionFrame(
    /// The collection being edited.
    handle: CollectionHandle,
    /// This screen's step.
    step: Step,
    /// The step's own content.
    children: ChildrenFn,
) -> impl IntoView {
    // Children render once, when the draft first arrives; they follow later saves through the
    // handle's signals, so typed text and focus survive autosaves.
    let loaded = Memo::new(move |_| handle.data.with(Option::is_some));
    let header = move || {
        handle.data.get().map(|d| {
            let identified = d.collection.identification().is_some();
            let alerts = d.collection.patient().alerts.clone();
            view! {
                <StepBar id=d.id() current=step identified=identified />
                <PatientBanner data=d />
                <PatientAlerts alerts=alerts />
            }
        })
    };
    view! {
        <StatusBar />
        <div class="screen" data-testid=format!("step-{}", step.as_str())>
            <h1>{step.title()}</h1>
            {header}
            <ErrorNote error=handle.error />
            {move || {
                handle
                    .missing
                    .get()
                    .then(|| {
                        view! {
                            <section class="card" data-testid="draft-missing">
                                <h2>"This collection is not open on this tablet"</h2>
                                <p>
                                    "It may already be finalized and waiting to sync. Nothing was lost."
                                </p>
                                <a class="button primary" href="/draws">"Back to the draw list"</a>
                            </section>
                        }
                    })
            }}
            {move || {
                if loaded.get() {
                    children().into_any()
                } else if handle.missing.get() || handle.error.get().is_some() {
                    ().into_any()
                } else {
                    view! { <p class="muted">"Opening the collection…"</p> }.into_any()
                }
            }}
            {move || handle.save.pending().get().then(|| view! { <p class="saving" aria-live="polite">"Saving…"</p> })}
        </div>
    }
}
