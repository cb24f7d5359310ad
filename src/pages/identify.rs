//! Positive patient identification: wristband scan or two identifiers by hand; a mismatch is a hard stop.

use drawline_domain::collection::HardStopKind;
use drawline_domain::identification::{Identifier, IdentifierKind};
use drawline_domain::safety::SafetyRules;
use drawline_domain::{
    identify, look_alikes, CollectionError, Evidence, IdentificationError, IdentifyContext,
    PatientIdentity, WristbandError,
};
use leptos::prelude::*;

use crate::components::camera_scan::CameraScan;
use crate::components::collection_frame::CollectionFrame;
use crate::components::error_note::ErrorNote;
use crate::components::field::TextField;
use crate::components::scan_field::ScanField;
use crate::components::wrong_patient_stop::WrongPatientStop;
use crate::components::young_child_warning::YoungChildWarning;
use crate::context::DeviceDb;
use crate::error::AppError;
use crate::hooks::use_collection::use_collection;
use crate::round;
use crate::workflow::{self, Step};

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

/// `text` as a sentence: its first letter in capitals (domain messages start in lower case).
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What the screen says about a wristband-field refusal (the attempt is already logged).
fn refusal_text(e: &CollectionError) -> String {
    match e {
        CollectionError::Wristband {
            error: WristbandError::Empty,
            ..
        } => "Nothing was read: the scan was blank. Scan the wristband again.".to_owned(),
        CollectionError::Wristband { read, error } => {
            format!("Read \u{201c}{read}\u{201d}: refused, {error}.")
        }
        other => other.to_string(),
    }
}

/// The identification screen: a keyboard-wedge scanner types the wristband and presses Enter.
/// An MRN-only wristband asks the collector to confirm the name and date of birth the patient
/// states (recorded as scan + verbal) or to type them (manual). With a look-alike on the round
/// (twins), name and date of birth are not enough and the screen says why. A mismatch is a
/// full-screen hard stop that must be acknowledged; every attempt, and every refused read of
/// the wristband field, is saved in the collection's history first.
#[component]
pub fn Identify() -> impl IntoView {
    let handle = use_collection(Step::Identify);
    let db = DeviceDb::expect();
    let scan_error = RwSignal::new(None::<AppError>);
    let manual_error = RwSignal::new(None::<AppError>);
    // What was presented in the last refused attempt, for the hard stop's details.
    let presented = RwSignal::new(None::<String>);
    // A plain-MRN wristband gives one identifier; it waits here for the name to be confirmed.
    let pending = RwSignal::new(None::<Evidence>);
    let name = RwSignal::new(String::new());
    let dob = RwSignal::new(String::new());
    let mrn = RwSignal::new(String::new());

    // The site's rules and the round's patients, for MRN comparison and look-alikes.
    let round_data = LocalResource::new(move || async move {
        let store = db.0.await.map_err(|e| e.to_string())?;
        round::load_identification(&store)
            .await
            .map_err(|e| e.to_string())
    });
    let rules = move || -> (SafetyRules, Vec<PatientIdentity>) {
        round_data.get().and_then(Result::ok).unwrap_or_default()
    };
    let context_for = move |patient: &PatientIdentity| {
        let (safety, patients) = rules();
        IdentifyContext::for_round(&safety, patient, &patients)
    };
    let twins = move || -> Vec<PatientIdentity> {
        let Some(d) = handle.data.get() else {
            return Vec::new();
        };
        let (safety, patients) = rules();
        look_alikes(&d.collection.patient().identity, &patients, &safety.mrn)
            .into_iter()
            .cloned()
            .collect()
    };

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
        let context = context_for(&identity);
        if let Err(IdentificationError::NotEnoughIdentifiers { have }) =
            identify(&evidence, &identity, &context)
        {
            // Not a wrong patient, only not enough: ask for the rest instead of refusing.
            if have == [IdentifierKind::Mrn] && evidence.has_scan() {
                pending.set(Some(evidence));
                error_slot.set(None);
            } else {
                error_slot.set(Some(
                    sentence(&IdentificationError::NotEnoughIdentifiers { have }.to_string())
                        .into(),
                ));
            }
            return;
        }
        let mut next = data.clone();
        match next
            .collection
            .identify(&evidence, &context, &collector, workflow::now())
        {
            Ok(()) => {
                pending.set(None);
                handle.commit_and_go(next, Step::Tubes);
            }
            Err(CollectionError::Identification(e)) if e.is_hard_stop() => {
                presented.set(Some(describe(&evidence)));
                pending.set(None);
                handle.commit(next, Step::Identify);
            }
            Err(e) => {
                handle.commit(next, Step::Identify);
                error_slot.set(Some(sentence(&e.to_string()).into()));
            }
        }
    };

    let on_scan = Callback::new(move |text: String| {
        manual_error.set(None);
        let Some((mut next, collector)) = handle.edit() else {
            return;
        };
        if next.collection.identification().is_some() {
            return;
        }
        let (safety, _) = rules();
        match next
            .collection
            .read_wristband(&text, &safety, &collector, workflow::now())
        {
            Ok(evidence) => {
                scan_error.set(None);
                attempt(evidence, scan_error);
            }
            Err(e) => {
                // The refused read is in the history; nothing else changed.
                handle.commit(next, Step::Identify);
                scan_error.set(Some(refusal_text(&e).into()));
            }
        }
    });

    let confirm_verbal = move |_| {
        let (Some(scanned), Some(d)) = (pending.get_untracked(), handle.data.get_untracked())
        else {
            return;
        };
        let identity = d.collection.patient().identity.clone();
        attempt(
            scanned.with_stated_name_and_birth_date(&identity),
            scan_error,
        );
    };

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
            Err(e) => manual_error.set(Some(sentence(&e.to_string()).into())),
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

    let twins_notice = move || {
        let others = twins();
        if others.is_empty() {
            return None;
        }
        let names = others
            .iter()
            .map(|p| p.name.display_full())
            .collect::<Vec<_>>()
            .join("; ");
        Some(view! {
            <section class="card warn-card" data-testid="twins-notice">
                <h2>"Look-alike on this round: the MRN must match"</h2>
                <p>
                    "Another patient on this round has the same family name and date of birth ("
                    <strong>{names}</strong>
                    "), so name and date of birth cannot tell them apart. Scan the wristband, or check the MRN on it and type it below."
                </p>
            </section>
        })
    };

    let verbal_view = move || {
        let scanned = pending.get()?;
        let d = handle.data.get()?;
        let p = d.collection.patient().identity.clone();
        Some(view! {
            <section class="card" data-testid="verbal-confirm">
                <h2>"Wristband read: " {describe(&scanned)}</h2>
                <p>
                    "The wristband carries the MRN only. Ask the patient to "
                    <strong>"state"</strong>
                    " their full name and date of birth (do not read them out), and compare with the order:"
                </p>
                <p class="expected" data-testid="verbal-expected">
                    <strong>{p.name.display_full()}</strong>
                    " · born "
                    <strong>{drawline_domain::clock_text::ymd(&p.birth_date)}</strong>
                </p>
                <button class="button primary wide" data-testid="confirm-verbal" on:click=confirm_verbal>
                    "The patient stated this name and date of birth"
                </button>
                <p class="hint">
                    "Recorded as wristband scan + verbal confirmation. If what the patient says differs, do not confirm: type what they say below (recorded as manual entry)."
                </p>
            </section>
        })
    };

    let form = move || {
        let d = handle.data.get()?;
        if d.collection.identification().is_some() {
            return None;
        }
        let id = d.id();
        let mrn_required = !twins().is_empty();
        let mrn_label = if mrn_required {
            "MRN (required: a look-alike is on this round)"
        } else {
            "MRN (optional with date of birth)"
        };
        let stops = d.collection.hard_stops(HardStopKind::WrongPatient);
        Some(view! {
            {(stops > 0).then(|| view! {
                <p class="notice" data-testid="wrong-patient-count">
                    {format!("Wrong-patient stops on this collection: {stops}. The supervisor sees each one.")}
                </p>
            })}
            {verbal_view}
            <section class="card">
                <ScanField
                    label="Scan the patient's wristband"
                    hint="Point the scanner at the wristband barcode. The field reads it and checks it at once."
                    test_id="wristband-scan"
                    on_scan=on_scan
                    autofocus=true
                    report_blank=true
                />
                <CameraScan on_scan=on_scan />
                <ErrorNote error=scan_error test_id="scan-error" />
            </section>
            <details class="card" open=move || pending.get().is_some() || !twins().is_empty()>
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
                    <TextField label=mrn_label id="manual-mrn" value=mrn />
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

    view! {
        <CollectionFrame handle=handle step=Step::Identify>
            {identified_view}
            {twins_notice}
            {move || handle.data.get().map(|d| view! { <YoungChildWarning birth_date=d.collection.patient().identity.birth_date /> })}
            {form}
        </CollectionFrame>
        <WrongPatientStop handle=handle step=Step::Identify presented=presented />
    }
}
