//! What the collector must do with a tube once drawn (on ice, deliver within, bottle order...), each as words.

use drawline_domain::planner::PlannedTube;
use leptos::prelude::*;

/// The tube's handling instructions as a `Handling` row of the tube card's facts, one item per
/// instruction with its name in bold and what to do; nothing for an ordinary tube.
#[component]
pub fn TubeInstructions(
    /// The planned tube.
    tube: PlannedTube,
) -> impl IntoView {
    let items = tube.instruction_items();
    (!items.is_empty()).then(|| {
        view! {
            <dt>"Handling"</dt>
            <dd>
                <ul class="instructions" data-testid="tube-instructions">
                    {items
                        .into_iter()
                        .map(|i| {
                            view! {
                                <li class=format!("instruction {}", i.kind.as_str()) data-kind=i.kind.as_str()>
                                    <strong>{i.title}</strong>
                                    " — "
                                    {i.text}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </dd>
        }
    })
}
