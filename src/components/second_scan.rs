//! The second wristband scan some sites ask for after the draw, before finalize (on the review screen).

use drawline_domain::{CollectionError, IdentifyContext, WristbandError};
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::scan_field::ScanField;
use crate::components::wrong_patient_stop::WrongPatientStop;
use crate::context::DeviceDb;
use crate::error::AppError;
use crate::hooks::use_collection::CollectionHandle;
use crate::round;
use crate::workflow::{self, Step};

/// Asks for the patient's wristband again when the site's safety rules want a second scan
/// after the draw; shows nothing otherwise. A wristband of someone else is a WRONG PATIENT hard
/// stop (acknowledged, counted and reported like one at identification); what is not a
/// wristband is refused with what was read, and logged.
#[component]
pub fn SecondScan(
    /// The collection under review.
    handle: CollectionHandle,
) -> impl IntoView {
    let db = DeviceDb::expect();
    let error = RwSignal::new(None::<AppError>);
    let presented = RwSignal::new(None::<String>);
    let rules = LocalResource::new(move || async move {
        let store = db.0.await.map_err(|e| e.to_string())?;
        round::load_identification(&store)
            .await
            .map(|(safety, _)| safety)
            .map_err(|e| e.to_string())
    });

    let on_scan = Callback::new(move |text: String| {
        let Some((mut next, by)) = handle.edit() else {
            return;
        };
        let safety = rules
            .get_untracked()
            .and_then(Result::ok)
            .unwrap_or_default();
        let now = workflow::now();
        let evidence = match next.collection.read_wristband(&text, &safety, &by, now) {
            Ok(evidence) => evidence,
            Err(e) => {
                handle.commit(next, Step::Review);
                error.set(Some(
                    match e {
                        CollectionError::Wristband {
                            error: WristbandError::Empty,
                            ..
                        } => "Nothing was read: the scan was blank. Scan the wristband again."
                            .to_owned(),
                        CollectionError::Wristband { read, error } => {
                            format!("Read \u{201c}{read}\u{201d}: refused, {error}.")
                        }
                        other => other.to_string(),
                    }
                    .into(),
                ));
                return;
            }
        };
        let context = IdentifyContext::new(&safety);
        match next
            .collection
            .rescan_wristband(&evidence, &context, &by, now)
        {
            Ok(()) => error.set(None),
            Err(CollectionError::Identification(e)) if e.is_hard_stop() => {
                presented.set(Some(text.trim().to_owned()));
                error.set(None);
            }
            Err(e) => error.set(Some(e.into())),
        }
        handle.commit(next, Step::Review);
    });

    move || {
        let d = handle.data.get()?;
        let c = &d.collection;
        if !c.second_scan_required() || !c.tubes().iter().any(|t| t.drawn.is_some()) {
            return None;
        }
        let pending = c.second_scan_pending();
        Some(view! {
            <section class=if pending { "card warn-card" } else { "card ok-card" } data-testid="second-scan">
                <h2>"Second wristband scan"</h2>
                {if pending {
                    view! {
                        <p data-testid="second-scan-state">
                            "This site checks the wristband again after the draw. Scan the patient's wristband before finalizing."
                        </p>
                        <ScanField
                            label="Scan the wristband again"
                            hint="The same patient's wristband: its MRN must match this collection."
                            test_id="wristband-rescan"
                            on_scan=on_scan
                            report_blank=true
                        />
                        <ErrorNote error=error test_id="rescan-error" />
                    }
                        .into_any()
                } else {
                    view! {
                        <p data-testid="second-scan-state">"Done: the wristband was scanned again after the draw and matches."</p>
                    }
                        .into_any()
                }}
            </section>
            <WrongPatientStop handle=handle step=Step::Review presented=presented />
        })
    }
}
