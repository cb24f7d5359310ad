//! The WRONG PATIENT hard stop of a collection: shown while one waits for its acknowledgement, also after a reload.

use drawline_domain::collection::{Event, HardStopKind};
use drawline_domain::PatientIdentity;
use leptos::prelude::*;

use crate::components::acknowledge_stop::AcknowledgeStop;
use crate::components::hard_stop::HardStop;
use crate::hooks::use_collection::CollectionHandle;
use crate::workflow::Step;

/// `CHALMERS, Peter · DOB 1974-12-25 · MRN 12345`.
pub fn identity_line(p: &PatientIdentity) -> String {
    format!(
        "{} · DOB {} · MRN {}",
        p.name.display_full(),
        drawline_domain::clock_text::ymd(&p.birth_date),
        p.mrn
    )
}

/// Covers the screen while the collection's pending hard stop is a wrong patient (read from the
/// saved draft, so it comes back after a reload), naming what did not match, what was presented
/// (when this screen saw it), who the collection is for, and how many wrong-patient stops the
/// record has had. Leaving it needs the ticked acknowledgement, which is saved at `step`.
#[component]
pub fn WrongPatientStop(
    /// The collection being identified.
    handle: CollectionHandle,
    /// The step the acknowledgement is saved at.
    step: Step,
    /// What was presented in the refused attempt, when this screen saw it.
    presented: RwSignal<Option<String>>,
) -> impl IntoView {
    move || {
        let d = handle.data.get()?;
        let c = &d.collection;
        if c.pending_hard_stop()? != HardStopKind::WrongPatient {
            return None;
        }
        let message = match c.pending_hard_stop_entry().map(|e| &e.event) {
            Some(Event::IdentificationFailed { error }) => error.to_string(),
            Some(Event::WristbandRescanFailed { error }) => {
                format!("Second wristband scan: {error}")
            }
            _ => "WRONG PATIENT: stop and re-identify.".to_owned(),
        };
        let attempts = c.hard_stops(HardStopKind::WrongPatient);
        let mut details = Vec::new();
        if let Some(p) = presented.get() {
            details.push(format!("Presented: {p}"));
        }
        details.push(format!(
            "This collection is for: {}",
            identity_line(&c.patient().identity)
        ));
        details.push(format!(
            "Wrong-patient stops on this collection: {attempts}. Each one is reported to the supervisor."
        ));
        Some(view! {
            <HardStop title="WRONG PATIENT".to_string() message=message details=details>
                <AcknowledgeStop
                    statement="I have stopped. This wristband is not this patient's; I will identify the patient in front of me again."
                    action="Acknowledge the stop"
                    on_acknowledge=Callback::new(move |()| {
                        presented.set(None);
                        handle.acknowledge_hard_stop(step);
                    })
                />
                <a class="button" href="/draws">"Back to the draw list"</a>
            </HardStop>
        })
    }
}
