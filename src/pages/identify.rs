//! Positive patient identification: wristband scan or two identifiers by hand; a mismatch is a hard stop.

use drawline_domain::identification::Identifier;
use drawline_domain::{identify, CollectionError, Evidence, IdentificationError, PatientIdentity};
use leptos::prelude::*;

use crate::components::camera_scan::CameraScan;
use crate::components::collection_frame::CollectionFrame;
use crate::components::error_note::ErrorNote;
use crate::components::field::TextField;
use crate::components::hard_stop::HardStop;
use crate::components::scan_field::ScanField;
use crate::error::AppError;
use crate::hooks::use_collection::use_collection;
use crate::workflow::{self, Step};

/// The hard stop's content: what did not match, what was read, what was expected.
#[derive(Debug, Clone, PartialEq)]
struct Stop {
    message: String,
    details: Vec<String>,
}

fn describe(e: &Evidence) -> String {
    e.presented
        .iter()
        .map(|p| match &p.identifier {
            Identifier::Name(n) => n.display_full(),
            Identifier::DateOfBirth(d) => format!("DOB {}", drawline_domain::clock_text::ymd(d)),
            Identifier::Mrn(m) => format!("MRN {m}"),
            Identifier::RoomBed(r) => format!("room/bed {r}"),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn expected(p: &PatientIdentity) -> String {
    format!(
        "{} · DOB {} · MRN {}",
        p.name.display_full(),
        drawline_domain::clock_text::ymd(&p.birth_date),
        p.mrn
    )
}

/// The identification screen: a keyboard-wedge scanner types the wristband and presses Enter;
/// two identifiers typed by hand are recorded as manual. A mismatch is a full-screen hard stop
/// that names what did not match; every refused attempt is saved in the collection's history
/// before the stop shows.
#[component]
pub fn Identify() -> impl IntoView {
    let handle = use_collection(Step::Identify);
    let scan_error = RwSignal::new(None::<AppError>);
    let manual_error = RwSignal::new(None::<AppError>);
    let stop = RwSignal::new(None::<Stop>);
    // A plain-MRN wristband gives one identifier; it waits here for the name to be confirmed.
    let pending = RwSignal::new(None::<Evidence>);
    let name = RwSignal::new(String::new());
    let dob = RwSignal::new(String::new());
    let mrn = RwSignal::new(String::new());

    // Runs the domain's identification on `evidence`; saves the outcome (a refused attempt is
    // logged in the record) and then shows the stop or moves on.
    let attempt = move |evidence: Evidence, error_slot: RwSignal<Option<AppError>>| {
        let Some((data, collector)) = handle.edit() else {
            return;
        };
        if data.collection.identification().is_some() {
            return;
        }
        let identity = data.collection.patient().identity.clone();
        if let Err(IdentificationError::NotEnoughIdentifiers { have }) =
            identify(&evidence, &identity)
        {
            // Not a wrong patient, only not enough: ask for the rest instead of refusing.
            if have.is_empty() {
                error_slot.set(Some(
                    IdentificationError::NotEnoughIdentifiers { have }
                        .to_string()
                        .into(),
                ));
            } else {
                pending.set(Some(evidence));
                error_slot.set(Some(
                    "One identifier read. Confirm the patient's full name and date of birth below."
                        .into(),
                ));
            }
            return;
        }
        let mut next = data.clone();
        match next
            .collection
            .identify(&evidence, &collector, workflow::now())
        {
            Ok(()) => {
                pending.set(None);
                handle.commit_and_go(next, Step::Tubes);
            }
            Err(CollectionError::Identification(e)) if e.is_hard_stop() => {
                handle.commit(next, Step::Identify);
                stop.set(Some(Stop {
                    message: e.to_string(),
                    details: vec![
                        format!("Presented: {}", describe(&evidence)),
                        format!("This collection is for: {}", expected(&identity)),
                    ],
                }));
            }
            Err(e) => {
                handle.commit(next, Step::Identify);
                error_slot.set(Some(e.into()));
            }
        }
    };

    let on_scan = Callback::new(move |text: String| {
        manual_error.set(None);
        match Evidence::from_wristband(&text) {
            Ok(evidence) => {
                scan_error.set(None);
                attempt(evidence, scan_error);
            }
            Err(why) => scan_error.set(Some(
                format!("Read \u{201c}{}\u{201d}: refused, {why}.", text.trim()).into(),
            )),
        }
    });

    let manual = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        scan_error.set(None);
        let opt = |s: String| (!s.trim().is_empty()).then_some(s);
        let (n, d, m) = (
            opt(name.get_untracked()),
            opt(dob.get_untracked()),
            opt(mrn.get_untracked()),
        );
        match Evidence::manual(n.as_deref(), d.as_deref(), m.as_deref()) {
            Ok(typed) => {
                manual_error.set(None);
                let evidence = match pending.get_untracked() {
                    Some(scanned) => scanned.and(typed),
                    None => typed,
                };
                attempt(evidence, manual_error);
            }
            Err(e) => manual_error.set(Some(e.to_string().into())),
        }
    };

    let identified_view = move || {
        let d = handle.data.get()?;
        let id = d.collection.identification()?.clone();
        let kinds = id
            .matched
            .iter()
            .map(|m| m.kind.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let how = id.method.display();
        let next = d.clone();
        Some(view! {
            <section class="card ok-card" data-testid="identified">
                <h2>"Patient identified"</h2>
                <p>"Matched " {kinds} " by " <strong data-testid="identified-method">{how}</strong> "."</p>
                <button
                    class="button primary wide"
                    data-testid="go-tubes"
                    on:click=move |_| handle.commit_and_go(next.clone(), Step::Tubes)
                >
                    "Next: draw tubes"
                </button>
            </section>
        })
    };

    let form = move || {
        let d = handle.data.get()?;
        if d.collection.identification().is_some() {
            return None;
        }
        let id = d.id();
        Some(view! {
            <section class="card">
                <ScanField
                    label="Scan the patient's wristband"
                    hint="Point the scanner at the wristband barcode. The field reads it and checks it at once."
                    test_id="wristband-scan"
                    on_scan=on_scan
                    autofocus=true
                />
                <CameraScan on_scan=on_scan />
                <ErrorNote error=scan_error test_id="scan-error" />
            </section>
            <details class="card" open=move || pending.get().is_some()>
                <summary data-testid="manual-toggle">"Cannot scan? Enter two identifiers by hand"</summary>
                <p class="hint">
                    "Ask the patient to state their full name and date of birth, and compare with the wristband. "
                    "Room or bed number is never an identifier. This is recorded as manual identification."
                </p>
                <form on:submit=manual>
                    <TextField label="Full name (FAMILY, Given)" id="manual-name" value=name />
                    <TextField
                        label="Date of birth (YYYY-MM-DD)"
                        id="manual-dob"
                        value=dob
                        inputmode="numeric"
                        placeholder="YYYY-MM-DD"
                    />
                    <TextField label="MRN (optional with date of birth)" id="manual-mrn" value=mrn />
                    <button class="button" type="submit" data-testid="manual-submit">"Confirm identity (manual)"</button>
                </form>
                <ErrorNote error=manual_error test_id="manual-error" />
            </details>
            <p class="secondary-links">
                <a href=Step::Exceptions.path(&id) data-testid="go-exceptions">
                    "Patient unavailable or refusing? Record not collected"
                </a>
            </p>
        })
    };

    let stop_view = move || {
        stop.get().map(|s| {
            view! {
                <HardStop title="WRONG PATIENT".to_string() message=s.message details=s.details>
                    <button
                        class="button primary"
                        data-testid="hard-stop-dismiss"
                        on:click=move |_| {
                            handle.acknowledge_hard_stop(Step::Identify);
                            stop.set(None);
                            pending.set(None);
                        }
                    >
                        "I have stopped. Identify again"
                    </button>
                    <a class="button" href="/draws">"Back to the draw list"</a>
                </HardStop>
            }
        })
    };

    view! {
        <CollectionFrame handle=handle step=Step::Identify>
            {identified_view}
            {form}
        </CollectionFrame>
        {stop_view}
    }
}
