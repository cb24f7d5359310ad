//! The fasting question, asked before the first tube when a test wants a fasting patient.

use drawline_domain::collection::FastingStatus;
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::error::AppError;
use crate::hooks::use_collection::CollectionHandle;
use crate::workflow::{self, Step};

/// Asks whether the patient is fasting when an ordered test wants it; shows nothing otherwise.
/// Before an answer it stands out (the domain refuses the first tube until then); after, it
/// stays so the answer can be changed.
#[component]
pub fn FastingQuestion(
    /// The collection being edited.
    handle: CollectionHandle,
    /// The step the answer is saved at.
    step: Step,
) -> impl IntoView {
    let error = RwSignal::new(None::<AppError>);
    let set_fasting = move |status: FastingStatus| {
        let Some((mut next, collector)) = handle.edit() else {
            return;
        };
        match next
            .collection
            .record_fasting(status, &collector, workflow::now())
        {
            Ok(()) => {
                error.set(None);
                handle.commit(next, step);
            }
            Err(e) => error.set(Some(e.into())),
        }
    };
    move || {
        let d = handle.data.get()?;
        let c = &d.collection;
        let tests = c.fasting_tests();
        if !d.fasting_required && tests.is_empty() && c.fasting().is_none() {
            return None;
        }
        let current = c.fasting();
        let why = if tests.is_empty() {
            "The order asks for a fasting patient.".to_string()
        } else {
            format!(
                "{} ask for a fasting patient.",
                tests
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let (class, legend) = match current {
            None => (
                "card reasons fasting-question open",
                "Before the first tube: is the patient fasting?",
            ),
            Some(_) => ("card reasons fasting-question", "Fasting"),
        };
        Some(view! {
            <fieldset class=class data-testid="fasting-question">
                <legend>{legend}</legend>
                <p class="muted">{why}</p>
                {FastingStatus::ALL.iter().map(|status| {
                    let (status, code, text) = (*status, status.as_str(), status.display());
                    let id = format!("fasting-{code}");
                    let for_id = id.clone();
                    view! {
                        <label class="choice" for=for_id>
                            <input type="radio" name="fasting" id=id data-testid=format!("fasting-{code}")
                                prop:checked=current == Some(status)
                                on:change=move |_| set_fasting(status) />
                            {text}
                        </label>
                    }
                }).collect_view()}
                <ErrorNote error=error test_id="fasting-error" />
            </fieldset>
        })
    }
}
