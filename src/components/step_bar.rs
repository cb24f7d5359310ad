//! Where the collector is in a collection: identify, tubes, label, review.

use leptos::prelude::*;

use crate::workflow::Step;

/// The workflow steps as links; the current one is marked for assistive technology.
#[component]
pub fn StepBar(
    /// Collection id, for the links.
    id: String,
    /// The screen being shown.
    current: Step,
    /// Whether the patient is identified (later steps are locked until then).
    identified: bool,
) -> impl IntoView {
    let items = Step::MAIN
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let here = *step == current;
            let locked = !identified && *step != Step::Identify;
            let label = format!("{}. {}", i + 1, short(*step));
            if locked {
                view! { <li class="step locked" aria-disabled="true">{label}</li> }.into_any()
            } else {
                view! {
                    <li class=if here { "step current" } else { "step" }>
                        <a href=step.path(&id) aria-current=if here { Some("step") } else { None }>
                            {label}
                        </a>
                    </li>
                }
                .into_any()
            }
        })
        .collect_view();
    view! {
        <nav aria-label="Collection steps">
            <ol class="step-bar">{items}</ol>
        </nav>
    }
}

fn short(step: Step) -> &'static str {
    match step {
        Step::Identify => "Identify",
        Step::Tubes => "Tubes",
        Step::Label => "Label",
        Step::Exceptions => "Not collected",
        Step::Review => "Review",
    }
}
