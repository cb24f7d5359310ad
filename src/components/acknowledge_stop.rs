//! `AcknowledgeStop`: the deliberate two-step way out of a hard stop, a statement ticked and then a button.

use leptos::prelude::*;

/// A checkbox stating what the collector did, and the button that acknowledges the stop; the
/// button stays disabled until the box is ticked, so a reflex tap that reads like "OK" does not
/// clear a hard stop.
#[component]
pub fn AcknowledgeStop(
    /// What the collector confirms by ticking, e.g. "I have stopped ...".
    statement: &'static str,
    /// The button's words.
    action: &'static str,
    /// Runs when the ticked acknowledgement is pressed.
    on_acknowledge: Callback<()>,
) -> impl IntoView {
    let ticked = RwSignal::new(false);
    view! {
        <label class="choice acknowledge" for="hard-stop-confirm">
            <input
                type="checkbox"
                id="hard-stop-confirm"
                data-testid="hard-stop-confirm"
                prop:checked=move || ticked.get()
                on:change=move |ev| ticked.set(event_target_checked(&ev))
            />
            {statement}
        </label>
        <button
            class="button primary"
            data-testid="hard-stop-dismiss"
            disabled=move || !ticked.get()
            on:click=move |_| {
                if ticked.get_untracked() {
                    ticked.set(false);
                    on_acknowledge.run(());
                }
            }
        >
            {action}
        </button>
    }
}
