//! Bedside labelling: print each drawn tube's label, or scan a pre-labelled tube to bind it.

use drawline_domain::label::SecondIdentifier;
use drawline_domain::{label_for, AccessionNumber, CollectionError, Status};
use leptos::prelude::*;

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

/// Binds `accession` to tube `index`; returns the error shown, if any.
fn bind(
    handle: CollectionHandle,
    index: u32,
    accession: AccessionNumber,
    bound_to: Option<drawline_domain::Mrn>,
) -> Result<(), CollectionError> {
    let Some((mut next, collector)) = handle.edit() else {
        return Ok(());
    };
    let now = workflow::now();
    let result = next
        .collection
        .label_tube(index, accession, bound_to.as_ref(), &collector, now);
    // Saved either way: a refused binding is logged in the record's history.
    handle.commit(next, Step::Label);
    result
}

/// The labelling screen: each drawn tube gets its label in the patient's presence, printed from
/// the browser (2 x 1 inch print stylesheet), or a pre-labelled tube is scanned to bind it. A
/// tube already bound to another patient is a hard stop (wrong blood in tube).
#[component]
pub fn Label() -> impl IntoView {
    let handle = use_collection(Step::Label);
    let db = DeviceDb::expect();
    let error = RwSignal::new(None::<AppError>);
    let stop = RwSignal::new(None::<(String, Vec<String>)>);
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
        let accession = workflow::device_accession(d.collection.id(), index);
        match bind(handle, index, accession, None) {
            Ok(()) => {
                error.set(None);
                print_request.set(Some(index));
            }
            Err(e) => error.set(Some(e.into())),
        }
    };

    let on_scan = Callback::new(move |text: String| {
        let read = text.trim().to_owned();
        let Some(d) = handle.data.get_untracked() else {
            return;
        };
        let Some(index) = current_tube(&d) else {
            error.set(Some(
                format!("Read \u{201c}{read}\u{201d}: no drawn tube is waiting for a label.")
                    .into(),
            ));
            return;
        };
        let accession = match AccessionNumber::parse(&read) {
            Ok(a) => a,
            Err(_) => {
                let why = if read.starts_with("DL1|") {
                    "that is a wristband, not a tube label"
                } else {
                    "a tube barcode has only letters, digits and '-', up to 32"
                };
                error.set(Some(
                    format!("Read \u{201c}{read}\u{201d}: refused, {why}.").into(),
                ));
                return;
            }
        };
        leptos::task::spawn_local(async move {
            // Which patient, if any, this barcode is already bound to on this tablet.
            let others = async {
                let store = db.0.await?;
                let mut all: Vec<_> = round::load_drafts(&store)
                    .await?
                    .into_iter()
                    .map(|(d, _, _)| d.collection)
                    .collect();
                all.extend(workflow::outbox_collections(&store.list_outbox().await?));
                Ok::<_, StorageError>(all)
            }
            .await;
            let others = match others {
                Ok(o) => o,
                Err(e) => {
                    error.set(Some(e.into()));
                    return;
                }
            };
            let bound_to = workflow::bound_elsewhere(&accession, d.collection.id(), &others);
            match bind(handle, index, accession.clone(), bound_to.clone()) {
                Ok(()) => error.set(None),
                Err(e @ CollectionError::TubeBoundToAnotherPatient { .. }) => {
                    let mine = &d.collection.patient().identity;
                    stop.set(Some((
                        e.to_string(),
                        vec![
                            format!("Tube barcode read: {accession}"),
                            format!(
                                "Already bound to the patient with MRN {}",
                                bound_to.map(|m| m.to_string()).unwrap_or_default()
                            ),
                            format!(
                                "This collection is for: {} · MRN {}",
                                mine.name.display_full(),
                                mine.mrn
                            ),
                        ],
                    )));
                }
                Err(e) => error.set(Some(
                    format!("Read \u{201c}{read}\u{201d}: refused, {e}.").into(),
                )),
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
        stop.get().map(|(message, details)| {
            view! {
                <HardStop title="WRONG TUBE".to_string() message=message details=details>
                    <button class="button primary" data-testid="hard-stop-dismiss" on:click=move |_| {
                        handle.acknowledge_hard_stop(Step::Label);
                        stop.set(None);
                    }>
                        "Set this tube aside. Continue"
                    </button>
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
