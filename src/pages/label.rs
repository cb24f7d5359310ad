//! Bedside labelling: print each drawn tube's label, or scan a pre-labelled tube to bind it.

use drawline_domain::collection::{device_accession, Event, HardStopKind, KnownLabels};
use drawline_domain::label::SecondIdentifier;
use drawline_domain::safety::AccessionFormat;
use drawline_domain::scanned::shown;
use drawline_domain::{label_for, CollectionError, CollectionId, Mrn, Status};
use leptos::prelude::*;

use crate::components::acknowledge_stop::AcknowledgeStop;
use crate::components::collection_frame::CollectionFrame;
use crate::components::error_note::ErrorNote;
use crate::components::hard_stop::HardStop;
use crate::components::label_preview::LabelPreview;
use crate::components::next_step::NextStep;
use crate::components::scan_field::ScanField;
use crate::context::DeviceDb;
use crate::error::AppError;
use crate::hooks::use_collection::{use_collection, CollectionHandle};
use crate::round;
use crate::storage::StorageError;
use crate::workflow::{self, DraftData, Step};

/// The next tube that needs a label (the domain's rule).
fn current_tube(d: &DraftData) -> Option<u32> {
    d.collection.next_tube_to_label().map(|t| t.index)
}

fn print_now() {
    // After the DOM shows the label: printing is the browser's dialog, outside our control.
    leptos::prelude::set_timeout(
        || {
            if let Some(w) = web_sys::window() {
                let _ = w.print();
            }
        },
        std::time::Duration::from_millis(150),
    );
}

/// Binds the label `read` to tube `index` through the domain's judgement; returns the error
/// shown, if any. Saved either way: a refused label is logged in the record's history.
fn bind(
    handle: CollectionHandle,
    index: u32,
    read: &str,
    rules: &AccessionFormat,
    known: &KnownLabels,
) -> Result<(), CollectionError> {
    let Some((mut next, collector)) = handle.edit() else {
        return Ok(());
    };
    let now = workflow::now();
    let result = next
        .collection
        .label_tube(index, read, rules, known, &collector, now)
        .map(|_| ());
    handle.commit(next, Step::Label);
    result
}

/// The site's accession rules and what the tablet knows of other patients' labels: worklist
/// orders and patients, every draft and every outbox record.
async fn label_context(
    db: DeviceDb,
    this: CollectionId,
) -> Result<(AccessionFormat, KnownLabels), StorageError> {
    let store = db.0.await?;
    let (worklist, site) = round::load_round(&store).await?;
    let mut others: Vec<_> = round::load_drafts(&store)
        .await?
        .into_iter()
        .map(|(d, _, _)| d.collection)
        .collect();
    others.extend(workflow::outbox_collections(&store.list_outbox().await?));
    let known = workflow::known_labels(this, worklist.as_ref(), &others);
    Ok((site.safety().accession.clone(), known))
}

/// The wrong-blood-in-tube stop as shown: the message and the facts to compare.
type StopView = (String, Vec<String>);

/// The stop for a refused label of another patient.
fn wbit_stop(read: &str, other: Option<&Mrn>, message: String, d: &DraftData) -> StopView {
    let mine = &d.collection.patient().identity;
    (
        message,
        vec![
            format!("Tube label read: {read}"),
            format!(
                "It belongs to the patient with MRN {}",
                other.map(ToString::to_string).unwrap_or_default()
            ),
            format!(
                "This collection is for: {} · MRN {}",
                mine.name.display_full(),
                mine.mrn
            ),
            "Do not use this tube for this patient. Set it aside and tell the lab.".to_owned(),
        ],
    )
}

/// The pending wrong-blood-in-tube stop from the record's history (after a reload).
fn pending_stop(d: &DraftData) -> Option<StopView> {
    if d.collection.pending_hard_stop() != Some(HardStopKind::WrongBloodInTube) {
        return None;
    }
    d.collection
        .history()
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            Event::TubeLabelRefused {
                read, other_mrn, ..
            } => Some(wbit_stop(
                read,
                other_mrn.as_ref(),
                format!("WRONG BLOOD IN TUBE: \u{201c}{read}\u{201d} belongs to another patient."),
                d,
            )),
            Event::TubeBindingRefused { accession, .. } => Some(wbit_stop(
                accession.as_str(),
                None,
                format!("WRONG BLOOD IN TUBE: {accession} is bound to another patient."),
                d,
            )),
            _ => None,
        })
}

/// This patient's lab accessions for the tests on tube `index` (pre-labelled tubes).
fn lab_accessions(d: &DraftData, index: u32) -> Vec<String> {
    let Some(t) = d.collection.tubes().iter().find(|t| t.index == index) else {
        return Vec::new();
    };
    d.collection
        .orders_for_tube(t)
        .iter()
        .flat_map(|o| {
            o.accessions
                .iter()
                .map(move |a| format!("{a} ({})", o.test))
        })
        .collect()
}

/// The labelling screen: each drawn tube gets its label in the patient's presence, printed from
/// the browser (2 x 1 inch print stylesheet), or a pre-labelled tube is scanned to bind it. A
/// tube label of another patient is a hard stop (wrong blood in tube) until acknowledged, shown
/// again after a reload while it waits.
#[component]
pub fn Label() -> impl IntoView {
    let handle = use_collection(Step::Label);
    let db = DeviceDb::expect();
    let error = RwSignal::new(None::<AppError>);
    let stop = RwSignal::new(None::<StopView>);
    let print_request = RwSignal::new(None::<u32>);
    let printed = RwSignal::new(None::<u32>);

    // Print once the saved draft holds the label, never before.
    Effect::new(move |_| {
        let Some(index) = print_request.get() else {
            return;
        };
        let labelled = handle.data.with(|d| {
            d.as_ref().is_some_and(|d| {
                d.collection
                    .tubes()
                    .iter()
                    .any(|t| t.index == index && t.accession.is_some())
            })
        });
        if labelled && !handle.save.pending().get() {
            print_request.set(None);
            printed.set(Some(index));
            print_now();
        }
    });

    let print_label = move |index: u32| {
        let Some(d) = handle.data.get_untracked() else {
            return;
        };
        // The tablet's own label for this tube: the domain accepts it only for this collection.
        let printed = device_accession(d.collection.id(), index);
        let rules = AccessionFormat::default();
        match bind(handle, index, printed.as_str(), &rules, &KnownLabels::new()) {
            Ok(()) => {
                error.set(None);
                print_request.set(Some(index));
            }
            Err(e) => error.set(Some(e.into())),
        }
    };

    let on_scan = Callback::new(move |text: String| {
        let Some(d) = handle.data.get_untracked() else {
            return;
        };
        let Some(index) = current_tube(&d) else {
            error.set(Some(
                format!(
                    "Read \u{201c}{}\u{201d}: no drawn tube is waiting for a label.",
                    shown(text.trim())
                )
                .into(),
            ));
            return;
        };
        leptos::task::spawn_local(async move {
            let (rules, known) = match label_context(db, d.collection.id()).await {
                Ok(c) => c,
                Err(e) => {
                    error.set(Some(e.into()));
                    return;
                }
            };
            match bind(handle, index, &text, &rules, &known) {
                Ok(()) => error.set(None),
                Err(CollectionError::TubeLabelRefused(r)) if r.is_wrong_blood_in_tube() => {
                    error.set(None);
                    stop.set(Some(wbit_stop(&r.read, r.other_patient(), r.message(), &d)));
                }
                Err(e) => error.set(Some(e.to_string().into())),
            }
        });
    });

    let body = move || {
        let d = handle.data.get()?;
        let current = current_tube(&d);
        let collector = d.collector.username.clone();
        let busy = handle.save.pending();
        let rows = d
            .collection
            .tubes()
            .iter()
            .filter(|t| !t.tube.discard && t.drawn.is_some())
            .map(|t| {
                let index = t.index;
                let content = label_for(&d.collection, index, SecondIdentifier::Mrn).ok();
                let heading = format!("{}. {} cap — {}", index, t.tube.cap, t.tube.container_name);
                match content {
                    Some(c) => view! {
                        <div class=move || if printed.get() == Some(index) { "label-row print-me" } else { "label-row" }>
                            <h3>{heading}</h3>
                            <LabelPreview content=c collector=collector.clone() />
                            <button class="button" on:click=move |_| {
                                printed.set(Some(index));
                                print_now();
                            }>"Print again"</button>
                        </div>
                    }
                        .into_any(),
                    None => view! {
                        <div class="label-row waiting">
                            <h3>{heading}</h3>
                            <p class="muted">"Not labelled yet"</p>
                        </div>
                    }
                        .into_any(),
                }
            })
            .collect_view();
        let ready = d.collection.status() >= Status::Labelled;
        let next = d.clone();
        Some(view! {
            <section class="card">
                {match current {
                    Some(index) => view! {
                        <p>"Label tube " <strong>{index}</strong> " now, at the bedside."</p>
                        {
                            let lab = lab_accessions(&d, index);
                            (!lab.is_empty()).then(|| view! {
                                <p class="prelabelled" data-testid="lab-accessions">
                                    "Pre-labelled tube for this patient: "
                                    <strong>{lab.join(", ")}</strong>
                                    ". Scan that tube's label, or print one."
                                </p>
                            })
                        }
                        <button
                            class="button primary wide"
                            data-testid="print-label"
                            disabled=move || busy.get()
                            on:click=move |_| print_label(index)
                        >
                            {format!("Print label for tube {index}")}
                        </button>
                        <ScanField
                            label="Or scan a pre-labelled tube"
                            hint="Scanning binds that tube's barcode to this patient."
                            test_id="tube-scan"
                            on_scan=on_scan
                        />
                    }
                        .into_any(),
                    None => view! {
                        <NextStep handle=handle data=next.clone() step=Step::Review ready=ready test_id="go-review">
                            "Next: review and finalize"
                        </NextStep>
                    }
                        .into_any(),
                }}
                <ErrorNote error=error test_id="label-error" />
            </section>
            <div class="labels">{rows}</div>
        })
    };

    let stop_view = move || {
        let shown_stop = stop
            .get()
            .or_else(|| handle.data.with(|d| d.as_ref().and_then(pending_stop)));
        shown_stop.map(|(message, details)| {
            view! {
                <HardStop title="WRONG BLOOD IN TUBE".to_string() message=message details=details>
                    <AcknowledgeStop
                        statement="I have set this tube aside: it is not used for this patient."
                        action="Acknowledge and continue labelling"
                        on_acknowledge=Callback::new(move |()| {
                            handle.acknowledge_hard_stop(Step::Label);
                            stop.set(None);
                        })
                    />
                </HardStop>
            }
        })
    };

    view! {
        <CollectionFrame handle=handle step=Step::Label>
            {body}
        </CollectionFrame>
        {stop_view}
    }
}
